// SelectPlan: a SELECT statement resolved against the schema, with its series selected and
// grouped, ready for the executor. PlanSelect does the resolution:
//   - the time range from the WHERE (lang::SplitTimeRange);
//   - the select list: `*` expanded to the measurement's fields (sorted), output types and
//     column names (alias, else outermost function, else field; repeats get _1, _2, ...);
//   - the rest of the WHERE as a Predicate (tags vs fields, see predicate.h);
//   - series: the index narrows by the predicate's top-level tag matchers, then the
//     predicate is evaluated on each series' tags (three-valued); series are gathered into
//     entities (one tag set: one series per field) and entities into groups by the GROUP BY
//     tag values ("" when a series lacks the tag), groups sorted by those values and entities
//     by tag set;
//   - FILL: as parsed; no FILL clause is FILL(none).
//
// Thread safety: a plan is immutable once built.
#ifndef TELEMDB_QUERY_ENGINE_PLAN_H_
#define TELEMDB_QUERY_ENGINE_PLAN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "query/engine/exec_options.h"
#include "query/engine/predicate.h"
#include "query/engine/querier.h"
#include "query/engine/result.h"
#include "query/lang/ast.h"
#include "query/lang/time_range.h"

namespace telemdb::query {

struct PlannedField {
  std::string name;
  ValueType type = ValueType::kFloat;  // unified over the measurement (int + float -> float)
};

// One output column of a select item.
struct PlannedColumn {
  std::string name;
  ValueType type = ValueType::kFloat;
  std::string part;  // "" for single-column items; see ResultSchema::parts
};

struct PlannedItem {
  int field = -1;  // index into SelectPlan::fields
  std::optional<lang::Call> aggregate;
  // A transform, or a forecast (holt_winters, holt_winters_with_fit, forecast) of the aggregate.
  std::optional<lang::Call> transform;
  ValueType value_type = ValueType::kFloat;  // after the aggregate (and fill), before transform
  ValueType type = ValueType::kFloat;        // of the (first) output column
  std::string name;                          // (first) output column name
  std::vector<PlannedColumn> columns;        // every output column, columns[0] = name, type
  size_t first_column = 0;                   // index of columns[0] in the result
  // Inputs of history the transform reads before the query's range (ewma, zscore,
  // anomaly_score, anomalies); 0 for every other item.
  int64_t lookback = 0;
  // Arithmetic applied last (the output is then a float column); `math_input` is the type
  // the arithmetic receives.
  std::vector<lang::MathStep> math;
  ValueType math_input = ValueType::kFloat;
  bool forecast() const;  // transform is holt_winters, holt_winters_with_fit or forecast
};

// One tag set of the measurement: one series per planned field (or none).
struct Entity {
  storage::TagSet tags;           // filled only when `filter` is set (its only reader)
  std::vector<SeriesId> series;   // per planned field; kInvalidSeriesId when absent
  std::vector<ValueType> stored;  // per planned field: the series' own type
  bool filter = false;            // rows must pass SelectPlan::predicate
};

struct Group {
  std::vector<std::string> values;  // per GROUP BY tag
  std::vector<Entity> entities;     // sorted by tags
};

struct SelectPlan {
  std::string measurement;
  bool known_measurement = false;
  lang::TimeRange range;
  std::vector<PlannedField> fields;  // select fields first (in order of use), then WHERE fields
  std::vector<PlannedItem> items;
  std::optional<Predicate> predicate;  // set when the WHERE (minus time) is not empty
  bool aggregated = false;
  std::optional<lang::TimeGrouping> group_by_time;
  std::vector<std::string> group_by_tags;
  lang::FillMode fill = lang::FillMode::kNone;  // kNull only when explicit
  double fill_value = 0;
  bool descending = false;
  int64_t limit = 0;   // rows per group; 0: none
  int64_t slimit = 0;  // groups; 0: none
  std::vector<Group> groups;
  bool distinct = false;   // the single item is distinct()
  bool multi_row = false;  // the single item returns several rows per bucket: distinct, top, bottom
  // ExecOptions' InfluxQL switches, and whether the single row of an aggregate without GROUP
  // BY time carries the chosen point's time (see RowTimeIsPointTime).
  bool nearest_rank = false;
  bool omit_empty_rows = false;
  bool influxql_times = false;
  bool point_time = false;
  int anomalies = -1;       // the item that is anomalies() (then the only one), or -1
  size_t columns = 0;       // output columns over all items
  bool last_cache = false;  // answer from the last-value cache
  ResultSchema schema;
};

// Errors: InvalidArgument for schema errors (unknown field or tag in WHERE, unknown field in
// the select list, an aggregate or transform that does not apply to the field's type, a
// comparison of a field with the wrong kind of literal, GROUP BY a field, distinct() with
// other items, conflicting field types); ResourceExhausted when more than
// options.max_series series are selected. An unknown measurement is not an error: the plan
// has no groups.
absl::StatusOr<SelectPlan> PlanSelect(const lang::SelectStatement& stmt, Querier& querier,
                                      const ExecOptions& options, QueryStats* stats);

// The measurement's unified field types, and which of `keys` are tag keys of it (asked one
// by one: listing every tag key of a measurement is expensive in a large index). Fields with
// types that cannot be unified are listed in `conflicts`.
absl::StatusOr<MeasurementSchema> LoadSchema(Querier& querier, const std::string& measurement,
                                             const std::vector<std::string>& keys);

// Every identifier compared in `where` (appended to `keys`).
void CollectKeys(const std::optional<lang::Condition>& where, std::vector<std::string>* keys);

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_PLAN_H_
