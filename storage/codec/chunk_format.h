// Constants and persisted enums of the chunk format (docs/format/chunk.md).
//
// Every enum here reaches disk: values are explicit and only ever grow; a retired value is
// never reused. Thread safety: constants only.
#ifndef TELEMDB_STORAGE_CODEC_CHUNK_FORMAT_H_
#define TELEMDB_STORAGE_CODEC_CHUNK_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace telemdb::storage::codec {

// The first byte of every chunk: the version the encoder writes. Decoders read this one and
// kFormatVersion1 and reject any other value with DataLoss.
inline constexpr uint8_t kFormatVersion = 2;
// Format 1 (until issue 17): four id bytes and pre-aggregates in every chunk.
inline constexpr uint8_t kFormatVersion1 = 1;

// Format 2's second byte packs the value type, the value codec and whether the header holds
// pre-aggregates; the timestamp codec is always TsCodec::kIntStream.
inline constexpr uint8_t kIdsTypeMask = 0x07;        // bits 0-2: ValueType
inline constexpr int kIdsValueCodecShift = 3;        // bits 3-5: the value codec
inline constexpr uint8_t kIdsValueCodecMask = 0x38;
inline constexpr uint8_t kIdsHasAggregates = 0x40;  // bit 6; bit 7 is 0

// The encoder stores pre-aggregates only in chunks of at least this many points: in a small
// chunk they would cost as much as the points (40 bytes for floats), and decoding a small chunk
// to compute them is cheap. Not part of the format: a decoder takes what bit 6 says.
inline constexpr uint32_t kAggregatesMinPoints = 256;

// Upper bound on the points of one chunk, enforced by the encoder (InvalidArgument) and the
// decoder (DataLoss), so that a corrupt count cannot make the decoder allocate much: a decoded
// chunk is at most kMaxChunkPoints * 16 bytes of numeric columns.
inline constexpr uint32_t kMaxChunkPoints = 1u << 17;

// What compaction should aim for: large enough that per-chunk overheads (header ~60 bytes for
// floats, per-block widths) vanish, small enough that a point query decodes little.
inline constexpr uint32_t kTargetChunkPoints = 8192;

// Upper bound on the total bytes of string values in one chunk (encoder: InvalidArgument),
// and on any zstd frame's decompressed size (decoder: DataLoss).
inline constexpr size_t kMaxChunkRawBytes = size_t{64} << 20;

// Values are bit-packed in blocks of this many, each block with its own reference and width.
inline constexpr size_t kBlockSize = 128;

// The CRC32C trailer (fixed32, little-endian) over every preceding byte.
inline constexpr size_t kChecksumSize = 4;

// Codec of the timestamp block.
enum class TsCodec : uint8_t {
  kIntStream = 1,  // delta-of-delta (or delta / FOR) + GCD + block bit-packing or sparse
};

// Codec of the value block of a kFloat chunk.
enum class FloatCodec : uint8_t {
  kAlp = 1,      // decimal-scaled int64 stream + exceptions with ULP corrections
  kGorilla = 2,  // Gorilla XOR bit stream
  kRawZstd = 3,  // little-endian doubles, zstd-compressed
};

// Codec of the value block of a kInt chunk.
enum class IntCodec : uint8_t {
  kIntStream = 1,
};

// Codec of the value block of a kBool chunk.
enum class BoolCodec : uint8_t {
  kRunLength = 1,  // first value + varint run lengths
  kBitmap = 2,     // one bit per point, LSB first
};

// Codec of the value block of a kString chunk.
enum class StringCodec : uint8_t {
  kDictionary = 1,  // blob of distinct values + int stream of indices
  kPlain = 2,       // blob of every value, length-prefixed
};

// The "mode" byte opening an int stream: differencing order in bits 0-1 and packing in bit 2.
// Order 0 packs the values themselves (frame of reference), 1 their deltas, 2 the deltas of
// deltas. kIntStreamSparse stores a fill value and only the residuals that differ from it
// (positions and values as nested int streams, which are never sparse themselves).
// kIntStreamEntropy (never with kIntStreamSparse, never nested) stores the residuals minus
// their minimum as one or two byte planes, each a zstd frame: zstd's Huffman literals get
// within a fraction of a bit of the residuals' entropy where bit-packing rounds up to whole
// bits per block (a random walk of +-20 costs 5.4 bits, not 6; a rare wrap-around, not 10).
inline constexpr uint8_t kIntStreamOrderMask = 0x03;
inline constexpr uint8_t kIntStreamSparse = 0x04;
inline constexpr uint8_t kIntStreamEntropy = 0x08;
// kIntStreamPatched (format 2 on; never with sparse or entropy, never nested): a few outlying
// residuals (up to kIntStreamPatchedMaxExceptions off each end) are stored apart as positions
// and values, and the rest bit-packed without them, so that one missed reading does not widen
// a whole block. The encoder tries it for streams of up to kIntStreamPatchedMaxValues values.
inline constexpr uint8_t kIntStreamPatched = 0x10;
inline constexpr uint8_t kIntStreamModeMask = 0x1f;
inline constexpr size_t kIntStreamPatchedMaxExceptions = 16;
inline constexpr size_t kIntStreamPatchedMaxValues = 1024;
inline constexpr int kIntStreamMaxSparseDepth = 1;
// The entropy layout is tried from this many residuals on (below, zstd's frame and table
// overhead outweighs what it saves) and only for residual ranges under 2^16.
inline constexpr size_t kIntStreamEntropyMinValues = 256;

// The first byte of a blob (a byte string inside a value block).
enum class BlobCompression : uint8_t {
  kNone = 0,
  kZstd = 1,
};

// The largest decimal exponent the ALP codec uses: values are scaled by 10^e, e <= 18.
inline constexpr int kAlpMaxExponent = 18;

}  // namespace telemdb::storage::codec

#endif  // TELEMDB_STORAGE_CODEC_CHUNK_FORMAT_H_
