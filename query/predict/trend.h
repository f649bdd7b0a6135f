// Trends of irregularly spaced points, behind predict_linear() and time_to_threshold()
// (docs/query.md#predictive-functions).
//
//   LinearTrend: the least-squares line v = a + b t through (t, v) points, t in seconds.
//     Mergeable: runs of points are summarized (count, means, centred co-moments, computed in
//     two passes over the run) and merged with Chan et al.'s formulas, as stable as a
//     two-pass computation over all points. Memory: 7 numbers.
//   HoltTrend: Holt's linear exponential smoothing over points sorted by time, one step per
//     point; alpha and beta (as in exp_smoothing.h, beta = alpha * beta') minimize the squared
//     one-step errors (MinimizeBounded); the trend per step is turned into a trend per second
//     by the median spacing of the points. Uses the last kMaxFitValues points.
//   SecondsToThreshold: from a line's value v_last at the last point and slope b (per
//     second): (threshold - v_last) / b when that is >= 0 and <= horizon, else NaN (null):
//     a flat trend or one moving away from the threshold never reaches it.
//
// Thread safety: plain values and pure functions.
#ifndef TELEMDB_QUERY_PREDICT_TREND_H_
#define TELEMDB_QUERY_PREDICT_TREND_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace telemdb::predict {

class LinearTrend {
 public:
  // Adds a run of points; NaN values are skipped. Times are ns since the epoch.
  void AddRun(const int64_t* ts, const double* v, size_t n);
  void AddPoint(int64_t ts, double v) { AddRun(&ts, &v, 1); }

  int64_t count() const { return n_; }
  int64_t first_ts() const { return first_ts_; }
  int64_t last_ts() const { return last_ts_; }
  // Whether the line is defined: two points at different times at least.
  bool defined() const { return n_ >= 2 && stt_ > 0; }
  // REQUIRES: defined().
  double slope_per_second() const { return stv_ / stt_; }
  double ValueAt(int64_t ts) const;

 private:
  double Seconds(int64_t ts) const { return static_cast<double>(ts - anchor_) * 1e-9; }
  int64_t n_ = 0;
  int64_t anchor_ = 0;  // the first point's time: t = (ts - anchor) / 1s
  int64_t first_ts_ = 0, last_ts_ = 0;
  double mt_ = 0, mv_ = 0, stt_ = 0, stv_ = 0;
};

struct HoltTrend {
  bool defined = false;
  double level = 0;  // at the last point
  double slope_per_second = 0;
  int64_t last_ts = 0, first_ts = 0;
};

// `points`: (ts, value) sorted by ts, finite values.
HoltTrend FitHoltTrend(const std::vector<std::pair<int64_t, double>>& points);

// Seconds until a line at v_last (now) with the given slope reaches `threshold`; NaN when it
// does not within `horizon_seconds` (or never: flat, or moving away).
double SecondsToThreshold(double v_last, double slope_per_second, double threshold,
                          double horizon_seconds);

// How far ahead time_to_threshold() looks: kHorizonSpans times the time span of the points.
inline constexpr double kHorizonSpans = 10;

}  // namespace telemdb::predict

#endif  // TELEMDB_QUERY_PREDICT_TREND_H_
