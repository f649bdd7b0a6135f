// Each function, fill policy and select-list rule on small hand-made data with known answers.
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "query/engine/engine_test_util.h"
#include "query/lang/parser.h"

namespace telemdb::query::testing {
namespace {

using storage::Value;
using ::telemdb::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Column c of group g as strings ("null", "1.5", "'a'", ...).
std::vector<std::string> Col(const CollectingSink& s, size_t g, size_t c) {
  std::vector<std::string> out;
  const auto groups = s.Groups();
  if (g >= groups.size()) return out;
  for (size_t r = 0; r < groups[g].rows(); r++) out.push_back(groups[g].columns[c].DebugString(r));
  return out;
}

std::vector<int64_t> Times(const CollectingSink& s, size_t g = 0) {
  const auto groups = s.Groups();
  return g < groups.size() ? groups[g].time : std::vector<int64_t>();
}

std::string At(int64_t offset_ns) { return absl::StrCat(kT0 + offset_ns); }

class FunctionsTest : public EngineTest {
 protected:
  // Writes float field `v` of series dev=`dev` at kT0 + ts_s[k] seconds.
  void Floats(const std::string& dev, const std::vector<int64_t>& ts_s,
              const std::vector<double>& v, const std::string& field = "v") {
    std::vector<Row> rows;
    for (size_t k = 0; k < ts_s.size(); k++) {
      rows.push_back({kT0 + ts_s[k] * kSec, {{field, Value::Float(v[k])}}});
    }
    Write("m", {{"dev", dev}}, rows);
  }
  std::string Range(int64_t from_s, int64_t to_s) {
    return absl::StrCat(" WHERE time >= ", At(from_s * kSec), " AND time < ", At(to_s * kSec));
  }
};

TEST_F(FunctionsTest, PercentileAndMedianInterpolateBetweenClosestRanks) {
  Floats("a", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
  auto s =
      Run("SELECT percentile(v, 25), median(v), percentile(v, 0), percentile(v, 100), "
          "percentile(v, 99.9) FROM m");
  EXPECT_THAT(Col(s, 0, 0), ElementsAre("3.25"));  // rank 2.25 between 3 and 4
  EXPECT_THAT(Col(s, 0, 1), ElementsAre("5.5"));
  EXPECT_THAT(Col(s, 0, 2), ElementsAre("1"));
  EXPECT_THAT(Col(s, 0, 3), ElementsAre("10"));
  EXPECT_DOUBLE_EQ(s.Groups()[0].columns[4].floats[0], 9.991);  // rank 8.991
  EXPECT_EQ(s.schema().columns, (std::vector<std::string>{"percentile", "median", "percentile_1",
                                                          "percentile_2", "percentile_3"}));
}

TEST_F(FunctionsTest, StddevIsSampleAndNullForOnePoint) {
  Floats("a", {0, 1, 2, 3, 4, 5, 6, 7, 60}, {2, 4, 4, 4, 5, 5, 7, 9, 3});
  auto s = Run("SELECT stddev(v), count(v) FROM m" + Range(0, 120) + " GROUP BY time(1m)");
  const auto g = s.Groups();
  ASSERT_EQ(g.size(), 1u);
  ASSERT_EQ(g[0].rows(), 2u);
  EXPECT_DOUBLE_EQ(g[0].columns[0].floats[0], std::sqrt(32.0 / 7));
  EXPECT_TRUE(g[0].columns[0].IsNull(1));  // one point: null, but the bucket is there
  EXPECT_EQ(g[0].columns[1].ints[1], 1);
}

TEST_F(FunctionsTest, IntegralIsTrapezoidsInsideEachBucket) {
  Floats("a", {0, 10, 20}, {0, 10, 10});
  auto whole = Run("SELECT integral(v), integral(v, 1m) FROM m");
  EXPECT_THAT(Col(whole, 0, 0), ElementsAre("150"));
  EXPECT_THAT(Col(whole, 0, 1), ElementsAre("2.5"));
  // Buckets [0, 15) and [15, 30): nothing is interpolated across the edge.
  auto split = Run("SELECT integral(v) FROM m" + Range(0, 30) + " GROUP BY time(15s)");
  EXPECT_THAT(Col(split, 0, 0), ElementsAre("50", "0"));
  // Two series in a group: their integrals add up; no trapezoid joins the series.
  Floats("b", {0, 10}, {1, 1});
  auto both = Run("SELECT integral(v) FROM m" + Range(0, 15));
  EXPECT_THAT(Col(both, 0, 0), ElementsAre("60"));
}

TEST_F(FunctionsTest, RateTreatsADecreaseAsAResetAndIsNeverNegative) {
  Floats("a", {0, 10, 20, 30}, {10, 20, 5, 15});
  auto s = Run("SELECT rate(v) FROM m");
  EXPECT_THAT(Col(s, 0, 0), ElementsAre("null", "1", "0.5", "1"));
  auto b = Run("SELECT rate(max(v)) FROM m" + Range(0, 40) + " GROUP BY time(10s)");
  EXPECT_THAT(Col(b, 0, 0), ElementsAre("null", "1", "0.5", "1"));
}

TEST_F(FunctionsTest, DerivativeDifferenceMovingAverage) {
  Floats("a", {0, 30, 60, 90}, {0, 30, 15, 15});
  auto s =
      Run("SELECT derivative(v, 1m), derivative(v), difference(v), moving_average(v, 2) FROM m");
  EXPECT_THAT(Col(s, 0, 0), ElementsAre("null", "60", "-30", "0"));
  EXPECT_THAT(Col(s, 0, 1), ElementsAre("null", "1", "-0.5", "0"));
  EXPECT_THAT(Col(s, 0, 2), ElementsAre("null", "30", "-15", "0"));
  EXPECT_THAT(Col(s, 0, 3), ElementsAre("null", "15", "22.5", "15"));
  Write("m", {{"dev", "a"}}, {{kT0, {{"n", Value::Int(5)}}}, {kT0 + kSec, {{"n", Value::Int(3)}}}});
  auto d = Run("SELECT difference(n) FROM m");
  EXPECT_EQ(d.schema().types[0], storage::ValueType::kInt);
  EXPECT_THAT(Col(d, 0, 0), ElementsAre("null", "-2"));
}

TEST_F(FunctionsTest, StringsAndBools) {
  Write("m", {{"dev", "a"}},
        {{kT0, {{"s", Value::String("b")}, {"ok", Value::Bool(true)}}},
         {kT0 + kSec, {{"s", Value::String("a")}, {"ok", Value::Bool(false)}}},
         {kT0 + 2 * kSec, {{"s", Value::String("b")}}}});
  auto s = Run("SELECT count(s), first(s), last(s), count(ok), first(ok), last(ok) FROM m");
  EXPECT_THAT(Col(s, 0, 0), ElementsAre("3"));
  EXPECT_THAT(Col(s, 0, 1), ElementsAre("'b'"));
  EXPECT_THAT(Col(s, 0, 2), ElementsAre("'b'"));
  EXPECT_THAT(Col(s, 0, 4), ElementsAre("true"));
  EXPECT_THAT(Col(s, 0, 5), ElementsAre("false"));
  auto d = Run("SELECT distinct(s) FROM m");
  EXPECT_THAT(Col(d, 0, 0), ElementsAre("'a'", "'b'"));
  auto db = Run("SELECT distinct(ok) FROM m");
  EXPECT_THAT(Col(db, 0, 0), ElementsAre("false", "true"));
  for (const char* q : {"SELECT mean(s) FROM m", "SELECT sum(ok) FROM m", "SELECT max(s) FROM m",
                        "SELECT stddev(ok) FROM m", "SELECT percentile(s, 5) FROM m"}) {
    absl::Status st = RunStatus(q);
    EXPECT_THAT(st, StatusIs(absl::StatusCode::kInvalidArgument)) << q;
    EXPECT_THAT(std::string(st.message()),
                ::testing::AnyOf(HasSubstr("field s"), HasSubstr("field ok")));
  }
  EXPECT_THAT(RunStatus("SELECT derivative(first(s)) FROM m GROUP BY time(1m)"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs numbers")));
}

TEST_F(FunctionsTest, IntFields) {
  Write("m", {{"dev", "a"}}, {{kT0, {{"n", Value::Int(3)}}}, {kT0 + kSec, {{"n", Value::Int(4)}}}});
  auto s = Run("SELECT sum(n), mean(n), min(n), max(n), spread(n), first(n) FROM m");
  const std::vector<storage::ValueType> want = {
      storage::ValueType::kInt, storage::ValueType::kFloat, storage::ValueType::kInt,
      storage::ValueType::kInt, storage::ValueType::kInt,   storage::ValueType::kInt};
  EXPECT_EQ(s.schema().types, want);
  EXPECT_THAT(Col(s, 0, 0), ElementsAre("7"));
  EXPECT_THAT(Col(s, 0, 1), ElementsAre("3.5"));
  // An int sum leaving int64 is an error, not a wrap or a float.
  Write("m", {{"dev", "b"}},
        {{kT0, {{"n", Value::Int(std::numeric_limits<int64_t>::max())}}},
         {kT0 + kSec, {{"n", Value::Int(std::numeric_limits<int64_t>::max())}}}});
  EXPECT_THAT(RunStatus("SELECT sum(n) FROM m"),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("overflows int64")));
  // ... while the mean of the same points is exact.
  auto m = Run("SELECT mean(n) FROM m WHERE dev = 'b'");
  EXPECT_EQ(m.Groups()[0].columns[0].floats[0], 9223372036854775807.0);
}

TEST_F(FunctionsTest, IntAndFloatSeriesOfOneFieldAggregateAsFloat) {
  Write("m", {{"dev", "a"}}, {{kT0, {{"x", Value::Int(2)}}}});
  Write("m", {{"dev", "b"}}, {{kT0 + kSec, {{"x", Value::Float(0.5)}}}});
  auto s = Run("SELECT sum(x), max(x) FROM m");
  EXPECT_EQ(s.schema().types[0], storage::ValueType::kFloat);
  EXPECT_THAT(Col(s, 0, 0), ElementsAre("2.5"));
  EXPECT_THAT(Col(s, 0, 1), ElementsAre("2"));
}

TEST_F(FunctionsTest, NanIsIgnoredByMinMaxAndPercentile) {
  Floats("a", {0, 1, 2}, {1, std::numeric_limits<double>::quiet_NaN(), 3});
  auto s = Run("SELECT min(v), max(v), median(v), count(v), sum(v) FROM m");
  EXPECT_THAT(Col(s, 0, 0), ElementsAre("1"));
  EXPECT_THAT(Col(s, 0, 1), ElementsAre("3"));
  EXPECT_THAT(Col(s, 0, 2), ElementsAre("2"));
  EXPECT_THAT(Col(s, 0, 3), ElementsAre("3"));
  EXPECT_THAT(Col(s, 0, 4), ElementsAre("nan"));
}

TEST_F(FunctionsTest, FillPolicies) {
  Floats("a", {0, 1, 180, 181}, {1, 3, 10, 20});  // buckets 0 and 3 of 0..4 (1-minute)
  const std::string base = "SELECT mean(v), count(v) FROM m" + Range(0, 300) + " GROUP BY time(1m)";
  auto none = Run(base);  // the default is none
  EXPECT_EQ(Times(none), (std::vector<int64_t>{kT0, kT0 + 3 * kMinute}));
  EXPECT_EQ(Run(base + " FILL(none)").Groups()[0].rows(), 2u);
  auto null = Run(base + " FILL(null)");
  EXPECT_THAT(Col(null, 0, 0), ElementsAre("2", "null", "null", "15", "null"));
  auto prev = Run(base + " FILL(previous)");
  EXPECT_THAT(Col(prev, 0, 0), ElementsAre("2", "2", "2", "15", "15"));
  EXPECT_THAT(Col(prev, 0, 1), ElementsAre("2", "2", "2", "2", "2"));
  auto lin = Run(base + " FILL(linear)");
  const auto lg = lin.Groups();
  ASSERT_EQ(lg[0].rows(), 5u);
  EXPECT_NEAR(lg[0].columns[0].floats[1], 2 + 13.0 / 3, 1e-12);
  EXPECT_NEAR(lg[0].columns[0].floats[2], 2 + 26.0 / 3, 1e-12);
  EXPECT_TRUE(lg[0].columns[0].IsNull(4));                       // nothing to interpolate towards
  EXPECT_EQ(lin.schema().types[1], storage::ValueType::kFloat);  // counts interpolate as floats
  auto zero = Run(base + " FILL(0)");
  EXPECT_THAT(Col(zero, 0, 1), ElementsAre("2", "0", "0", "2", "0"));
  EXPECT_EQ(zero.schema().types[1], storage::ValueType::kInt);
  auto frac = Run(base + " FILL(-1.5)");
  EXPECT_THAT(Col(frac, 0, 1), ElementsAre("2", "-1.5", "-1.5", "2", "-1.5"));
  // Without a range start or end, filling stops at the group's first and last bucket.
  auto open = Run("SELECT mean(v) FROM m GROUP BY time(1m) FILL(null)");
  EXPECT_EQ(open.Groups()[0].rows(), 4u);
}

TEST_F(FunctionsTest, FillNullIsDistinguishedFromNoFillOnlyThroughText) {
  Floats("a", {0, 180}, {1, 2});
  lang::ParseOptions popts;
  auto stmt =
      lang::Parse("SELECT mean(v) FROM m" + Range(0, 240) + " GROUP BY time(1m) FILL(null)", popts);
  ASSERT_OK(stmt.status());
  CollectingSink sink;
  Context ctx;
  ASSERT_OK(Execute(*stmt, *querier_, ExecOptions(), ctx, sink, nullptr));
  EXPECT_EQ(sink.Groups()[0].rows(), 4u);  // FILL(null): empty buckets are null rows
  auto none = lang::Parse("SELECT mean(v) FROM m" + Range(0, 240) + " GROUP BY time(1m)", popts);
  ASSERT_OK(none.status());
  CollectingSink sink2;
  ASSERT_OK(Execute(*none, *querier_, ExecOptions(), ctx, sink2, nullptr));
  EXPECT_EQ(sink2.Groups()[0].rows(), 2u);  // no FILL: empty buckets are omitted
}

TEST_F(FunctionsTest, BucketsAlignToTheEpochPlusOffset) {
  Floats("a", {0, 20 * 60, 50 * 60}, {1, 2, 3});
  auto s = Run("SELECT count(v) FROM m GROUP BY time(1h, 15m)");
  EXPECT_EQ(Times(s), (std::vector<int64_t>{kT0 - 45 * kMinute, kT0 + 15 * kMinute}));
  EXPECT_THAT(Col(s, 0, 0), ElementsAre("1", "2"));
  auto neg = Run("SELECT count(v) FROM m GROUP BY time(1h, -15m)");
  EXPECT_EQ(Times(neg), (std::vector<int64_t>{kT0 - 15 * kMinute, kT0 + 45 * kMinute}));
  // A range starting mid-bucket still labels the bucket by its aligned start.
  auto mid = Run("SELECT count(v) FROM m" + Range(10 * 60, 3600) + " GROUP BY time(30m)");
  EXPECT_EQ(Times(mid), (std::vector<int64_t>{kT0, kT0 + 30 * kMinute}));
  EXPECT_THAT(Col(mid, 0, 0), ElementsAre("1", "1"));
}

TEST_F(FunctionsTest, FirstLastAndRowTimeWithoutGroupByTime) {
  Floats("a", {10, 20}, {1, 2});
  Floats("b", {5, 20}, {7, 8});
  for (bool cache : {true, false}) {
    ExecOptions o;
    o.use_last_cache = cache;
    QueryStats st;
    auto last = Run("SELECT last(v) FROM m", &st, o);
    EXPECT_EQ(Times(last), (std::vector<int64_t>{kT0 + 20 * kSec}));
    EXPECT_THAT(Col(last, 0, 0), ElementsAre("8"));  // tie at 20 s: the larger value, as InfluxDB
    EXPECT_EQ(st.last_cache_hits, cache ? 2u : 0u);
    auto first = Run("SELECT first(v) FROM m", nullptr, o);
    EXPECT_EQ(Times(first), (std::vector<int64_t>{kT0 + 5 * kSec}));
    // Several items: the row carries the range start (or the epoch without one).
    auto two = Run("SELECT last(v), count(v) FROM m" + Range(0, 60), nullptr, o);
    EXPECT_EQ(Times(two), (std::vector<int64_t>{kT0}));
    auto open = Run("SELECT last(v), first(v) FROM m", nullptr, o);
    EXPECT_EQ(Times(open), (std::vector<int64_t>{0}));
    // A range ending before the cached last point falls back to a scan.
    auto early = Run("SELECT last(v) FROM m" + Range(0, 15), nullptr, o);
    EXPECT_THAT(Col(early, 0, 0), ElementsAre("1"));
    EXPECT_EQ(Times(early), (std::vector<int64_t>{kT0 + 10 * kSec}));
  }
}

TEST_F(FunctionsTest, GroupByTagsPutsSeriesLackingTheTagUnderEmpty) {
  Write("m", {{"dev", "a"}, {"line", "x"}}, {{kT0, {{"v", Value::Float(1)}}}});
  Write("m", {{"dev", "b"}}, {{kT0, {{"v", Value::Float(2)}}}});
  Write("m", {{"dev", "c"}, {"line", "x"}}, {{kT0, {{"v", Value::Float(4)}}}});
  auto s = Run("SELECT sum(v) FROM m GROUP BY line");
  const auto g = s.Groups();
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].group_values, std::vector<std::string>{""});
  EXPECT_EQ(g[1].group_values, std::vector<std::string>{"x"});
  EXPECT_THAT(Col(s, 1, 0), ElementsAre("5"));
  EXPECT_EQ(s.schema().group_by, std::vector<std::string>{"line"});
  // An aggregate covers every point of the group: fleet mean, not a mean of means.
  Write("m", {{"dev", "a"}, {"line", "x"}}, {{kT0 + kSec, {{"v", Value::Float(1)}}}});
  auto mean = Run("SELECT mean(v) FROM m WHERE line = 'x'");
  EXPECT_THAT(Col(mean, 0, 0), ElementsAre("2"));  // (1 + 1 + 4) / 3, not (1 + 4) / 2
}

TEST_F(FunctionsTest, RawSelectsJoinFieldsOnTimestamp) {
  Write("m", {{"dev", "a"}},
        {{kT0, {{"x", Value::Float(1)}, {"y", Value::Int(1)}}},
         {kT0 + kSec, {{"x", Value::Float(2)}}},
         {kT0 + 2 * kSec, {{"y", Value::Int(3)}, {"z", Value::String("q")}}}});
  auto s = Run("SELECT * FROM m");
  EXPECT_EQ(s.schema().columns, (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_THAT(Col(s, 0, 0), ElementsAre("1", "2", "null"));
  EXPECT_THAT(Col(s, 0, 1), ElementsAre("1", "null", "3"));
  EXPECT_THAT(Col(s, 0, 2), ElementsAre("null", "null", "'q'"));
  auto y = Run("SELECT y AS why FROM m ORDER BY time DESC LIMIT 1");
  EXPECT_EQ(y.schema().columns, std::vector<std::string>{"why"});
  EXPECT_THAT(Col(y, 0, 0), ElementsAre("3"));
  auto filtered = Run("SELECT x FROM m WHERE y > 0");  // y > 0 at t0 and t2; only t0 has x
  EXPECT_THAT(Col(filtered, 0, 0), ElementsAre("1"));
}

TEST_F(FunctionsTest, SchemaErrorsAndUnknownMeasurement) {
  Write("m", {{"dev", "a"}}, {{kT0, {{"v", Value::Float(1)}, {"s", Value::String("x")}}}});
  auto unknown = Run("SELECT mean(v) FROM nosuch WHERE foo = 'x' GROUP BY time(1m)");
  EXPECT_TRUE(unknown.frames().empty());
  EXPECT_EQ(unknown.schema().columns, std::vector<std::string>{"mean"});
  struct Case {
    const char* query;
    const char* message;
  };
  for (const Case& c : {
           Case{"SELECT mean(v) FROM m WHERE nosuch = 'x'", "unknown tag or field nosuch"},
           Case{"SELECT mean(v) FROM m WHERE s > 3", "cannot compare string field s"},
           Case{"SELECT mean(v) FROM m WHERE v = 'x'", "cannot compare float field v"},
           Case{"SELECT mean(v) FROM m WHERE v = true", "with a boolean"},
           Case{"SELECT mean(v) FROM m WHERE dev = 3", "tag dev"},
           Case{"SELECT mean(v) FROM m WHERE dev > 'a'", "tag dev"},
           Case{"SELECT mean(nosuch) FROM m", "has no field nosuch"},
           Case{"SELECT dev FROM m", "is a tag"},
           Case{"SELECT mean(v) FROM m GROUP BY s", "cannot GROUP BY s"},
           Case{"SELECT distinct(s), count(v) FROM m", "distinct()"},
           Case{"SELECT mean(v) FROM", "line 1"},
       }) {
    EXPECT_THAT(RunStatus(c.query),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.query;
  }
}

TEST_F(FunctionsTest, EmptyRangesAndTagPredicates) {
  Floats("a", {0, 1}, {1, 2});
  Floats("b", {0}, {5});
  Write("m", {{"dev", "c"}, {"line", "x"}}, {{kT0 + 50 * kSec, {{"w", Value::Float(1)}}}});
  EXPECT_TRUE(Run("SELECT mean(v) FROM m" + Range(10, 5)).frames().empty());
  EXPECT_TRUE(Run("SELECT mean(v) FROM m" + Range(100, 200)).frames().empty());
  EXPECT_TRUE(Run("SELECT v FROM m" + Range(100, 200)).frames().empty());
  EXPECT_THAT(Col(Run("SELECT count(v) FROM m WHERE dev = 'a' OR dev = 'b'"), 0, 0),
              ElementsAre("3"));
  EXPECT_THAT(Col(Run("SELECT count(v) FROM m WHERE dev != 'a'"), 0, 0), ElementsAre("1"));
  EXPECT_THAT(Col(Run("SELECT count(v) FROM m WHERE dev =~ /^a$/"), 0, 0), ElementsAre("2"));
  EXPECT_THAT(Col(Run("SELECT count(v) FROM m WHERE dev !~ /a/"), 0, 0), ElementsAre("1"));
  EXPECT_THAT(Col(Run("SELECT count(v) FROM m WHERE (dev = 'a' AND v > 1) OR dev = 'b'"), 0, 0),
              ElementsAre("2"));
  // A regex matching "" also selects series lacking the tag.
  EXPECT_THAT(Col(Run("SELECT count(v) FROM m WHERE line =~ /^$/ AND dev = 'b'"), 0, 0),
              ElementsAre("1"));
}

}  // namespace
}  // namespace telemdb::query::testing
