#include "query/lang/time_literal.h"

#include <cstdint>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::query::lang {
namespace {

using ::telemdb::testing::StatusIs;

constexpr int64_t kSecond = kNanosPerSecond;
constexpr int64_t k2026 = 1'767'225'600 * kSecond;  // 2026-01-01T00:00:00Z

TEST(DurationTest, EveryUnit) {
  EXPECT_EQ(*ParseDuration("7ns"), 7);
  EXPECT_EQ(*ParseDuration("7us"), 7'000);
  EXPECT_EQ(*ParseDuration("7µs"), 7'000);         // U+00B5
  EXPECT_EQ(*ParseDuration("7\xCE\xBCs"), 7'000);  // U+03BC
  EXPECT_EQ(*ParseDuration("7ms"), 7'000'000);
  EXPECT_EQ(*ParseDuration("7s"), 7 * kSecond);
  EXPECT_EQ(*ParseDuration("7m"), 7 * 60 * kSecond);
  EXPECT_EQ(*ParseDuration("7h"), 7 * 3600 * kSecond);
  EXPECT_EQ(*ParseDuration("7d"), 7 * 86400 * kSecond);
  EXPECT_EQ(*ParseDuration("7w"), 7 * 7 * 86400 * kSecond);
}

TEST(DurationTest, Combined) {
  EXPECT_EQ(*ParseDuration("1h30m"), 5400 * kSecond);
  EXPECT_EQ(*ParseDuration("1d12h"), 36 * 3600 * kSecond);
  EXPECT_EQ(*ParseDuration("1s500ms"), 1'500'000'000);
  EXPECT_EQ(*ParseDuration("0s"), 0);
}

TEST(DurationTest, Errors) {
  EXPECT_THAT(ParseDuration("5"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ParseDuration("5").status().message(),
            "invalid duration '5': missing unit (expected one of ns, us, µs, ms, s, m, h, d, w)");
  EXPECT_EQ(ParseDuration("5H").status().message(),
            "invalid duration '5H': unknown unit 'H' (expected one of ns, us, µs, ms, s, m, h, "
            "d, w)");
  EXPECT_EQ(ParseDuration("h").status().message(),
            "invalid duration 'h': expected digits before each unit");
  EXPECT_EQ(ParseDuration("99999999999h").status().message(),
            "invalid duration '99999999999h': out of range");
  EXPECT_EQ(ParseDuration("99999999999999999999ns").status().message(),
            "invalid duration '99999999999999999999ns': out of range");
}

TEST(DurationTest, FormatIsCanonicalAndParses) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(5400 * kSecond), "1h30m");
  EXPECT_EQ(FormatDuration(8 * 86400 * kSecond), "1w1d");
  EXPECT_EQ(FormatDuration(1'500'000'001), "1s500ms1ns");
  EXPECT_EQ(FormatDuration(-15 * 60 * kSecond), "-15m");
  EXPECT_EQ(FormatDuration(std::numeric_limits<int64_t>::min()).substr(0, 1), "-");
  for (int64_t ns : {int64_t{1}, int64_t{999}, int64_t{61} * kSecond, int64_t{1} << 62,
                     std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(*ParseDuration(FormatDuration(ns)), ns) << ns;
  }
}

TEST(Rfc3339Test, Forms) {
  EXPECT_EQ(*ParseRfc3339("2026-01-01T00:00:00Z"), k2026);
  EXPECT_EQ(*ParseRfc3339("2026-01-01t00:00:00z"), k2026);
  EXPECT_EQ(*ParseRfc3339("2026-01-01 00:00:00"), k2026);
  EXPECT_EQ(*ParseRfc3339("2026-01-01"), k2026);
  EXPECT_EQ(*ParseRfc3339("2026-01-01T00:00:00.5Z"), k2026 + 500'000'000);
  EXPECT_EQ(*ParseRfc3339("2026-01-01T00:00:00.000000001Z"), k2026 + 1);
  EXPECT_EQ(*ParseRfc3339("2026-01-01T02:00:00+02:00"), k2026);
  EXPECT_EQ(*ParseRfc3339("2025-12-31T19:30:00-04:30"), k2026);
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseRfc3339("1969-12-31T23:59:59.999999999Z"), -1);
  EXPECT_EQ(*ParseRfc3339("2024-02-29T12:00:00Z"), 1'709'208'000 * kSecond);
}

TEST(Rfc3339Test, Range) {
  EXPECT_EQ(*ParseRfc3339("2262-04-11T23:47:16.854775807Z"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(*ParseRfc3339("1677-09-21T00:12:43.145224192Z"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(ParseRfc3339("2262-04-11T23:47:16.854775808Z").status().message(),
            "invalid time '2262-04-11T23:47:16.854775808Z': outside the representable range "
            "1677-09-21..2262-04-11 (expected RFC3339 like '2026-01-01T00:00:00Z')");
}

TEST(Rfc3339Test, Errors) {
  const auto why = [](std::string_view text) {
    absl::StatusOr<int64_t> t = ParseRfc3339(text);
    EXPECT_THAT(t, StatusIs(absl::StatusCode::kInvalidArgument));
    return t.ok() ? std::string("OK") : std::string(t.status().message());
  };
  EXPECT_EQ(why("yesterday"),
            "invalid time 'yesterday': expected a date YYYY-MM-DD (expected RFC3339 like "
            "'2026-01-01T00:00:00Z')");
  EXPECT_THAT(why("2026-13-01"), ::testing::HasSubstr("month out of range"));
  EXPECT_THAT(why("2025-02-29"), ::testing::HasSubstr("day out of range"));
  EXPECT_THAT(why("2026-01-01T24:00:00Z"), ::testing::HasSubstr("time of day out of range"));
  EXPECT_THAT(why("2026-01-01T00:00Z"), ::testing::HasSubstr("expected a time of day HH:MM:SS"));
  EXPECT_THAT(why("2026-01-01X00:00:00Z"), ::testing::HasSubstr("expected 'T' after the date"));
  EXPECT_THAT(why("2026-01-01T00:00:00.Z"), ::testing::HasSubstr("expected digits after '.'"));
  EXPECT_THAT(why("2026-01-01T00:00:00.1234567891Z"),
              ::testing::HasSubstr("more than 9 fractional digits"));
  EXPECT_THAT(why("2026-01-01T00:00:00+0200"),
              ::testing::HasSubstr("expected a zone offset like +02:00"));
  EXPECT_THAT(why("2026-01-01T00:00:00UTC"),
              ::testing::HasSubstr("expected 'Z' or a zone offset like +02:00"));
  EXPECT_THAT(why("2026-01-01T00:00:00Z "), ::testing::HasSubstr("unexpected text after the time"));
}

TEST(Rfc3339Test, FormatRoundTrips) {
  EXPECT_EQ(FormatRfc3339(k2026), "2026-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(k2026 + 500'000'000), "2026-01-01T00:00:00.5Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  for (int64_t ns : {int64_t{0}, int64_t{-1}, k2026 + 123, int64_t{951'782'400} * kSecond,
                     std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(*ParseRfc3339(FormatRfc3339(ns)), ns) << ns;
  }
}

}  // namespace
}  // namespace telemdb::query::lang
