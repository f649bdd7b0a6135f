// Streaming building blocks of the query language: ewma(x, alpha) and zscore(x, n), each fed
// one value at a time in ascending time (docs/query.md#predictive-functions).
//
//   Ewma:    y_0 = x_0, y_i = alpha x_i + (1 - alpha) y_{i-1}. A point's value depends on all
//            earlier ones with weights (1 - alpha)^k; the engine feeds LookBack(alpha) values
//            from before the query's range first, so the result agrees with a query starting
//            anywhere earlier within (1 - alpha)^LookBack <= 1e-12 of the values' range.
//   Zscore:  (x_i - mean) / s over the n values before x_i (not including it), s the sample
//            standard deviation (n - 1); NaN (null) until n values were seen and when s == 0.
//            Memory: n values. Sums are kept incrementally and recomputed exactly every n
//            values, so rounding never accumulates beyond one window; a nearly constant
//            window (variance <= 1e-9 of the values' mean square) is recomputed in two passes, and
//            s counts as 0 when s^2 <= 1e-24 mean^2.
//
// Thread safety: not thread-safe; one per series. Copyable.
#ifndef TELEMDB_QUERY_PREDICT_STREAMING_H_
#define TELEMDB_QUERY_PREDICT_STREAMING_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace telemdb::predict {

class Ewma {
 public:
  // REQUIRES: 0 < alpha <= 1.
  explicit Ewma(double alpha) : alpha_(alpha) {}
  // Values read before the range: ceil(ln(1e-12) / ln(1 - alpha)), 0 for alpha = 1.
  static int64_t LookBack(double alpha);
  double Push(double x);

 private:
  double alpha_;
  bool has_ = false;
  double y_ = 0;
};

class RollingZscore {
 public:
  // REQUIRES: n >= 2.
  explicit RollingZscore(int64_t n);
  // The z-score of x against the n values before it (NaN while fewer or when they are all
  // equal); then x joins the window.
  double Push(double x);

 private:
  void Recompute();
  std::vector<double> ring_;
  size_t head_ = 0, size_ = 0;
  double shift_ = 0, sum_ = 0, sumsq_ = 0;  // of (v - shift_) over the window
  size_t since_recompute_ = 0;
};

}  // namespace telemdb::predict

#endif  // TELEMDB_QUERY_PREDICT_STREAMING_H_
