#include "cli/output/value_format.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <random>

#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::cli {
namespace {

std::string D(double v) {
  std::string s;
  AppendDouble(v, &s);
  return s;
}
std::string T(int64_t ns, TimeUnit u = TimeUnit::kRfc3339) {
  std::string s;
  AppendTime(ns, u, &s);
  return s;
}

TEST(ValueFormatTest, DoublesAreShortestRoundTrip) {
  EXPECT_EQ(D(53.2), "53.2");
  EXPECT_EQ(D(5), "5");
  EXPECT_EQ(D(-0.1), "-0.1");
  EXPECT_EQ(D(1e21), "1e+21");
  EXPECT_EQ(D(NAN), "NaN");
  EXPECT_EQ(D(INFINITY), "Inf");
  EXPECT_EQ(D(-INFINITY), "-Inf");
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; i++) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    std::string s = D(v);
    double back = 0;
    std::from_chars(s.data(), s.data() + s.size(), back);
    ASSERT_EQ(back, v) << s;
  }
}

TEST(ValueFormatTest, Rfc3339) {
  EXPECT_EQ(T(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(T(1767225600000000000), "2026-01-01T00:00:00Z");
  EXPECT_EQ(T(1767225600250000000), "2026-01-01T00:00:00.25Z");
  EXPECT_EQ(T(1767225600000000001), "2026-01-01T00:00:00.000000001Z");
  EXPECT_EQ(T(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(T(951782400000000000), "2000-02-29T00:00:00Z");
  EXPECT_EQ(T(std::numeric_limits<int64_t>::max()), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(T(std::numeric_limits<int64_t>::min()), "1677-09-21T00:12:43.145224192Z");
}

TEST(ValueFormatTest, EpochUnitsRoundTowardsThePast) {
  EXPECT_EQ(T(1500, TimeUnit::kNanoseconds), "1500");
  EXPECT_EQ(T(1999999, TimeUnit::kMilliseconds), "1");
  EXPECT_EQ(T(-1, TimeUnit::kMilliseconds), "-1");
  EXPECT_EQ(T(1767225600999999999, TimeUnit::kSeconds), "1767225600");
}

TEST(ValueFormatTest, CsvQuotesOnlyWhenNeeded) {
  auto c = [](std::string_view s) {
    std::string out;
    AppendCsvCell(s, &out);
    return out;
  };
  EXPECT_EQ(c("East"), "East");
  EXPECT_EQ(c("a b"), "a b");
  EXPECT_EQ(c("a,b"), "\"a,b\"");
  EXPECT_EQ(c("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(c("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(c(""), "");
}

TEST(ValueFormatTest, JsonStrings) {
  std::string out;
  AppendJsonString("a\"b\\c\n\x01\xc3\xa9", &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
}

TEST(ValueFormatTest, TimeArguments) {
  EXPECT_EQ(*ParseTimeArg("2026-01-01T00:00:00Z"), 1767225600000000000);
  EXPECT_EQ(*ParseTimeArg("2026-01-01"), 1767225600000000000);
  EXPECT_EQ(*ParseTimeArg("2026-01-01T02:00:00.5+02:00"), 1767225600500000000);
  EXPECT_EQ(*ParseTimeArg("2026-01-01 00:00:01"), 1767225601000000000);
  EXPECT_EQ(*ParseTimeArg("42"), 42);
  EXPECT_FALSE(ParseTimeArg("yesterday").ok());
  EXPECT_EQ(*ParseTimeUnit("ms"), TimeUnit::kMilliseconds);
  EXPECT_FALSE(ParseTimeUnit("h").ok());
}

}  // namespace
}  // namespace telemdb::cli
