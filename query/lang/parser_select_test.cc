// SELECT statements: the select list, every function, GROUP BY, FILL, ORDER BY, LIMIT, SLIMIT.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/lang/parser.h"
#include "query/lang/parser_test_util.h"

namespace telemdb::query::lang {
namespace {

SelectItem Field(std::string name) {
  SelectItem item;
  item.field = std::move(name);
  return item;
}

Call MakeCall(Function f) {
  Call c;
  c.function = f;
  if (GetFunctionInfo(f).param == ParamKind::kUnit) c.unit_ns = kDefaultUnitNs;
  return c;
}

SelectItem Agg(Function f, std::string field) {
  SelectItem item = Field(std::move(field));
  item.aggregate = MakeCall(f);
  return item;
}

TEST(ParseSelectTest, RawFields) {
  const SelectStatement s = ParseSelectOk("SELECT velocity, temp FROM motors");
  EXPECT_EQ(s.measurement, "motors");
  ASSERT_EQ(s.items.size(), 2u);
  EXPECT_EQ(s.items[0], Field("velocity"));
  EXPECT_EQ(s.items[1], Field("temp"));
  EXPECT_FALSE(s.where.has_value());
  EXPECT_FALSE(s.group_by_time.has_value());
  EXPECT_TRUE(s.group_by_tags.empty());
  EXPECT_EQ(s.fill, Fill{});
  EXPECT_FALSE(s.descending);
  EXPECT_FALSE(s.limit.has_value());
  EXPECT_FALSE(s.slimit.has_value());
}

TEST(ParseSelectTest, Wildcard) {
  const SelectStatement s = ParseSelectOk("SELECT * FROM m");
  ASSERT_EQ(s.items.size(), 1u);
  EXPECT_TRUE(s.items[0].wildcard);
  EXPECT_TRUE(s.items[0].field.empty());
  EXPECT_EQ(ParseSelectOk("SELECT *, x FROM m").items.size(), 2u);
}

TEST(ParseSelectTest, KeywordLikeIdentifiers) {
  SelectStatement s = ParseSelectOk("SELECT status, name, round FROM t");
  ASSERT_EQ(s.items.size(), 3u);
  EXPECT_EQ(s.items[0], Field("status"));
  EXPECT_EQ(s.items[1], Field("name"));
  EXPECT_EQ(s.items[2], Field("round"));

  s = ParseSelectOk("SELECT mean(\"value\") FROM \"my measurement\"");
  EXPECT_EQ(s.items[0], Agg(Function::kMean, "value"));
  EXPECT_EQ(s.measurement, "my measurement");

  // Function names, `time`, `value`, `count` and contextual words are plain names where no
  // function call or clause is possible.
  s = ParseSelectOk(
      "SELECT count, mean, time, value, now, true, fill_level, key, series, tag FROM series");
  EXPECT_EQ(s.items.size(), 10u);
  EXPECT_EQ(s.items[0], Field("count"));
  EXPECT_EQ(s.items[2], Field("time"));
  EXPECT_EQ(s.measurement, "series");
  EXPECT_EQ(ParseSelectOk("SELECT count(count) FROM count").items[0],
            Agg(Function::kCount, "count"));

  // Reserved words work double-quoted, also as measurement and alias.
  s = ParseSelectOk(R"(SELECT "from", "select" AS "as" FROM "where")");
  EXPECT_EQ(s.items[0], Field("from"));
  EXPECT_EQ(s.items[1].alias, "as");
  EXPECT_EQ(s.measurement, "where");
  EXPECT_EQ(ParseSelectOk(R"(SELECT "say \"hi\"" FROM m)").items[0], Field("say \"hi\""));
}

TEST(ParseSelectTest, KeywordsAreCaseInsensitive) {
  EXPECT_EQ(ParseSelectOk("select MEAN(x) from m group BY TIME(1m) Fill(None) order by TIME desc"
                          " limit 3 sLimit 2"),
            ParseSelectOk("SELECT mean(x) FROM m GROUP BY time(1m) FILL(none) ORDER BY time DESC"
                          " LIMIT 3 SLIMIT 2"));
}

TEST(ParseSelectTest, EveryAggregate) {
  struct Case {
    const char* text;
    Function function;
  };
  const Case cases[] = {
      {"count", Function::kCount},       {"sum", Function::kSum},
      {"mean", Function::kMean},         {"avg", Function::kMean},
      {"min", Function::kMin},           {"max", Function::kMax},
      {"first", Function::kFirst},       {"last", Function::kLast},
      {"spread", Function::kSpread},     {"stddev", Function::kStddev},
      {"median", Function::kMedian},     {"distinct", Function::kDistinct},
      {"integral", Function::kIntegral},
  };
  for (const Case& c : cases) {
    const SelectStatement s = ParseSelectOk(std::string("SELECT ") + c.text + "(v) FROM m");
    ASSERT_EQ(s.items.size(), 1u) << c.text;
    EXPECT_EQ(s.items[0], Agg(c.function, "v")) << c.text;
    EXPECT_TRUE(s.items[0].aggregated());
  }
}

TEST(ParseSelectTest, AggregateParameters) {
  SelectStatement s = ParseSelectOk(
      "SELECT percentile(v, 99.9), percentile(v, 0), "
      "percentile(v, 100), integral(v, 1h) FROM m");
  ASSERT_EQ(s.items.size(), 4u);
  EXPECT_EQ(s.items[0].aggregate->function, Function::kPercentile);
  EXPECT_EQ(s.items[0].aggregate->percentile, 99.9);
  EXPECT_EQ(s.items[1].aggregate->percentile, 0);
  EXPECT_EQ(s.items[2].aggregate->percentile, 100);
  EXPECT_EQ(s.items[3].aggregate->unit_ns, kHour);
  // The default unit is explicit in the tree.
  s = ParseSelectOk("SELECT integral(v) FROM m");
  EXPECT_EQ(s.items[0].aggregate->unit_ns, kSecond);
}

TEST(ParseSelectTest, TransformsOverRawFields) {
  SelectStatement s = ParseSelectOk(
      "SELECT rate(counter), derivative(v), derivative(v, 1m), difference(v), "
      "moving_average(v, 5) FROM m");
  ASSERT_EQ(s.items.size(), 5u);
  for (const SelectItem& item : s.items) {
    EXPECT_FALSE(item.aggregated());
    EXPECT_TRUE(item.transform.has_value());
  }
  EXPECT_EQ(s.items[0].field, "counter");
  EXPECT_EQ(s.items[0].transform->function, Function::kRate);
  EXPECT_EQ(s.items[1].transform->unit_ns, kSecond);
  EXPECT_EQ(s.items[2].transform->unit_ns, kMinute);
  EXPECT_EQ(s.items[3].transform->function, Function::kDifference);
  EXPECT_EQ(s.items[4].transform->window, 5);
}

TEST(ParseSelectTest, TransformsOverAggregates) {
  const SelectStatement s = ParseSelectOk(
      "SELECT derivative(mean(velocity), 1m) AS accel, rate(max(counter)), "
      "moving_average(percentile(v, 95), 3), difference(sum(v)) FROM m GROUP BY time(1m)");
  ASSERT_EQ(s.items.size(), 4u);
  const SelectItem& d = s.items[0];
  EXPECT_EQ(d.field, "velocity");
  EXPECT_EQ(d.aggregate->function, Function::kMean);
  EXPECT_EQ(d.transform->function, Function::kDerivative);
  EXPECT_EQ(d.transform->unit_ns, kMinute);
  EXPECT_EQ(d.alias, "accel");
  EXPECT_TRUE(d.aggregated());
  EXPECT_EQ(s.items[2].aggregate->percentile, 95);
  EXPECT_EQ(s.items[2].transform->window, 3);
}

TEST(ParseSelectTest, Aliases) {
  const SelectStatement s =
      ParseSelectOk("SELECT v AS speed, w as \"the weight\", * AS everything FROM m");
  EXPECT_EQ(s.items[0].alias, "speed");
  EXPECT_EQ(s.items[1].alias, "the weight");
  EXPECT_EQ(s.items[2].alias, "everything");
}

TEST(ParseSelectTest, GroupByTime) {
  SelectStatement s = ParseSelectOk("SELECT mean(v) FROM m GROUP BY time(5m)");
  ASSERT_TRUE(s.group_by_time.has_value());
  EXPECT_EQ(s.group_by_time->interval_ns, 5 * kMinute);
  EXPECT_EQ(s.group_by_time->offset_ns, 0);

  s = ParseSelectOk("SELECT mean(v) FROM m GROUP BY time(1h, 15m), device, \"site id\"");
  EXPECT_EQ(s.group_by_time->interval_ns, kHour);
  EXPECT_EQ(s.group_by_time->offset_ns, 15 * kMinute);
  EXPECT_EQ(s.group_by_tags, (std::vector<std::string>{"device", "site id"}));

  s = ParseSelectOk("SELECT mean(v) FROM m GROUP BY time(1h30m, -15m)");
  EXPECT_EQ(s.group_by_time->interval_ns, 90 * kMinute);
  EXPECT_EQ(s.group_by_time->offset_ns, -15 * kMinute);

  // time(...) may come after tags; the tree is the same.
  EXPECT_EQ(ParseSelectOk("SELECT mean(v) FROM m GROUP BY device, time(1m)"),
            ParseSelectOk("SELECT mean(v) FROM m GROUP BY time(1m), device"));
}

TEST(ParseSelectTest, GroupByTagsOnly) {
  const SelectStatement s = ParseSelectOk("SELECT v FROM m GROUP BY device, line");
  EXPECT_FALSE(s.group_by_time.has_value());
  EXPECT_EQ(s.group_by_tags, (std::vector<std::string>{"device", "line"}));
  EXPECT_EQ(ParseSelectOk("SELECT max(v) FROM m GROUP BY device").group_by_tags.size(), 1u);
  // A tag named time must be quoted.
  EXPECT_EQ(ParseSelectOk("SELECT v FROM m GROUP BY \"time\"").group_by_tags[0], "time");
}

TEST(ParseSelectTest, Fill) {
  const auto fill = [](std::string_view clause) {
    return ParseSelectOk(std::string("SELECT mean(v) FROM m GROUP BY time(1m) ") +
                         std::string(clause))
        .fill;
  };
  EXPECT_EQ(fill(""), (Fill{FillMode::kNone, 0}));
  EXPECT_EQ(fill("FILL(null)"), (Fill{FillMode::kNull, 0}));
  EXPECT_EQ(fill("FILL(none)"), (Fill{FillMode::kNone, 0}));
  EXPECT_EQ(fill("FILL(previous)"), (Fill{FillMode::kPrevious, 0}));
  EXPECT_EQ(fill("FILL(linear)"), (Fill{FillMode::kLinear, 0}));
  EXPECT_EQ(fill("FILL(0)"), (Fill{FillMode::kValue, 0}));
  EXPECT_EQ(fill("FILL(-1)"), (Fill{FillMode::kValue, -1}));
  EXPECT_EQ(fill("FILL(-2.5e-1)"), (Fill{FillMode::kValue, -0.25}));
  EXPECT_EQ(fill("FILL(42.5)"), (Fill{FillMode::kValue, 42.5}));
}

TEST(ParseSelectTest, OrderLimitSlimit) {
  SelectStatement s = ParseSelectOk("SELECT v FROM m ORDER BY time DESC LIMIT 10 SLIMIT 2");
  EXPECT_TRUE(s.descending);
  EXPECT_EQ(s.limit, 10);
  EXPECT_EQ(s.slimit, 2);
  EXPECT_FALSE(ParseSelectOk("SELECT v FROM m ORDER BY time ASC").descending);
  EXPECT_FALSE(ParseSelectOk("SELECT v FROM m ORDER BY time").descending);
  s = ParseSelectOk("SELECT v FROM m SLIMIT 9223372036854775807");
  EXPECT_FALSE(s.limit.has_value());
  EXPECT_EQ(s.slimit, 9223372036854775807);
}

TEST(ParseSelectTest, EveryClauseTogether) {
  const SelectStatement s = ParseSelectOk(
      "SELECT max(temp) AS hottest FROM \"plant.motors\" WHERE line = 'A' AND time >= now() - 1h "
      "GROUP BY time(10m), device FILL(previous) ORDER BY time DESC LIMIT 100 SLIMIT 5;");
  EXPECT_EQ(s.items[0].alias, "hottest");
  EXPECT_EQ(s.measurement, "plant.motors");
  ASSERT_TRUE(s.where.has_value());
  EXPECT_EQ(s.where->kind, Condition::Kind::kAnd);
  EXPECT_EQ(s.group_by_time->interval_ns, 10 * kMinute);
  EXPECT_EQ(s.group_by_tags, (std::vector<std::string>{"device"}));
  EXPECT_EQ(s.fill.mode, FillMode::kPrevious);
  EXPECT_TRUE(s.descending);
  EXPECT_EQ(s.limit, 100);
  EXPECT_EQ(s.slimit, 5);
}

TEST(ParseSelectTest, SemicolonAndWhitespace) {
  const SelectStatement a = ParseSelectOk("SELECT v FROM m");
  EXPECT_EQ(ParseSelectOk("SELECT v FROM m;"), a);
  EXPECT_EQ(ParseSelectOk("  SELECT\n\tv\r\nFROM   m ;  \n"), a);
}

}  // namespace
}  // namespace telemdb::query::lang
