// AnomalyDetector: the streaming, causal detector behind anomaly_score() and anomalies()
// (docs/query.md#anomaly-score). Each value is scored from the values before it only, then
// joins the history; the score lies in [0, 1].
//
// Four nonconformity measures (NCMs) per value x, with B the `window` values before x,
// m = median(B) and s = 1.4826 MAD(B) (else 1.2533 * mean |v - m|, else 1e-12 max(1, |m|)):
//   value       |x - m| / s
//   level       |mean of the last `short` values (x included) - m| / s
//   volatility  |ln((a + e) / (r + e))|, a = mean |x_i - x_(i-1)| over the last `volatility`
//               steps (x included), r = median (else mean) of the `window` steps before x,
//               e = 1e-12 max(1, |x|)
//   shape       distance from the embedding (the last `dim` values, x included) to the
//               nearest of the `neighbours` embeddings ending dim or more values earlier
// The value, level and volatility measures start once B holds 16 values, the shape measure
// once 16 earlier embeddings exist. Each measure is ranked against its own last `calibration`
// values (TailCalibrator): its p-value. A measure counts once it has 50 past values. The
// point's p-value is p = min(1, k * min p_c) over the k counting measures (Bonferroni), 1
// when none counts; the suppressed p-value is p' = min(1, p / min(0.1, p of each of the
// `suppress` points before)) (a point is only as surprising as it is beyond the recent
// surprises), and the score is 1 - p'.
//
// The score of a point depends only on the AnomalyOptions::Memory() values before it: a
// detector fed those values from a fresh start gives exactly the same score.
//
// Memory: about 16 bytes x (2 window + 4 calibration + 2 dim + neighbours + suppress).
// Cost per value: O(neighbours x dim) for the shape measure (with early abandoning), O(window)
// and O(calibration) memmoves for the sorted windows.
//
// Thread safety: not thread-safe; one per series. Copyable.
#ifndef TELEMDB_QUERY_PREDICT_ANOMALY_DETECTOR_H_
#define TELEMDB_QUERY_PREDICT_ANOMALY_DETECTOR_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "query/predict/anomaly_options.h"
#include "query/predict/sorted_window.h"

namespace telemdb::predict {

// Constants of the detector (documented in docs/query.md with the options).
inline constexpr size_t kMinBaseline = 16;     // values in B before a measure starts
inline constexpr size_t kMinCalibration = 50;  // past NCMs before a measure counts
inline constexpr size_t kTailMinValues = 200;  // past NCMs before the tail is extrapolated
inline constexpr double kTailFraction = 0.1;   // the tail: NCMs above the 90th percentile
inline constexpr double kSuppressFloor = 0.1;  // p is divided by at most this much

// Ranks a nonconformity value against recent ones. With n past values c_1..c_n:
// p = (#{c_i >= a} + 1) / (n + 1); once n >= kTailMinValues and a exceeds u, the value below
// the top floor(kTailFraction n) ones, the tail is exponential: p = (#{c_i > u} / (n + 1)) *
// exp(-(a - u) / beta), beta the mean excess of those values over u (floored at 1e-300).
class TailCalibrator {
 public:
  explicit TailCalibrator(size_t capacity) : window_(capacity) {}
  size_t size() const { return window_.size(); }
  double PValue(double a) const;
  void Push(double a) { window_.Push(a); }

 private:
  SortedWindow window_;
};

class AnomalyDetector {
 public:
  // REQUIRES: options within the ranges AnomalyOptions::Parse accepts.
  explicit AnomalyDetector(const AnomalyOptions& options);

  // Scores x from the values pushed before it, then takes it into the history.
  // NaN: returns NaN and leaves the state unchanged.
  double Push(double x);

 private:
  // The recent values, newest first: At(age), age 0 the newest value pushed.
  const double* Recent() const { return recent_.data() + recent_head_; }
  double At(int64_t age) const { return Recent()[age]; }
  double ShapeNcm();

  AnomalyOptions o_;
  SortedWindow baseline_;  // B
  SortedWindow steps_;     // |x_i - x_(i-1)| of B's values
  // A ring of the last R = max(2 dim + neighbours, volatility + 1, short) values, each stored
  // twice (at i and i + R), so that the R newest lie contiguous from recent_head_ on.
  std::vector<double> recent_;
  size_t recent_size_ = 0, recent_head_ = 0;
  int64_t seen_ = 0;
  TailCalibrator value_, level_, volatility_, shape_;
  std::deque<double> recent_p_;  // p of the last `suppress` points
  std::vector<double> dist_;     // scratch: squared distances of the shape measure
};

}  // namespace telemdb::predict

#endif  // TELEMDB_QUERY_PREDICT_ANOMALY_DETECTOR_H_
