// Exponential smoothing against an independent recursion (the component form of Holt-Winters,
// plain loops), exact continuation of noise-free series, the optimizer against a grid search,
// the automatic model choice and the coverage of the 80 % bands on simulated data.
#include "query/predict/exp_smoothing.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace telemdb::predict {
namespace {

// Component-form Holt-Winters (additive, undamped) with the fit's parameters and the same
// initial states, written independently: returns the one-step predictions.
std::vector<double> ComponentForm(const std::vector<double>& y, int64_t m, double alpha,
                                  double beta, double gamma) {
  const size_t n = y.size();
  std::vector<double> out(n, std::nan(""));
  double l, b;
  std::vector<double> s;
  size_t start;
  if (m == 0) {
    l = y[1];
    b = y[1] - y[0];
    start = 2;
  } else {
    double m1 = 0, m2 = 0;
    for (int64_t i = 0; i < m; i++) m1 += y[i], m2 += y[m + i];
    m1 /= static_cast<double>(m);
    m2 /= static_cast<double>(m);
    b = (m2 - m1) / static_cast<double>(m);
    const double c = (static_cast<double>(m) - 1) / 2;
    l = m1 + b * c;
    for (int64_t i = 0; i < m; i++) s.push_back(y[i] - (m1 + b * (static_cast<double>(i) - c)));
    start = static_cast<size_t>(m);
  }
  const double beta_star = beta / alpha;  // component-form trend smoothing
  for (size_t t = start; t < n; t++) {
    const double st = m > 0 ? s[t - static_cast<size_t>(m)] : 0;
    out[t] = l + b + st;
    const double l_new = alpha * (y[t] - st) + (1 - alpha) * (l + b);
    const double b_new = beta_star * (l_new - l) + (1 - beta_star) * b;
    if (m > 0) s.push_back(gamma * (y[t] - l - b) + (1 - gamma) * st);
    l = l_new;
    b = b_new;
  }
  return out;
}

std::vector<double> Noisy(int n, int64_t m, double noise, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> e(0, noise);
  std::vector<double> y;
  for (int t = 0; t < n; t++) {
    const double season = m > 0 ? 5 * std::sin(2 * M_PI * (t % m) / static_cast<double>(m)) : 0;
    y.push_back(50 + 0.05 * t + season + e(rng));
  }
  return y;
}

TEST(ExpSmoothingTest, HoltWintersMatchesTheComponentForm) {
  for (int64_t m : {0, 12}) {
    const std::vector<double> y = Noisy(300, m, 1.0, 11);
    auto fit = FitHoltWinters(y, m);
    ASSERT_TRUE(fit.has_value());
    const std::vector<double> ref = ComponentForm(y, m, fit->alpha, fit->beta, fit->gamma);
    double sse = 0;
    for (size_t t = 0; t < y.size(); t++) {
      ASSERT_EQ(std::isnan(ref[t]), std::isnan(fit->fitted[t])) << t;
      if (std::isnan(ref[t])) continue;
      EXPECT_NEAR(fit->fitted[t], ref[t], 1e-9 * (1 + std::fabs(ref[t])));
      sse += (y[t] - ref[t]) * (y[t] - ref[t]);
    }
    EXPECT_NEAR(fit->sse, sse, 1e-9 * sse);
  }
}

TEST(ExpSmoothingTest, NoiseFreeSeriesContinueExactly) {
  std::vector<double> y;
  const double s[4] = {3, -1, 2, -4};
  for (int t = 0; t < 40; t++) y.push_back(10 + 0.5 * t + s[t % 4]);
  auto fit = FitHoltWinters(y, 4);
  ASSERT_TRUE(fit.has_value());
  EXPECT_NEAR(fit->sse, 0, 1e-18);
  std::vector<double> mean, half;
  ForecastEts(*fit, 6, kBand80, &mean, &half);
  for (int h = 1; h <= 6; h++) {
    const int t = 39 + h;
    EXPECT_NEAR(mean[h - 1], 10 + 0.5 * t + s[t % 4], 1e-9) << h;
    EXPECT_NEAR(half[h - 1], 0, 1e-6);
  }
  // A straight line: level and trend continue it.
  std::vector<double> line;
  for (int t = 0; t < 20; t++) line.push_back(3 - 0.25 * t);
  fit = FitHoltWinters(line, 0);
  ForecastEts(*fit, 3, 0, &mean, &half);
  EXPECT_NEAR(mean[2], 3 - 0.25 * 22, 1e-9);
}

TEST(ExpSmoothingTest, FitIsAtLeastAsGoodAsAGridSearch) {
  const std::vector<double> y = Noisy(240, 12, 2.0, 5);
  auto fit = FitHoltWinters(y, 12);
  ASSERT_TRUE(fit.has_value());
  double best = 1e300;
  for (double a = 0.05; a < 1; a += 0.1) {
    for (double bs = 0.05; bs < 1; bs += 0.1) {
      for (double gs = 0.05; gs < 1; gs += 0.1) {
        const std::vector<double> f = ComponentForm(y, 12, a, a * bs, (1 - a) * gs);
        double sse = 0;
        for (size_t t = 12; t < y.size(); t++) sse += (y[t] - f[t]) * (y[t] - f[t]);
        best = std::min(best, sse);
      }
    }
  }
  EXPECT_LE(fit->sse, best * (1 + 1e-6));
}

TEST(ExpSmoothingTest, TooShortSeriesHaveNoFit) {
  EXPECT_FALSE(FitHoltWinters({1, 2, 3, 4, 5, 6, 7}, 4).has_value());  // needs 2 seasons
  EXPECT_TRUE(FitHoltWinters({1, 2, 3, 4, 5, 6, 7, 8}, 4).has_value());
  EXPECT_FALSE(FitHoltWinters({1, 2}, 0).has_value());
  EXPECT_FALSE(FitForecast({1, 2}, "", 0).has_value());
  EXPECT_TRUE(FitForecast({1, 2, 3}, "", 0).has_value());
}

TEST(ExpSmoothingTest, AutoChoosesTheModelTheDataHas) {
  auto seasonal = FitForecast(Noisy(480, 24, 0.5, 1), "", 0);
  ASSERT_TRUE(seasonal.has_value());
  EXPECT_EQ(seasonal->model.season, 24) << seasonal->model.Name();
  std::mt19937_64 rng(2);
  std::normal_distribution<double> e(0, 1);
  std::vector<double> flat;
  for (int t = 0; t < 400; t++) flat.push_back(7 + e(rng));
  auto simple = FitForecast(flat, "", 0);
  ASSERT_TRUE(simple.has_value());
  EXPECT_EQ(simple->model.season, 0) << simple->model.Name();
  // Forced methods.
  EXPECT_EQ(FitForecast(flat, "simple", 0)->model.trend, TrendKind::kNone);
  EXPECT_EQ(FitForecast(flat, "trend", 0)->model.trend, TrendKind::kDamped);
  EXPECT_EQ(FitForecast(Noisy(480, 24, 0.5, 1), "seasonal", 0)->model.season, 24);
  EXPECT_EQ(FitForecast(Noisy(480, 24, 0.5, 1), "seasonal", 12)->model.season, 12);
  EXPECT_EQ(FitForecast(flat, "seasonal", 0)->model.season, 0);  // none found: trend
}

TEST(ExpSmoothingTest, EightyPercentBandsCoverAboutEightyPercent) {
  // Simple exponential smoothing data (local level + noise): 200 replications, 12 steps.
  std::mt19937_64 rng(9);
  std::normal_distribution<double> e(0, 1);
  int inside = 0, total = 0;
  for (int rep = 0; rep < 200; rep++) {
    std::vector<double> y;
    double level = 20;
    for (int t = 0; t < 212; t++) {
      const double err = e(rng);
      y.push_back(level + err);
      level += 0.3 * err;
    }
    const std::vector<double> train(y.begin(), y.begin() + 200);
    auto fit = FitForecast(train, "simple", 0);
    ASSERT_TRUE(fit.has_value());
    std::vector<double> mean, half;
    ForecastEts(*fit, 12, kBand80, &mean, &half);
    for (int h = 0; h < 12; h++) {
      inside += std::fabs(y[200 + h] - mean[h]) <= half[h];
      total++;
    }
  }
  const double coverage = static_cast<double>(inside) / total;
  EXPECT_GT(coverage, 0.74);
  EXPECT_LT(coverage, 0.86);
}

}  // namespace
}  // namespace telemdb::predict
