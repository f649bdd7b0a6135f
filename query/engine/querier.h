// Querier: the only way the query engine reaches data. It selects series by measurement,
// fields and tag matchers, describes them (key, type), opens cursors over a time range,
// answers last-value look-ups, lists the schema and deletes.
//
// A QueryCursor mirrors storage::SeriesCursor: it walks one series over [start, end) in
// ascending time and yields *blocks*. A block carrying a chunk header is one stored chunk
// overlapped by nothing else; its pre-aggregates (count, sum, min, max, first, last) describe
// exactly the chunk's points, so the engine may use them instead of decoding when the chunk
// lies inside the cursor's range and inside one bucket. Any other block is already merged:
// one point per timestamp, the newest write winning.
//
// StorageQuerier (storage_querier.h) adapts storage::Db; tests may provide other queriers.
// No RocksDB, gRPC or protobuf type appears here: only the plain structs of storage/types.h,
// storage/codec/chunk.h (Columns, ChunkHeader) and the selector of storage/series_index.h.
//
// Thread safety: a Querier is shared by concurrent queries and must be thread-safe. A
// QueryCursor is used by one thread at a time and must not outlive its Querier.
#ifndef TELEMDB_QUERY_ENGINE_QUERIER_H_
#define TELEMDB_QUERY_ENGINE_QUERIER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/codec/chunk.h"
#include "storage/series_index.h"
#include "storage/types.h"

namespace telemdb::query {

using storage::SeriesId;
using storage::ValueType;

// What a cursor has read so far (cumulative).
struct CursorStats {
  uint64_t chunks_read = 0;     // chunk values fetched
  uint64_t chunks_decoded = 0;  // chunks whose points were decoded
  uint64_t points_decoded = 0;  // points decoded from chunks (before clipping to the range)
  uint64_t head_points = 0;     // points taken from memory (the head)
  uint64_t bytes_read = 0;      // chunk bytes fetched
};

class QueryCursor {
 public:
  struct Block {
    int64_t min_ts = 0;  // of the block's points; a chunk's may lie outside the range
    int64_t max_ts = 0;
    uint32_t count = 0;
    // Non-null for an exclusive stored chunk: its header with pre-aggregates. Valid until
    // the next call to Next().
    const storage::codec::ChunkHeader* header = nullptr;
  };

  virtual ~QueryCursor() = default;

  // Moves to the next block; false at the end. Errors: DataLoss naming the chunk.
  virtual absl::StatusOr<bool> Next() = 0;
  // REQUIRES: the last Next() returned true.
  virtual const Block& block() const = 0;
  // The points of the current block that lie in [start(), end()), replacing `out`.
  // Errors: DataLoss naming the chunk.
  virtual absl::Status Decode(storage::codec::Columns* out) = 0;
  virtual CursorStats stats() const = 0;

  // The range actually read: the requested one, possibly narrowed (e.g. by retention). A
  // chunk header describes only points in range when header->min_ts >= start() and
  // header->max_ts < end().
  virtual int64_t start() const = 0;
  virtual int64_t end() const = 0;
};

// A series as the engine sees it: identity and type.
struct SeriesMeta {
  SeriesId id = storage::kInvalidSeriesId;
  ValueType type = ValueType::kFloat;
  storage::SeriesKey key;  // measurement, sorted tags, field
};

// Which points Delete removes: [start, end) of the selected series of a measurement, or the
// whole measurement (its series leave the index too). Mirrors storage::DeleteSpec.
struct DeleteRequest {
  std::string measurement;
  std::vector<storage::TagMatcher> matchers;  // storage semantics, as in Select
  int64_t start = INT64_MIN;
  int64_t end = INT64_MAX;
  bool whole_measurement = false;  // ignores matchers and range
};

// The last reading of a series.
struct LastValue {
  int64_t ts = 0;
  storage::Value value;
};

class Querier {
 public:
  virtual ~Querier() = default;

  // Series of `selector.measurement` (restricted to `selector.fields` when not empty) whose
  // tags satisfy every matcher (storage semantics: kNotEqual / kNotRegex also match series
  // lacking the tag; regexes are full matches). Ascending ids. Unknown measurement: empty.
  virtual absl::StatusOr<std::vector<SeriesId>> Select(const storage::SeriesSelector& selector) = 0;
  // Key and type of a series. Errors: NotFound when it does not exist (e.g. deleted).
  virtual absl::StatusOr<SeriesMeta> Describe(SeriesId id) = 0;
  // Calls fn(i, type, key) for every ids[i] that exists (deleted ones are skipped), in order,
  // with the series' canonical key bytes (docs/format/keys.md: measurement \0 (tagkey \0
  // tagvalue \0)* \0 field), valid only during the call; a non-OK fn stops and is returned.
  // A planner reads 100,000s of series this way without building a SeriesKey for each. The
  // default goes through Describe. fn must not call back into the querier.
  using KeyFn = absl::FunctionRef<absl::Status(size_t i, ValueType type, std::string_view key)>;
  virtual absl::Status DescribeKeys(absl::Span<const SeriesId> ids, KeyFn fn);
  // A cursor over [start, end). Errors: NotFound for an unknown series.
  virtual absl::StatusOr<std::unique_ptr<QueryCursor>> Open(SeriesId id, int64_t start,
                                                            int64_t end) = 0;
  // The point with the greatest timestamp (from the last-value cache); nullopt when the
  // series has none. Errors: NotFound for an unknown series.
  virtual absl::StatusOr<std::optional<LastValue>> Last(SeriesId id) = 0;

  // Schema listings, each sorted.
  virtual std::vector<std::string> Measurements() = 0;
  // (field, type) pairs of a measurement; a field written with two types appears twice.
  virtual std::vector<std::pair<std::string, ValueType>> Fields(std::string_view measurement) = 0;
  // Tag keys used by a measurement's series (every measurement when empty).
  virtual std::vector<std::string> TagKeys(std::string_view measurement) = 0;
  // Values of tag `key` (within a measurement when not empty), at most `limit`.
  virtual std::vector<std::string> TagValues(std::string_view key, std::string_view measurement,
                                             size_t limit) = 0;

  // Removes points (see DeleteRequest); returns the number of series touched. The caller
  // has checked the admin right. Errors: as storage::Db::Delete (InvalidArgument for an
  // empty range, Unavailable when closing); Unimplemented for read-only queriers.
  virtual absl::StatusOr<uint64_t> Delete(const DeleteRequest& request) = 0;
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_QUERIER_H_
