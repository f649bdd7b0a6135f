#include "query/predict/anomaly_reference.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "query/predict/anomaly_detector.h"

namespace telemdb::predict::testing {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double SortedMean(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

// The conformal p-value of a against cal, with the exponential tail.
double TailP(std::vector<double> cal, double a) {
  std::sort(cal.begin(), cal.end());
  const size_t n = cal.size();
  size_t at_least = 0;
  for (double c : cal) at_least += c >= a;
  const double rank_p = static_cast<double>(at_least + 1) / static_cast<double>(n + 1);
  if (n < kTailMinValues) return rank_p;
  const size_t tail =
      std::max<size_t>(1, static_cast<size_t>(kTailFraction * static_cast<double>(n)));
  const double u = cal[n - tail - 1];
  if (a <= u) return rank_p;
  double excess = 0;
  size_t above = 0;
  for (size_t i = n - tail; i < n; i++) {
    if (cal[i] > u) excess += cal[i] - u, above++;
  }
  if (above == 0) return rank_p;
  const double beta = excess / static_cast<double>(above);
  return std::max(
      1e-300, static_cast<double>(above) / static_cast<double>(n + 1) * std::exp(-(a - u) / beta));
}

}  // namespace

std::vector<double> PlainAnomalyScores(const std::vector<double>& x, const AnomalyOptions& o) {
  std::vector<double> y;
  for (double v : x) {
    if (!std::isnan(v)) y.push_back(v);
  }
  const int64_t n = static_cast<int64_t>(y.size());
  // NCMs per measure (NaN: not computed at that point).
  std::vector<std::vector<double>> ncm(4, std::vector<double>(static_cast<size_t>(n), kNaN));
  for (int64_t t = 0; t < n; t++) {
    const size_t ut = static_cast<size_t>(t);
    const int64_t b0 = std::max<int64_t>(0, t - o.window);
    if (t - b0 >= static_cast<int64_t>(kMinBaseline)) {
      const std::vector<double> b(y.begin() + b0, y.begin() + t);
      const double m = Median(b);
      std::vector<double> dev;
      for (double v : b) dev.push_back(std::fabs(v - m));
      double s = 1.4826 * Median(dev);
      if (!(s > 0)) s = 1.2533 * SortedMean(dev);
      if (!(s > 0)) s = 1e-12 * std::max(1.0, std::fabs(m));
      ncm[0][ut] = std::fabs(y[ut] - m) / s;
      if (t + 1 >= o.short_window) {
        double sum = 0;
        for (int64_t a = 0; a < o.short_window; a++) sum += y[static_cast<size_t>(t - a)];
        ncm[1][ut] = std::fabs(sum / static_cast<double>(o.short_window) - m) / s;
      }
    }
    // Steps |y_j - y_(j-1)| of the history, the last `window` of them.
    std::vector<double> steps;
    for (int64_t j = std::max<int64_t>(1, t - o.window); j < t; j++) {
      steps.push_back(std::fabs(y[static_cast<size_t>(j)] - y[static_cast<size_t>(j - 1)]));
    }
    if (steps.size() >= kMinBaseline && t + 1 > o.volatility) {
      double sum = 0;
      for (int64_t a = 0; a < o.volatility; a++) {
        sum += std::fabs(y[static_cast<size_t>(t - a)] - y[static_cast<size_t>(t - a - 1)]);
      }
      const double mean = sum / static_cast<double>(o.volatility);
      double ref = Median(steps);
      if (!(ref > 0)) ref = SortedMean(steps);
      const double e = 1e-12 * std::max(1.0, std::fabs(y[ut]));
      ncm[2][ut] = std::fabs(std::log((mean + e) / (ref + e)));
    }
    const int64_t refs = std::min<int64_t>(o.neighbours, t + 1 - 2 * o.dim + 1);
    if (o.neighbours > 0 && refs >= 16) {
      double best = std::numeric_limits<double>::infinity();
      for (int64_t r = 0; r < refs; r++) {
        const int64_t lag = o.dim + r;
        double d2 = 0;
        for (int64_t d = 0; d < o.dim; d++) {
          const double diff = y[static_cast<size_t>(t - d)] - y[static_cast<size_t>(t - lag - d)];
          d2 += diff * diff;
        }
        best = std::min(best, d2);
      }
      ncm[3][ut] = std::sqrt(best);
    }
  }
  // p-values: each NCM against the measure's previous `calibration` NCMs.
  std::vector<double> p(static_cast<size_t>(n), 1.0);
  for (int64_t t = 0; t < n; t++) {
    double p_min = 1.0;
    int counting = 0;
    for (int c = 0; c < 4; c++) {
      const double a = ncm[c][static_cast<size_t>(t)];
      if (std::isnan(a)) continue;
      std::vector<double> cal;
      for (int64_t j = t - 1; j >= 0 && static_cast<int64_t>(cal.size()) < o.calibration; j--) {
        if (!std::isnan(ncm[c][static_cast<size_t>(j)]))
          cal.push_back(ncm[c][static_cast<size_t>(j)]);
      }
      if (cal.size() < kMinCalibration) continue;
      p_min = std::min(p_min, TailP(cal, a));
      counting++;
    }
    p[static_cast<size_t>(t)] = counting == 0 ? 1.0 : std::min(1.0, counting * p_min);
  }
  std::vector<double> score(static_cast<size_t>(n));
  for (int64_t t = 0; t < n; t++) {
    double p_adj = p[static_cast<size_t>(t)];
    if (o.suppress > 0) {
      double lo = kSuppressFloor;
      for (int64_t j = std::max<int64_t>(0, t - o.suppress); j < t; j++)
        lo = std::min(lo, p[static_cast<size_t>(j)]);
      p_adj = std::min(1.0, p_adj / lo);
    }
    score[static_cast<size_t>(t)] = 1.0 - p_adj;
  }
  std::vector<double> out;
  size_t k = 0;
  for (double v : x) out.push_back(std::isnan(v) ? kNaN : score[k++]);
  return out;
}

}  // namespace telemdb::predict::testing
