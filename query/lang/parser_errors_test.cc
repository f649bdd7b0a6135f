// Every parse error, with its full message: position, what was expected, what was found.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/lang/parser.h"
#include "query/lang/parser_test_util.h"

namespace telemdb::query::lang {
namespace {

struct ErrorCase {
  const char* query;
  const char* message;
};

void ExpectErrors(std::initializer_list<ErrorCase> cases) {
  for (const ErrorCase& c : cases) EXPECT_EQ(ParseError(c.query), c.message) << c.query;
}

TEST(ParseErrorTest, Statement) {
  ExpectErrors({
      {"", "line 1, column 1: expected SELECT, DELETE or SHOW, found end of query"},
      {"SELEKT v FROM m", "line 1, column 1: expected SELECT, DELETE or SHOW, found 'SELEKT'"},
      {"SELECT v FROM m; SELECT w FROM m",
       "line 1, column 18: expected end of query after ';' (one statement per query), found "
       "'SELECT'"},
      {"SELECT v FROM m;;",
       "line 1, column 17: expected end of query after ';' (one statement per query), found ';'"},
  });
}

TEST(ParseErrorTest, SelectList) {
  ExpectErrors({
      {"SELECT mean(velocity) FORM t",
       "line 1, column 23: expected FROM after select list, found 'FORM'"},
      {"SELECT",
       "line 1, column 7: expected field, '*' or function after SELECT, found end of "
       "query"},
      {"SELECT FROM m",
       "line 1, column 8: expected field, '*' or function after SELECT, found 'FROM' (a reserved "
       "word; write \"FROM\" to use it as a name)"},
      {"SELECT a, FROM m",
       "line 1, column 11: expected field, '*' or function after ',', found 'FROM' (a reserved "
       "word; write \"FROM\" to use it as a name)"},
      {"SELECT a b FROM m", "line 1, column 10: expected FROM after select list, found 'b'"},
      {"SELECT a AS FROM m",
       "line 1, column 13: expected alias after AS, found 'FROM' (a reserved word; write "
       "\"FROM\" to use it as a name)"},
      {"SELECT a FROM",
       "line 1, column 14: expected measurement name after FROM, found end of "
       "query"},
      {"SELECT a FROM 'm'",
       "line 1, column 15: expected measurement name after FROM, found string 'm' (names take "
       "double quotes: \"m\")"},
      {"SELECT a FROM select",
       "line 1, column 15: expected measurement name after FROM, found 'select' (a reserved "
       "word; write \"select\" to use it as a name)"},
  });
}

TEST(ParseErrorTest, Functions) {
  ExpectErrors({
      {"SELECT foo(x) FROM m",
       "line 1, column 8: expected a function (count, sum, mean, avg, min, max, first, last, "
       "spread, stddev, median, percentile, integral, distinct, predict_linear, "
       "time_to_threshold, mode, top, bottom, rate, derivative, difference, moving_average, ewma, "
       "zscore, anomaly_score, anomalies, non_negative_derivative, non_negative_difference, "
       "cumulative_sum, elapsed, holt_winters, holt_winters_with_fit, forecast), found unknown "
       "function 'foo'"},
      {"SELECT mean() FROM m", "line 1, column 13: expected a field name in mean(...), found ')'"},
      {"SELECT mean(*) FROM m", "line 1, column 13: expected a field name in mean(...), found '*'"},
      {"SELECT mean(x FROM m", "line 1, column 15: expected ')' to close mean(, found 'FROM'"},
      {"SELECT mean(max(x)) FROM m",
       "line 1, column 13: expected a field name in mean(...), found function call 'max(...)'"},
      {"SELECT mean(x, 5) FROM m",
       "line 1, column 14: expected ')' after the arguments of mean(field) (too many "
       "arguments), found ','"},
      {"SELECT percentile(x) FROM m",
       "line 1, column 20: expected ',' and p in percentile(field, p), found ')'"},
      {"SELECT percentile(x, y) FROM m",
       "line 1, column 22: expected a number p in percentile(field, p), found 'y'"},
      {"SELECT percentile(x, 101) FROM m",
       "line 1, column 22: expected p between 0 and 100 in percentile(field, p), found '101'"},
      {"SELECT percentile(x, -0.5) FROM m",
       "line 1, column 22: expected p between 0 and 100 in percentile(field, p), found '-0.5'"},
      {"SELECT integral(x, 5) FROM m",
       "line 1, column 20: expected a positive duration as the unit in integral(field[, unit]), "
       "found '5'"},
      {"SELECT derivative(x, 0s) FROM m",
       "line 1, column 22: expected a positive duration as the unit in derivative(x[, unit]), "
       "found '0s'"},
      {"SELECT derivative(x, 1m, 2) FROM m",
       "line 1, column 24: expected ')' after the arguments of derivative(x[, unit]) (too many "
       "arguments), found ','"},
      {"SELECT moving_average(x) FROM m",
       "line 1, column 24: expected ',' and n in moving_average(x, n), found ')'"},
      {"SELECT moving_average(x, 0) FROM m",
       "line 1, column 26: expected an integer n >= 1 in moving_average(x, n), found '0'"},
      {"SELECT moving_average(x, 2.5) FROM m",
       "line 1, column 26: expected an integer n >= 1 in moving_average(x, n), found '2.5'"},
      {"SELECT moving_average(x, -3) FROM m",
       "line 1, column 26: expected an integer n >= 1 in moving_average(x, n), found '-3'"},
      {"SELECT rate(rate(x)) FROM m",
       "line 1, column 13: expected a field or an aggregate (count, sum, mean, ...) in "
       "rate(...), found transform 'rate'"},
      {"SELECT rate(foo(x)) FROM m",
       "line 1, column 13: expected a field or an aggregate (count, sum, mean, ...) in "
       "rate(...), found unknown function 'foo'"},
      {"SELECT rate(*) FROM m",
       "line 1, column 13: expected a field or an aggregate in rate(...), found '*'"},
      {"SELECT rate(x, 1s) FROM m",
       "line 1, column 14: expected ')' after the arguments of rate(x) (too many arguments), "
       "found ','"},
  });
}

TEST(ParseErrorTest, SelectListRules) {
  ExpectErrors({
      {"SELECT a, mean(b) FROM m",
       "line 1, column 11: cannot mix aggregates and raw fields in one SELECT; expected a raw "
       "field like the first item, found aggregate 'mean(b)'"},
      {"SELECT max(b), a AS x FROM m",
       "line 1, column 16: cannot mix aggregates and raw fields in one SELECT; expected an "
       "aggregate like the first item, found raw field 'a'"},
      {"SELECT mean(b), rate(c) FROM m",
       "line 1, column 17: cannot mix aggregates and raw fields in one SELECT; expected an "
       "aggregate like the first item, found raw field 'rate(c)'"},
      {"SELECT v FROM m GROUP BY time(1m)",
       "line 1, column 8: expected an aggregate such as mean(v) with GROUP BY time(...), found "
       "raw field 'v'"},
      {"SELECT rate(counter) FROM m GROUP BY time(1m)",
       "line 1, column 8: expected an aggregate such as rate(mean(counter)) with GROUP BY "
       "time(...), found 'rate(counter)' over a raw field"},
      {"SELECT * FROM m GROUP BY time(1m)",
       "line 1, column 8: expected aggregates with GROUP BY time(...), found '*'"},
      {"SELECT derivative(mean(x)) FROM m",
       "line 1, column 8: expected GROUP BY time(...) for 'derivative(mean(x))' (a transform "
       "over an aggregate runs over time buckets), found no GROUP BY time(...)"},
      {"SELECT mean(x) FROM m FILL(0)",
       "line 1, column 23: expected GROUP BY time(...) before FILL, found FILL without it"},
      {"SELECT mean(x) FROM m GROUP BY device FILL(none)",
       "line 1, column 39: expected GROUP BY time(...) before FILL, found FILL without it"},
  });
}

TEST(ParseErrorTest, Clauses) {
  ExpectErrors({
      {"SELECT v FROM m WHERE",
       "line 1, column 22: expected a condition (name, time or '(') "
       "after 'WHERE', found end of query"},
      {"SELECT v FROM m WHERE a = 1 b = 2",
       "line 1, column 29: expected AND, OR, GROUP BY, FILL, ORDER BY, LIMIT, SLIMIT or end of "
       "query, found 'b'"},
      {"SELECT v FROM m x",
       "line 1, column 17: expected WHERE, GROUP BY, FILL, ORDER BY, LIMIT, "
       "SLIMIT or end of query, found 'x'"},
      {"SELECT v FROM m GROUP device",
       "line 1, column 23: expected BY after GROUP, found "
       "'device'"},
      {"SELECT v FROM m GROUP BY",
       "line 1, column 25: expected time(...) or tag key after "
       "GROUP BY, found end of query"},
      {"SELECT v FROM m GROUP BY a,",
       "line 1, column 28: expected time(...) or tag key after "
       "',', found end of query"},
      {"SELECT v FROM m GROUP BY a b",
       "line 1, column 28: expected ',', FILL, ORDER BY, LIMIT, "
       "SLIMIT or end of query, found 'b'"},
      {"SELECT v FROM m GROUP BY a, a",
       "line 1, column 29: expected each tag key once in GROUP BY, found 'a' twice"},
      {"SELECT v FROM m GROUP BY time",
       "line 1, column 30: expected '(' after time in GROUP BY (write \"time\" for a tag named "
       "time), found end of query"},
      {"SELECT mean(v) FROM m GROUP BY time(5)",
       "line 1, column 37: expected a positive duration in GROUP BY time(...), found '5'"},
      {"SELECT mean(v) FROM m GROUP BY time(0s)",
       "line 1, column 37: expected a positive duration in GROUP BY time(...), found '0s'"},
      {"SELECT mean(v) FROM m GROUP BY time(1m, x)",
       "line 1, column 41: expected an offset duration in GROUP BY time(interval, offset), "
       "found 'x'"},
      {"SELECT mean(v) FROM m GROUP BY time(1m, 1s, 2s)",
       "line 1, column 43: expected ')' to close GROUP BY time(, found ','"},
      {"SELECT mean(v) FROM m GROUP BY time(1m), time(2m)",
       "line 1, column 42: expected at most one time(...) in GROUP BY, found a second one"},
      {"SELECT mean(v) FROM m GROUP BY time(1m) FILL 0",
       "line 1, column 46: expected '(' after FILL, found '0'"},
      {"SELECT mean(v) FROM m GROUP BY time(1m) FILL(zero)",
       "line 1, column 46: expected none, null, previous, linear or a number in FILL(...), "
       "found 'zero'"},
      {"SELECT mean(v) FROM m GROUP BY time(1m) FILL(none",
       "line 1, column 50: expected ')' to close FILL(, found end of query"},
      {"SELECT v FROM m ORDER time", "line 1, column 23: expected BY after ORDER, found 'time'"},
      {"SELECT v FROM m ORDER BY v",
       "line 1, column 26: expected time after ORDER BY (results are ordered by time only), "
       "found 'v'"},
      {"SELECT v FROM m ORDER BY time UP",
       "line 1, column 31: expected ASC, DESC, LIMIT, SLIMIT or end of query, found 'UP'"},
      {"SELECT v FROM m LIMIT 0",
       "line 1, column 23: expected a positive integer after LIMIT, "
       "found '0'"},
      {"SELECT v FROM m LIMIT -5",
       "line 1, column 23: expected a positive integer after LIMIT, "
       "found '-5'"},
      {"SELECT v FROM m LIMIT 1.5",
       "line 1, column 23: expected a positive integer after "
       "LIMIT, found '1.5'"},
      {"SELECT v FROM m LIMIT x",
       "line 1, column 23: expected a positive integer after LIMIT, "
       "found 'x'"},
      {"SELECT v FROM m SLIMIT 0",
       "line 1, column 24: expected a positive integer after "
       "SLIMIT, found '0'"},
      {"SELECT v FROM m LIMIT 5 WHERE a = 1",
       "line 1, column 25: expected SLIMIT or end of query, found 'WHERE'"},
      {"SELECT v FROM m LIMIT 5 SLIMIT 5 LIMIT 5",
       "line 1, column 34: expected end of query, found 'LIMIT'"},
      {"SELECT v FROM m LIMIT 9223372036854775808",
       "line 1, column 23: expected an integer within the int64 range, found "
       "'9223372036854775808'"},
  });
}

TEST(ParseErrorTest, Conditions) {
  ExpectErrors({
      {"SELECT v FROM m WHERE a",
       "line 1, column 24: expected a comparison operator (=, !=, <>, "
       "<, <=, >, >=, =~, !~) after 'a', found end of query"},
      {"SELECT v FROM m WHERE a == 1",
       "line 1, column 26: expected a value (string, number, true, false or regular expression) "
       "after '=', found '='"},
      {"SELECT v FROM m WHERE state = idle",
       "line 1, column 31: expected a value (string, number, true, false or regular expression) "
       "after '=', found 'idle' (strings take single quotes: 'idle')"},
      {"SELECT v FROM m WHERE state = \"idle\"",
       "line 1, column 31: expected a value (string, number, true, false or regular expression) "
       "after '=', found \"idle\" (strings take single quotes: 'idle')"},
      {"SELECT v FROM m WHERE v > 5m",
       "line 1, column 27: expected a value (string, number, true, false or regular expression) "
       "after '>', found '5m' (durations compare only with time)"},
      {"SELECT v FROM m WHERE a = /x/",
       "line 1, column 25: expected =~ or !~ before a regular expression, found '='"},
      {"SELECT v FROM m WHERE a =~ 'x'",
       "line 1, column 28: expected a regular expression such as /^press-.*/ after '=~', found "
       "string 'x'"},
      {"SELECT v FROM m WHERE ok > true",
       "line 1, column 26: expected = or != before a boolean, found '>'"},
      {"SELECT v FROM m WHERE a =~ /(unclosed/",
       "line 1, column 28: expected a valid RE2 regular expression, found /(unclosed/ (missing "
       "): (unclosed)"},
      {"SELECT v FROM m WHERE (a = 1",
       "line 1, column 29: expected AND, OR or ')', found end of "
       "query"},
      {"SELECT v FROM m WHERE a = 1 AND",
       "line 1, column 32: expected a condition (name, time "
       "or '(') after 'AND', found end of query"},
      {"SELECT v FROM m WHERE a = 1 OR time > 0",
       "line 1, column 32: time conditions must be ANDed with the rest of the WHERE clause; "
       "found time under OR"},
      {"SELECT v FROM m WHERE (time > 0 OR a = 1) AND b = 2",
       "line 1, column 24: time conditions must be ANDed with the rest of the WHERE clause; "
       "found time under OR"},
      {"SELECT v FROM m WHERE x = 99999999999999999999",
       "line 1, column 27: integer '99999999999999999999' is out of range"},
      {"SELECT v FROM m WHERE x = -9223372036854775809",
       "line 1, column 27: expected an integer within the int64 range, found "
       "'-9223372036854775809'"},
      {"DELETE FROM m WHERE v > 5",
       "line 1, column 25: expected a string or regular expression (DELETE filters on tags and "
       "time only), found '5'"},
      {"SHOW SERIES WHERE ok = true",
       "line 1, column 24: expected a string or regular expression (SHOW SERIES filters on tags "
       "and time only), found 'true'"},
  });
}

TEST(ParseErrorTest, TimeValues) {
  ExpectErrors({
      {"SELECT v FROM m WHERE time != 5",
       "line 1, column 28: expected >=, >, <, <= or = after time, found '!='"},
      {"SELECT v FROM m WHERE time =~ /x/",
       "line 1, column 28: expected >=, >, <, <= or = after time, found '=~'"},
      {"SELECT v FROM m WHERE time > 1.5",
       "line 1, column 30: expected a time (RFC3339 string, integer nanoseconds, duration or "
       "now()) after 'time >', found '1.5'"},
      {"SELECT v FROM m WHERE time > yesterday",
       "line 1, column 30: expected a time (RFC3339 string, integer nanoseconds, duration or "
       "now()) after 'time >', found 'yesterday'"},
      {"SELECT v FROM m WHERE time > '2026-02-30T00:00:00Z'",
       "line 1, column 30: invalid time '2026-02-30T00:00:00Z': day out of range (expected "
       "RFC3339 like '2026-01-01T00:00:00Z')"},
      {"SELECT v FROM m WHERE time > now(",
       "line 1, column 34: expected ')' after now(, found end of query"},
      {"SELECT v FROM m WHERE time > now() - 1",
       "line 1, column 38: expected a duration such as 1h after '-', found '1'"},
      {"SELECT v FROM m WHERE time > now() + x",
       "line 1, column 38: expected a duration such as 1h after '+', found 'x'"},
      {"SELECT v FROM m WHERE time > 9223372036854775808",
       "line 1, column 30: expected a time within 1677-09-21..2262-04-11, found an overflow"},
      {"SELECT v FROM m WHERE time > now() + 15000w",
       "line 1, column 38: expected a time within 1677-09-21..2262-04-11, found an overflow"},
      {"SELECT v FROM m WHERE time > 1h30x",
       "line 1, column 30: invalid duration '1h30x': unknown unit 'x' (expected one of ns, us, "
       "µs, ms, s, m, h, d, w)"},
  });
}

TEST(ParseErrorTest, ShowAndDelete) {
  ExpectErrors({
      {"SHOW",
       "line 1, column 5: expected MEASUREMENTS, FIELDS, FIELD KEYS, TAG KEYS, TAG VALUES "
       "or SERIES after SHOW, found end of query"},
      {"SHOW DATABASES",
       "line 1, column 6: expected MEASUREMENTS, FIELDS, FIELD KEYS, TAG KEYS, "
       "TAG VALUES or SERIES after SHOW, found 'DATABASES'"},
      {"SHOW MEASUREMENTS FROM m",
       "line 1, column 19: expected WITH MEASUREMENT, LIMIT, OFFSET or end of query, found 'FROM'"},
      {"SHOW FIELD", "line 1, column 11: expected KEYS after SHOW FIELD, found end of query"},
      {"SHOW FIELDS m",
       "line 1, column 13: expected FROM, LIMIT, OFFSET or end of query, found 'm'"},
      {"SHOW TAG", "line 1, column 9: expected KEYS or VALUES after SHOW TAG, found end of query"},
      {"SHOW TAG KEYS FROM m x",
       "line 1, column 22: expected WHERE, LIMIT, OFFSET or end of query, found 'x'"},
      {"SHOW TAG VALUES",
       "line 1, column 16: expected FROM or WITH KEY = <tag key>, found end "
       "of query"},
      {"SHOW TAG VALUES FROM m",
       "line 1, column 23: expected WITH KEY = <tag key>, found end of "
       "query"},
      {"SHOW TAG VALUES WITH device",
       "line 1, column 22: expected KEY after WITH, found "
       "'device'"},
      {"SHOW TAG VALUES WITH KEY device",
       "line 1, column 26: expected =, !=, =~, !~ or IN after WITH KEY, found "
       "'device'"},
      {"SHOW TAG VALUES WITH KEY = ",
       "line 1, column 28: expected tag key after WITH KEY =, "
       "found end of query"},
      {"SHOW TAG VALUES WITH KEY = ''",
       "line 1, column 28: expected a non-empty tag key, found string ''"},
      {"SHOW SERIES x",
       "line 1, column 13: expected FROM, WHERE, LIMIT, OFFSET or end of query, found 'x'"},
      {"SHOW SERIES FROM m x",
       "line 1, column 20: expected WHERE, LIMIT, OFFSET or end of query, found 'x'"},
      {"DELETE m", "line 1, column 8: expected FROM after DELETE, found 'm'"},
      {"DELETE FROM m x", "line 1, column 15: expected WHERE or end of query, found 'x'"},
      {"DELETE FROM m WHERE a = 'x' b",
       "line 1, column 29: expected AND, OR or end of query, found 'b'"},
  });
}

TEST(ParseErrorTest, MultiLinePositions) {
  ExpectErrors({
      {"SELECT mean(v)\nFROM m\nWHERE a = 1 AND b = \n  GROUP BY time(1m)",
       "line 4, column 3: expected a value (string, number, true, false or regular expression) "
       "after '=', found 'GROUP' (the value is missing)"},
      {"SELECT mean(v)\n  FROM m\n  WHERE device =~ /[/\n",
       "line 3, column 19: expected a valid "
       "RE2 regular expression, found /[/ "
       "(missing ]: [)"},
      {"SELECT v\r\nFROM m\r\nLIMIT 0",
       "line 3, column 7: expected a positive integer after "
       "LIMIT, found '0'"},
      {"SELECT v\nFROM m\n\n\n  WHERE\ttime > 'x'",
       "line 5, column 16: invalid time 'x': expected a date YYYY-MM-DD (expected RFC3339 like "
       "'2026-01-01T00:00:00Z')"},
      {"SELECT\n  a,\n  mean(b)\nFROM m",
       "line 3, column 3: cannot mix aggregates and raw "
       "fields in one SELECT; expected a raw field like the "
       "first item, found aggregate 'mean(b)'"},
  });
}

TEST(ParseErrorTest, QueryTooLong) {
  ParseOptions options = TestOptions();
  options.max_query_bytes = 10;
  absl::StatusOr<Statement> s = Parse("SELECT v FROM m", options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(),
            "line 1, column 1: expected a query of at most 10 bytes, found 15 bytes");
}

}  // namespace
}  // namespace telemdb::query::lang
