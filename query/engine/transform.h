// Transform: the streaming state of one transform (rate, derivative, difference,
// moving_average) over one sequence of values in ascending time: the buckets of an aggregate
// within a group, or the raw points of one field of one series.
//
//   rate(x):              per second; for consecutive values (t0, v0), (t1, v1):
//                         (v1 - v0) / ((t1 - t0) / 1s) when v1 >= v0, else the counter was
//                         reset and the increase is v1 itself (counted from 0): v1 / ((t1-t0)/1s).
//                         Never negative for non-negative counters.
//   derivative(x, unit):  (v1 - v0) / ((t1 - t0) / unit), unit Default: 1s.
//   difference(x):        v1 - v0 (ints stay ints; OutOfRange on overflow).
//   moving_average(x, n): mean of the last n values (oldest first), once n have been seen.
// The first value (first n - 1 for moving_average) yields null; a null input yields null and
// is skipped (the next value pairs with the last non-null one).
//
// Thread safety: not thread-safe; one per sequence.
#ifndef TELEMDB_QUERY_ENGINE_TRANSFORM_H_
#define TELEMDB_QUERY_ENGINE_TRANSFORM_H_

#include <cstddef>
#include <cstdint>
#include <deque>

#include "absl/status/status.h"
#include "query/engine/result.h"
#include "query/lang/ast.h"
#include "storage/types.h"

namespace telemdb::query {

class Transform {
 public:
  // REQUIRES: call.function is a transform; input is kFloat or kInt.
  Transform(const lang::Call& call, storage::ValueType input);

  static storage::ValueType OutputType(lang::Function f, storage::ValueType input) {
    return f == lang::Function::kDifference ? input : storage::ValueType::kFloat;
  }
  storage::ValueType output_type() const { return OutputType(call_.function, input_); }
  // How many preceding inputs determine the next output.
  size_t history() const {
    return call_.function == lang::Function::kMovingAverage ? static_cast<size_t>(call_.window) - 1
                                                            : 1;
  }

  // Feeds value i of `in` (null: skipped) at time ts and appends the output to `out`.
  // Errors: OutOfRange when an int difference overflows.
  absl::Status Push(int64_t ts, const Column& in, size_t i, Column* out);
  // Feeds value i of `in` without producing output (history before a window).
  void Prime(int64_t ts, const Column& in, size_t i);
  void Reset();

 private:
  double AsDouble(const Column& in, size_t i) const {
    return input_ == storage::ValueType::kInt ? static_cast<double>(in.ints[i]) : in.floats[i];
  }
  void Remember(int64_t ts, const Column& in, size_t i);

  lang::Call call_;
  storage::ValueType input_;
  bool has_prev_ = false;
  int64_t prev_ts_ = 0;
  double prev_f_ = 0;
  int64_t prev_i_ = 0;
  std::deque<double> window_;
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_TRANSFORM_H_
