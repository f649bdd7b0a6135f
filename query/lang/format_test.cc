#include "query/lang/format.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/lang/parser.h"
#include "query/lang/parser_test_util.h"

namespace telemdb::query::lang {
namespace {

std::string Canonical(std::string_view query) {
  absl::StatusOr<Statement> s = ParseQuery(query);
  EXPECT_TRUE(s.ok()) << query << ": " << s.status();
  return s.ok() ? Format(*s) : "";
}

TEST(FormatTest, CanonicalSelect) {
  EXPECT_EQ(Canonical("select avg(v) as \"m\" from m where a='x' group by time(60m, 0s) ,dev "
                      "fill(NULL) order by time asc;"),
            "SELECT mean(v) AS m FROM m WHERE a = 'x' GROUP BY time(1h), dev FILL(null)");
  EXPECT_EQ(Canonical("SELECT derivative(mean(v), 1s), derivative(max(v), 60s), integral(v, 1000ms)"
                      " FROM m GROUP BY time(90s, -30s) FILL(-1) ORDER BY time DESC LIMIT 5 "
                      "SLIMIT 1"),
            "SELECT derivative(mean(v)), derivative(max(v), 1m), integral(v) FROM m GROUP BY "
            "time(1m30s, -30s) FILL(-1) ORDER BY time DESC LIMIT 5 SLIMIT 1");
  EXPECT_EQ(Canonical("SELECT percentile(v, 99.5), moving_average(sum(v), 3) FROM m GROUP BY "
                      "time(1m) FILL(0.25)"),
            "SELECT percentile(v, 99.5), moving_average(sum(v), 3) FROM m GROUP BY time(1m) "
            "FILL(0.25)");
  EXPECT_EQ(Canonical("SELECT *, rate(c) AS r FROM m"), "SELECT *, rate(c) AS r FROM m");
}

TEST(FormatTest, Conditions) {
  EXPECT_EQ(Canonical("SELECT v FROM m WHERE a <> 'x' AND b =~ /a\\/b/ AND c !~ /\\d/ AND "
                      "d > -1.50 AND e = 3 AND f = TRUE AND g < 1e2"),
            "SELECT v FROM m WHERE a != 'x' AND b =~ /a\\/b/ AND c !~ /\\d/ AND d > -1.5 AND "
            "e = 3 AND f = true AND g < 100.0");
  EXPECT_EQ(Canonical("SELECT v FROM m WHERE a = 1 OR b = 2 AND c = 3"),
            "SELECT v FROM m WHERE a = 1 OR (b = 2 AND c = 3)");
  EXPECT_EQ(Canonical("SELECT v FROM m WHERE (a = 1 OR b = 2) AND c = 3"),
            "SELECT v FROM m WHERE (a = 1 OR b = 2) AND c = 3");
  EXPECT_EQ(Canonical("SELECT v FROM m WHERE time >= now() - 1h AND time < 1767225600s"),
            "SELECT v FROM m WHERE time >= '2025-12-31T23:00:00Z' AND time < "
            "'2026-01-01T00:00:00Z'");
  EXPECT_EQ(Canonical("SELECT v FROM m WHERE time = 1"),
            "SELECT v FROM m WHERE time = '1970-01-01T00:00:00.000000001Z'");
}

TEST(FormatTest, OtherStatements) {
  EXPECT_EQ(Canonical("delete from m"), "DELETE FROM m");
  EXPECT_EQ(Canonical("delete from m where a = 'x' and time < 0"),
            "DELETE FROM m WHERE a = 'x' AND time < '1970-01-01T00:00:00Z'");
  EXPECT_EQ(Canonical("show measurements;"), "SHOW MEASUREMENTS");
  EXPECT_EQ(Canonical("show fields from m"), "SHOW FIELD KEYS FROM m");
  EXPECT_EQ(Canonical("show field keys"), "SHOW FIELD KEYS");
  EXPECT_EQ(Canonical("show tag keys from \"a b\""), "SHOW TAG KEYS FROM \"a b\"");
  EXPECT_EQ(Canonical("show tag values with key = 'k'"), "SHOW TAG VALUES WITH KEY = k");
  EXPECT_EQ(Canonical("show series from m where a =~ /x/"), "SHOW SERIES FROM m WHERE a =~ /x/");
}

TEST(FormatTest, Identifiers) {
  EXPECT_EQ(FormatIdentifier("velocity"), "velocity");
  EXPECT_EQ(FormatIdentifier("_a1"), "_a1");
  EXPECT_EQ(FormatIdentifier("status"), "status");
  EXPECT_EQ(FormatIdentifier("1a"), "\"1a\"");
  EXPECT_EQ(FormatIdentifier("a b"), "\"a b\"");
  EXPECT_EQ(FormatIdentifier("a.b"), "\"a.b\"");
  EXPECT_EQ(FormatIdentifier("select"), "\"select\"");
  EXPECT_EQ(FormatIdentifier("Time"), "\"Time\"");
  EXPECT_EQ(FormatIdentifier("say \"hi\" \\o/"), R"("say \"hi\" \\o/")");
  EXPECT_EQ(FormatIdentifier("µ"), "\"µ\"");
  EXPECT_EQ(FormatString("it's \\"), R"('it\'s \\')");
}

TEST(FormatTest, ReservedWords) {
  for (const char* word : {"SELECT", "from", "Where", "AND", "or", "GROUP", "BY", "FILL", "ORDER",
                           "LIMIT", "SLIMIT", "AS", "ASC", "DESC", "DELETE", "SHOW"}) {
    EXPECT_TRUE(IsReservedWord(word)) << word;
    EXPECT_EQ(FormatIdentifier(word), std::string("\"") + word + "\"");
  }
  for (const char* word : {"time", "now", "true", "name", "status", "value", "count", "mean",
                           "series", "tag", "key", "with", "fields", "measurements", "none"}) {
    EXPECT_FALSE(IsReservedWord(word)) << word;
  }
}

TEST(FormatTest, Literals) {
  Literal l;
  l.kind = Literal::Kind::kFloat;
  l.number = 3;
  EXPECT_EQ(FormatLiteral(l), "3.0");
  l.number = 1e300;
  EXPECT_EQ(FormatLiteral(l), "1e+300");
  l.number = 0.1;
  EXPECT_EQ(FormatLiteral(l), "0.1");
  l.kind = Literal::Kind::kRegex;
  l.text = "a/b\\/c\\d";
  EXPECT_EQ(FormatLiteral(l), "/a\\/b\\/c\\d/");
}

TEST(FormatTest, RoundTrips) {
  const char* queries[] = {
      "SELECT status, name, round FROM t",
      "SELECT mean(\"value\") FROM \"my measurement\"",
      "SELECT \"time\", \"select\" AS \"from\" FROM \"where\" GROUP BY \"time\", \"by\"",
      "SELECT * FROM m WHERE \"a \\\"q\\\"\" = 'it\\'s' AND b =~ /x\\/y\\\\/ ORDER BY time DESC",
      "SELECT count(v), sum(v), mean(v), avg(v), min(v), max(v), first(v), last(v), spread(v), "
      "stddev(v), median(v), percentile(v, 12.5), integral(v, 1m), distinct(v) FROM m",
      "SELECT rate(a), derivative(b, 1h), difference(c), moving_average(d, 10) FROM m",
      "SELECT rate(mean(a)), derivative(max(b), 1h), difference(min(c)), "
      "moving_average(median(d), 10) FROM m GROUP BY time(1m, 10s), x FILL(linear) LIMIT 2",
      "SELECT v FROM m WHERE x > -0.0 AND y < 1e-300 AND z = 123456789012345678 AND w > 1.7e308",
      "SELECT v FROM m WHERE (a = 1 OR (b = 2 AND (c = 3 OR d = 4))) AND time >= now() - 1d",
      "SELECT mean(v) FROM m GROUP BY time(1w2d3h4m5s6ms7us8ns) FILL(-9.75e-3)",
      "SELECT v FROM m WHERE time >= '1677-09-21T00:12:43.145224192Z' AND time <= "
      "9223372036854775807",
      "SELECT v FROM m WHERE s = 'multi\nline' AND \"new\nline\" = 'x'",
      "SELECT v FROM m WHERE f = 9876543210987654000.0",
      "DELETE FROM m WHERE time < now() - 52w",
      "SHOW SERIES WHERE a = 'b' OR c =~ /d/",
      "SHOW TAG VALUES FROM \"m m\" WITH KEY = \"k k\"",
  };
  for (const char* q : queries) ExpectRoundTrip(q);
}

}  // namespace
}  // namespace telemdb::query::lang
