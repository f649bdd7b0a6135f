#include "query/predict/exp_smoothing.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "query/predict/nelder_mead.h"
#include "query/predict/season.h"

namespace telemdb::predict {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Params {
  double alpha = 0.5, beta = 0, gamma = 0, phi = 1;
};

// States before predicting y[start].
struct Init {
  double level = 0, trend = 0;
  std::vector<double> ring;  // ring[t % m]: latest seasonal state of phase t mod m
  size_t start = 0;
};

bool HasTrend(const EtsModel& m) { return m.trend != TrendKind::kNone; }

Init Initialize(const double* y, size_t n, const EtsModel& model) {
  Init in;
  const size_t m = static_cast<size_t>(model.season);
  if (m == 0) {
    if (HasTrend(model)) {
      in.level = y[1];
      in.trend = y[1] - y[0];
      in.start = 2;
    } else {
      in.level = y[0];
      in.start = 1;
    }
    return in;
  }
  double mean1 = 0, mean2 = 0;
  for (size_t i = 0; i < m; i++) {
    mean1 += y[i];
    mean2 += y[m + i];
  }
  mean1 /= static_cast<double>(m);
  mean2 /= static_cast<double>(m);
  const double b = HasTrend(model) ? (mean2 - mean1) / static_cast<double>(m) : 0.0;
  const double center = (static_cast<double>(m) - 1) / 2;
  in.trend = b;
  in.level = mean1 + b * center;
  in.ring.resize(m);
  for (size_t i = 0; i < m; i++)
    in.ring[i] = y[i] - (mean1 + b * (static_cast<double>(i) - center));
  in.start = m;
  return in;
}

// Runs the model over y[start, n); returns the SSE of the one-step errors at t >= sse_from.
// With `out`, stores the final states and the fitted values.
double Run(const double* y, size_t n, const EtsModel& model, const Params& p, const Init& init,
           size_t sse_from, EtsFit* out) {
  const size_t m = static_cast<size_t>(model.season);
  double l = init.level, b = init.trend;
  const double phi = model.trend == TrendKind::kDamped ? p.phi : 1.0;
  const bool trend = HasTrend(model);
  std::vector<double> ring = init.ring;
  double sse = 0;
  if (out != nullptr) out->fitted.assign(n, kNaN);
  for (size_t t = init.start; t < n; t++) {
    const double s = m > 0 ? ring[t % m] : 0.0;
    const double yhat = l + phi * b + s;
    const double e = y[t] - yhat;
    if (t >= sse_from) sse += e * e;
    if (out != nullptr) out->fitted[t] = yhat;
    const double l_new = l + phi * b + p.alpha * e;
    if (trend) b = phi * b + p.beta * e;
    l = l_new;
    if (m > 0) ring[t % m] = s + p.gamma * e;
    if (!std::isfinite(sse)) return kInf;
  }
  if (out != nullptr) {
    out->level = l;
    out->trend = trend ? b : 0.0;
    out->seasonal.clear();
    for (size_t k = 0; k < m; k++) out->seasonal.push_back(ring[(n + k) % m]);
  }
  return sse;
}

Params FromVector(const EtsModel& model, const std::vector<double>& v) {
  Params p;
  size_t i = 0;
  p.alpha = v[i++];
  if (HasTrend(model)) p.beta = p.alpha * v[i++];
  if (model.season > 0) p.gamma = (1 - p.alpha) * v[i++];
  if (model.trend == TrendKind::kDamped) p.phi = v[i++];
  return p;
}

// Fits y (already cut to kMaxFitValues). REQUIRES: n >= MinValues(model).
EtsFit Fit(const double* y, size_t n, const EtsModel& model) {
  const Init init = Initialize(y, n, model);
  std::vector<double> lo = {1e-4}, hi = {0.9999};
  if (HasTrend(model)) lo.push_back(1e-4), hi.push_back(0.9999);
  if (model.season > 0) lo.push_back(1e-4), hi.push_back(0.9999);
  if (model.trend == TrendKind::kDamped) lo.push_back(0.8), hi.push_back(0.98);
  const auto objective = [&](const std::vector<double>& v) {
    return Run(y, n, model, FromVector(model, v), init, init.start, nullptr);
  };
  MinimizeOptions mo;
  mo.max_evaluations = 120 * static_cast<int>(lo.size()) + 40;
  const MinimizeResult r = MinimizeBounded(objective, lo, hi, mo);
  const Params p = FromVector(model, r.x);
  EtsFit fit;
  fit.model = model;
  fit.alpha = p.alpha;
  fit.beta = p.beta;
  fit.gamma = p.gamma;
  fit.phi = model.trend == TrendKind::kDamped ? p.phi : 1.0;
  fit.sse = Run(y, n, model, p, init, init.start, &fit);
  fit.errors = static_cast<int64_t>(n - init.start);
  fit.parameters = static_cast<int64_t>(lo.size());
  fit.sigma2 = fit.sse / static_cast<double>(std::max<int64_t>(1, fit.errors - fit.parameters));
  return fit;
}

}  // namespace

