// The reference's predictive functions, in plain loops: least-squares lines, ewma and zscore
// recursions from the first value, the anomaly detector's batch definition
// (predict/anomaly_reference.h), and forecasts over the regularized bucket series. The fitted
// models (Holt-Winters, forecast, Holt's trend) call the predict library, whose recursions are
// checked against independent component-form loops in predict_test; here the plumbing
// around them (rows, gaps, times, future rows) is independent of the engine.
#include <algorithm>
#include <cmath>

#include "query/engine/reference_eval.h"
#include "query/predict/anomaly_reference.h"
#include "query/predict/exp_smoothing.h"
#include "query/predict/trend.h"

namespace telemdb::query::testing::ref {

using lang::Function;
using storage::Value;
using storage::ValueType;
using OV = std::optional<Value>;

OV PredictAggregate(const lang::Call& call, const std::vector<std::vector<Pt>>& per_series) {
  std::vector<Pt> all;
  for (const auto& s : per_series) all.insert(all.end(), s.begin(), s.end());
  if (call.function == Function::kTimeToThreshold && call.method == "holt") {
    std::stable_sort(all.begin(), all.end(), [](const Pt& a, const Pt& b) { return a.ts < b.ts; });
    std::vector<std::pair<int64_t, double>> pts;
    for (const Pt& p : all) pts.emplace_back(p.ts, Num(p.v));
    const predict::HoltTrend h = predict::FitHoltTrend(pts);
    if (!h.defined) return std::nullopt;
    const double span = static_cast<double>(h.last_ts - h.first_ts) * 1e-9;
    const double s = predict::SecondsToThreshold(h.level, h.slope_per_second, call.threshold,
                                                 predict::kHorizonSpans * span);
    return std::isnan(s) ? OV() : OV(Value::Float(s));
  }
  // Least squares in seconds since the first point (any of them: the line is the same).
  if (all.size() < 2) return std::nullopt;
  int64_t t0 = all[0].ts, first = all[0].ts, last = all[0].ts;
  for (const Pt& p : all) first = std::min(first, p.ts), last = std::max(last, p.ts);
  double mt = 0, mv = 0;
  for (const Pt& p : all) {
    mt += static_cast<double>(p.ts - t0) * 1e-9;
    mv += Num(p.v);
  }
  mt /= static_cast<double>(all.size());
  mv /= static_cast<double>(all.size());
  double stt = 0, stv = 0;
  for (const Pt& p : all) {
    const double d = static_cast<double>(p.ts - t0) * 1e-9 - mt;
    stt += d * d;
    stv += d * (Num(p.v) - mv);
  }
  if (!(stt > 0)) return std::nullopt;
  const double b = stv / stt;
  const auto at = [&](int64_t ts) { return mv + b * (static_cast<double>(ts - t0) * 1e-9 - mt); };
  if (call.function == Function::kPredictLinear) return Value::Float(at(last + call.horizon_ns));
  const double s = predict::SecondsToThreshold(
      at(last), b, call.threshold,
      predict::kHorizonSpans * static_cast<double>(last - first) * 1e-9);
  return std::isnan(s) ? OV() : OV(Value::Float(s));
}

std::vector<std::vector<OV>> StreamTransform(const lang::Call& call, ValueType in,
                                             const std::vector<OV>& v) {
  const size_t n = v.size();
  std::vector<double> x(n, std::nan(""));
  for (size_t i = 0; i < n; i++) {
    if (v[i]) x[i] = Num(*v[i]);
  }
  std::vector<double> y(n, std::nan(""));
  switch (call.function) {
    case Function::kEwma: {
      bool has = false;
      double e = 0;
      for (size_t i = 0; i < n; i++) {
        if (std::isnan(x[i])) continue;
        e = has ? call.alpha * x[i] + (1 - call.alpha) * e : x[i];
        has = true;
        y[i] = e;
      }
      break;
    }
    case Function::kZscore: {
      std::vector<double> seen;
      for (size_t i = 0; i < n; i++) {
        if (std::isnan(x[i])) continue;
        if (static_cast<int64_t>(seen.size()) >= call.window) {
          double mean = 0;
          for (size_t k = seen.size() - call.window; k < seen.size(); k++) mean += seen[k];
          mean /= static_cast<double>(call.window);
          double ss = 0;
          for (size_t k = seen.size() - call.window; k < seen.size(); k++) {
            ss += (seen[k] - mean) * (seen[k] - mean);
          }
          const double sd = std::sqrt(ss / static_cast<double>(call.window - 1));
          if (sd * sd > 1e-24 * mean * mean) y[i] = (x[i] - mean) / sd;
        }
        seen.push_back(x[i]);
      }
      break;
    }
    default: {  // anomaly_score, anomalies
      auto o = predict::AnomalyOptions::Parse(call.options);
      y = predict::testing::PlainAnomalyScores(x, *o);
      break;
    }
  }
  std::vector<OV> out(n);
  for (size_t i = 0; i < n; i++) {
    if (v[i] && !std::isnan(y[i])) out[i] = Value::Float(y[i]);
  }
  if (call.function != Function::kAnomalies) return {out};
  std::vector<OV> value(n);
  for (size_t i = 0; i < n; i++) {
    if (v[i])
      value[i] = in == ValueType::kInt && v[i]->type == ValueType::kFloat
                     ? Value::Int(static_cast<int64_t>(v[i]->f))
                     : *v[i];
  }
  return {value, out};
}

std::vector<std::vector<OV>> ForecastColumns(
    const lang::Call& call, int64_t interval, const std::vector<int64_t>& time,
    const std::vector<OV>& v, std::vector<std::pair<int64_t, std::vector<double>>>* future) {
  const size_t width = call.function == Function::kForecast ? 3 : 1;
  std::vector<std::vector<OV>> out(width, std::vector<OV>(time.size()));
  // The non-null rows, one value per bucket between the first and the last.
  std::vector<std::pair<int64_t, double>> known;
  for (size_t r = 0; r < time.size(); r++) {
    if (v[r] && !std::isnan(Num(*v[r]))) known.emplace_back(time[r], Num(*v[r]));
  }
  if (known.empty()) return out;
  const int64_t t0 = known.front().first, t1 = known.back().first;
  std::vector<double> y;
  size_t k = 0;
  for (int64_t t = t0; t <= t1; t += interval) {
    while (known[k].first < t) k++;
    if (known[k].first == t) {
      y.push_back(known[k].second);
    } else {  // between known[k - 1] and known[k]
      const auto& [ta, va] = known[k - 1];
      const auto& [tb, vb] = known[k];
      // As the engine: by bucket index.
      const double ia = static_cast<double>((ta - t0) / interval);
      const double ib = static_cast<double>((tb - t0) / interval);
      const double i = static_cast<double>((t - t0) / interval);
      y.push_back(va + (vb - va) * (i - ia) / (ib - ia));
    }
  }
  std::optional<predict::EtsFit> fit = call.function == Function::kForecast
                                           ? predict::FitForecast(y, call.method, call.season)
                                           : predict::FitHoltWinters(y, call.season);
  if (!fit) return out;
  std::vector<double> mean, half;
  predict::ForecastEts(*fit, call.count,
                       call.function == Function::kForecast ? predict::kBand80 : 0, &mean, &half);
  if (call.function == Function::kHoltWintersWithFit) {
    for (size_t r = 0; r < time.size(); r++) {
      if (time[r] < t0 || time[r] > t1) continue;
      const double f = fit->fitted[static_cast<size_t>((time[r] - t0) / interval)];
      if (!std::isnan(f)) out[0][r] = Value::Float(f);
    }
  }
  for (int64_t h = 1; h <= call.count; h++) {
    const double m = mean[static_cast<size_t>(h - 1)], w = half[static_cast<size_t>(h - 1)];
    std::vector<double> row = {m};
    if (width == 3) row = {m, m - w, m + w};
    future->emplace_back(t1 + h * interval, row);
  }
  return out;
}

}  // namespace telemdb::query::testing::ref
