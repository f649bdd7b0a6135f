#include "query/predict/anomaly_detector.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace telemdb::predict {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Scale of B around its median m: 1.4826 MAD, else 1.2533 mean |v - m|, else tiny.
double Scale(const SortedWindow& b, double m) {
  double s = 1.4826 * b.Mad();
  if (s > 0) return s;
  double sum = 0;
  for (double v : b.sorted()) sum += std::fabs(v - m);
  s = 1.2533 * (sum / static_cast<double>(b.size()));
  if (s > 0) return s;
  return 1e-12 * std::max(1.0, std::fabs(m));
}

// Median of the steps, else their mean (0 when all are 0).
double StepReference(const SortedWindow& steps) {
  const double med = steps.Median();
  if (med > 0) return med;
  double sum = 0;
  for (double v : steps.sorted()) sum += v;
  return sum / static_cast<double>(steps.size());
}

}  // namespace

double TailCalibrator::PValue(double a) const {
  const size_t n = window_.size();
  const size_t at_least = window_.CountAtLeast(a);
  const double rank_p = static_cast<double>(at_least + 1) / static_cast<double>(n + 1);
  if (n < kTailMinValues) return rank_p;
  const std::vector<double>& s = window_.sorted();
  const size_t tail =
      std::max<size_t>(1, static_cast<size_t>(kTailFraction * static_cast<double>(n)));
  const double u = s[n - tail - 1];
  if (a <= u) return rank_p;
  double excess = 0;
  size_t above = 0;
  for (size_t i = n - tail; i < n; i++) {
    if (s[i] > u) {
      excess += s[i] - u;
      above++;
    }
  }
  if (above == 0) return rank_p;  // no spread above u: nothing to extrapolate
  const double beta = excess / static_cast<double>(above);
  return std::max(
      1e-300, static_cast<double>(above) / static_cast<double>(n + 1) * std::exp(-(a - u) / beta));
}

AnomalyDetector::AnomalyDetector(const AnomalyOptions& o)
    : o_(o),
      baseline_(static_cast<size_t>(o.window)),
      steps_(static_cast<size_t>(o.window)),
      recent_(2 * static_cast<size_t>(
                      std::max({2 * o.dim + o.neighbours, o.volatility + 1, o.short_window})),
              0.0),
      recent_size_(recent_.size() / 2),
      value_(static_cast<size_t>(o.calibration)),
      level_(static_cast<size_t>(o.calibration)),
      volatility_(static_cast<size_t>(o.calibration)),
      shape_(static_cast<size_t>(o.calibration)) {}

double AnomalyDetector::ShapeNcm() {
  const int64_t dim = o_.dim;
  if (o_.neighbours == 0) return kNaN;
  const int64_t refs = std::min<int64_t>(o_.neighbours, seen_ - 2 * dim + 1);
  if (refs < 16) return kNaN;
  // Squared distances to every reference at once, one embedding position after the other:
  // for a fixed position the references' values are contiguous, so the inner loop
  // vectorizes, and each reference still sums its terms in position order.
  const double* x = Recent();
  const size_t n = static_cast<size_t>(refs);
  dist_.assign(n, 0.0);
  double* acc = dist_.data();
  for (int64_t d = 0; d < dim; d++) {
    const double xd = x[d];
    const double* y = x + dim + d;  // y[r]: position d of the reference at lag dim + r
    for (size_t r = 0; r < n; r++) {
      const double diff = xd - y[r];
      acc[r] += diff * diff;
    }
  }
  double best = acc[0];
  for (size_t r = 1; r < n; r++) best = acc[r] < best ? acc[r] : best;
  return std::sqrt(best);
}

double AnomalyDetector::Push(double x) {
  if (std::isnan(x)) return kNaN;
  const double prev = seen_ > 0 ? At(0) : 0.0;
  recent_head_ = recent_head_ == 0 ? recent_size_ - 1 : recent_head_ - 1;
  recent_[recent_head_] = x;
  recent_[recent_head_ + recent_size_] = x;
  seen_++;

  double p_min = 1.0;
  int counting = 0;
  const auto rank = [&](TailCalibrator* cal, double ncm) {
    if (cal->size() >= kMinCalibration) {
      p_min = std::min(p_min, cal->PValue(ncm));
      counting++;
    }
    cal->Push(ncm);
  };
  if (baseline_.size() >= kMinBaseline) {
    const double m = baseline_.Median();
    const double s = Scale(baseline_, m);
    rank(&value_, std::fabs(x - m) / s);
    if (seen_ >= o_.short_window) {
      double sum = 0;
      for (int64_t a = 0; a < o_.short_window; a++) sum += At(a);
      rank(&level_, std::fabs(sum / static_cast<double>(o_.short_window) - m) / s);
    }
  }
  if (steps_.size() >= kMinBaseline && seen_ > o_.volatility) {
    double sum = 0;
    for (int64_t a = 0; a < o_.volatility; a++) sum += std::fabs(At(a) - At(a + 1));
    const double mean = sum / static_cast<double>(o_.volatility);
    const double e = 1e-12 * std::max(1.0, std::fabs(x));
    rank(&volatility_, std::fabs(std::log((mean + e) / (StepReference(steps_) + e))));
  }
  const double shape = ShapeNcm();
  if (!std::isnan(shape)) rank(&shape_, shape);

  if (seen_ > 1) steps_.Push(std::fabs(x - prev));
  baseline_.Push(x);

  const double p = counting == 0 ? 1.0 : std::min(1.0, counting * p_min);
  double p_adj = p;
  if (o_.suppress > 0) {
    double lo = kSuppressFloor;
    for (double q : recent_p_) lo = std::min(lo, q);
    recent_p_.push_back(p);
    if (recent_p_.size() > static_cast<size_t>(o_.suppress)) recent_p_.pop_front();
    p_adj = std::min(1.0, p / lo);
  }
  return 1.0 - p_adj;
}

}  // namespace telemdb::predict
