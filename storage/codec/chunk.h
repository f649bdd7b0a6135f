// The chunk: the unit of storage of one series' points in the `chunks` column family.
//
// A chunk holds the points of one series sorted by timestamp (strictly ascending, no
// duplicates), a header with codec ids, count, min/max timestamp and pre-aggregates, and a
// CRC32C over every byte. The byte layout is specified in docs/format/chunk.md; constants and
// persisted enums live in chunk_format.h.
//
// Thread safety: pure functions; callers own the buffers.
#ifndef TELEMDB_STORAGE_CODEC_CHUNK_H_
#define TELEMDB_STORAGE_CODEC_CHUNK_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/types.h"

namespace telemdb::storage::codec {

// Decoded columns of one series: `ts` strictly ascending; exactly one value vector in use:
// `floats` for kFloat, `ints` for kInt and kBool (0 or 1), `strings` for kString.
struct Columns {
  ValueType type = ValueType::kFloat;
  std::vector<int64_t> ts;
  std::vector<double> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;

  size_t size() const { return ts.size(); }
  void Clear();
};

// Pre-aggregates of a chunk, so that a query bucket covering a whole chunk needs no decoding.
// Computed over the chunk's values in time order:
//   floats: sum (IEEE, left to right), min and max ignoring NaN (NaN only if every value is
//           NaN), first (value at min_ts), last (value at max_ts);
//   ints and bools: the same over int64 (bools as 0/1); `int_sum_overflowed` is set when the
//           int64 sum overflowed, and the sum is then unusable;
//   strings: only count and min/max timestamp.
//
// `has_aggregates` is false for a chunk stored without pre-aggregates (format 2, small
// chunks): DecodeChunkHeader then leaves the aggregate fields zero, and only DecodeChunk's
// points (or ComputeHeader over them) give them.
struct ChunkHeader {
  uint8_t format_version = 0;
  bool has_aggregates = true;
  ValueType type = ValueType::kFloat;
  uint8_t ts_codec = 0;
  uint8_t value_codec = 0;
  uint32_t count = 0;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
  // kFloat
  double fsum = 0, fmin = 0, fmax = 0, ffirst = 0, flast = 0;
  // kInt, kBool
  int64_t isum = 0, imin = 0, imax = 0, ifirst = 0, ilast = 0;
  bool int_sum_overflowed = false;
};

struct EncodeOptions {
  // zstd level for the general-purpose stage where a codec uses it. Default: 3.
  int zstd_level = 3;
  // Pre-aggregates are stored from this many points on. Default: kAggregatesMinPoints.
  uint32_t aggregates_min_points = 256;
};

// Encodes `cols` (1 ≤ size ≤ kMaxChunkPoints, strictly ascending ts) as a kFormatVersion chunk,
// choosing the smallest encoding per column; with pre-aggregates from kAggregatesMinPoints
// points on. Errors: InvalidArgument for empty, oversized or unsorted input.
absl::StatusOr<std::string> EncodeChunk(const Columns& cols, const EncodeOptions& options = {});

// Verifies the CRC and parses the header without decoding points (format 1 or 2; see
// ChunkHeader::has_aggregates). Errors: DataLoss for a bad checksum, truncation or unknown
// codec/version.
absl::StatusOr<ChunkHeader> DecodeChunkHeader(std::string_view chunk);

// Verifies the CRC and decodes every point into `out` (replacing its contents).
// Errors: DataLoss as above; never reads outside `chunk`, whatever its bytes.
absl::Status DecodeChunk(std::string_view chunk, Columns* out);

// Computes the pre-aggregates of sorted columns exactly as EncodeChunk stores them.
ChunkHeader ComputeHeader(const Columns& cols);

}  // namespace telemdb::storage::codec

#endif  // TELEMDB_STORAGE_CODEC_CHUNK_H_
