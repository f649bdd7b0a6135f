// The predictive functions on small hand-made data with known answers: trends, time to
// threshold, ewma and zscore with their look-back, anomaly scores, forecasts and their rows.
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "query/engine/engine_test_util.h"

namespace telemdb::query::testing {
namespace {

using storage::Value;
using ::telemdb::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Col(const CollectingSink& s, size_t g, size_t c) {
  std::vector<std::string> out;
  const auto groups = s.Groups();
  if (g >= groups.size()) return out;
  for (size_t r = 0; r < groups[g].rows(); r++) out.push_back(groups[g].columns[c].DebugString(r));
  return out;
}

std::vector<double> Floats(const CollectingSink& s, size_t c, size_t g = 0) {
  std::vector<double> out;
  const auto groups = s.Groups();
  if (g >= groups.size()) return out;
  const Column& col = groups[g].columns[c];
  for (size_t r = 0; r < col.size(); r++)
    out.push_back(col.IsNull(r) ? std::nan("") : col.floats[r]);
  return out;
}

std::string At(int64_t s) { return absl::StrCat(kT0 + s * kSec); }

class PredictTest : public EngineTest {
 protected:
  void Series(const std::string& dev, const std::vector<int64_t>& ts_s,
              const std::vector<double>& v) {
    std::vector<Row> rows;
    for (size_t k = 0; k < ts_s.size(); k++)
      rows.push_back({kT0 + ts_s[k] * kSec, {{"v", Value::Float(v[k])}}});
    Write("m", {{"dev", dev}}, rows);
  }
  std::string From(int64_t s) { return absl::StrCat(" WHERE time >= ", At(s)); }
};

TEST_F(PredictTest, PredictLinearIsTheLeastSquaresLineAtLastPlusHorizon) {
  std::vector<int64_t> t;
  std::vector<double> v;
  for (int i = 0; i <= 10; i++) t.push_back(i), v.push_back(2 + 0.5 * i + (i % 2 ? 0.1 : -0.1));
  Series("a", t, v);
  auto s = Run("SELECT predict_linear(v, 10s), predict_linear(v, 0s) FROM m");
  // Symmetric +-0.1 noise on an 11-point line: slope 0.5 + tiny, line through the means.
  const auto g = s.Groups();
  ASSERT_EQ(g.size(), 1u);
  EXPECT_NEAR(g[0].columns[0].floats[0], 2 + 0.5 * 20, 0.05);
  EXPECT_NEAR(g[0].columns[1].floats[0], 2 + 0.5 * 10, 0.05);
  // Per bucket: [0, 5) and [5, 10) and [10, 15): the last bucket has one point -> null.
  s = Run("SELECT predict_linear(v, 1s) FROM m" + From(0) + " GROUP BY time(5s)");
  EXPECT_EQ(Col(s, 0, 0).size(), 3u);
  EXPECT_EQ(Col(s, 0, 0)[2], "null");
  EXPECT_NEAR(Floats(s, 0)[0], 2 + 0.5 * 5, 0.2);
}

TEST_F(PredictTest, TimeToThresholdPerGroup) {
  std::vector<int64_t> t;
  std::vector<double> a, b;
  for (int i = 0; i <= 60; i++) t.push_back(i), a.push_back(100 - i), b.push_back(40 + 0.5 * i);
  Series("a", t, a);
  Series("b", t, b);
  auto s = Run(
      "SELECT time_to_threshold(v, 10), time_to_threshold(v, 200), time_to_threshold(v, -1000), "
      "time_to_threshold(v, 10, 'holt') FROM m GROUP BY dev");
  ASSERT_EQ(s.Groups().size(), 2u);
  // a falls 1/s from 40 at t = 60: 30 s to 10; 200 is behind it; -1000 is 1040 s away, beyond
  // the horizon of 10 x 60 s.
  EXPECT_NEAR(Floats(s, 0, 0)[0], 30, 1e-9);
  EXPECT_THAT(Col(s, 0, 1), ElementsAre("null"));
  EXPECT_THAT(Col(s, 0, 2), ElementsAre("null"));
  EXPECT_NEAR(Floats(s, 3, 0)[0], 30, 1e-6);
  // b rises from 40 to 70: 200 is 260 s ahead, 10 is behind.
  EXPECT_THAT(Col(s, 1, 0), ElementsAre("null"));
  EXPECT_NEAR(Floats(s, 1, 1)[0], 260, 1e-9);
  // The row time is the range start (as for other aggregates), the column a float.
  EXPECT_EQ(s.schema().types[0], storage::ValueType::kFloat);
}

TEST_F(PredictTest, EwmaAndZscoreReadTheirLookBackBeforeTheRange) {
  Series("a", {0, 1, 2, 3, 4}, {4, 8, 0, 1, 10});
  auto whole = Run("SELECT ewma(v, 0.25), zscore(v, 3) FROM m");
  EXPECT_THAT(Col(whole, 0, 0), ElementsAre("4", "5", "3.75", "3.0625", "4.796875"));
  // zscore of 1 against (4, 8, 0): mean 4, sd 4 -> -0.75; of 10 against (8, 0, 1): mean 3,
  // sd sqrt(19) -> 7 / sqrt(19).
  const auto z = Floats(whole, 1);
  EXPECT_TRUE(std::isnan(z[0]) && std::isnan(z[1]) && std::isnan(z[2]));
  EXPECT_DOUBLE_EQ(z[3], -0.75);
  EXPECT_DOUBLE_EQ(z[4], 7 / std::sqrt(19.0));
  // From t = 3 on: the same values, computed from the points before the range.
  auto late = Run("SELECT ewma(v, 0.25), zscore(v, 3) FROM m" + From(3));
  EXPECT_THAT(Col(late, 0, 0), ElementsAre("3.0625", "4.796875"));
  EXPECT_DOUBLE_EQ(Floats(late, 1)[0], -0.75);
  auto desc = Run("SELECT ewma(v, 0.25) FROM m" + From(1) + " ORDER BY time DESC");
  EXPECT_THAT(Col(desc, 0, 0), ElementsAre("4.796875", "3.0625", "3.75", "5"));
  // Over buckets: the look-back is in buckets before the range's first bucket.
  auto buckets = Run("SELECT ewma(max(v), 0.5) FROM m" + From(2) + " GROUP BY time(2s)");
  // Buckets [0,2): 8, [2,4): 1, [4,6): 10 -> ewma 8, 4.5, 7.25; the range starts at bucket 2.
  EXPECT_THAT(Col(buckets, 0, 0), ElementsAre("4.5", "7.25"));
}

TEST_F(PredictTest, AnomalyScoresAreCausalAndDoNotDependOnTheRangeStart) {
  std::vector<int64_t> t;
  std::vector<double> v;
  for (int i = 0; i < 3000; i++) {
    t.push_back(i * 60);
    v.push_back(10 + std::sin(i * 0.3) + (i == 2500 ? 25 : 0));
  }
  Series("a", t, v);
  auto whole = Run("SELECT anomaly_score(v) FROM m");
  const auto all = Floats(whole, 0);
  ASSERT_EQ(all.size(), 3000u);
  double max_other = 0;
  for (size_t i = 0; i < all.size(); i++) {
    ASSERT_TRUE(std::isnan(all[i]) || (all[i] >= 0 && all[i] <= 1)) << i << " " << all[i];
    if (i != 2500 && !std::isnan(all[i])) max_other = std::max(max_other, all[i]);
  }
  EXPECT_GT(all[2500], max_other);
  // A query starting at point 2400 gives exactly the same scores.
  auto late = Run("SELECT anomaly_score(v) FROM m" + From(2400 * 60));
  const auto part = Floats(late, 0);
  ASSERT_EQ(part.size(), 600u);
  for (size_t i = 0; i < part.size(); i++) {
    ASSERT_TRUE((std::isnan(part[i]) && std::isnan(all[2400 + i])) || part[i] == all[2400 + i])
        << i;
  }
  // anomalies(): only the rows at or above the threshold, with value and score.
  auto an = Run("SELECT anomalies(v, " + absl::StrCat(all[2500]) + ") FROM m");
  EXPECT_EQ(an.schema().columns, (std::vector<std::string>{"value", "score"}));
  EXPECT_EQ(an.schema().parts, (std::vector<std::string>{"value", "score"}));
  const auto g = an.Groups();
  ASSERT_EQ(g.size(), 1u);
  ASSERT_GE(g[0].rows(), 1u);
  bool found = false;
  for (size_t r = 0; r < g[0].rows(); r++) {
    EXPECT_GE(g[0].columns[1].floats[r], all[2500]);
    found |= g[0].time[r] == kT0 + 2500 * 60 * kSec && g[0].columns[0].floats[r] == v[2500];
  }
  EXPECT_TRUE(found);
}

TEST_F(PredictTest, HoltWintersContinuesASeasonalSeriesAfterTheLastBucket) {
  std::vector<int64_t> t;
  std::vector<double> v;
  const double season[4] = {3, -1, 2, -4};
  for (int i = 0; i < 40; i++) t.push_back(i * 60), v.push_back(10 + 0.5 * i + season[i % 4]);
  Series("a", t, v);
  auto s = Run("SELECT holt_winters(mean(v), 3, 4) FROM m" + From(0) + " GROUP BY time(1m)");
  const auto g = s.Groups();
  ASSERT_EQ(g.size(), 1u);
  // Only the 3 forecast rows, at the buckets after the last one.
  ASSERT_EQ(g[0].rows(), 3u);
  for (int h = 1; h <= 3; h++) {
    EXPECT_EQ(g[0].time[h - 1], kT0 + (39 + h) * 60 * kSec);
    EXPECT_NEAR(g[0].columns[0].floats[h - 1], 10 + 0.5 * (39 + h) + season[(39 + h) % 4], 1e-6);
  }
  // With the fit: one-step predictions on the buckets after the first season, then forecasts.
  s = Run("SELECT holt_winters_with_fit(mean(v), 3, 4), mean(v) FROM m" + From(0) +
          " GROUP BY time(1m)");
  const auto f = s.Groups();
  ASSERT_EQ(f[0].rows(), 43u);
  EXPECT_TRUE(f[0].columns[0].IsNull(0));
  EXPECT_NEAR(f[0].columns[0].floats[20], v[20], 1e-6);
  EXPECT_TRUE(f[0].columns[1].IsNull(42));  // mean() has no value on forecast rows
}

TEST_F(PredictTest, ForecastHasThreeColumnsAndBands) {
  std::vector<int64_t> t;
  std::vector<double> v;
  std::mt19937_64 rng(4);
  std::normal_distribution<double> noise(0, 0.3);
  for (int i = 0; i < 200; i++) t.push_back(i * 60), v.push_back(20 + noise(rng));
  Series("a", t, v);
  auto s = Run("SELECT forecast(mean(v), 5) AS f, max(v) FROM m" + From(0) + " GROUP BY time(1m)");
  EXPECT_EQ(s.schema().columns, (std::vector<std::string>{"f", "f_lower", "f_upper", "max"}));
  EXPECT_EQ(s.schema().items, (std::vector<uint32_t>{0, 0, 0, 1}));
  const auto g = s.Groups();
  ASSERT_EQ(g[0].rows(), 205u);
  for (size_t r = 200; r < 205; r++) {
    const double f = g[0].columns[0].floats[r], lo = g[0].columns[1].floats[r],
                 hi = g[0].columns[2].floats[r];
    EXPECT_LT(lo, f);
    EXPECT_LT(f, hi);
    EXPECT_GT(f, 19.5);
    EXPECT_LT(f, 21.5);
    EXPECT_TRUE(g[0].columns[3].IsNull(r));
  }
  EXPECT_TRUE(g[0].columns[0].IsNull(0));
  // Too little data (two buckets): no forecast, so no rows at all.
  auto few =
      Run("SELECT forecast(mean(v), 5) FROM m WHERE time < " + At(120) + " GROUP BY time(1m)");
  EXPECT_EQ(few.Groups().size(), 0u);
  // Beside another item the buckets stay, with a null forecast.
  few = Run("SELECT forecast(mean(v), 5), count(v) FROM m WHERE time < " + At(120) +
            " GROUP BY time(1m)");
  EXPECT_THAT(Col(few, 0, 0), ElementsAre("null", "null"));
}

TEST_F(PredictTest, BadArgumentsAndTypes) {
  Write("m", {{"dev", "a"}}, {{kT0, {{"s", Value::String("idle")}, {"v", Value::Float(1)}}}});
  EXPECT_THAT(RunStatus("SELECT predict_linear(s, 1h) FROM m"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("predict_linear(s): field s is string")));
  EXPECT_THAT(RunStatus("SELECT anomaly_score(s) FROM m"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("anomaly_score needs numbers, but its input is string")));
  EXPECT_THAT(RunStatus("SELECT forecast(first(s), 3) FROM m GROUP BY time(1m)"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("forecast needs numbers")));
  EXPECT_THAT(RunStatus("SELECT ewma(v, 0) FROM m"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("alpha between 0.001 and 1")));
}

}  // namespace
}  // namespace telemdb::query::testing
