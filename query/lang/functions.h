// The functions of the query language and what each accepts.
//
// Three kinds exist. An *aggregate* reduces the points of a field to one value per time bucket
// (or per whole range without GROUP BY time): count, sum, mean (alias avg), ...,
// predict_linear, time_to_threshold, mode; top and bottom are aggregates that select up to n
// points per bucket. A *transform* maps a series to a series and runs over either raw points
// or the bucketed output of an aggregate: rate, derivative, difference, moving_average, ewma,
// zscore, anomaly_score, anomalies, non_negative_derivative, non_negative_difference,
// cumulative_sum, elapsed. A *forecast* takes the bucketed
// output of an aggregate and continues it past the last bucket: holt_winters,
// holt_winters_with_fit, forecast. Every function takes a field or aggregate first, then the
// parameters its ParamKind lists.
//
// Thread safety: the table is immutable; all functions are safe to call concurrently.
#ifndef TELEMDB_QUERY_LANG_FUNCTIONS_H_
#define TELEMDB_QUERY_LANG_FUNCTIONS_H_

#include <cstdint>
#include <span>
#include <string_view>

namespace telemdb::query::lang {

// Every function of the language. Values are explicit so they may later reach the wire.
enum class Function : uint8_t {
  // Aggregates.
  kCount = 0,
  kSum = 1,
  kMean = 2,  // also spelled avg
  kMin = 3,
  kMax = 4,
  kFirst = 5,
  kLast = 6,
  kSpread = 7,
  kStddev = 8,
  kMedian = 9,
  kPercentile = 10,
  kIntegral = 11,
  kDistinct = 12,
  kPredictLinear = 13,
  kTimeToThreshold = 14,
  kMode = 15,
  kTop = 16,  // selectors: up to n points per bucket, at their own times
  kBottom = 17,
  // Transforms.
  kRate = 32,
  kDerivative = 33,
  kDifference = 34,
  kMovingAverage = 35,
  kEwma = 36,
  kZscore = 37,
  kAnomalyScore = 38,
  kAnomalies = 39,
  kNonNegativeDerivative = 40,
  kNonNegativeDifference = 41,
  kCumulativeSum = 42,
  kElapsed = 43,
  // Forecasts.
  kHoltWinters = 48,
  kHoltWintersWithFit = 49,
  kForecast = 50,
};

enum class FunctionKind : uint8_t {
  kAggregate,  // first argument: a field
  kTransform,  // first argument: a field or an aggregate
  kForecast,   // first argument: an aggregate (needs GROUP BY time)
};

// The parameter a function takes after its first argument.
enum class ParamKind : uint8_t {
  kNone,         // f(x)
  kPercentile,   // f(x, p): a number in [0, 100], required
  kUnit,         // f(x[, unit]): a positive duration, optional, Default: 1s
  kWindow,       // f(x, n): an integer >= 1, required
  kHorizon,      // f(x, horizon): a duration >= 0, required
  kThreshold,    // f(x, threshold[, 'linear' | 'holt']): a number, an optional method
  kAlpha,        // f(x, alpha): a number in [kMinAlpha, 1], required
  kZWindow,      // f(x, n): an integer in [2, kMaxWindow], required
  kOptions,      // f(x[, 'options']): detector options (anomaly_options.h), optional
  kAnomalies,    // f(x, threshold[, 'options']): a number in [0, 1], optional options
  kHoltWinters,  // f(agg, n, season): integers n in [1, kMaxForecast], season in [0, kMaxSeason]
  kForecast,     // f(agg, n[, 'method'[, season]]): n in [1, kMaxForecast], season 0 = detect
  kElapsedUnit,  // f(x[, unit]): a positive duration, optional, Default: 1ns
  kSelectN,      // f(field, n): an integer in [1, kMaxSelected], required
};

struct FunctionInfo {
  Function function;
  std::string_view name;  // canonical lower-case spelling
  FunctionKind kind;
  ParamKind param;
  std::string_view signature;  // for messages and docs, e.g. "percentile(field, p)"
};

// The unit of integral and derivative when none is given: per second.
inline constexpr int64_t kDefaultUnitNs = 1'000'000'000;
// The unit of elapsed when none is given: nanoseconds.
inline constexpr int64_t kElapsedDefaultUnitNs = 1;
// Most points top() and bottom() keep per bucket.
inline constexpr int64_t kMaxSelected = 100'000;
// Bounds of the predictive functions' parameters (docs/query.md#predictive-functions).
inline constexpr double kMinAlpha = 0.001;        // ewma
inline constexpr int64_t kMaxWindow = 100'000;    // zscore
inline constexpr int64_t kMaxForecast = 100'000;  // points a forecast may produce
inline constexpr int64_t kMaxSeason = 10'000;     // buckets in a season

// Returns the entry of `f`. Every enumerator has one.
const FunctionInfo& GetFunctionInfo(Function f);

// Looks a function up by name, ignoring ASCII case; "avg" finds kMean. nullptr if unknown.
const FunctionInfo* LookupFunction(std::string_view name);

// Every function, aggregates first, in documentation order.
std::span<const FunctionInfo> AllFunctions();

// "count, sum, mean, ..." for error messages.
std::string_view FunctionNameList();

}  // namespace telemdb::query::lang

#endif  // TELEMDB_QUERY_LANG_FUNCTIONS_H_
