// Internal: the executors of a planned SELECT. Each walks the plan's groups in order,
// honours SLIMIT (counting groups that produce rows), LIMIT (rows per group, after ordering)
// and ORDER BY time DESC, and streams rows through the FrameWriter.
//
//   ExecuteAggregate: aggregates per bucket, fill, transforms (exec_aggregate.cc, fill.cc).
//   ExecuteLastCache: last(field)s without GROUP BY time from the last-value cache.
//   ExecuteRaw:       raw points joined on timestamp per series (exec_raw.cc).
// Forecasts and the anomalies() row filter over buckets live in exec_predict.cc.
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

// The time of the single row of an aggregate without GROUP BY time otherwise: the range start
// (or 0), except 0 for a lone integral() with influxql_times, as InfluxQL reports it.
int64_t AggregateRowTime(const SelectPlan& plan);

// Whether the row of an aggregate without GROUP BY time carries the chosen point's time:
// the select list is a single first() or last() (no transform; arithmetic is fine); with
// influxql_times also a single min() or max(), and percentile() with nearest_rank.
bool RowTimeIsPointTime(const SelectPlan& plan);

// Applies a select item's arithmetic to every non-null value of `col`, which becomes a float
// column; a division by zero makes the value null.
void ApplyMath(const std::vector<lang::MathStep>& steps, Column* col);
// The same for one value: false for a division by zero.
bool ApplyMathTo(const std::vector<lang::MathStep>& steps, double* x);

// One cell grid of aggregated values, a row per bucket: fills empty cells (`empty[r]`) of
// column `col` according to the plan's FILL. `time` is the row times.
void ApplyFill(const SelectPlan& plan, const std::vector<int64_t>& time,
               const std::vector<uint8_t>& empty, Column* col);

// Converts an int column to float in place.
void IntColumnToFloat(Column* col);

// ---- Forecasts and anomalies over bucket rows (exec_predict.cc) --------------------------

// A value a forecast puts after the group's buckets: (row time, result column, value).
struct FutureCell {
  int64_t time;
  size_t column;
  double value;
};

// Runs forecast item `it` (holt_winters, holt_winters_with_fit, forecast) over the bucket
// rows: `values` holds its aggregate per row (after FILL; null where empty). The series is
// taken from the first to the last non-null row, one value per `interval`; missing buckets
// are interpolated linearly. Appends one value per row to each of the item's columns `out`
// (the one-step fitted value for holt_winters_with_fit, null otherwise) and the forecasts,
// `count` buckets after the last non-null one, to `future`. A series too short for the model
// gives no forecast.
void RunForecast(const PlannedItem& it, int64_t interval, const std::vector<int64_t>& time,
                 const Column& values, Column* out, std::vector<FutureCell>* future);

// True when every item is holt_winters or forecast (not holt_winters_with_fit): the result
// then holds only the forecast rows.
bool OnlyForecastRows(const SelectPlan& plan);

// Adds the future cells to the rows: into an existing row at the same time, else a new row
// (every other column null), keeping rows in ascending time.
void MergeFuture(std::vector<FutureCell> future, std::vector<int64_t>* time,
                 std::vector<Column>* cols);

// Keeps the rows whose `score` is non-null and >= threshold. `score` must be one of `cols`
// or outlive the call unchanged (it is read before the rows are compacted).
void KeepRowsAtOrAbove(const Column& score, double threshold, std::vector<int64_t>* time,
                       std::vector<Column>* cols);

}  // namespace telemdb::query::internal

#endif  // TELEMDB_QUERY_ENGINE_EXECUTOR_H_
