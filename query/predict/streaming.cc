#include "query/predict/streaming.h"

#include <cmath>
#include <limits>

namespace telemdb::predict {

int64_t Ewma::LookBack(double alpha) {
  if (alpha >= 1) return 0;
  return static_cast<int64_t>(std::ceil(std::log(1e-12) / std::log(1 - alpha)));
}

double Ewma::Push(double x) {
  y_ = has_ ? alpha_ * x + (1 - alpha_) * y_ : x;
  has_ = true;
  return y_;
}

RollingZscore::RollingZscore(int64_t n) : ring_(static_cast<size_t>(n < 2 ? 2 : n), 0.0) {}

void RollingZscore::Recompute() {
  double mean = 0;
  for (size_t i = 0; i < size_; i++) mean += ring_[i];
  mean /= static_cast<double>(size_);
  shift_ = mean;
  sum_ = sumsq_ = 0;
  for (size_t i = 0; i < size_; i++) {
    const double d = ring_[i] - shift_;
    sum_ += d;
    sumsq_ += d * d;
  }
  since_recompute_ = 0;
}

double RollingZscore::Push(double x) {
  const size_t n = ring_.size();
  double z = std::numeric_limits<double>::quiet_NaN();
  if (size_ == n) {
    const double dn = static_cast<double>(n);
    double mean = shift_ + sum_ / dn;
    double var = (sumsq_ - sum_ * (sum_ / dn)) / (dn - 1);
    if (var <= 1e-9 * (shift_ * shift_ + sumsq_ / dn)) {
      // Nearly constant: the running sums cannot tell; recompute exactly (two passes).
      mean = 0;
      for (double v : ring_) mean += v;
      mean /= dn;
      double ss = 0;
      for (double v : ring_) ss += (v - mean) * (v - mean);
      var = ss / (dn - 1);
    }
    if (var > 1e-24 * mean * mean) z = (x - mean) / std::sqrt(var);
    const double old = ring_[head_];
    ring_[head_] = x;
    head_ = (head_ + 1) % n;
    const double a = x - shift_, b = old - shift_;
    sum_ += a - b;
    sumsq_ += a * a - b * b;
    if (++since_recompute_ >= n) Recompute();
    return z;
  }
  ring_[size_++] = x;
  if (size_ == n) Recompute();
  return z;
}

}  // namespace telemdb::predict
