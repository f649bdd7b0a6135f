// The numerical cores against plain recomputations: sorted windows (median, MAD), the bounded
// minimizer, ewma and zscore, linear and Holt trends, time to threshold, season detection.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "query/predict/nelder_mead.h"
#include "query/predict/season.h"
#include "query/predict/sorted_window.h"
#include "query/predict/streaming.h"
#include "query/predict/trend.h"

namespace telemdb::predict {
namespace {

double PlainMedian(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

TEST(SortedWindowTest, OrderStatisticsMatchSorting) {
  std::mt19937_64 rng(1);
  for (size_t cap : {1, 2, 3, 8, 101}) {
    SortedWindow w(cap);
    std::vector<double> all;
    for (int i = 0; i < 600; i++) {
      // Many ties: small integers, sometimes repeated values.
      const double x = static_cast<double>(rng() % 17) + (rng() % 4 == 0 ? 0.5 : 0.0);
      w.Push(x);
      all.push_back(x);
      std::vector<double> win(all.end() - static_cast<std::ptrdiff_t>(std::min(cap, all.size())),
                              all.end());
      ASSERT_EQ(w.size(), win.size());
      const double m = PlainMedian(win);
      EXPECT_EQ(w.Median(), m);
      std::vector<double> dev;
      for (double v : win) dev.push_back(std::fabs(v - m));
      EXPECT_EQ(w.Mad(), PlainMedian(dev)) << "cap " << cap << " step " << i;
      EXPECT_EQ(w.Recent(0), x);
      EXPECT_EQ(w.CountAtLeast(8), static_cast<size_t>(std::count_if(
                                       win.begin(), win.end(), [](double v) { return v >= 8; })));
      EXPECT_EQ(w.CountAbove(8), static_cast<size_t>(std::count_if(
                                     win.begin(), win.end(), [](double v) { return v > 8; })));
    }
  }
}

TEST(NelderMeadTest, FindsMinimaInsideTheBox) {
  const auto quad = [](const std::vector<double>& x) {
    return (x[0] - 0.3) * (x[0] - 0.3) + 10 * (x[1] - 0.7) * (x[1] - 0.7);
  };
  MinimizeResult r = MinimizeBounded(quad, {0, 0}, {1, 1});
  EXPECT_NEAR(r.x[0], 0.3, 1e-3);
  EXPECT_NEAR(r.x[1], 0.7, 1e-3);
  EXPECT_LE(r.evaluations, 400);
  // Rosenbrock in [-2, 2]^2: minimum at (1, 1).
  const auto rosen = [](const std::vector<double>& x) {
    return 100 * std::pow(x[1] - x[0] * x[0], 2) + std::pow(1 - x[0], 2);
  };
  MinimizeOptions o;
  o.max_evaluations = 2000;
  o.tolerance = 1e-14;
  r = MinimizeBounded(rosen, {-2, -2}, {2, 2}, o);
  EXPECT_NEAR(r.x[0], 1, 1e-2);
  EXPECT_NEAR(r.x[1], 1, 2e-2);
  // A minimum outside the box ends at (or next to) the nearest edge.
  r = MinimizeBounded([](const std::vector<double>& x) { return x[0]; }, {0.5}, {1});
  EXPECT_GE(r.x[0], 0.5);
  EXPECT_LT(r.x[0], 0.51);
  // Deterministic.
  EXPECT_EQ(MinimizeBounded(quad, {0, 0}, {1, 1}).x, MinimizeBounded(quad, {0, 0}, {1, 1}).x);
}

TEST(StreamingTest, EwmaIsTheRecursion) {
  Ewma e(0.25);
  EXPECT_EQ(e.Push(4), 4);
  EXPECT_EQ(e.Push(8), 0.25 * 8 + 0.75 * 4);
  EXPECT_EQ(Ewma::LookBack(1), 0);
  EXPECT_EQ(Ewma::LookBack(0.5), 40);  // 0.5^40 < 1e-12 <= 0.5^39
  EXPECT_LE(std::pow(1 - 0.001, Ewma::LookBack(0.001)), 1e-12);
}

TEST(StreamingTest, ZscoreMatchesPlainLoops) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(1000, 3);
  for (int64_t n : {2, 5, 64}) {
    RollingZscore z(n);
    std::vector<double> all;
    for (int i = 0; i < 2000; i++) {
      const double x = i % 300 < 50 ? 1000.0 : noise(rng);  // constant stretches too
      const double got = z.Push(x);
      if (static_cast<int64_t>(all.size()) < n) {
        EXPECT_TRUE(std::isnan(got));
      } else {
        double mean = 0;
        for (size_t k = all.size() - n; k < all.size(); k++) mean += all[k];
        mean /= static_cast<double>(n);
        double ss = 0;
        for (size_t k = all.size() - n; k < all.size(); k++)
          ss += (all[k] - mean) * (all[k] - mean);
        const double sd = std::sqrt(ss / static_cast<double>(n - 1));
        if (sd == 0) {
          EXPECT_TRUE(std::isnan(got)) << i;
        } else {
          EXPECT_NEAR(got, (x - mean) / sd, 1e-6 * (1 + std::fabs((x - mean) / sd))) << i;
        }
      }
      all.push_back(x);
    }
  }
}

TEST(TrendTest, LinearTrendIsLeastSquaresAndMergesRuns) {
  const int64_t t0 = 1'767'225'600'000'000'000;
  std::vector<int64_t> ts;
  std::vector<double> v;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 500; i++) {
    ts.push_back(t0 + i * 10'000'000'000LL + static_cast<int64_t>(rng() % 1000));
    v.push_back(0.9 - 1e-5 * i + static_cast<double>(rng() % 100) * 1e-4);
  }
  LinearTrend whole, runs;
  whole.AddRun(ts.data(), v.data(), ts.size());
  for (size_t i = 0; i < ts.size(); i += 37) {
    runs.AddRun(ts.data() + i, v.data() + i, std::min<size_t>(37, ts.size() - i));
  }
  // Plain least squares in seconds since the first point.
  double mt = 0, mv = 0;
  for (size_t i = 0; i < ts.size(); i++) {
    mt += static_cast<double>(ts[i] - t0) * 1e-9;
    mv += v[i];
  }
  mt /= 500;
  mv /= 500;
  double stt = 0, stv = 0;
  for (size_t i = 0; i < ts.size(); i++) {
    const double d = static_cast<double>(ts[i] - t0) * 1e-9 - mt;
    stt += d * d;
    stv += d * (v[i] - mv);
  }
  const double b = stv / stt;
  EXPECT_NEAR(whole.slope_per_second(), b, 1e-12);
  EXPECT_NEAR(runs.slope_per_second(), b, 1e-12);
  const double at = mv + b * (static_cast<double>(ts.back() - t0) * 1e-9 - mt);
  EXPECT_NEAR(whole.ValueAt(ts.back()), at, 1e-12);
  EXPECT_NEAR(runs.ValueAt(ts.back()), at, 1e-12);
  EXPECT_EQ(runs.count(), 500);
  EXPECT_EQ(runs.last_ts(), ts.back());

  LinearTrend one;
  one.AddPoint(t0, 1);
  EXPECT_FALSE(one.defined());
  one.AddPoint(t0, 2);  // same time: still no line
  EXPECT_FALSE(one.defined());
  const double nan = std::nan("");
  one.AddPoint(t0 + 1'000'000'000, nan);  // NaN is skipped
  EXPECT_FALSE(one.defined());
}

TEST(TrendTest, SecondsToThreshold) {
  EXPECT_DOUBLE_EQ(SecondsToThreshold(0.5, -0.001, 0.1, 1e6), 400);
  EXPECT_TRUE(std::isnan(SecondsToThreshold(0.5, -0.001, 0.1, 399)));   // beyond the horizon
  EXPECT_TRUE(std::isnan(SecondsToThreshold(0.05, -0.001, 0.1, 1e6)));  // past it, moving away
  EXPECT_TRUE(std::isnan(SecondsToThreshold(0.5, 0.001, 0.1, 1e6)));    // moving away
  EXPECT_TRUE(std::isnan(SecondsToThreshold(0.5, 0, 0.1, 1e6)));        // flat
  EXPECT_EQ(SecondsToThreshold(0.1, 0, 0.1, 1e6), 0);                   // there now
  EXPECT_DOUBLE_EQ(SecondsToThreshold(60, 0.5, 90, 1e6), 60);           // rising to a limit
}

TEST(TrendTest, HoltFollowsARecentSlopeAfterAJump) {
  // Falling 0.001 per 10 s point, refilled to 1 at point 300: the last 200 points fall again.
  std::vector<std::pair<int64_t, double>> pts;
  double v = 0.7;
  for (int i = 0; i < 500; i++) {
    if (i == 300) v = 1.0;
    pts.emplace_back(int64_t{i} * 10'000'000'000LL, v);
    v -= 0.001;
  }
  const HoltTrend h = FitHoltTrend(pts);
  ASSERT_TRUE(h.defined);
  EXPECT_NEAR(h.slope_per_second, -0.0001, 2e-5);
  EXPECT_NEAR(h.level, pts.back().second, 0.01);
  LinearTrend lin;
  for (const auto& [t, x] : pts) lin.AddPoint(t, x);
  EXPECT_GT(lin.slope_per_second(), -0.00005);  // the straight line is fooled by the refill
}

TEST(SeasonTest, DetectsThePeriodOfANoisySeasonalSeries) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 0.3);
  std::vector<double> y;
  for (int i = 0; i < 24 * 20; i++)
    y.push_back(std::sin(2 * M_PI * i / 24) + 0.01 * i + noise(rng));
  EXPECT_EQ(DetectSeason(y, 1000), 24);
  std::vector<double> white;
  for (int i = 0; i < 500; i++) white.push_back(noise(rng));
  EXPECT_EQ(DetectSeason(white, 1000), 0);
  EXPECT_EQ(DetectSeason(std::vector<double>(100, 3.0), 1000), 0);
  EXPECT_EQ(DetectSeason(y, 10), 0);  // the period is beyond max_season
}

}  // namespace
}  // namespace telemdb::predict
