// Exponential smoothing of a regular series (one value per GROUP BY time bucket): the models
// behind holt_winters(), holt_winters_with_fit() and forecast() (docs/query.md).
//
// Models are additive-error state-space models (Hyndman et al., "Forecasting with
// Exponential Smoothing", class 1):
//   prediction  yhat_t = l_{t-1} + phi b_{t-1} + s_{t-m}
//   error       e_t = y_t - yhat_t
//   level       l_t = l_{t-1} + phi b_{t-1} + alpha e_t
//   trend       b_t = phi b_{t-1} + beta e_t                     (trend models only)
//   season      s_t = s_{t-m} + gamma e_t                        (seasonal models only)
// with beta = alpha * beta', gamma = (1 - alpha) * gamma', alpha, beta', gamma' in (0, 1) and
// phi in [0.8, 0.98] for damped trends (phi = 1 otherwise). Initial states come from the first
// values: without season l = y_0 (no trend) or l = y_1, b = y_1 - y_0 (trend); with season m
// the first two seasons give b = (mean of season 2 - mean of season 1) / m, the level at the
// end of season 1 and the m seasonal offsets around the trend line. The parameters minimize the
// sum of squared one-step errors over the values after the initial ones (MinimizeBounded).
// Forecasts: yhat_{T+h} = l_T + (phi + ... + phi^h) b_T + s_{T+h-m(k+1)}; their variance is
// sigma^2 (1 + sum_{j<h} c_j^2), c_j = alpha + beta (phi + ... + phi^j) + gamma [j mod m = 0],
// sigma^2 = SSE / (errors - parameters).
//
// Only the last kMaxFitValues values are used (older ones are dropped first).
//
// Thread safety: pure functions.
#ifndef TELEMDB_QUERY_PREDICT_EXP_SMOOTHING_H_
#define TELEMDB_QUERY_PREDICT_EXP_SMOOTHING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace telemdb::predict {

inline constexpr size_t kMaxFitValues = 10'000;
// z of the two-sided 80 % normal interval: the bands of forecast().
inline constexpr double kBand80 = 1.2815515655446004;

enum class TrendKind { kNone, kAdditive, kDamped };

struct EtsModel {
  TrendKind trend = TrendKind::kNone;
  int64_t season = 0;  // 0: none; else >= 2
  // "simple", "trend", "damped trend", "seasonal (m=24)", ...: for explanations.
  std::string Name() const;
};

struct EtsFit {
  EtsModel model;
  double alpha = 0, beta = 0, gamma = 0, phi = 1;
  double sse = 0;          // over the errors the fit used
  int64_t errors = 0;      // one-step errors the fit used
  int64_t parameters = 0;  // smoothing parameters fitted
  double sigma2 = 0;       // SSE / max(1, errors - parameters)
  double level = 0, trend = 0;
  std::vector<double> seasonal;  // seasonal[k]: the offset of the (k+1)-th value after the end
  // One-step predictions, one per input value (NaN for the initial values).
  std::vector<double> fitted;
  size_t offset = 0;  // input values dropped before fitting (beyond kMaxFitValues)
};

// Values a model needs: 2 (none), 3 (trend), 2 * season (seasonal).
int64_t MinValues(const EtsModel& model);

// Fits `model` to `y` (finite values). nullopt when y has fewer than MinValues(model) values.
std::optional<EtsFit> FitEts(const std::vector<double>& y, const EtsModel& model);

// Point forecasts for h = 1..n, and the half-width of the central interval at normal
// quantile z (0: no interval) in `half`.
void ForecastEts(const EtsFit& fit, int64_t n, double z, std::vector<double>* mean,
                 std::vector<double>* half);

// holt_winters(agg, n, season): season <= 1: level and trend; else additive Holt-Winters of
// that season; neither damped (InfluxQL's interface with additive seasonality).
std::optional<EtsFit> FitHoltWinters(const std::vector<double>& y, int64_t season);

// forecast(agg, n, method, season). method: "" / "auto", "simple", "trend", "seasonal";
// season 0 = DetectSeason. "auto" fits simple, damped trend and, when a season is known,
// seasonal with and without damped trend, and keeps the lowest AICc over the errors every
// candidate has (from the largest start on). "seasonal" without a usable season falls back to
// "trend". nullopt when y has fewer than 3 values.
std::optional<EtsFit> FitForecast(const std::vector<double>& y, const std::string& method,
                                  int64_t season);

}  // namespace telemdb::predict

#endif  // TELEMDB_QUERY_PREDICT_EXP_SMOOTHING_H_
