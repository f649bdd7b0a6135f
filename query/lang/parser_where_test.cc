// WHERE clauses: comparisons and literal kinds, AND/OR precedence, parentheses, time values.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/lang/parser.h"
#include "query/lang/parser_test_util.h"
#include "query/lang/time_literal.h"

namespace telemdb::query::lang {
namespace {

Condition Where(std::string_view condition) {
  const SelectStatement s =
      ParseSelectOk(std::string("SELECT v FROM m WHERE ") + std::string(condition));
  if (!s.where.has_value()) {
    ADD_FAILURE() << "no WHERE in " << condition;
    return Condition{};
  }
  return *s.where;
}

Literal Str(std::string s) {
  Literal l;
  l.kind = Literal::Kind::kString;
  l.text = std::move(s);
  return l;
}
Literal Int(int64_t v) {
  Literal l;
  l.kind = Literal::Kind::kInteger;
  l.integer = v;
  return l;
}
Literal Float(double v) {
  Literal l;
  l.kind = Literal::Kind::kFloat;
  l.number = v;
  return l;
}
Literal Bool(bool v) {
  Literal l;
  l.kind = Literal::Kind::kBool;
  l.boolean = v;
  return l;
}
Literal Regex(std::string pattern) {
  Literal l;
  l.kind = Literal::Kind::kRegex;
  l.text = std::move(pattern);
  return l;
}

Condition Cmp(std::string key, CompareOp op, Literal value) {
  return Condition::Compare(std::move(key), op, std::move(value));
}

int64_t TimeOf(std::string_view value) {
  const Condition c = Where(std::string("time >= ") + std::string(value));
  EXPECT_EQ(c.kind, Condition::Kind::kTime) << value;
  return c.time.ns;
}

TEST(ParseWhereTest, TagComparisons) {
  EXPECT_EQ(Where("device = 'press-1'"), Cmp("device", CompareOp::kEq, Str("press-1")));
  EXPECT_EQ(Where("device != 'press-1'"), Cmp("device", CompareOp::kNe, Str("press-1")));
  EXPECT_EQ(Where("device <> 'press-1'"), Cmp("device", CompareOp::kNe, Str("press-1")));
  EXPECT_EQ(Where("device =~ /^press-\\d+$/"),
            Cmp("device", CompareOp::kMatch, Regex("^press-\\d+$")));
  EXPECT_EQ(Where("device !~ /^press/"), Cmp("device", CompareOp::kNotMatch, Regex("^press")));
  EXPECT_EQ(Where("path =~ /a\\/b/"), Cmp("path", CompareOp::kMatch, Regex("a/b")));
  EXPECT_EQ(Where("\"site id\" = 'it\\'s'"), Cmp("site id", CompareOp::kEq, Str("it's")));
}

TEST(ParseWhereTest, FieldComparisons) {
  EXPECT_EQ(Where("velocity > 50"), Cmp("velocity", CompareOp::kGt, Int(50)));
  EXPECT_EQ(Where("velocity >= 50.5"), Cmp("velocity", CompareOp::kGe, Float(50.5)));
  EXPECT_EQ(Where("velocity < -3"), Cmp("velocity", CompareOp::kLt, Int(-3)));
  EXPECT_EQ(Where("velocity <= -1.5e3"), Cmp("velocity", CompareOp::kLe, Float(-1500)));
  EXPECT_EQ(Where("status = 3"), Cmp("status", CompareOp::kEq, Int(3)));
  EXPECT_EQ(Where("ok = true"), Cmp("ok", CompareOp::kEq, Bool(true)));
  EXPECT_EQ(Where("ok != FALSE"), Cmp("ok", CompareOp::kNe, Bool(false)));
  EXPECT_EQ(Where("state = 'idle'"), Cmp("state", CompareOp::kEq, Str("idle")));
  EXPECT_EQ(Where("x = -9223372036854775808"),
            Cmp("x", CompareOp::kEq, Int(std::numeric_limits<int64_t>::min())));
  EXPECT_EQ(Where("x = 9223372036854775807"),
            Cmp("x", CompareOp::kEq, Int(std::numeric_limits<int64_t>::max())));
  // Keyword-like names on the left.
  EXPECT_EQ(Where("name = 'a'"), Cmp("name", CompareOp::kEq, Str("a")));
  EXPECT_EQ(Where("value > 1"), Cmp("value", CompareOp::kGt, Int(1)));
  EXPECT_EQ(Where("\"time\" = 'x'"), Cmp("time", CompareOp::kEq, Str("x")));
  EXPECT_EQ(Where("now = 1"), Cmp("now", CompareOp::kEq, Int(1)));
}

TEST(ParseWhereTest, AndBindsTighterThanOr) {
  const Condition a = Cmp("a", CompareOp::kEq, Int(1));
  const Condition b = Cmp("b", CompareOp::kEq, Int(2));
  const Condition c = Cmp("c", CompareOp::kEq, Int(3));
  EXPECT_EQ(Where("a = 1 OR b = 2 AND c = 3"), Condition::Or({a, Condition::And({b, c})}));
  EXPECT_EQ(Where("a = 1 AND b = 2 OR c = 3"), Condition::Or({Condition::And({a, b}), c}));
  EXPECT_EQ(Where("a = 1 and b = 2 or c = 3"), Where("a = 1 AND b = 2 OR c = 3"));
}

TEST(ParseWhereTest, ParenthesesGroup) {
  const Condition a = Cmp("a", CompareOp::kEq, Int(1));
  const Condition b = Cmp("b", CompareOp::kEq, Int(2));
  const Condition c = Cmp("c", CompareOp::kEq, Int(3));
  EXPECT_EQ(Where("(a = 1 OR b = 2) AND c = 3"), Condition::And({Condition::Or({a, b}), c}));
  EXPECT_EQ(Where("a = 1 AND (b = 2 OR c = 3)"), Condition::And({a, Condition::Or({b, c})}));
  EXPECT_EQ(Where("((a = 1))"), a);
}

TEST(ParseWhereTest, SameOperatorsFlatten) {
  const Condition a = Cmp("a", CompareOp::kEq, Int(1));
  const Condition b = Cmp("b", CompareOp::kEq, Int(2));
  const Condition c = Cmp("c", CompareOp::kEq, Int(3));
  const Condition flat_and = Where("a = 1 AND b = 2 AND c = 3");
  ASSERT_EQ(flat_and.kind, Condition::Kind::kAnd);
  EXPECT_EQ(flat_and.operands.size(), 3u);
  EXPECT_EQ(Where("(a = 1 AND b = 2) AND c = 3"), flat_and);
  EXPECT_EQ(Where("a = 1 AND (b = 2 AND c = 3)"), flat_and);
  const Condition flat_or = Where("a = 1 OR (b = 2 OR c = 3)");
  EXPECT_EQ(flat_or.operands.size(), 3u);
  EXPECT_EQ(flat_or, Condition::Or({a, b, c}));
}

TEST(ParseWhereTest, TimeOperators) {
  EXPECT_EQ(Where("time >= 5"), Condition::Time(CompareOp::kGe, 5));
  EXPECT_EQ(Where("time > 5"), Condition::Time(CompareOp::kGt, 5));
  EXPECT_EQ(Where("time < 5"), Condition::Time(CompareOp::kLt, 5));
  EXPECT_EQ(Where("time <= 5"), Condition::Time(CompareOp::kLe, 5));
  EXPECT_EQ(Where("time = 5"), Condition::Time(CompareOp::kEq, 5));
  EXPECT_EQ(Where("TIME = 5"), Condition::Time(CompareOp::kEq, 5));
}

TEST(ParseWhereTest, TimeLiteralForms) {
  const int64_t k2026 = kTestNow;
  EXPECT_EQ(TimeOf("'2026-01-01T00:00:00Z'"), k2026);
  EXPECT_EQ(TimeOf("'2026-01-01T00:00:00.123456789Z'"), k2026 + 123'456'789);
  EXPECT_EQ(TimeOf("'2026-01-01T01:00:00+01:00'"), k2026);
  EXPECT_EQ(TimeOf("'2025-12-31T23:00:00.5-01:00'"), k2026 + 500'000'000);
  EXPECT_EQ(TimeOf("'2026-01-01'"), k2026);
  EXPECT_EQ(TimeOf("'2026-01-01 00:00:00'"), k2026);
  EXPECT_EQ(TimeOf("1767225600000000000"), k2026);
  EXPECT_EQ(TimeOf("-5"), -5);
  EXPECT_EQ(TimeOf("1767225600s"), k2026);
  EXPECT_EQ(TimeOf("1767225600000ms"), k2026);
  EXPECT_EQ(TimeOf("1767225600000000us"), k2026);
  EXPECT_EQ(TimeOf("1767225600000000µs"), k2026);
  EXPECT_EQ(TimeOf("1767225600000000000ns"), k2026);
  EXPECT_EQ(TimeOf("20454d"), 20454 * 86400 * kSecond);
  EXPECT_EQ(TimeOf("2922w"), int64_t{2922} * 7 * 86400 * kSecond);
  EXPECT_EQ(TimeOf("29453760m"), k2026);
  EXPECT_EQ(TimeOf("490895h"), 490895 * kHour);
  EXPECT_EQ(TimeOf("490895h30m"), 490895 * kHour + 30 * kMinute);
}

TEST(ParseWhereTest, NowArithmetic) {
  EXPECT_EQ(TimeOf("now()"), kTestNow);
  EXPECT_EQ(TimeOf("NOW()"), kTestNow);
  EXPECT_EQ(TimeOf("now() - 1h"), kTestNow - kHour);
  EXPECT_EQ(TimeOf("now()-1h"), kTestNow - kHour);
  EXPECT_EQ(TimeOf("now() + 5m"), kTestNow + 5 * kMinute);
  EXPECT_EQ(TimeOf("now() - 1h30m"), kTestNow - 90 * kMinute);
  EXPECT_EQ(TimeOf("now() - 1d + 10s"), kTestNow - 86400 * kSecond + 10 * kSecond);
  EXPECT_EQ(TimeOf("now() - 7w"), kTestNow - 49 * 86400 * kSecond);
  EXPECT_EQ(TimeOf("now() - 250ms"), kTestNow - 250'000'000);
  EXPECT_EQ(TimeOf("'2026-01-01T00:00:00Z' + 1h"), kTestNow + kHour);
  EXPECT_EQ(TimeOf("1767225600s - 1m"), kTestNow - kMinute);

  ParseOptions options;
  options.now_ns = 42 * kSecond;
  absl::StatusOr<Statement> s = Parse("SELECT v FROM m WHERE time > now() - 2s", options);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(std::get<SelectStatement>(*s).where->time.ns, 40 * kSecond);
}

TEST(ParseWhereTest, TimeRangeWithOtherConditions) {
  const Condition c =
      Where("device = 'p1' AND time >= now() - 1h AND (ok = true OR v > 5) AND time < now()");
  ASSERT_EQ(c.kind, Condition::Kind::kAnd);
  ASSERT_EQ(c.operands.size(), 4u);
  EXPECT_EQ(c.operands[1], Condition::Time(CompareOp::kGe, kTestNow - kHour));
  EXPECT_EQ(c.operands[2].kind, Condition::Kind::kOr);
  EXPECT_EQ(c.operands[3], Condition::Time(CompareOp::kLt, kTestNow));
}

TEST(ParseWhereTest, MultiLineQuery) {
  const SelectStatement s = ParseSelectOk(
      "SELECT mean(v)\n"
      "  FROM m\n"
      " WHERE device =~ /^press/\n"
      "   AND time >= now() - 6h\n"
      " GROUP BY time(15m), device\n");
  EXPECT_EQ(s.where->operands.size(), 2u);
  EXPECT_EQ(s.group_by_tags.size(), 1u);
}

TEST(ParseWhereTest, NestingLimit) {
  std::string deep = "SELECT v FROM m WHERE ";
  for (int i = 0; i < 64; ++i) deep += "(";
  deep += "a = 1";
  for (int i = 0; i < 64; ++i) deep += ")";
  EXPECT_EQ(ParseError(deep), "OK");
  const std::string deeper = "SELECT v FROM m WHERE (" + deep.substr(22) + ")";
  EXPECT_EQ(ParseError(deeper),
            "line 1, column 87: expected at most 64 nested parentheses, found more");
}

}  // namespace
}  // namespace telemdb::query::lang
