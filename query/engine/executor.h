// Internal: the executors of a planned SELECT. Each walks the plan's groups in order,
// honours SLIMIT (counting groups that produce rows), LIMIT (rows per group, after ordering)
// and ORDER BY time DESC, and streams rows through the FrameWriter.
//
//   ExecuteAggregate: aggregates per bucket, fill, transforms (exec_aggregate.cc, fill.cc).
//   ExecuteLastCache: last(field)s without GROUP BY time from the last-value cache.
//   ExecuteRaw:       raw points joined on timestamp per series (exec_raw.cc).
//
// Thread safety: not thread-safe; one query per call.
#ifndef TELEMDB_QUERY_ENGINE_EXECUTOR_H_
#define TELEMDB_QUERY_ENGINE_EXECUTOR_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "query/engine/frame_writer.h"
#include "query/engine/plan.h"
#include "query/engine/scan.h"

namespace telemdb::query::internal {

absl::Status ExecuteAggregate(const SelectPlan& plan, Scanner* scan, FrameWriter* out);
absl::Status ExecuteLastCache(const SelectPlan& plan, Scanner* scan, FrameWriter* out);
absl::Status ExecuteRaw(const SelectPlan& plan, Scanner* scan, FrameWriter* out);

// The time of the single row of an aggregate without GROUP BY time when it is not the chosen
// point's time: the range start, or 0 (the epoch) when the range has no start.
int64_t RangeStartOrEpoch(const SelectPlan& plan);

// Whether the row of an aggregate without GROUP BY time carries the chosen point's time:
// the select list is a single first() or last().
bool RowTimeIsPointTime(const SelectPlan& plan);

// One cell grid of aggregated values, a row per bucket: fills empty cells (`empty[r]`) of
// column `col` according to the plan's FILL. `time` is the row times.
void ApplyFill(const SelectPlan& plan, const std::vector<int64_t>& time,
               const std::vector<uint8_t>& empty, Column* col);

// Converts an int column to float in place.
void IntColumnToFloat(Column* col);

}  // namespace telemdb::query::internal

#endif  // TELEMDB_QUERY_ENGINE_EXECUTOR_H_
