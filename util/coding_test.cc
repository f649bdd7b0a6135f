#include "util/coding.h"

#include <limits>
#include <random>

#include "gtest/gtest.h"

namespace telemdb {
namespace {

TEST(CodingTest, ZigZagRoundTripsExtremes) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(ZigZagDecode(ZigZagEncode(v)), v);
  }
  EXPECT_EQ(ZigZagEncode(-1), 1u);
  EXPECT_EQ(ZigZagEncode(1), 2u);
}

TEST(CodingTest, VarintRoundTripsAndRejectsTruncation) {
  std::mt19937_64 rng(1);
  std::string buf;
  std::vector<uint64_t> values = {0, 1, 127, 128, UINT64_MAX};
  for (int i = 0; i < 1000; i++) values.push_back(rng() >> (rng() % 64));
  for (uint64_t v : values) PutVarint64(&buf, v);
  ByteReader r(buf);
  for (uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(r.GetVarint64(&got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(r.empty());
  std::string cut;
  PutVarint64(&cut, UINT64_MAX);
  cut.pop_back();
  ByteReader r2(cut);
  uint64_t got;
  EXPECT_FALSE(r2.GetVarint64(&got));
  std::string overlong(11, '\x80');
  ByteReader r3(overlong);
  EXPECT_FALSE(r3.GetVarint64(&got));
}

TEST(CodingTest, BigEndianOrdersLikeIntegers) {
  char a[8], b[8];
  EncodeBigEndian64(a, OrderedFromInt64(-5));
  EncodeBigEndian64(b, OrderedFromInt64(3));
  EXPECT_LT(std::string(a, 8), std::string(b, 8));
  EXPECT_EQ(Int64FromOrdered(DecodeBigEndian64(a)), -5);
}

TEST(CodingTest, ReaderLengthPrefixedRejectsOverrun) {
  std::string buf;
  PutVarint64(&buf, 10);
  buf += "abc";
  ByteReader r(buf);
  std::string_view out;
  EXPECT_FALSE(r.GetLengthPrefixed(&out));
}

}  // namespace
}  // namespace telemdb
