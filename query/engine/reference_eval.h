// A reference evaluator of SELECT for tests: plain loops over the test Model (every point
// written, kept independently of the database), implementing docs/query.md#semantics
// directly: no chunks, no pre-aggregates, no streaming. The engine must agree with it.
// Only valid queries are supported (errors are tested separately).
#ifndef TELEMDB_QUERY_ENGINE_REFERENCE_EVAL_H_
#define TELEMDB_QUERY_ENGINE_REFERENCE_EVAL_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "query/engine/engine_test_util.h"
#include "query/lang/ast.h"

namespace telemdb::query::testing {

struct RefGroup {
  std::vector<std::string> values;
  std::vector<int64_t> time;
  std::vector<std::vector<std::optional<storage::Value>>> cols;  // [column][row]
};

struct RefResult {
  std::vector<std::string> columns;
  // Per column: the relative tolerance of float comparisons (at least 1e-12). Looser for
  // functions whose engine computation merges partial sums in another order than the plain
  // loops (predict_linear, time_to_threshold, zscore).
  std::vector<double> tolerance;
  std::vector<RefGroup> groups;
};

// ExecOptions' InfluxQL switches, as the reference applies them.
struct RefOptions {
  bool nearest_rank = false;
  bool omit_empty_rows = false;
  bool influxql_times = false;
};

// Building blocks (reference_functions.cc).
namespace ref {
struct Pt {
  int64_t ts;
  storage::Value v;
};
std::string Tag(const storage::TagSet& tags, const std::string& key);  // "" when absent
double Num(const storage::Value& v);
// Whether a row (field -> value at one timestamp) of a series with `tags` passes `c`.
bool Eval(const lang::Condition& c, const storage::TagSet& tags,
          const std::map<std::string, storage::Value>& row, const std::set<std::string>& tag_keys);
// The aggregate of a bucket's points, given series by series (each ascending). Sets
// *pt_time to the chosen point's time for first, last, min, max (the earliest on ties) and
// nearest-rank percentile.
std::optional<storage::Value> Aggregate(const lang::Call& call, storage::ValueType field_type,
                                        const std::vector<std::vector<Pt>>& per_series,
                                        int64_t* pt_time, bool nearest_rank = false);
// top / bottom: the chosen points in output order (time, then selection order).
std::vector<Pt> Select(const lang::Call& call, const std::vector<std::vector<Pt>>& per_series);
// Arithmetic on one value: nullopt for a division by zero.
std::optional<double> Math(const std::vector<lang::MathStep>& steps, double x);
// Whether the aggregate is undefined (null) for these points: stddev of one point, ...
bool IsUndefined(const lang::Call& call, const std::vector<std::vector<Pt>>& per_series);
std::vector<std::optional<storage::Value>> ApplyTransform(
    const lang::Call& call, storage::ValueType in, const std::vector<int64_t>& t,
    const std::vector<std::optional<storage::Value>>& v);
// ewma, zscore, anomaly_score, anomalies over a whole sequence (reference_predict.cc): one
// output column (two for anomalies: value, score) per input value; nulls stay null.
std::vector<std::vector<std::optional<storage::Value>>> StreamTransform(
    const lang::Call& call, storage::ValueType in,
    const std::vector<std::optional<storage::Value>>& v);
// holt_winters, holt_winters_with_fit, forecast over bucket rows (time, value after FILL):
// the item's columns over those rows, and the future rows (time, one value per column).
std::vector<std::vector<std::optional<storage::Value>>> ForecastColumns(
    const lang::Call& call, int64_t interval, const std::vector<int64_t>& time,
    const std::vector<std::optional<storage::Value>>& v,
    std::vector<std::pair<int64_t, std::vector<double>>>* future);
// predict_linear and time_to_threshold of a bucket's points (reference_predict.cc).
std::optional<storage::Value> PredictAggregate(const lang::Call& call,
                                               const std::vector<std::vector<Pt>>& per_series);
}  // namespace ref

RefResult ReferenceSelect(const Model& model, const lang::SelectStatement& stmt,
                          const RefOptions& options = {});

// Compares an engine result with the reference; returns "" when they agree, else the first
// difference. Floats agree within a relative 1e-12 (plus 1e-9 absolute for differences of
// nearly equal values).
std::string Compare(const CollectingSink& got, const RefResult& want);

}  // namespace telemdb::query::testing

#endif  // TELEMDB_QUERY_ENGINE_REFERENCE_EVAL_H_
