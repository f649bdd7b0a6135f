#include "query/predict/nelder_mead.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace telemdb::predict {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double Logistic(double u) { return 1.0 / (1.0 + std::exp(-u)); }
double Logit(double p) { return std::log(p / (1.0 - p)); }

}  // namespace

MinimizeResult MinimizeBounded(const std::function<double(const std::vector<double>&)>& f,
                               const std::vector<double>& lo, const std::vector<double>& hi,
                               const MinimizeOptions& options) {
  const size_t d = lo.size();
  MinimizeResult best;
  best.value = kInf;
  std::vector<double> x(d);
  const auto to_box = [&](const std::vector<double>& u) {
    for (size_t i = 0; i < d; i++) x[i] = lo[i] + (hi[i] - lo[i]) * Logistic(u[i]);
    return x;
  };
  const auto eval = [&](const std::vector<double>& u) {
    const std::vector<double>& p = to_box(u);
    double v = f(p);
    best.evaluations++;
    if (std::isnan(v)) v = kInf;
    if (v < best.value) {
      best.value = v;
      best.x = p;
    }
    return v;
  };

  // Grid start: fractions 0.2, 0.5, 0.8 of each coordinate's range.
  constexpr double kFractions[3] = {0.2, 0.5, 0.8};
  size_t grid = 1;
  for (size_t i = 0; i < d; i++) grid *= 3;
  std::vector<double> start(d, 0.0);
  double start_value = kInf;
  std::vector<double> u(d);
  for (size_t g = 0; g < grid; g++) {
    size_t code = g;
    for (size_t i = 0; i < d; i++) {
      u[i] = Logit(kFractions[code % 3]);
      code /= 3;
    }
    const double v = eval(u);
    if (v < start_value) {
      start_value = v;
      start = u;
    }
  }

  // Simplex around the start: a step of 1 in logit space per coordinate.
  std::vector<std::vector<double>> simplex(d + 1, start);
  std::vector<double> values(d + 1, start_value);
  for (size_t i = 0; i < d; i++) {
    simplex[i + 1][i] += start[i] > 0 ? -1.0 : 1.0;
    values[i + 1] = eval(simplex[i + 1]);
  }
  std::vector<size_t> order(d + 1);
  std::vector<double> centroid(d), trial(d), trial2(d);
  while (best.evaluations < options.max_evaluations) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return values[a] < values[b]; });
    const double fmin = values[order.front()], fmax = values[order.back()];
    if (std::isfinite(fmax) && fmax - fmin <= options.tolerance * (std::fabs(fmin) + 1e-12)) break;
    const size_t worst = order.back(), second = order[d - 1];
    std::fill(centroid.begin(), centroid.end(), 0.0);
    for (size_t k = 0; k < d; k++) {
      for (size_t i = 0; i < d; i++) centroid[i] += simplex[order[k]][i] / static_cast<double>(d);
    }
    for (size_t i = 0; i < d; i++) trial[i] = centroid[i] + (centroid[i] - simplex[worst][i]);
    const double fr = eval(trial);
    if (fr < fmin) {
      for (size_t i = 0; i < d; i++)
        trial2[i] = centroid[i] + 2.0 * (centroid[i] - simplex[worst][i]);
      const double fe = eval(trial2);
      if (fe < fr) {
        simplex[worst] = trial2;
        values[worst] = fe;
      } else {
        simplex[worst] = trial;
        values[worst] = fr;
      }
      continue;
    }
    if (fr < values[second]) {
      simplex[worst] = trial;
      values[worst] = fr;
      continue;
    }
    // Contraction: outside if the reflection improved on the worst, else inside.
    const bool outside = fr < values[worst];
    for (size_t i = 0; i < d; i++) {
      const double towards = outside ? trial[i] : simplex[worst][i];
      trial2[i] = centroid[i] + 0.5 * (towards - centroid[i]);
    }
    const double fc = eval(trial2);
    if (fc < std::min(fr, values[worst])) {
      simplex[worst] = trial2;
      values[worst] = fc;
      continue;
    }
    // Shrink towards the best vertex.
    const size_t b = order.front();
    for (size_t k = 0; k <= d; k++) {
      if (k == b) continue;
      for (size_t i = 0; i < d; i++)
        simplex[k][i] = simplex[b][i] + 0.5 * (simplex[k][i] - simplex[b][i]);
      values[k] = eval(simplex[k]);
    }
  }
  if (best.x.empty()) best.x = to_box(start);
  return best;
}

}  // namespace telemdb::predict
