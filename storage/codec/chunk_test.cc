#include "storage/codec/chunk.h"

#include <cfloat>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/codec/chunk_format.h"
#include "storage/codec/testing/codec_test_util.h"
#include "util/status_matchers.h"

namespace telemdb::storage::codec {
namespace {

using ::telemdb::testing::StatusIs;
using testing::DecimalWalk;
using testing::DoubleBits;
using testing::FloatColumns;
using testing::IntColumns;
using testing::RegularTimestamps;
using testing::SameColumns;
using testing::StringColumns;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kSecond = 1000000000;
constexpr int64_t kT0 = 1700000000 * kSecond;

std::string RoundTrip(const Columns& in) {
  auto enc = EncodeChunk(in);
  EXPECT_OK(enc);
  if (!enc.ok()) return "";
  Columns out;
  out.strings = {"stale"};
  EXPECT_OK(DecodeChunk(*enc, &out));
  EXPECT_TRUE(SameColumns(out, in));
  auto h = DecodeChunkHeader(*enc);
  EXPECT_OK(h);
  if (h.ok()) {
    EXPECT_EQ(h->count, in.size());
    EXPECT_EQ(h->min_ts, in.ts.front());
    EXPECT_EQ(h->max_ts, in.ts.back());
    EXPECT_EQ(h->format_version, kFormatVersion);
    EXPECT_EQ(h->type, in.type);
  }
  return *enc;
}

TEST(ChunkTest, FleetLikeFloats) {
  const size_t n = 8192;
  const std::string enc = RoundTrip(
      FloatColumns(RegularTimestamps(n, kT0, 10 * kSecond), DecimalWalk(n, 5, 40, 41, 0.0005)));
  EXPECT_LT(enc.size(), n * 2);  // lat/lon-like data: under 16 bits per point
}

TEST(ChunkTest, OnePoint) {
  RoundTrip(FloatColumns({kT0}, {3.25}));
  RoundTrip(FloatColumns({kMin}, {std::nan("")}));
  RoundTrip(IntColumns({kMax}, {kMin}));
  RoundTrip(IntColumns({0}, {1}, ValueType::kBool));
  RoundTrip(StringColumns({-1}, {""}));
}

TEST(ChunkTest, ExtremeTimestamps) {
  RoundTrip(FloatColumns({kMin, kMax}, {1, 2}));
  RoundTrip(FloatColumns({kMin, kMin + 1, 0, kMax - 1, kMax}, {1, 2, 3, 4, 5}));
  RoundTrip(IntColumns({kMin, -1, 0, 1, kMax}, {kMax, kMin, 0, kMax, kMin}));
  // Huge gaps between regular stretches.
  std::vector<int64_t> ts = RegularTimestamps(300, kMin + 5, 1);
  for (int64_t t : RegularTimestamps(300, 0, 1000)) ts.push_back(t);
  for (int64_t t : RegularTimestamps(300, kMax - 300 * 7, 7)) ts.push_back(t);
  RoundTrip(IntColumns(ts, std::vector<int64_t>(ts.size(), 3)));
}

TEST(ChunkTest, RegularTimestampsCostAlmostNothing) {
  const size_t n = 8192;
  const std::string enc =
      RoundTrip(IntColumns(RegularTimestamps(n, kT0, 10 * kSecond), std::vector<int64_t>(n, 5)));
  EXPECT_LT(enc.size(), 64u);  // header + ~0 bits per point
}

TEST(ChunkTest, JitteredTimestamps) {
  RoundTrip(FloatColumns(RegularTimestamps(5000, kT0, 10 * kSecond, kSecond / 3),
                         DecimalWalk(5000, 1, 0, 100, 0.5)));
}

TEST(ChunkTest, MaxPointsAndHundredThousand) {
  for (size_t n : {size_t{100000}, size_t{kMaxChunkPoints}}) {
    RoundTrip(FloatColumns(RegularTimestamps(n, kT0, kSecond, kSecond / 4),
                           DecimalWalk(n, 2, -10, 10, 0.1)));
  }
}

TEST(ChunkTest, Ints) {
  std::mt19937_64 rng(2);
  std::vector<int64_t> v(3000);
  for (auto& x : v) x = static_cast<int64_t>(rng());
  RoundTrip(IntColumns(RegularTimestamps(v.size(), kT0, kSecond), v));
  int64_t c = 0;
  for (auto& x : v) x = c += static_cast<int64_t>(rng() % 100);
  RoundTrip(IntColumns(RegularTimestamps(v.size(), kT0, kSecond), v));
}

TEST(ChunkTest, Bools) {
  std::mt19937_64 rng(4);
  std::vector<int64_t> random(1000), runs(1000), alternating(1000);
  for (size_t i = 0; i < 1000; i++) {
    random[i] = static_cast<int64_t>(rng() & 1);
    runs[i] = (i / 97) % 2;
    alternating[i] = i % 2;
  }
  const auto ts = RegularTimestamps(1000, kT0, kSecond);
  RoundTrip(IntColumns(ts, random, ValueType::kBool));
  const std::string enc = RoundTrip(IntColumns(ts, runs, ValueType::kBool));
  EXPECT_LT(enc.size(), 60u);
  RoundTrip(IntColumns(ts, alternating, ValueType::kBool));
  RoundTrip(IntColumns(ts, std::vector<int64_t>(1000, 1), ValueType::kBool));
}

TEST(ChunkTest, Strings) {
  const auto ts = RegularTimestamps(2000, kT0, kSecond);
  std::vector<std::string> few(2000), distinct(2000), odd(2000);
  std::mt19937_64 rng(6);
  for (size_t i = 0; i < 2000; i++) {
    few[i] = std::string("state-") + std::to_string(rng() % 4);
    distinct[i] = "id-" + std::to_string(rng());
    odd[i] = i % 3 == 0 ? "" : std::string(i % 300, static_cast<char>(i));
  }
  odd[7] = std::string(100000, 'x');
  odd[8] = std::string("\0\xff\n", 3);
  const std::string enc = RoundTrip(StringColumns(ts, few));
  EXPECT_LT(enc.size(), 2000u / 2);
  RoundTrip(StringColumns(ts, distinct));
  RoundTrip(StringColumns(ts, odd));
  RoundTrip(StringColumns({1, 2, 3}, {"", "", ""}));
}

TEST(ChunkTest, RejectsBadInput) {
  const auto invalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(EncodeChunk(FloatColumns({}, {})), StatusIs(invalid));
  EXPECT_THAT(EncodeChunk(FloatColumns({2, 1}, {1, 2})), StatusIs(invalid));
  EXPECT_THAT(EncodeChunk(FloatColumns({1, 1}, {1, 2})), StatusIs(invalid));
  EXPECT_THAT(EncodeChunk(FloatColumns({1, 2}, {1})), StatusIs(invalid));
  EXPECT_THAT(EncodeChunk(IntColumns({1, 2}, {0, 2}, ValueType::kBool)), StatusIs(invalid));
  Columns bad_type = FloatColumns({1}, {1});
  bad_type.type = static_cast<ValueType>(9);
  EXPECT_THAT(EncodeChunk(bad_type), StatusIs(invalid));
  const size_t n = kMaxChunkPoints + 1;
  EXPECT_THAT(EncodeChunk(FloatColumns(RegularTimestamps(n, 0, 1), std::vector<double>(n))),
              StatusIs(invalid));
}

TEST(ChunkTest, HeaderAggregatesMatchPlainLoop) {
  std::vector<double> v = DecimalWalk(1000, 3, -5, 5, 1);
  v[0] = std::nan("");
  v[10] = -std::numeric_limits<double>::infinity();
  v[999] = std::nan("");
  const Columns c = FloatColumns(RegularTimestamps(v.size(), kT0, kSecond), v);
  double sum = 0, mn = INFINITY, mx = -INFINITY;
  for (double x : v) {
    sum += x;
    if (!std::isnan(x)) mn = std::min(mn, x), mx = std::max(mx, x);
  }
  const std::string enc = RoundTrip(c);
  ASSERT_OK_AND_ASSIGN(ChunkHeader h, DecodeChunkHeader(enc));
  EXPECT_EQ(DoubleBits(h.fsum), DoubleBits(sum));
  EXPECT_EQ(h.fmin, mn);
  EXPECT_EQ(h.fmax, mx);
  EXPECT_TRUE(std::isnan(h.ffirst));
  EXPECT_TRUE(std::isnan(h.flast));
  const ChunkHeader computed = ComputeHeader(c);
  EXPECT_EQ(DoubleBits(computed.fsum), DoubleBits(h.fsum));
  EXPECT_EQ(computed.fmin, h.fmin);

  // Small chunks store no pre-aggregates (format 2); Aggregates() decodes and computes them
  // the way a reader must.
  auto Aggregates = [](const std::string& enc) -> ChunkHeader {
    auto hh = DecodeChunkHeader(enc);
    EXPECT_OK(hh);
    if (!hh.ok()) return ChunkHeader();
    EXPECT_FALSE(hh->has_aggregates);
    Columns cols;
    EXPECT_OK(DecodeChunk(enc, &cols));
    return ComputeHeader(cols);
  };
  // All NaN: min and max are NaN.
  ASSERT_OK_AND_ASSIGN(std::string all_nan, EncodeChunk(FloatColumns({1, 2}, {NAN, NAN})));
  h = Aggregates(all_nan);
  EXPECT_TRUE(std::isnan(h.fmin) && std::isnan(h.fmax));

  // Ints: sum, min, max, first, last; overflow flagged.
  ASSERT_OK_AND_ASSIGN(std::string ints, EncodeChunk(IntColumns({1, 2, 3, 4}, {5, -7, 11, 2})));
  h = Aggregates(ints);
  EXPECT_EQ(h.isum, 11);
  EXPECT_EQ(h.imin, -7);
  EXPECT_EQ(h.imax, 11);
  EXPECT_EQ(h.ifirst, 5);
  EXPECT_EQ(h.ilast, 2);
  EXPECT_FALSE(h.int_sum_overflowed);
  ASSERT_OK_AND_ASSIGN(ints, EncodeChunk(IntColumns({1, 2}, {kMax, 1})));
  h = Aggregates(ints);
  EXPECT_TRUE(h.int_sum_overflowed);
  ASSERT_OK_AND_ASSIGN(std::string bools,
                       EncodeChunk(IntColumns({1, 2, 3}, {1, 0, 1}, ValueType::kBool)));
  h = Aggregates(bools);
  EXPECT_EQ(h.isum, 2);
  EXPECT_EQ(h.type, ValueType::kBool);
}

TEST(ChunkTest, AggregatesStoredFromMinPoints) {
  for (uint32_t n : {kAggregatesMinPoints - 1, kAggregatesMinPoints}) {
    std::vector<int64_t> v(n, 3);
    v[0] = kMax;  // the sum overflows: flagged in stored aggregates
    ASSERT_OK_AND_ASSIGN(std::string enc,
                         EncodeChunk(IntColumns(RegularTimestamps(n, kT0, kSecond), v)));
    ASSERT_OK_AND_ASSIGN(ChunkHeader h, DecodeChunkHeader(enc));
    EXPECT_EQ(h.has_aggregates, n >= kAggregatesMinPoints) << n;
    if (h.has_aggregates) {
      EXPECT_TRUE(h.int_sum_overflowed);
      EXPECT_EQ(h.ifirst, kMax);
      EXPECT_EQ(h.ilast, 3);
      EXPECT_EQ(h.imin, 3);
    }
    Columns out;
    ASSERT_OK(DecodeChunk(enc, &out));
    EXPECT_EQ(out.ints, v);
  }
}

TEST(ChunkTest, HeaderIsCompact) {
  // A sparse series: 100 points, 1-decimal values.
  const std::string enc = RoundTrip(
      FloatColumns(RegularTimestamps(100, kT0, 60 * kSecond), DecimalWalk(100, 1, 0, 100, 1)));
  EXPECT_LT(enc.size(), 60u + 4 + 100);
}

}  // namespace
}  // namespace telemdb::storage::codec
