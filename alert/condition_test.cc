#include "alert/condition.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::alert {
namespace {

using ::telemdb::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kMin = 60'000'000'000;

TEST(ConditionTest, ParsesEveryKind) {
  ASSERT_OK_AND_ASSIGN(Condition a, ParseCondition("mean(temperature) over 5m > 8"));
  EXPECT_EQ(a.kind, RuleKind::kThreshold);
  EXPECT_EQ(a.agg, Agg::kMean);
  EXPECT_EQ(a.field, "temperature");
  EXPECT_EQ(a.window_ns, 5 * kMin);
  EXPECT_EQ(a.op, CmpOp::kGt);
  EXPECT_EQ(a.value, 8);

  ASSERT_OK_AND_ASSIGN(Condition r, ParseCondition("derivative(fuel_state, 1h) < -0.3"));
  EXPECT_EQ(r.kind, RuleKind::kRate);
  EXPECT_EQ(r.unit_ns, 60 * kMin);
  EXPECT_EQ(r.value, -0.3);
  EXPECT_EQ(r.window_ns, 0);

  ASSERT_OK_AND_ASSIGN(Condition s, ParseCondition("absent(*) over 10m"));
  EXPECT_EQ(s.kind, RuleKind::kAbsence);
  EXPECT_EQ(s.field, "*");

  ASSERT_OK_AND_ASSIGN(Condition t, ParseCondition("time_to_threshold(fuel_state, 0.1) < 7200"));
  EXPECT_EQ(t.kind, RuleKind::kTrend);
  EXPECT_EQ(t.threshold, 0.1);
  EXPECT_EQ(t.value, 7200);

  ASSERT_OK_AND_ASSIGN(Condition h,
                       ParseCondition("time_to_threshold(level, 5, 'holt') over 2h <= 3600"));
  EXPECT_EQ(h.method, "holt");

  ASSERT_OK_AND_ASSIGN(Condition n, ParseCondition("anomaly_score(vibration) > 0.9"));
  EXPECT_EQ(n.kind, RuleKind::kAnomaly);
  ASSERT_OK_AND_ASSIGN(Condition o,
                       ParseCondition("anomaly_score(\"vib x\", 'window=100') >= 0.99"));
  EXPECT_EQ(o.field, "vib x");
  EXPECT_EQ(o.options, "window=100");
}

TEST(ConditionTest, CanonicalTextRoundTrips) {
  for (const char* text :
       {"mean(temperature) over 5m > 8", "derivative(fuel_state, 1h) < -0.3", "absent(*) over 10m",
        "time_to_threshold(fuel_state, 0.1) < 7200", "anomaly_score(vibration) >= 0.9",
        "count(\"a b\") over 1m30s == 0", "stddev(x) != 1e-05",
        "time_to_threshold(level, 5, 'holt') over 2h <= 3600"}) {
    ASSERT_OK_AND_ASSIGN(Condition c, ParseCondition(text));
    ASSERT_OK_AND_ASSIGN(Condition again, ParseCondition(c.ToString()));
    EXPECT_TRUE(again.SameExpr(c)) << text << " -> " << c.ToString();
    EXPECT_EQ(again.ToString(), c.ToString());
  }
}

TEST(ConditionTest, Tests) {
  ASSERT_OK_AND_ASSIGN(Condition c, ParseCondition("max(x) >= 2"));
  EXPECT_TRUE(c.Test(2));
  EXPECT_FALSE(c.Test(1.9));
  EXPECT_FALSE(c.Test(std::nan("")));
}

TEST(ConditionTest, GarbageNamesWhatIsWrong) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"", "empty"},
      {"mean(temperature over 5m > 8", "column 18: expected ')'"},
      {"median(x) > 1", "unknown function \"median\""},
      {"mean(x) over 0 > 1", "positive duration"},
      {"mean(x) over 5q > 1", "neither a number nor a duration"},
      {"mean(x) over 5m", "expected a comparison"},
      {"mean(x) > hot", "expected a number"},
      {"mean(x) > 1 and", "expected the end"},
      {"absent(*)", "`over` and a duration"},
      {"absent(x) over 5m > 1", "expected the end"},
      {"mean(*) > 1", "expected a field name"},
      {"time_to_threshold(x) < 1", "expected ','"},
      {"time_to_threshold(x, 1, 'cubic') < 1", "unknown method 'cubic'"},
      {"anomaly_score(x, 'foo=1') > 0.5", "unknown option"},
      {"mean(x) => 1", "expected a number to compare with, found \">\""},
      {"mean(x) > 1 # comment", "unexpected character"},
      {"mean('x) > 1", "unterminated"},
      {"derivative(x, 0s) < 1", "must be positive"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseCondition(c.text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.says)))
        << c.text;
  }
  EXPECT_THAT(ParseCondition(std::string(5000, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("the limit is 4096")));
}

TEST(ConditionTest, ClearKeepsTheExpression) {
  ASSERT_OK_AND_ASSIGN(Condition c, ParseCondition("mean(t) over 5m > 8"));
  ASSERT_OK_AND_ASSIGN(Condition bare, ParseClear("< 6", c));
  EXPECT_TRUE(bare.SameExpr(c));
  EXPECT_EQ(bare.op, CmpOp::kLt);
  EXPECT_EQ(bare.value, 6);
  ASSERT_OK(ParseClear("mean(t) over 5m <= 6", c).status());
  EXPECT_THAT(ParseClear("max(t) over 5m < 6", c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("own expression")));
  ASSERT_OK_AND_ASSIGN(Condition a, ParseCondition("absent(*) over 1m"));
  EXPECT_THAT(ParseClear("< 1", a),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("takes no --clear")));
  EXPECT_THAT(ParseClear("", c), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace telemdb::alert
