#include "query/predict/season.h"

#include <algorithm>
#include <cmath>

#include "query/predict/exp_smoothing.h"

namespace telemdb::predict {

int64_t DetectSeason(const std::vector<double>& all, int64_t max_season) {
  const size_t offset = all.size() > kMaxFitValues ? all.size() - kMaxFitValues : 0;
  const size_t n = all.size() - offset;
  const int64_t max_lag =
      std::min<int64_t>({max_season, static_cast<int64_t>(n / 3), kMaxDetectedSeason});
  if (max_lag < 2) return 0;
  // Detrend by the least-squares line over index t.
  const double* y = all.data() + offset;
  double mt = 0, my = 0;
  for (size_t t = 0; t < n; t++) {
    mt += static_cast<double>(t);
    my += y[t];
  }
  mt /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double stt = 0, sty = 0;
  for (size_t t = 0; t < n; t++) {
    stt += (static_cast<double>(t) - mt) * (static_cast<double>(t) - mt);
    sty += (static_cast<double>(t) - mt) * (y[t] - my);
  }
  const double slope = stt > 0 ? sty / stt : 0;
  std::vector<double> r(n);
  double var = 0;
  for (size_t t = 0; t < n; t++) {
    r[t] = y[t] - my - slope * (static_cast<double>(t) - mt);
    var += r[t] * r[t];
  }
  if (!(var > 0)) return 0;
  std::vector<double> acf(static_cast<size_t>(max_lag) + 2, 0.0);
  for (int64_t k = 1; k <= max_lag + 1 && static_cast<size_t>(k) < n; k++) {
    double s = 0;
    for (size_t t = static_cast<size_t>(k); t < n; t++) s += r[t] * r[t - static_cast<size_t>(k)];
    acf[static_cast<size_t>(k)] = s / var;
  }
  int64_t best = 0;
  double best_r = kMinSeasonAutocorrelation;
  for (int64_t k = 2; k <= max_lag; k++) {
    const double rk = acf[static_cast<size_t>(k)];
    if (rk >= acf[static_cast<size_t>(k) - 1] && rk >= acf[static_cast<size_t>(k) + 1] &&
        rk >= best_r && (best == 0 || rk > best_r)) {
      best = k;
      best_r = rk;
    }
  }
  return best;
}

}  // namespace telemdb::predict