std::string EtsModel::Name() const {
  std::string out = trend == TrendKind::kNone       ? "simple"
                    : trend == TrendKind::kAdditive ? "trend"
                                                    : "damped trend";
  if (season > 0) absl::StrAppend(&out, " + season ", season);
  return out;
}

int64_t MinValues(const EtsModel& model) {
  if (model.season > 0) return 2 * model.season;
  return HasTrend(model) ? 3 : 2;
}

std::optional<EtsFit> FitEts(const std::vector<double>& y, const EtsModel& model) {
  if (static_cast<int64_t>(y.size()) < MinValues(model)) return std::nullopt;
  const size_t offset = y.size() > kMaxFitValues ? y.size() - kMaxFitValues : 0;
  EtsFit fit = Fit(y.data() + offset, y.size() - offset, model);
  fit.offset = offset;
  if (offset > 0) fit.fitted.insert(fit.fitted.begin(), offset, kNaN);
  return fit;
}

void ForecastEts(const EtsFit& fit, int64_t n, double z, std::vector<double>* mean,
                 std::vector<double>* half) {
  mean->clear();
  half->clear();
  const int64_t m = fit.model.season;
  double damp_sum = 0, phi_pow = 1, var_sum = 0;
  for (int64_t h = 1; h <= n; h++) {
    phi_pow *= fit.phi;
    damp_sum += phi_pow;  // phi + ... + phi^h
    const double s = m > 0 ? fit.seasonal[static_cast<size_t>((h - 1) % m)] : 0.0;
    mean->push_back(fit.level + damp_sum * fit.trend + s);
    // c_j for j = h - 1 enters the variance of step h.
    if (h > 1) {
      const int64_t j = h - 1;
      const double damp_j = damp_sum - phi_pow;  // phi + ... + phi^(h-1)
      const double c = fit.alpha + fit.beta * damp_j + (m > 0 && j % m == 0 ? fit.gamma : 0.0);
      var_sum += c * c;
    }
    half->push_back(z * std::sqrt(fit.sigma2 * (1 + var_sum)));
  }
}

std::optional<EtsFit> FitHoltWinters(const std::vector<double>& y, int64_t season) {
  EtsModel model;
  model.trend = TrendKind::kAdditive;
  model.season = season <= 1 ? 0 : season;
  return FitEts(y, model);
}

std::optional<EtsFit> FitForecast(const std::vector<double>& y, const std::string& method,
                                  int64_t season) {
  if (y.size() < 3) return std::nullopt;
  const size_t offset = y.size() > kMaxFitValues ? y.size() - kMaxFitValues : 0;
  const std::vector<double> tail(y.begin() + static_cast<std::ptrdiff_t>(offset), y.end());
  int64_t m = season;
  if (m == 0 && (method.empty() || method == "auto" || method == "seasonal")) {
    m = DetectSeason(tail, static_cast<int64_t>(tail.size()) / 3);
  }
  if (m > 0 && static_cast<int64_t>(tail.size()) < 2 * m) m = 0;
  std::vector<EtsModel> candidates;
  if (method == "simple") {
    candidates.push_back({TrendKind::kNone, 0});
  } else if (method == "trend" || (method == "seasonal" && m == 0)) {
    candidates.push_back({TrendKind::kDamped, 0});
  } else if (method == "seasonal") {
    candidates.push_back({TrendKind::kDamped, m});
  } else {  // auto
    candidates.push_back({TrendKind::kNone, 0});
    candidates.push_back({TrendKind::kDamped, 0});
    if (m > 0) {
      candidates.push_back({TrendKind::kNone, m});
      candidates.push_back({TrendKind::kDamped, m});
    }
  }
  // Compare candidates over the same errors: from the latest start on.
  size_t common = 0;
  for (const EtsModel& c : candidates) {
    common = std::max(common, static_cast<size_t>(c.season > 0 ? c.season : HasTrend(c) ? 2 : 1));
  }
  std::optional<EtsFit> best;
  double best_aicc = kInf;
  for (const EtsModel& c : candidates) {
    if (static_cast<int64_t>(tail.size()) < MinValues(c)) continue;
    EtsFit fit = Fit(tail.data(), tail.size(), c);
    double sse = 0;
    for (size_t t = common; t < tail.size(); t++) {
      const double e = tail[t] - fit.fitted[t];
      sse += e * e;
    }
    const double n = static_cast<double>(tail.size() - common);
    const double k = static_cast<double>(fit.parameters + 1 + (HasTrend(c) ? 1 : 0) + c.season);
    double aicc = kInf;
    if (n - k - 1 > 0) {
      aicc = n * std::log(std::max(sse, 1e-300) / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1);
    }
    if (!best.has_value() || aicc < best_aicc) {
      best_aicc = aicc;
      best = std::move(fit);
    }
  }
  if (best.has_value()) {
    best->offset = offset;
    if (offset > 0) best->fitted.insert(best->fitted.begin(), offset, kNaN);
  }
  return best;
}

}  // namespace telemdb::predict
