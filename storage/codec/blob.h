// Blobs: byte strings inside a value block, stored zstd-compressed when that is smaller.
// This file is also the one place that translates zstd errors into absl::Status.
//
// Layout: byte BlobCompression, varint raw_len, then for kNone raw_len bytes, for kZstd
// varint comp_len and comp_len bytes of one zstd frame. The decoder bounds raw_len by
// kMaxChunkRawBytes and by comp_len * kMaxZstdRatio before allocating anything.
//
// Thread safety: thread-compatible free functions (each thread keeps its own zstd contexts).
#ifndef TELEMDB_STORAGE_CODEC_BLOB_H_
#define TELEMDB_STORAGE_CODEC_BLOB_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "util/coding.h"

namespace telemdb::storage::codec {

// A zstd block of at most 128 KiB needs at least 4 compressed bytes (an RLE block), so no
// frame decompresses to more than this many times its size.
inline constexpr size_t kMaxZstdRatio = 32768;

// Appends `raw` as a blob, compressed at `zstd_level` if that is smaller.
void PutBlob(std::string_view raw, int zstd_level, std::string* out);

// Reads a blob from `in` into `raw` (replacing its contents).
// Errors: DataLoss when truncated, oversized or not a valid zstd frame of the stated size.
absl::Status GetBlob(ByteReader* in, std::string* raw);

// Size of `raw` compressed by zstd at `level` (0 on failure); for estimates.
size_t ZstdCompressedSize(std::string_view raw, int level);

// `raw` as one zstd frame at `level` in `dst` (replacing its contents); false if zstd fails.
bool ZstdCompress(std::string_view raw, int level, std::string* dst);

// `raw` as one zstd frame tuned for entropy coding rather than matching: fast strategy,
// matches of 7 bytes or more only, 16 KiB window. On residual bytes (random-walk deltas)
// short matches cost more than the Huffman-coded literals they replace: this gets within
// ~0.05 bit per byte of the order-0 entropy, in ~1.3 ns per byte.
bool ZstdCompressLiterals(std::string_view raw, std::string* dst);

// Decompresses the zstd frame `comp`, which must hold exactly `n` bytes, into dst[0, n).
// Errors: DataLoss when `comp` is not a valid frame of exactly n bytes.
absl::Status ZstdDecompressExact(std::string_view comp, char* dst, size_t n);

}  // namespace telemdb::storage::codec

#endif  // TELEMDB_STORAGE_CODEC_BLOB_H_
