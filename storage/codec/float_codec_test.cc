#include "storage/codec/float_codec.h"

#include <cfloat>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/codec/alp.h"
#include "storage/codec/testing/codec_test_util.h"
#include "util/status_matchers.h"

namespace telemdb::storage::codec {
namespace {

using ::telemdb::testing::StatusIs;
using testing::DecimalWalk;
using testing::DoubleFromBits;
using testing::SameBits;

constexpr FloatCodec kAllCodecs[] = {FloatCodec::kAlp, FloatCodec::kGorilla, FloatCodec::kRawZstd};

// Round-trips `v` through every codec and through the automatic choice; returns the size of
// the automatic choice.
size_t RoundTripAll(const std::vector<double>& v) {
  std::vector<int64_t> scratch;
  for (FloatCodec codec : kAllCodecs) {
    std::string enc;
    EncodeFloatsWith(codec, v.data(), v.size(), 3, &enc);
    std::vector<double> out(v.size());
    EXPECT_OK(DecodeFloats(static_cast<uint8_t>(codec), enc, v.size(), out.data(), &scratch));
    EXPECT_TRUE(SameBits(out, v)) << "codec " << static_cast<int>(codec);
  }
  std::string enc;
  const FloatCodec codec = EncodeFloats(v.data(), v.size(), 3, &enc);
  std::vector<double> out(v.size());
  EXPECT_OK(DecodeFloats(static_cast<uint8_t>(codec), enc, v.size(), out.data(), &scratch));
  EXPECT_TRUE(SameBits(out, v));
  return enc.size();
}

std::vector<double> EdgeValues() {
  const double inf = std::numeric_limits<double>::infinity();
  return {0.0,
          -0.0,
          std::numeric_limits<double>::quiet_NaN(),
          -std::numeric_limits<double>::quiet_NaN(),
          DoubleFromBits(0x7ff0000000000001),  // signalling NaN
          DoubleFromBits(0x7ff8dead0000beef),  // NaN with a payload
          DoubleFromBits(0xfff0000000000abc),
          inf,
          -inf,
          DBL_MAX,
          -DBL_MAX,
          DBL_MIN,
          -DBL_MIN,
          std::numeric_limits<double>::denorm_min(),
          -std::numeric_limits<double>::denorm_min(),
          DoubleFromBits(0x000fffffffffffff),  // largest denormal
          1e300,
          1e-300,
          36.807,
          36.806999999999995,
          0.1,
          0.30000000000000004,
          9007199254740993.0,
          -1234567.125,
          2251799813685248.0,  // 2^51, the scaling limit
          4503599627370496.5};
}

TEST(FloatCodecTest, EdgeValuesRoundTripBitExactly) {
  std::vector<double> v = EdgeValues();
  RoundTripAll(v);
  // Also embedded in decimal data, so that ALP (not Gorilla) carries them as exceptions.
  std::vector<double> mixed = DecimalWalk(2000, 2, -50, 50, 1.0);
  for (size_t i = 0; i < v.size(); i++) mixed[i * 70 + 3] = v[i];
  RoundTripAll(mixed);
  std::string enc;
  EXPECT_EQ(EncodeFloats(mixed.data(), mixed.size(), 3, &enc), FloatCodec::kAlp);
}

TEST(FloatCodecTest, SingleValues) {
  for (double d : EdgeValues()) RoundTripAll({d});
}

TEST(FloatCodecTest, AllSameAndAlternating) {
  EXPECT_LT(RoundTripAll(std::vector<double>(10000, 21.5)), 40u);
  EXPECT_LT(RoundTripAll(std::vector<double>(10000, std::nan(""))), 200u);
  std::vector<double> alt(10000);
  for (size_t i = 0; i < alt.size(); i++) alt[i] = (i % 2) ? 1.25 : -7.5;
  EXPECT_LT(RoundTripAll(alt), 10000u / 4);
  for (size_t i = 0; i < alt.size(); i++) alt[i] = (i % 2) ? -0.0 : 0.0;
  RoundTripAll(alt);
}

TEST(FloatCodecTest, RandomBits) {
  std::mt19937_64 rng(9);
  std::vector<double> v(5000);
  for (auto& d : v) d = DoubleFromBits(rng());
  const size_t size = RoundTripAll(v);
  EXPECT_LE(size, v.size() * 8 + 64);  // incompressible data does not grow much
}

TEST(FloatCodecTest, HundredThousandPoints) {
  RoundTripAll(DecimalWalk(100000, 5, -90, 90, 0.001));
}

TEST(FloatCodecTest, DecimalDataPicksAlpWithTheRightExponent) {
  for (int decimals = 0; decimals <= 8; decimals++) {
    const std::vector<double> v = DecimalWalk(4096, decimals, 0, 100, 0.5, decimals + 1);
    const AlpPlan plan = AlpAnalyze(v.data(), SampleRuns(v.size(), 4, 64));
    EXPECT_EQ(plan.exponent, decimals);
    std::string enc;
    EXPECT_EQ(EncodeFloats(v.data(), v.size(), 3, &enc), FloatCodec::kAlp);
    // log2(step * 10^d) + sign bit + a little overhead per value.
    EXPECT_LT(enc.size() * 8.0 / v.size(), std::log2(1.0 * std::pow(10, decimals)) + 3.0);
    RoundTripAll(v);
  }
}

TEST(FloatCodecTest, ArtefactsCostFewBits) {
  // Every value a float artefact one ULP off its 3-decimal neighbour.
  std::vector<double> v = DecimalWalk(4096, 3, 0, 100, 0.5);
  for (double& d : v) d = std::nextafter(d, 1000.0);
  const size_t size = RoundTripAll(v);
  EXPECT_LT(size * 8.0 / v.size(), 22.0);  // not 64+ per exception
}

TEST(FloatCodecTest, TruncationAndTrailingBytesAreDataLoss) {
  const std::vector<double> v = DecimalWalk(700, 2, 0, 100, 1.0);
  std::vector<int64_t> scratch;
  std::vector<double> out(v.size());
  for (FloatCodec codec : kAllCodecs) {
    std::string enc;
    EncodeFloatsWith(codec, v.data(), v.size(), 3, &enc);
    for (size_t len = 0; len < enc.size(); len += 1 + len / 50) {
      EXPECT_THAT(DecodeFloats(static_cast<uint8_t>(codec), std::string_view(enc.data(), len),
                               v.size(), out.data(), &scratch),
                  StatusIs(absl::StatusCode::kDataLoss))
          << static_cast<int>(codec) << " len " << len;
    }
    EXPECT_THAT(
        DecodeFloats(static_cast<uint8_t>(codec), enc + "x", v.size(), out.data(), &scratch),
        StatusIs(absl::StatusCode::kDataLoss));
  }
  EXPECT_THAT(DecodeFloats(99, "", 1, out.data(), &scratch), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace telemdb::storage::codec
