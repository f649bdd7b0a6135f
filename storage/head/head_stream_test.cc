#include "storage/head/head_stream.h"

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "gtest/gtest.h"

namespace telemdb::storage {
namespace {

void RoundTrip(HeadStream::Kind kind, const std::vector<int64_t>& ts,
               const std::vector<uint64_t>& bits) {
  HeadStream s(kind);
  for (size_t i = 0; i < ts.size(); i++) s.Append(ts[i], bits[i]);
  std::vector<int64_t> got_ts;
  std::vector<uint64_t> got_bits;
  s.Decode(&got_ts, &got_bits);
  ASSERT_EQ(got_ts, ts);
  ASSERT_EQ(got_bits.size(), bits.size());
  for (size_t i = 0; i < bits.size(); i++) ASSERT_EQ(got_bits[i], bits[i]) << "at " << i;
}

std::vector<uint64_t> FloatBits(const std::vector<double>& v) {
  std::vector<uint64_t> out;
  for (double d : v) out.push_back(std::bit_cast<uint64_t>(d));
  return out;
}

std::vector<int64_t> Regular(size_t n, int64_t start = 1'700'000'000'000'000'000,
                             int64_t step = 10'000'000'000) {
  std::vector<int64_t> ts;
  for (size_t i = 0; i < n; i++) ts.push_back(start + static_cast<int64_t>(i) * step);
  return ts;
}

TEST(HeadStreamTest, DecimalFloatsAreCompactAndExact) {
  std::mt19937_64 rng(1);
  std::vector<double> v;
  double x = 52.12345;
  for (int i = 0; i < 1000; i++) {
    x += static_cast<double>(static_cast<int>(rng() % 201) - 100) / 1e5;
    v.push_back(std::round(x * 1e5) / 1e5);
  }
  auto ts = Regular(v.size());
  RoundTrip(HeadStream::Kind::kFloat, ts, FloatBits(v));
  HeadStream s(HeadStream::Kind::kFloat);
  for (size_t i = 0; i < v.size(); i++) s.Append(ts[i], std::bit_cast<uint64_t>(v[i]));
  EXPECT_LT(s.heap_bytes(), v.size() * 3) << "a 5-decimal random walk should cost < 3 bytes/pt";
}

TEST(HeadStreamTest, AdversarialFloats) {
  std::vector<double> v = {0.0,
                           -0.0,
                           std::numeric_limits<double>::quiet_NaN(),
                           std::bit_cast<double>(0x7ff8dead00000001ULL),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::lowest(),
                           36.806999999999995,
                           36.807,
                           1e300,
                           1.5,
                           1.25,
                           1.125,
                           123456789012345.6,
                           -7.0};
  RoundTrip(HeadStream::Kind::kFloat, Regular(v.size()), FloatBits(v));
}

TEST(HeadStreamTest, RandomDoublesSwitchToXor) {
  std::mt19937_64 rng(2);
  std::vector<double> v;
  for (int i = 0; i < 500; i++) v.push_back(std::bit_cast<double>(rng()));
  RoundTrip(HeadStream::Kind::kFloat, Regular(v.size()), FloatBits(v));
  std::uniform_real_distribution<double> u(0, 1);
  v.clear();
  for (int i = 0; i < 500; i++) v.push_back(u(rng));
  RoundTrip(HeadStream::Kind::kFloat, Regular(v.size()), FloatBits(v));
}

TEST(HeadStreamTest, IntsAndExtremeTimestamps) {
  std::vector<int64_t> ts = {std::numeric_limits<int64_t>::min(),
                             -5,
                             0,
                             1,
                             2,
                             1'000'000'000,
                             std::numeric_limits<int64_t>::max() - 1,
                             std::numeric_limits<int64_t>::max()};
  std::vector<uint64_t> ints = {static_cast<uint64_t>(std::numeric_limits<int64_t>::min()),
                                static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
                                0,
                                1,
                                static_cast<uint64_t>(-1),
                                42,
                                42,
                                7};
  RoundTrip(HeadStream::Kind::kInt, ts, ints);
  std::mt19937_64 rng(3);
  std::vector<int64_t> jittered;
  std::vector<uint64_t> vals;
  int64_t t = 0;
  for (int i = 0; i < 2000; i++) {
    t += 1 + static_cast<int64_t>(rng() % 5'000'000'000ULL);
    jittered.push_back(t);
    vals.push_back(rng() >> (rng() % 64));
  }
  RoundTrip(HeadStream::Kind::kInt, jittered, vals);
}

TEST(HeadStreamTest, BoolsAndMove) {
  std::vector<uint64_t> b;
  for (int i = 0; i < 300; i++) b.push_back((i / 7) % 2);
  RoundTrip(HeadStream::Kind::kBool, Regular(b.size()), b);
  HeadStream a(HeadStream::Kind::kBool);
  a.Append(5, 1);
  HeadStream moved = std::move(a);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(moved.count(), 1u);
  moved.Append(6, 0);
  std::vector<int64_t> ts;
  std::vector<uint64_t> bits;
  moved.Decode(&ts, &bits);
  EXPECT_EQ(ts, (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(bits, (std::vector<uint64_t>{1, 0}));
}

}  // namespace
}  // namespace telemdb::storage
