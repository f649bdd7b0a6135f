#include "query/lang/time_range.h"

#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/lang/format.h"
#include "query/lang/parser_test_util.h"
#include "util/status_matchers.h"

namespace telemdb::query::lang {
namespace {

using ::telemdb::testing::StatusIs;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

SplitWhere Split(std::string_view where) {
  const SelectStatement s =
      ParseSelectOk(std::string("SELECT v FROM m WHERE ") + std::string(where));
  absl::StatusOr<SplitWhere> split = SplitTimeRange(s.where);
  EXPECT_TRUE(split.ok()) << split.status();
  return split.ok() ? *split : SplitWhere{};
}

std::string Rest(const SplitWhere& split) {
  return split.rest.has_value() ? FormatCondition(*split.rest) : "<none>";
}

TEST(TimeRangeTest, NoWhere) {
  absl::StatusOr<SplitWhere> split = SplitTimeRange(std::nullopt);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->range, (TimeRange{kMin, kMax}));
  EXPECT_FALSE(split->rest.has_value());
  EXPECT_FALSE(split->range.empty());
}

TEST(TimeRangeTest, NoTimeConditions) {
  const SplitWhere s = Split("a = 'x' OR b > 5");
  EXPECT_EQ(s.range, (TimeRange{kMin, kMax}));
  EXPECT_EQ(Rest(s), "a = 'x' OR b > 5");
}

TEST(TimeRangeTest, EachOperator) {
  EXPECT_EQ(Split("time >= 10").range, (TimeRange{10, kMax}));
  EXPECT_EQ(Split("time > 10").range, (TimeRange{11, kMax}));
  EXPECT_EQ(Split("time < 10").range, (TimeRange{kMin, 10}));
  EXPECT_EQ(Split("time <= 10").range, (TimeRange{kMin, 11}));
  EXPECT_EQ(Split("time = 10").range, (TimeRange{10, 11}));
  EXPECT_EQ(Rest(Split("time = 10")), "<none>");
  // Saturation at the end of time.
  EXPECT_EQ(Split("time <= 9223372036854775807").range, (TimeRange{kMin, kMax}));
  EXPECT_EQ(Split("time > 9223372036854775807").range.start, kMax);
  EXPECT_TRUE(Split("time > 9223372036854775807").range.empty());
}

TEST(TimeRangeTest, IntersectsAndKeepsTheRest) {
  const SplitWhere s = Split(
      "device = 'p1' AND time >= now() - 1h AND (ok = true OR v > 5) AND time < now() AND "
      "time > now() - 2h");
  EXPECT_EQ(s.range, (TimeRange{kTestNow - kHour, kTestNow}));
  EXPECT_EQ(Rest(s), "device = 'p1' AND (ok = true OR v > 5)");

  const SplitWhere one = Split("time >= 5 AND device = 'p1'");
  ASSERT_TRUE(one.rest.has_value());
  EXPECT_EQ(one.rest->kind, Condition::Kind::kComparison);
}

TEST(TimeRangeTest, EmptyRange) {
  const SplitWhere s = Split("time > now() AND time < now() - 1h");
  EXPECT_TRUE(s.range.empty());
}

TEST(TimeRangeTest, TimeUnderOrIsAnError) {
  // The parser rejects this already; trees built by hand reach the helper.
  Condition where = Condition::Or(
      {Condition::Time(CompareOp::kGe, 5),
       Condition::Compare("a", CompareOp::kEq, Literal{Literal::Kind::kString, "x"})});
  EXPECT_THAT(SplitTimeRange(where),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "time conditions must be ANDed with the rest of the WHERE clause"));
  where = Condition::And({Condition::Time(CompareOp::kGe, 5), where});
  EXPECT_THAT(SplitTimeRange(where), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TimeRangeTest, NestedConjunctionsCountAsTopLevel) {
  Condition inner = Condition::And(
      {Condition::Time(CompareOp::kGe, 5), Condition::Compare("a", CompareOp::kEq, Literal{})});
  Condition outer;
  outer.kind = Condition::Kind::kAnd;  // built by hand, unflattened
  outer.operands = {inner, Condition::Time(CompareOp::kLt, 50)};
  absl::StatusOr<SplitWhere> split = SplitTimeRange(outer);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->range, (TimeRange{5, 50}));
  ASSERT_TRUE(split->rest.has_value());
  EXPECT_EQ(split->rest->comparison.key, "a");
}

}  // namespace
}  // namespace telemdb::query::lang
