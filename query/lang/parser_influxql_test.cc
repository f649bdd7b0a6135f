// The InfluxQL compatibility additions to the language: qualified measurement names, '/' as
// division, arithmetic with constants on select items, the SHOW clauses Grafana sends,
// mode/top/bottom and the InfluxQL transforms, and tz() refused clearly.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "query/lang/format.h"
#include "query/lang/lexer.h"
#include "query/lang/parser_test_util.h"

namespace telemdb::query::lang {
namespace {

std::vector<TokenKind> Kinds(std::string_view text) {
  auto tokens = Tokenize(text);
  EXPECT_TRUE(tokens.ok()) << tokens.status();
  std::vector<TokenKind> kinds;
  if (tokens.ok()) {
    for (const Token& t : *tokens) kinds.push_back(t.kind);
  }
  return kinds;
}

using K = TokenKind;

TEST(InfluxqlLexerTest, SlashIsDivisionAfterAnOperandAndARegexElsewhere) {
  EXPECT_EQ(Kinds("x / 2"), (std::vector<K>{K::kIdent, K::kSlash, K::kInteger, K::kEnd}));
  EXPECT_EQ(Kinds("mean(x)/1000"), (std::vector<K>{K::kIdent, K::kLParen, K::kIdent, K::kRParen,
                                                   K::kSlash, K::kInteger, K::kEnd}));
  EXPECT_EQ(Kinds("\"v\" / 1.5 / 2s / 3"),
            (std::vector<K>{K::kQuotedIdent, K::kSlash, K::kFloat, K::kSlash, K::kDuration,
                            K::kSlash, K::kInteger, K::kEnd}));
  EXPECT_EQ(Kinds("a =~ /x/"), (std::vector<K>{K::kIdent, K::kMatch, K::kRegex, K::kEnd}));
  EXPECT_EQ(Kinds("a !~ /x/ OR (/y/"), (std::vector<K>{K::kIdent, K::kNotMatch, K::kRegex,
                                                       K::kIdent, K::kLParen, K::kRegex, K::kEnd}));
  // After a reserved word a '/' starts a regex (FROM /re/ is a regex, not a division).
  EXPECT_EQ(Kinds("FROM /cpu/"), (std::vector<K>{K::kIdent, K::kRegex, K::kEnd}));
}

TEST(InfluxqlLexerTest, DotOnlyGluedToNames) {
  EXPECT_EQ(
      Kinds("\"telegraf\".\"autogen\".cpu"),
      (std::vector<K>{K::kQuotedIdent, K::kDot, K::kQuotedIdent, K::kDot, K::kIdent, K::kEnd}));
  EXPECT_EQ(Kinds("telegraf..cpu"),
            (std::vector<K>{K::kIdent, K::kDot, K::kDot, K::kIdent, K::kEnd}));
  EXPECT_EQ(Kinds("x .5"), (std::vector<K>{K::kIdent, K::kFloat, K::kEnd}));
  EXPECT_EQ(Kinds("(.5)"), (std::vector<K>{K::kLParen, K::kFloat, K::kRParen, K::kEnd}));
  EXPECT_EQ(ParseError("SELECT x FROM m WHERE v > . 5"),
            "line 1, column 27: expected a name, value or operator, found unexpected character "
            "'.'");
}

TEST(InfluxqlParseTest, QualifiedMeasurementNamesKeepTheLastPart) {
  for (const char* q : {"SELECT v FROM \"autogen\".\"cpu\"", "SELECT v FROM telegraf.autogen.cpu",
                        "SELECT v FROM \"telegraf\"..\"cpu\"", "SELECT v FROM cpu"}) {
    EXPECT_EQ(ParseSelectOk(q).measurement, "cpu") << q;
  }
  EXPECT_EQ(ParseAs<ShowTagKeysStatement>("SHOW TAG KEYS FROM \"db\".\"rp\".\"m\"").measurement,
            "m");
  EXPECT_EQ(ParseAs<DeleteStatement>("DELETE FROM rp.m").measurement, "m");
  EXPECT_EQ(Format(*ParseQuery("SELECT v FROM \"telegraf\".\"autogen\".\"cpu\"")),
            "SELECT v FROM cpu");
  EXPECT_EQ(ParseError("SELECT v FROM a.b.c.d"),
            "line 1, column 20: expected at most three parts "
            "(database.retention_policy.measurement) in a name, found '.'");
  EXPECT_EQ(ParseError("SELECT v FROM a.."),
            "line 1, column 18: expected measurement name after '.' in measurement name after "
            "FROM, found end of query");
}

TEST(InfluxqlParseTest, ArithmeticBecomesStepsOnTheItem) {
  SelectStatement s = ParseSelectOk("SELECT mean(\"value\") * 8 FROM m GROUP BY time(1m)");
  ASSERT_EQ(s.items[0].math.size(), 1u);
  EXPECT_EQ(s.items[0].math[0], (MathStep{MathOp::kMul, 8, false}));
  EXPECT_EQ(s.items[0].aggregate->function, Function::kMean);

  s = ParseSelectOk("SELECT (mean(x) - 32) * 5 / 9 AS c FROM m GROUP BY time(1m)");
  EXPECT_EQ(s.items[0].math,
            (std::vector<MathStep>{
                {MathOp::kSub, 32, false}, {MathOp::kMul, 5, false}, {MathOp::kDiv, 9, false}}));
  EXPECT_EQ(s.items[0].alias, "c");

  s = ParseSelectOk("SELECT 100 - 2 * 3 * v, 8 * x FROM m");
  EXPECT_EQ(s.items[0].math,
            (std::vector<MathStep>{{MathOp::kMul, 6, true}, {MathOp::kSub, 100, true}}));
  EXPECT_EQ(s.items[0].field, "v");
  s = ParseSelectOk("SELECT x - 273.15, -v, v - -1 FROM m");
  EXPECT_EQ(s.items[0].math, (std::vector<MathStep>{{MathOp::kSub, 273.15, false}}));
  EXPECT_EQ(s.items[1].math, (std::vector<MathStep>{{MathOp::kSub, 0, true}}));
  EXPECT_EQ(s.items[2].math, (std::vector<MathStep>{{MathOp::kSub, -1, false}}));
  // x / 2 / 4 is (x / 2) / 4; 8 / (x / 2) keeps its parentheses.
  s = ParseSelectOk("SELECT x / 2 / 4, 8 / (x / 2), derivative(v, 1m) / 1000 FROM m");
  EXPECT_EQ(s.items[0].math,
            (std::vector<MathStep>{{MathOp::kDiv, 2, false}, {MathOp::kDiv, 4, false}}));
  EXPECT_EQ(s.items[1].math,
            (std::vector<MathStep>{{MathOp::kDiv, 2, false}, {MathOp::kDiv, 8, true}}));
  EXPECT_EQ(s.items[2].transform->function, Function::kDerivative);
}

TEST(InfluxqlParseTest, ArithmeticFormatsCanonicallyAndRoundTrips) {
  const std::pair<const char*, const char*> cases[] = {
      {"SELECT mean(\"value\")*8 FROM m", "SELECT mean(value) * 8 FROM m"},
      {"SELECT ((mean(x) - 32)) * 5 / 9 FROM m", "SELECT (mean(x) - 32) * 5 / 9 FROM m"},
      {"SELECT 2 * 3 * v FROM m", "SELECT 6 * v FROM m"},
      {"SELECT 100 - (v - 1) FROM m", "SELECT 100 - (v - 1) FROM m"},
      {"SELECT 100 - v * 2 FROM m", "SELECT 100 - v * 2 FROM m"},
      {"SELECT (1 + v) * 2 FROM m", "SELECT (1 + v) * 2 FROM m"},
      {"SELECT 1 + v + 2 FROM m", "SELECT 1 + v + 2 FROM m"},
      {"SELECT 1 + (v + 2) FROM m", "SELECT 1 + (v + 2) FROM m"},
      {"SELECT 8 / (v / 2) AS r FROM m", "SELECT 8 / (v / 2) AS r FROM m"},
      {"SELECT -v FROM m", "SELECT 0 - v FROM m"},
      {"SELECT v * -1.5e-3 FROM m", "SELECT v * -0.0015 FROM m"},
  };
  for (const auto& [in, canonical] : cases) {
    auto stmt = ParseQuery(in);
    ASSERT_TRUE(stmt.ok()) << in << ": " << stmt.status();
    EXPECT_EQ(Format(*stmt), canonical) << in;
    ExpectRoundTrip(in);
  }
}

// Found by query_parser_fuzzer: 106 unary minus signs parsed, but their canonical text
// ("0 - (0 - (...))") nested deeper than the parser accepts, so Format -> Parse failed. A unary
// minus now counts as one level of nesting; a query of nearly 1 MiB of them (the size limit) is refused, not a deep recursion.
TEST(InfluxqlParseTest, UnaryMinusCountsTowardTheNestingLimit) {
  const std::string ok = "SELECT " + std::string(64, '-') + "v FROM m";
  ASSERT_TRUE(ParseQuery(ok).ok()) << ParseQuery(ok).status();
  ExpectRoundTrip(ok);
  EXPECT_EQ(ParseError("SELECT " + std::string(65, '-') + "v FROM m"),
            "line 1, column 72: expected at most 64 nested parentheses or unary minus signs, "
            "found more");
  EXPECT_EQ(ParseError("SELECT " + std::string((1 << 20) - 64, '-') + "v FROM m"),
            "line 1, column 72: expected at most 64 nested parentheses or unary minus signs, "
            "found more");
  // Parentheses and minus signs share the budget.
  std::string mixed = "SELECT ";
  for (int i = 0; i < 32; ++i) mixed += "-(";
  mixed += "v";
  for (int i = 0; i < 32; ++i) mixed += ")";
  ExpectRoundTrip(mixed + " FROM m");
  EXPECT_FALSE(ParseQuery("SELECT -" + mixed.substr(7) + " FROM m").ok());
}

TEST(InfluxqlParseTest, ArithmeticErrors) {
  EXPECT_EQ(ParseError("SELECT mean(a) + mean(b) FROM m"),
            "line 1, column 18: expected a number, found 'mean': a select item holds one field "
            "or function (arithmetic between two of them is not supported; only with numeric "
            "constants)");
  EXPECT_EQ(ParseError("SELECT a * b FROM m"),
            "line 1, column 12: expected a number, found 'b': a select item holds one field or "
            "function (arithmetic between two of them is not supported; only with numeric "
            "constants)");
  EXPECT_EQ(ParseError("SELECT 1 + 2 FROM m"),
            "line 1, column 8: expected a field or function in the select item after SELECT, "
            "found only constants");
  EXPECT_TRUE(ParseQuery("SELECT v / (2 - 2) FROM m").ok());  // null at run time
  EXPECT_EQ(ParseError("SELECT v * (1 / (2 - 2)) FROM m"),
            "line 1, column 15: expected a non-zero divisor in a constant expression, found a "
            "division by zero");
  EXPECT_EQ(ParseError("SELECT v * (1e300 * 1e300) FROM m"),
            "line 1, column 19: expected a finite result of a constant expression, found an "
            "overflow");
  EXPECT_EQ(ParseError("SELECT (v * 2 FROM m"),
            "line 1, column 15: expected an operator (+, -, *, /) or ')', found 'FROM'");
  EXPECT_EQ(ParseError("SELECT mean(v) * 2, v FROM m"),
            "line 1, column 21: cannot mix aggregates and raw fields in one SELECT; expected an "
            "aggregate like the first item, found raw field 'v'");
  EXPECT_EQ(ParseError("SELECT holt_winters(mean(v), 3, 0) * 2 FROM m GROUP BY time(1m)"),
            "line 1, column 8: expected arithmetic only on a field, an aggregate or a transform, "
            "found it on holt_winters(...), which returns forecast rows (arithmetic is not "
            "supported there)");
  EXPECT_EQ(ParseError("SELECT top(v, 2) / 2 FROM m"),
            "line 1, column 8: expected arithmetic only on a field, an aggregate or a transform, "
            "found it on top(...), which returns several values or rows (arithmetic is not "
            "supported there)");
}

TEST(InfluxqlParseTest, NewFunctions) {
  SelectStatement s = ParseSelectOk(
      "SELECT non_negative_derivative(v, 1m), non_negative_difference(v), cumulative_sum(v), "
      "elapsed(v), elapsed(s, 1s) FROM m");
  EXPECT_EQ(s.items[0].transform->function, Function::kNonNegativeDerivative);
  EXPECT_EQ(s.items[0].transform->unit_ns, kMinute);
  EXPECT_EQ(s.items[1].transform->function, Function::kNonNegativeDifference);
  EXPECT_EQ(s.items[2].transform->function, Function::kCumulativeSum);
  EXPECT_EQ(s.items[3].transform->unit_ns, kElapsedDefaultUnitNs);
  EXPECT_EQ(s.items[4].transform->unit_ns, kSecond);
  s = ParseSelectOk("SELECT top(v, 3) FROM m GROUP BY time(1m)");
  EXPECT_EQ(s.items[0].aggregate->function, Function::kTop);
  EXPECT_EQ(s.items[0].aggregate->count, 3);
  s = ParseSelectOk(
      "SELECT mode(s), non_negative_derivative(max(v)), elapsed(first(s), 1ms) "
      "FROM m GROUP BY time(1m)");
  EXPECT_EQ(s.items[0].aggregate->function, Function::kMode);
  s = ParseSelectOk("SELECT holt_winters(mean(x), 10, 4) FROM m GROUP BY time(1h)");
  EXPECT_EQ(s.items[0].transform->function, Function::kHoltWinters);
  for (const char* q :
       {"SELECT non_negative_derivative(mean(v), 1m) FROM m GROUP BY time(1m)",
        "SELECT elapsed(v, 1s) FROM m", "SELECT elapsed(v) FROM m", "SELECT bottom(i, 2) FROM m",
        "SELECT cumulative_sum(sum(v)) FROM m GROUP BY time(1m) FILL(0)"}) {
    ExpectRoundTrip(q);
  }
  EXPECT_EQ(Format(*ParseQuery("SELECT elapsed(v, 1ns), elapsed(v, 1s) FROM m")),
            "SELECT elapsed(v), elapsed(v, 1s) FROM m");
}

TEST(InfluxqlParseTest, NewFunctionErrors) {
  EXPECT_EQ(ParseError("SELECT top(v) FROM m"),
            "line 1, column 13: expected ',' and n in top(field, n), found ')'");
  EXPECT_EQ(ParseError("SELECT top(v, 0) FROM m"),
            "line 1, column 15: expected an integer between 1 and 100000 as the number of points "
            "n in top(field, n), found '0'");
  EXPECT_EQ(ParseError("SELECT bottom(v, host, 2) FROM m"),
            "line 1, column 18: expected the number of points n in bottom(field, n), found tag "
            "key 'host' (the form bottom(field, tag, n) is not supported)");
  EXPECT_EQ(ParseError("SELECT top(v, 2), max(v) FROM m"),
            "line 1, column 8: expected top(...) as the only select item (a selector of several "
            "points per bucket cannot be combined with other items), found other items beside "
            "it");
  EXPECT_EQ(ParseError("SELECT derivative(top(v, 2)) FROM m GROUP BY time(1m)"),
            "line 1, column 19: expected a field or an aggregate in derivative(...), found "
            "selector 'top' (top() and bottom() return several points per bucket and cannot be "
            "nested)");
  EXPECT_EQ(ParseError("SELECT elapsed(v, 0s) FROM m"),
            "line 1, column 19: expected a positive duration as the unit in elapsed(x[, unit]), "
            "found '0s'");
  EXPECT_EQ(ParseError("SELECT cumulative_sum(v, 2) FROM m"),
            "line 1, column 24: expected ')' after the arguments of cumulative_sum(x) (too many "
            "arguments), found ','");
}

TEST(InfluxqlParseTest, TzIsRefusedWithAReason) {
  EXPECT_EQ(ParseError("SELECT mean(v) FROM m WHERE time > now() - 1d GROUP BY time(1h) "
                       "tz('Europe/Berlin')"),
            "line 1, column 65: tz('Europe/Berlin') is not supported: GROUP BY time buckets and "
            "all times are UTC in telemdb; use GROUP BY time(interval, offset) for buckets "
            "shifted by a fixed offset (e.g. time(1d, -1h) for days starting at midnight "
            "UTC+01:00) and convert times to local time in the client");
  EXPECT_EQ(ParseError("SELECT v FROM m LIMIT 5 TZ(3)"),
            "line 1, column 28: expected a time zone string such as 'Europe/Berlin' in tz(...), "
            "found '3'");
  // tz is still an ordinary name elsewhere.
  EXPECT_EQ(ParseSelectOk("SELECT tz FROM tz").items[0].field, "tz");
}

TEST(InfluxqlParseTest, ShowStatementsGrafanaSends) {
  auto m = ParseAs<ShowMeasurementsStatement>("SHOW MEASUREMENTS LIMIT 100");
  EXPECT_EQ(m.paging.limit, 100);
  EXPECT_FALSE(m.with_measurement.has_value());
  m = ParseAs<ShowMeasurementsStatement>(
      "SHOW MEASUREMENTS WITH MEASUREMENT =~ /(?i)cp/ LIMIT 100");
  ASSERT_TRUE(m.with_measurement.has_value());
  EXPECT_EQ(m.with_measurement->op, CompareOp::kMatch);
  EXPECT_EQ(m.with_measurement->value, "(?i)cp");
  m = ParseAs<ShowMeasurementsStatement>("show measurements with measurement = \"cpu\" offset 3");
  EXPECT_EQ(m.with_measurement->op, CompareOp::kEq);
  EXPECT_EQ(m.with_measurement->value, "cpu");
  EXPECT_EQ(m.paging.offset, 3);
  EXPECT_FALSE(m.paging.limit.has_value());

  auto tv = ParseAs<ShowTagValuesStatement>(
      "SHOW TAG VALUES FROM \"m\" WITH KEY = \"host\" WHERE \"region\" = 'x' LIMIT 5 OFFSET 1");
  EXPECT_EQ(tv.measurement, "m");
  EXPECT_EQ(tv.key.kind, KeyMatch::Kind::kEq);
  EXPECT_EQ(tv.key.values, std::vector<std::string>{"host"});
  ASSERT_TRUE(tv.where.has_value());
  EXPECT_EQ(tv.where->comparison.key, "region");
  EXPECT_EQ(tv.paging.limit, 5);
  EXPECT_EQ(tv.paging.offset, 1);
  tv = ParseAs<ShowTagValuesStatement>("SHOW TAG VALUES WITH KEY IN (\"a\", b, 'c')");
  EXPECT_EQ(tv.key.kind, KeyMatch::Kind::kIn);
  EXPECT_EQ(tv.key.values, (std::vector<std::string>{"a", "b", "c"}));
  tv = ParseAs<ShowTagValuesStatement>("SHOW TAG VALUES WITH KEY =~ /^h/");
  EXPECT_EQ(tv.key.kind, KeyMatch::Kind::kMatch);
  tv = ParseAs<ShowTagValuesStatement>("SHOW TAG VALUES WITH KEY !~ /^h/");
  EXPECT_EQ(tv.key.kind, KeyMatch::Kind::kNotMatch);
  tv = ParseAs<ShowTagValuesStatement>("SHOW TAG VALUES WITH KEY != host");
  EXPECT_EQ(tv.key.kind, KeyMatch::Kind::kNe);

  auto tk = ParseAs<ShowTagKeysStatement>("SHOW TAG KEYS FROM \"m\" WHERE host =~ /a/ LIMIT 2");
  EXPECT_EQ(tk.measurement, "m");
  EXPECT_TRUE(tk.where.has_value());
  EXPECT_EQ(tk.paging.limit, 2);
  EXPECT_EQ(ParseAs<ShowFieldKeysStatement>("SHOW FIELD KEYS FROM \"m\" LIMIT 1").paging.limit, 1);
  EXPECT_EQ(
      ParseAs<ShowSeriesStatement>("SHOW SERIES WHERE a = 'b' LIMIT 1 OFFSET 2").paging.offset, 2);

  for (const char* q : {
           "SHOW MEASUREMENTS LIMIT 100",
           "SHOW MEASUREMENTS WITH MEASUREMENT =~ /(?i)cp\\/u/ LIMIT 100 OFFSET 5",
           "SHOW MEASUREMENTS WITH MEASUREMENT = \"my m\"",
           "SHOW TAG KEYS FROM m WHERE a = 'b' OFFSET 0",
           "SHOW TAG VALUES FROM m WITH KEY IN (a, \"b c\") WHERE x !~ /y/ LIMIT 3",
           "SHOW TAG VALUES WITH KEY !~ /^x/",
           "SHOW FIELD KEYS LIMIT 10 OFFSET 10",
           "SHOW SERIES FROM m LIMIT 1",
       }) {
    ExpectRoundTrip(q);
  }
  EXPECT_EQ(Format(*ParseQuery("show tag values from \"m\" with key = 'host' limit 10")),
            "SHOW TAG VALUES FROM m WITH KEY = host LIMIT 10");
}

TEST(InfluxqlParseTest, ShowErrors) {
  EXPECT_EQ(ParseError("SHOW MEASUREMENTS WITH MEASUREMENT ~ x"),
            "line 1, column 36: expected a name, value or operator, found unexpected character "
            "'~'");
  EXPECT_EQ(ParseError("SHOW MEASUREMENTS WITH MEASUREMENT =~ 'x'"),
            "line 1, column 39: expected a regular expression such as /^cpu/ after WITH "
            "MEASUREMENT =~, found string 'x'");
  EXPECT_EQ(ParseError("SHOW MEASUREMENTS WITH MEASUREMENT =~ /(/"),
            "line 1, column 39: expected a valid RE2 regular expression, found /(/ (missing ): "
            "()");
  EXPECT_EQ(ParseError("SHOW TAG VALUES WITH KEY IN ()"),
            "line 1, column 30: expected tag key in WITH KEY IN (...), found ')'");
  EXPECT_EQ(ParseError("SHOW TAG VALUES WITH KEY = k WHERE v > 1"),
            "line 1, column 40: expected a string or regular expression (SHOW TAG VALUES filters "
            "on tags and time only), found '1'");
  EXPECT_EQ(ParseError("SHOW MEASUREMENTS LIMIT 0"),
            "line 1, column 25: expected a positive integer after LIMIT, found '0'");
  EXPECT_EQ(ParseError("SHOW SERIES OFFSET -1"),
            "line 1, column 20: expected a non-negative integer after OFFSET, found '-1'");
  EXPECT_EQ(ParseError("SHOW TAG KEYS LIMIT 1 LIMIT 2"),
            "line 1, column 23: expected OFFSET or end of query, found 'LIMIT'");
}

}  // namespace
}  // namespace telemdb::query::lang
