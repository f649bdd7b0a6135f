// The predictive functions (predict_linear, time_to_threshold, ewma, zscore, anomaly_score,
// anomalies, holt_winters, holt_winters_with_fit, forecast): their parse trees, canonical
// form and every argument error.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/lang/format.h"
#include "query/lang/parser.h"
#include "query/lang/parser_test_util.h"

namespace telemdb::query::lang {
namespace {

const Call& Outer(const SelectStatement& s, size_t i = 0) {
  return s.items[i].transform ? *s.items[i].transform : *s.items[i].aggregate;
}

std::string Canonical(std::string_view q) {
  auto s = ParseQuery(q);
  EXPECT_TRUE(s.ok()) << q << ": " << s.status();
  return s.ok() ? Format(*s) : "";
}

TEST(ParsePredictTest, PredictLinearAndTimeToThresholdAreAggregates) {
  SelectStatement s = ParseSelectOk("SELECT predict_linear(fuel, 2h) FROM d GROUP BY name");
  ASSERT_TRUE(s.items[0].aggregate.has_value());
  EXPECT_FALSE(s.items[0].transform.has_value());
  EXPECT_EQ(s.items[0].aggregate->function, Function::kPredictLinear);
  EXPECT_EQ(s.items[0].aggregate->horizon_ns, 2 * kHour);
  EXPECT_EQ(ParseSelectOk("SELECT predict_linear(x, 0s) FROM d").items[0].aggregate->horizon_ns, 0);

  s = ParseSelectOk("SELECT time_to_threshold(fuel_state, 0.1) FROM diagnostics GROUP BY name");
  EXPECT_EQ(Outer(s).function, Function::kTimeToThreshold);
  EXPECT_EQ(Outer(s).threshold, 0.1);
  EXPECT_EQ(Outer(s).method, "");  // linear, the default
  s = ParseSelectOk("SELECT time_to_threshold(t, -40, 'HOLT') FROM d");
  EXPECT_EQ(Outer(s).threshold, -40);
  EXPECT_EQ(Outer(s).method, "holt");
  EXPECT_EQ(Canonical("SELECT time_to_threshold(t, 5, 'Linear') FROM d"),
            "SELECT time_to_threshold(t, 5) FROM d");
  EXPECT_EQ(Canonical("SELECT time_to_threshold(t, 5, 'holt') FROM d"),
            "SELECT time_to_threshold(t, 5, 'holt') FROM d");
  EXPECT_EQ(Canonical("SELECT predict_linear(x, 90m) FROM d GROUP BY time(1h)"),
            "SELECT predict_linear(x, 1h30m) FROM d GROUP BY time(1h)");
}

TEST(ParsePredictTest, StreamingTransformsOverFieldsAndAggregates) {
  SelectStatement s = ParseSelectOk("SELECT ewma(temp, 0.2), zscore(temp, 60) FROM m");
  EXPECT_EQ(Outer(s, 0).function, Function::kEwma);
  EXPECT_EQ(Outer(s, 0).alpha, 0.2);
  EXPECT_EQ(Outer(s, 1).function, Function::kZscore);
  EXPECT_EQ(Outer(s, 1).window, 60);
  EXPECT_FALSE(s.items[0].aggregated());

  s = ParseSelectOk(
      "SELECT anomaly_score(mean(temp)), ewma(max(temp), 1) FROM m GROUP BY time(1m)");
  EXPECT_EQ(s.items[0].aggregate->function, Function::kMean);
  EXPECT_EQ(s.items[0].transform->function, Function::kAnomalyScore);
  EXPECT_EQ(s.items[0].transform->options, "");
  EXPECT_EQ(Outer(s, 1).alpha, 1);
}

TEST(ParsePredictTest, DetectorOptionsAreCanonical) {
  const SelectStatement s =
      ParseSelectOk("SELECT anomaly_score(v, ' dim = 6 , calibration=500') FROM m");
  EXPECT_EQ(Outer(s).options, "calibration=500,dim=6");
  EXPECT_EQ(Canonical("SELECT anomaly_score(v, '') FROM m"), "SELECT anomaly_score(v) FROM m");
  EXPECT_EQ(Canonical("SELECT anomaly_score(v, 'dim=6,calibration=500') FROM m"),
            "SELECT anomaly_score(v, 'calibration=500,dim=6') FROM m");

  const SelectStatement a = ParseSelectOk("SELECT anomalies(v, 0.99, 'dim=6') FROM m");
  EXPECT_EQ(Outer(a).function, Function::kAnomalies);
  EXPECT_EQ(Outer(a).threshold, 0.99);
  EXPECT_EQ(Outer(a).options, "dim=6");
  EXPECT_EQ(Canonical("SELECT anomalies(v, 1) FROM m"), "SELECT anomalies(v, 1) FROM m");
}

TEST(ParsePredictTest, ForecastsWrapAggregates) {
  SelectStatement s =
      ParseSelectOk("SELECT holt_winters(first(level), 10, 4) FROM h GROUP BY time(379m)");
  EXPECT_EQ(s.items[0].aggregate->function, Function::kFirst);
  EXPECT_EQ(Outer(s).function, Function::kHoltWinters);
  EXPECT_EQ(Outer(s).count, 10);
  EXPECT_EQ(Outer(s).season, 4);
  s = ParseSelectOk("SELECT holt_winters_with_fit(mean(x), 1, 0) FROM h GROUP BY time(1h)");
  EXPECT_EQ(Outer(s).function, Function::kHoltWintersWithFit);

  s = ParseSelectOk("SELECT forecast(mean(x), 12), mean(x) FROM h GROUP BY time(1h)");
  EXPECT_EQ(Outer(s).function, Function::kForecast);
  EXPECT_EQ(Outer(s).count, 12);
  EXPECT_EQ(Outer(s).method, "");
  EXPECT_EQ(Outer(s).season, 0);
  s = ParseSelectOk("SELECT forecast(mean(x), 12, 'Seasonal', 24) FROM h GROUP BY time(1h)");
  EXPECT_EQ(Outer(s).method, "seasonal");
  EXPECT_EQ(Outer(s).season, 24);

  EXPECT_EQ(Canonical("SELECT forecast(mean(x), 3, 'auto') FROM h GROUP BY time(1h)"),
            "SELECT forecast(mean(x), 3) FROM h GROUP BY time(1h)");
  EXPECT_EQ(Canonical("SELECT forecast(mean(x), 3, 'auto', 24) FROM h GROUP BY time(1h)"),
            "SELECT forecast(mean(x), 3, 'auto', 24) FROM h GROUP BY time(1h)");
  EXPECT_EQ(Canonical("SELECT forecast(mean(x), 3, 'trend', 0) FROM h GROUP BY time(1h)"),
            "SELECT forecast(mean(x), 3, 'trend') FROM h GROUP BY time(1h)");
}

struct ErrorCase {
  const char* query;
  const char* message;
};

TEST(ParsePredictTest, ArgumentErrorsNameWhatIsWrong) {
  const ErrorCase cases[] = {
      {"SELECT predict_linear(x) FROM m",
       "line 1, column 24: expected ',' and the horizon in predict_linear(field, horizon), found "
       "')'"},
      {"SELECT predict_linear(x, 5) FROM m",
       "line 1, column 26: expected a duration such as 2h as the horizon in "
       "predict_linear(field, horizon), found '5'"},
      {"SELECT predict_linear(mean(x), 1h) FROM m",
       "line 1, column 23: expected a field name in predict_linear(...), found function call "
       "'mean(...)'"},
      {"SELECT time_to_threshold(x, 'a') FROM m",
       "line 1, column 29: expected a number as the threshold in time_to_threshold(field, "
       "threshold[, 'linear' | 'holt']), found string 'a'"},
      {"SELECT time_to_threshold(x, 0.1, 'cubic') FROM m",
       "line 1, column 34: expected 'linear' or 'holt' as the method in "
       "time_to_threshold(field, threshold[, 'linear' | 'holt']), found string 'cubic'"},
      {"SELECT ewma(x, 0) FROM m",
       "line 1, column 16: expected alpha between 0.001 and 1 in ewma(x, alpha), found '0'"},
      {"SELECT ewma(x, 1.5) FROM m",
       "line 1, column 16: expected alpha between 0.001 and 1 in ewma(x, alpha), found '1.5'"},
      {"SELECT zscore(x, 1) FROM m",
       "line 1, column 18: expected an integer n between 2 and 100000 in zscore(x, n), found "
       "'1'"},
      {"SELECT zscore(x, 2.5) FROM m",
       "line 1, column 18: expected an integer n between 2 and 100000 in zscore(x, n), found "
       "'2.5'"},
      {"SELECT anomaly_score(x, 5) FROM m",
       "line 1, column 25: expected a string of detector options such as 'window=300' in "
       "anomaly_score(x[, 'options']), found '5'"},
      {"SELECT anomalies(x, 2) FROM m",
       "line 1, column 21: expected a threshold between 0 and 1 in anomalies(x, threshold[, "
       "'options']), found '2'"},
      {"SELECT x, anomalies(x, 0.9) FROM m",
       "line 1, column 11: expected anomalies(...) as the only select item (it returns only the "
       "rows at or above its threshold), found other items beside it"},
      {"SELECT holt_winters(x, 10, 4) FROM m GROUP BY time(1m)",
       "line 1, column 21: expected an aggregate such as mean(x) in holt_winters(...) (it "
       "forecasts GROUP BY time buckets), found 'x'"},
      {"SELECT holt_winters(mean(x), 10) FROM m GROUP BY time(1m)",
       "line 1, column 32: expected ',' and the season in holt_winters(aggregate, n, season), "
       "found ')'"},
      {"SELECT holt_winters(mean(x), 0, 4) FROM m GROUP BY time(1m)",
       "line 1, column 30: expected an integer between 1 and 100000 as the number of forecast "
       "points n in holt_winters(aggregate, n, season), found '0'"},
      {"SELECT holt_winters(mean(x), 10, -1) FROM m GROUP BY time(1m)",
       "line 1, column 34: expected an integer between 0 and 10000 as the season length in "
       "buckets in holt_winters(aggregate, n, season), found '-1'"},
      {"SELECT holt_winters(mean(x), 10, 4) FROM m",
       "line 1, column 8: expected GROUP BY time(...) for 'holt_winters(mean(x), 10, 4)' (a "
       "forecast continues the series of time buckets), found no GROUP BY time(...)"},
      {"SELECT forecast(mean(x), 5, 'arima') FROM m GROUP BY time(1m)",
       "line 1, column 29: expected 'auto', 'simple', 'trend' or 'seasonal' as the method in "
       "forecast(aggregate, n[, 'method'[, season]]), found string 'arima'"},
      {"SELECT forecast(mean(x), 5, 'seasonal', 1) FROM m GROUP BY time(1m)",
       "line 1, column 41: expected a season of 0 (detect) or at least 2 buckets in "
       "forecast(aggregate, n[, 'method'[, season]]), found '1'"},
      {"SELECT rate(forecast(mean(x), 5)) FROM m GROUP BY time(1m)",
       "line 1, column 13: expected a field or an aggregate (count, sum, mean, ...) in "
       "rate(...), found forecast 'forecast'"},
      {"SELECT forecast(ewma(x, 0.5), 3) FROM m GROUP BY time(1m)",
       "line 1, column 17: expected an aggregate (count, sum, mean, ...) in forecast(...), found "
       "transform 'ewma'"},
  };
  for (const ErrorCase& c : cases) EXPECT_EQ(ParseError(c.query), c.message) << c.query;
  // Detector options are checked by the detector's own parser; the message names the key.
  EXPECT_THAT(ParseError("SELECT anomaly_score(x, 'foo=1') FROM m"),
              ::testing::AllOf(::testing::HasSubstr("column 25: bad detector options in "
                                                    "anomaly_score(x[, 'options'])"),
                               ::testing::HasSubstr("foo")));
}

}  // namespace
}  // namespace telemdb::query::lang
