// Transform: the streaming state of one transform over one sequence of values in ascending
// time: the buckets of an aggregate within a group, or the raw points of one field of one
// series.
//
//   rate(x):              per second; for consecutive values (t0, v0), (t1, v1):
//                         (v1 - v0) / ((t1 - t0) / 1s) when v1 >= v0, else the counter was
//                         reset and the increase is v1 itself (counted from 0): v1 / ((t1-t0)/1s).
//                         Never negative for non-negative counters.
//   derivative(x, unit):  (v1 - v0) / ((t1 - t0) / unit), unit Default: 1s.
//   difference(x):        v1 - v0 (ints stay ints; OutOfRange on overflow).
//   moving_average(x, n): mean of the last n values (oldest first), once n have been seen.
//   ewma(x, alpha):       predict::Ewma; zscore(x, n): predict::RollingZscore.
//   anomaly_score(x, o):  predict::AnomalyDetector's score in [0, 1].
//   anomalies(x, t, o):   two columns: the value and its anomaly score (the executor keeps the
//                         rows whose score is >= t).
//   non_negative_derivative(x, unit), non_negative_difference(x): as derivative and
//                         difference, null where the difference is negative.
//   cumulative_sum(x):    the running sum (ints stay ints; OutOfRange on overflow).
//   elapsed(x, unit):     (t1 - t0) / unit as an integer (truncated), unit Default: 1ns; x may
//                         be of any type.
// The first value (first n - 1 for moving_average) of rate, derivative, difference,
// moving_average, non_negative_* and elapsed yields null; a null input yields null and is
// skipped (the next value pairs with the last non-null one). ewma, zscore, anomaly_score and
// anomalies need history from before the query's range: LookBack() inputs, which the executor feeds
// through Prime() first.
//
// Thread safety: not thread-safe; one per sequence. Copyable (copies are independent).
#ifndef TELEMDB_QUERY_ENGINE_TRANSFORM_H_
#define TELEMDB_QUERY_ENGINE_TRANSFORM_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "query/engine/result.h"
#include "query/lang/ast.h"
#include "query/predict/anomaly_detector.h"
#include "query/predict/streaming.h"
#include "storage/types.h"

namespace telemdb::query {

class Transform {
 public:
  // REQUIRES: call.function is a transform (not a forecast); input is kFloat or kInt; the
  // call's parameters are valid (as the parser leaves them).
  Transform(const lang::Call& call, storage::ValueType input);

  static storage::ValueType OutputType(lang::Function f, storage::ValueType input) {
    switch (f) {
      case lang::Function::kDifference:
      case lang::Function::kNonNegativeDifference:
      case lang::Function::kCumulativeSum:
        return input;
      case lang::Function::kElapsed:
        return storage::ValueType::kInt;
      default:
        return storage::ValueType::kFloat;
    }
  }
  // Whether InfluxQL emits no point where the function has no value (the first input, ...):
  // derivative, difference, moving_average, non_negative_*, cumulative_sum, elapsed.
  static bool OmitsEmpty(lang::Function f);
  // Whether the function takes inputs of any type (elapsed), not only numbers.
  static bool AnyInput(lang::Function f) { return f == lang::Function::kElapsed; }
  // Inputs read before the query's range: 0 for rate, derivative, difference and
  // moving_average (they start within the range), Ewma::LookBack(alpha) for ewma, n for
  // zscore, the detector's memory for anomaly_score and anomalies.
  static int64_t LookBack(const lang::Call& call);
  storage::ValueType output_type() const { return OutputType(call_.function, input_); }
  // How many preceding inputs determine the next output (every one for cumulative_sum).
  size_t history() const;
  // Output columns: 2 for anomalies (value, score), else 1.
  size_t width() const { return call_.function == lang::Function::kAnomalies ? 2 : 1; }

  // Feeds value i of `in` (null: skipped) at time ts and appends the output to out[0] (and
  // out[1] for anomalies). Errors: OutOfRange when an int difference overflows.
  absl::Status Push(int64_t ts, const Column& in, size_t i, Column* out);
  // Feeds value i of `in` without producing output (history before a window or the range).
  void Prime(int64_t ts, const Column& in, size_t i);
  void Reset();

 private:
  double AsDouble(const Column& in, size_t i) const {
    return input_ == storage::ValueType::kInt ? static_cast<double>(in.ints[i]) : in.floats[i];
  }
  void Remember(int64_t ts, const Column& in, size_t i);
  // The streaming functions (ewma, zscore, anomaly_score, anomalies): their output for x.
  double Stream(double x);

  lang::Call call_;
  storage::ValueType input_;
  bool has_prev_ = false;
  int64_t prev_ts_ = 0;
  double prev_f_ = 0;
  int64_t prev_i_ = 0;
  double sum_f_ = 0;  // cumulative_sum
  int64_t sum_i_ = 0;
  std::deque<double> window_;
  std::optional<predict::Ewma> ewma_;
  std::optional<predict::RollingZscore> zscore_;
  std::optional<predict::AnomalyDetector> detector_;
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_TRANSFORM_H_
