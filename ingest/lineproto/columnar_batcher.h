// ColumnarBatcher: accumulates parsed points into the columnar write batch of the data model
// (storage::SeriesBatch): one group per (measurement, sorted tag set), one shared timestamp
// column per group, and one typed column per field. A field missing from some rows of its
// group gets a validity vector (0 = missing). Rows keep arrival order (no sorting, no dedup:
// storage decides what a repeated timestamp means).
//
//   ColumnarBatcher batcher({.max_values = 10000});
//   RETURN_IF_ERROR(parser.Parse(text, [&](const Point& p) -> absl::Status {
//     RETURN_IF_ERROR(batcher.Add(p));
//     if (batcher.full()) RETURN_IF_ERROR(Send(batcher.Take()));
//     return absl::OkStatus();
//   }));
//   if (!batcher.empty()) RETURN_IF_ERROR(Send(batcher.Take()));
//
// Thread safety: not thread-safe; one per thread (or per parser).
#ifndef TELEMDB_INGEST_LINEPROTO_COLUMNAR_BATCHER_H_
#define TELEMDB_INGEST_LINEPROTO_COLUMNAR_BATCHER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ingest/lineproto/point.h"
#include "ingest/lineproto/string_arena.h"
#include "storage/types.h"

namespace telemdb::lineproto {

struct BatcherOptions {
  // full() turns true once the batch holds at least this many field values. A point is never
  // split, so a batch may exceed it by one point's fields. Default: 10000.
  size_t max_values = 10000;
};

class ColumnarBatcher {
 public:
  explicit ColumnarBatcher(const BatcherOptions& options = BatcherOptions());

  ColumnarBatcher(const ColumnarBatcher&) = delete;
  ColumnarBatcher& operator=(const ColumnarBatcher&) = delete;

  // Appends `point` as one row of its group. REQUIRES: a point as the Parser makes it (series
  // key set, tags sorted, at least one field).
  // Errors: InvalidArgument naming the line when a field's type differs from that field's type
  // earlier in the same group of this batch (e.g. `line 12: field "temp" of series
  // readings,name=t1 is integer here but float earlier in this batch`), or when a field key
  // repeats in the point. The point is then not added at all.
  absl::Status Add(const Point& point);

  // True once values() >= max_values: time to Take().
  bool full() const { return values_ >= options_.max_values; }
  bool empty() const { return points_ == 0; }
  size_t values() const { return values_; }          // field values in the current batch
  size_t points() const { return points_; }          // rows in the current batch
  size_t series() const { return batches_.size(); }  // groups in the current batch

  // Hands out every group of the current batch, in first-seen order, and starts a new batch.
  // Each SeriesBatch has timestamps.size() rows and every column that many slots.
  std::vector<storage::SeriesBatch> Take();

  // Optional: gives back batches from Take() that the caller is done with (e.g. after encoding
  // them for the wire). Their vectors and strings are reused by later batches, which removes
  // most allocations from the steady state. At most about two batches' worth is kept.
  void Recycle(std::vector<storage::SeriesBatch> batches);

 private:
  static constexpr uint32_t kNewColumn = UINT32_MAX;

  // absl's hash over our std::string_view (Debian's absl::string_view is a distinct type).
  struct KeyHash {
    size_t operator()(std::string_view s) const;
  };
  using KeyMap = absl::flat_hash_map<std::string_view, uint32_t, KeyHash>;

  // Per group bookkeeping; states_[g] belongs to batches_[g]. Kept across batches for reuse.
  struct GroupState {
    std::vector<uint32_t> column_at;  // field position in the last row -> column: a fast guess
    std::vector<uint32_t> row_stamp;  // per column: 1 + the last row that has a value in it
    KeyMap by_name;                   // column index, built past kLinearColumns columns
    uint32_t rows = 0;
  };
  static constexpr size_t kLinearColumns = 16;

  uint32_t FindGroup(const Point& point);
  uint32_t FindColumn(uint32_t group, size_t position, std::string_view key) const;
  uint32_t AddColumn(uint32_t group, const Field& field);

  BatcherOptions options_;
  std::vector<storage::SeriesBatch> batches_;
  std::vector<GroupState> states_;  // size >= batches_.size(); the tail is spare
  KeyMap index_;                    // series key -> group
  internal::StringArena arena_;     // keys of index_ and by_name
  std::vector<uint32_t> resolved_;  // scratch: column per field of the point being added
  std::vector<storage::SeriesBatch> spare_batches_;  // from Recycle(): no fields, empty
  std::vector<storage::FieldColumn> spare_columns_;  // from Recycle(): empty
  size_t values_ = 0;
  size_t points_ = 0;
  size_t last_series_ = 0;  // groups in the previous batch
  size_t rows_hint_ = 1;    // rows per group in the previous batch, for reserve()
};

}  // namespace telemdb::lineproto

#endif  // TELEMDB_INGEST_LINEPROTO_COLUMNAR_BATCHER_H_
