#include "query/lang/functions.h"

#include <array>
#include <cstddef>

namespace telemdb::query::lang {
namespace {

constexpr std::array<FunctionInfo, 33> kFunctions = {{
    {Function::kCount, "count", FunctionKind::kAggregate, ParamKind::kNone, "count(field)"},
    {Function::kSum, "sum", FunctionKind::kAggregate, ParamKind::kNone, "sum(field)"},
    {Function::kMean, "mean", FunctionKind::kAggregate, ParamKind::kNone, "mean(field)"},
    {Function::kMin, "min", FunctionKind::kAggregate, ParamKind::kNone, "min(field)"},
    {Function::kMax, "max", FunctionKind::kAggregate, ParamKind::kNone, "max(field)"},
    {Function::kFirst, "first", FunctionKind::kAggregate, ParamKind::kNone, "first(field)"},
    {Function::kLast, "last", FunctionKind::kAggregate, ParamKind::kNone, "last(field)"},
    {Function::kSpread, "spread", FunctionKind::kAggregate, ParamKind::kNone, "spread(field)"},
    {Function::kStddev, "stddev", FunctionKind::kAggregate, ParamKind::kNone, "stddev(field)"},
    {Function::kMedian, "median", FunctionKind::kAggregate, ParamKind::kNone, "median(field)"},
    {Function::kPercentile, "percentile", FunctionKind::kAggregate, ParamKind::kPercentile,
     "percentile(field, p)"},
    {Function::kIntegral, "integral", FunctionKind::kAggregate, ParamKind::kUnit,
     "integral(field[, unit])"},
    {Function::kDistinct, "distinct", FunctionKind::kAggregate, ParamKind::kNone,
     "distinct(field)"},
    {Function::kPredictLinear, "predict_linear", FunctionKind::kAggregate, ParamKind::kHorizon,
     "predict_linear(field, horizon)"},
    {Function::kTimeToThreshold, "time_to_threshold", FunctionKind::kAggregate,
     ParamKind::kThreshold, "time_to_threshold(field, threshold[, 'linear' | 'holt'])"},
    {Function::kMode, "mode", FunctionKind::kAggregate, ParamKind::kNone, "mode(field)"},
    {Function::kTop, "top", FunctionKind::kAggregate, ParamKind::kSelectN, "top(field, n)"},
    {Function::kBottom, "bottom", FunctionKind::kAggregate, ParamKind::kSelectN,
     "bottom(field, n)"},
    {Function::kRate, "rate", FunctionKind::kTransform, ParamKind::kNone, "rate(x)"},
    {Function::kDerivative, "derivative", FunctionKind::kTransform, ParamKind::kUnit,
     "derivative(x[, unit])"},
    {Function::kDifference, "difference", FunctionKind::kTransform, ParamKind::kNone,
     "difference(x)"},
    {Function::kMovingAverage, "moving_average", FunctionKind::kTransform, ParamKind::kWindow,
     "moving_average(x, n)"},
    {Function::kEwma, "ewma", FunctionKind::kTransform, ParamKind::kAlpha, "ewma(x, alpha)"},
    {Function::kZscore, "zscore", FunctionKind::kTransform, ParamKind::kZWindow, "zscore(x, n)"},
    {Function::kAnomalyScore, "anomaly_score", FunctionKind::kTransform, ParamKind::kOptions,
     "anomaly_score(x[, 'options'])"},
    {Function::kAnomalies, "anomalies", FunctionKind::kTransform, ParamKind::kAnomalies,
     "anomalies(x, threshold[, 'options'])"},
    {Function::kNonNegativeDerivative, "non_negative_derivative", FunctionKind::kTransform,
     ParamKind::kUnit, "non_negative_derivative(x[, unit])"},
    {Function::kNonNegativeDifference, "non_negative_difference", FunctionKind::kTransform,
     ParamKind::kNone, "non_negative_difference(x)"},
    {Function::kCumulativeSum, "cumulative_sum", FunctionKind::kTransform, ParamKind::kNone,
     "cumulative_sum(x)"},
    {Function::kElapsed, "elapsed", FunctionKind::kTransform, ParamKind::kElapsedUnit,
     "elapsed(x[, unit])"},
    {Function::kHoltWinters, "holt_winters", FunctionKind::kForecast, ParamKind::kHoltWinters,
     "holt_winters(aggregate, n, season)"},
    {Function::kHoltWintersWithFit, "holt_winters_with_fit", FunctionKind::kForecast,
     ParamKind::kHoltWinters, "holt_winters_with_fit(aggregate, n, season)"},
    {Function::kForecast, "forecast", FunctionKind::kForecast, ParamKind::kForecast,
     "forecast(aggregate, n[, 'method'[, season]])"},
}};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

const FunctionInfo& GetFunctionInfo(Function f) {
  for (const FunctionInfo& info : kFunctions) {
    if (info.function == f) return info;
  }
  return kFunctions[0];  // unreachable for valid enumerators
}

const FunctionInfo* LookupFunction(std::string_view name) {
  if (EqualsIgnoreCase(name, "avg")) return &GetFunctionInfo(Function::kMean);
  for (const FunctionInfo& info : kFunctions) {
    if (EqualsIgnoreCase(name, info.name)) return &info;
  }
  return nullptr;
}

std::span<const FunctionInfo> AllFunctions() { return kFunctions; }

std::string_view FunctionNameList() {
  return "count, sum, mean, avg, min, max, first, last, spread, stddev, median, percentile, "
         "integral, distinct, predict_linear, time_to_threshold, mode, top, bottom, rate, "
         "derivative, difference, moving_average, ewma, zscore, anomaly_score, anomalies, "
         "non_negative_derivative, non_negative_difference, cumulative_sum, elapsed, "
         "holt_winters, holt_winters_with_fit, forecast";
}

}  // namespace telemdb::query::lang
