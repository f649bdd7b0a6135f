// The streaming detector against its definition computed in batch with plain loops
// (anomaly_reference.h), its finite memory, its range and its reaction to plain anomalies.
#include "query/predict/anomaly_detector.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "query/predict/anomaly_reference.h"

namespace telemdb::predict {
namespace {

using testing::PlainAnomalyScores;

std::vector<std::vector<double>> Series(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> e(0, 1);
  std::vector<double> walk, seasonal, steps, spiky, counts;
  std::poisson_distribution<int> small(1.3);
  double w = 0;
  for (int i = 0; i < n; i++) {
    w += e(rng);
    walk.push_back(w);
    seasonal.push_back(10 * std::sin(i * 2 * M_PI / 48) + 0.3 * e(rng) + (i == n * 3 / 4 ? 8 : 0));
    steps.push_back(i < n / 2 ? 5.0 : 7.0);  // constant, one jump: MAD 0
    spiky.push_back(i % 37 == 0 ? 100.0 : (i % 5 == 0 ? std::nan("") : 0.0));
    counts.push_back(small(rng));  // many ties: MAD 0, means of small integers
  }
  return {walk, seasonal, steps, spiky, counts};
}

void ExpectSame(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); i++) {
    if (std::isnan(want[i])) {
      ASSERT_TRUE(std::isnan(got[i])) << i;
    } else {
      ASSERT_EQ(got[i], want[i]) << i;  // bit for bit: same arithmetic, different structures
    }
  }
}

std::vector<double> Stream(const std::vector<double>& x, const AnomalyOptions& o) {
  AnomalyDetector d(o);
  std::vector<double> out;
  for (double v : x) out.push_back(d.Push(v));
  return out;
}

TEST(AnomalyDetectorTest, StreamingMatchesThePlainDefinition) {
  AnomalyOptions small;
  small.window = 40;
  small.calibration = 250;  // beyond kTailMinValues: the exponential tail is exercised
  small.dim = 3;
  small.neighbours = 30;
  small.short_window = 4;
  small.volatility = 6;
  small.suppress = 15;
  for (uint64_t seed : {1, 2}) {
    for (const auto& x : Series(seed, 900))
      ExpectSame(Stream(x, small), PlainAnomalyScores(x, small));
  }
  const AnomalyOptions defaults;
  const auto x = Series(3, 2600)[1];
  ExpectSame(Stream(x, defaults), PlainAnomalyScores(x, defaults));
  AnomalyOptions no_shape = small;
  no_shape.neighbours = 0;
  const auto w = Series(5, 900)[0];
  ExpectSame(Stream(w, no_shape), PlainAnomalyScores(w, no_shape));
}

TEST(AnomalyDetectorTest, ScoresDependOnlyOnTheMemoryBeforeThem) {
  AnomalyOptions o;
  o.window = 50;
  o.calibration = 100;
  o.neighbours = 40;
  o.suppress = 20;
  const int64_t memory = o.Memory();
  const auto x = Series(4, 1500)[0];
  const auto all = Stream(x, o);
  for (int64_t start : {int64_t{300}, int64_t{777}}) {
    // A fresh detector fed from `start - memory` scores the points from `start` identically.
    AnomalyDetector d(o);
    for (int64_t i = start - memory; i < static_cast<int64_t>(x.size()); i++) {
      const double s = d.Push(x[static_cast<size_t>(i)]);
      if (i >= start) {
        ASSERT_EQ(s, all[static_cast<size_t>(i)]) << i;
      }
    }
  }
}

TEST(AnomalyDetectorTest, ScoresLieInZeroOneAndSpikesStandOut) {
  std::mt19937_64 rng(8);
  std::normal_distribution<double> e(0, 1);
  std::vector<double> x;
  for (int i = 0; i < 3000; i++) x.push_back(50 + e(rng) + (i == 2000 ? 12 : 0));
  const auto s = Stream(x, AnomalyOptions());
  double others = 0;
  for (size_t i = 0; i < s.size(); i++) {
    ASSERT_GE(s[i], 0);
    ASSERT_LE(s[i], 1);
    if (i != 2000) others = std::max(others, s[i]);
  }
  EXPECT_GT(s[2000], 0.999);
  EXPECT_LT(others, s[2000]);
  // The first values have no history: score 0.
  for (int i = 0; i < 60; i++) EXPECT_EQ(s[static_cast<size_t>(i)], 0) << i;
}

TEST(AnomalyDetectorTest, OptionsParseAndCanonicalize) {
  auto o = AnomalyOptions::Parse(" dim = 6 , window=100,suppress=0");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->dim, 6);
  EXPECT_EQ(o->window, 100);
  EXPECT_EQ(o->suppress, 0);
  EXPECT_EQ(o->Canonical(), "dim=6,suppress=0,window=100");
  EXPECT_EQ(AnomalyOptions().Canonical(), "");
  EXPECT_EQ(*CanonicalAnomalyOptions("window=500"), "");  // the default
  EXPECT_EQ(AnomalyOptions().Memory(), 200 + 1000 + 1016 + 1);
  EXPECT_EQ(AnomalyOptions::Parse("foo=1").status().message(),
            "unknown option 'foo' (options: calibration, dim, neighbours, short, suppress, "
            "volatility, window)");
  EXPECT_EQ(AnomalyOptions::Parse("dim=0").status().message(),
            "expected an integer between 1 and 64 for dim, found '0'");
  EXPECT_EQ(AnomalyOptions::Parse("dim=2.5").status().message(),
            "expected an integer between 1 and 64 for dim, found '2.5'");
  EXPECT_EQ(AnomalyOptions::Parse("window").status().message(),
            "expected key=value, found 'window'");
  EXPECT_EQ(AnomalyOptions::Parse("neighbours=0")->neighbours, 0);
  EXPECT_EQ(AnomalyOptions::Parse("neighbours=0,suppress=0")->Memory(), 1000 + 501 + 1);
  EXPECT_EQ(AnomalyOptions::Parse("neighbours=5").status().message(),
            "expected 0 or an integer between 16 and 20000 for neighbours, found '5'");
}

}  // namespace
}  // namespace telemdb::predict
