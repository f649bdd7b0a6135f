#include "query/predict/trend.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "query/predict/exp_smoothing.h"
#include "query/predict/nelder_mead.h"

namespace telemdb::predict {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

void LinearTrend::AddRun(const int64_t* ts, const double* v, size_t n) {
  // Summarize the run (two passes), then merge.
  int64_t nb = 0;
  double mt = 0, mv = 0;
  size_t first = n;
  for (size_t i = 0; i < n; i++) {
    if (std::isnan(v[i])) continue;
    if (first == n) first = i;
    nb++;
  }
  if (nb == 0) return;
  if (n_ == 0) {
    anchor_ = ts[first];
    first_ts_ = last_ts_ = ts[first];
  }
  for (size_t i = 0; i < n; i++) {
    if (std::isnan(v[i])) continue;
    mt += Seconds(ts[i]);
    mv += v[i];
    first_ts_ = std::min(first_ts_, ts[i]);
    last_ts_ = std::max(last_ts_, ts[i]);
  }
  mt /= static_cast<double>(nb);
  mv /= static_cast<double>(nb);
  double stt = 0, stv = 0;
  for (size_t i = 0; i < n; i++) {
    if (std::isnan(v[i])) continue;
    const double dt = Seconds(ts[i]) - mt;
    stt += dt * dt;
    stv += dt * (v[i] - mv);
  }
  if (n_ == 0) {
    n_ = nb;
    mt_ = mt;
    mv_ = mv;
    stt_ = stt;
    stv_ = stv;
    return;
  }
  const double na = static_cast<double>(n_), nbd = static_cast<double>(nb);
  const double total = na + nbd;
  const double dt = mt - mt_, dv = mv - mv_;
  stt_ += stt + dt * dt * na * nbd / total;
  stv_ += stv + dt * dv * na * nbd / total;
  mt_ += dt * nbd / total;
  mv_ += dv * nbd / total;
  n_ += nb;
}

double LinearTrend::ValueAt(int64_t ts) const {
  return mv_ + slope_per_second() * (Seconds(ts) - mt_);
}

HoltTrend FitHoltTrend(const std::vector<std::pair<int64_t, double>>& all) {
  HoltTrend out;
  const size_t offset = all.size() > kMaxFitValues ? all.size() - kMaxFitValues : 0;
  const size_t n = all.size() - offset;
  if (n < 3) return out;
  std::vector<double> y(n);
  std::vector<int64_t> gaps;
  for (size_t i = 0; i < n; i++) {
    y[i] = all[offset + i].second;
    if (i > 0) gaps.push_back(all[offset + i].first - all[offset + i - 1].first);
  }
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  const double step_s = static_cast<double>(gaps[gaps.size() / 2]) * 1e-9;
  if (!(step_s > 0)) return out;
  EtsModel model;
  model.trend = TrendKind::kAdditive;
  auto fit = FitEts(y, model);
  if (!fit.has_value()) return out;
  out.defined = true;
  out.level = fit->level;
  out.slope_per_second = fit->trend / step_s;
  out.first_ts = all.front().first;
  out.last_ts = all.back().first;
  return out;
}

double SecondsToThreshold(double v_last, double slope, double threshold, double horizon) {
  if (v_last == threshold) return 0;
  if (!(slope != 0) || !std::isfinite(slope)) return kNaN;
  const double dt = (threshold - v_last) / slope;
  if (!(dt >= 0) || dt > horizon) return kNaN;
  return dt;
}

}  // namespace telemdb::predict
