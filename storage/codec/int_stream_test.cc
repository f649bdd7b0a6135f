#include "storage/codec/int_stream.h"

#include <algorithm>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/codec/chunk_format.h"
#include "util/status_matchers.h"

namespace telemdb::storage::codec {
namespace {

using ::telemdb::testing::StatusIs;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

std::string RoundTrip(const std::vector<int64_t>& v, bool store_base = true) {
  std::string enc;
  EncodeIntStream(v.data(), v.size(), store_base, &enc);
  std::vector<int64_t> out(v.size(), 42);
  ByteReader in(enc);
  std::optional<int64_t> base;
  if (!store_base && !v.empty()) base = v[0];
  EXPECT_OK(DecodeIntStream(&in, v.size(), base, out.data()));
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(out, v);
  return enc;
}

TEST(IntStreamTest, EmptyWritesNothing) { EXPECT_TRUE(RoundTrip({}).empty()); }

TEST(IntStreamTest, SmallSequences) {
  RoundTrip({5});
  RoundTrip({5}, false);
  RoundTrip({5, 7});
  RoundTrip({5, 7, 9});
  RoundTrip({-1, 1, -1, 1});
}

TEST(IntStreamTest, RegularSequenceCostsAlmostNothing) {
  std::vector<int64_t> ts(8192);
  for (size_t i = 0; i < ts.size(); i++) ts[i] = 1600000000000000000 + i * 10000000000LL;
  const std::string enc = RoundTrip(ts, /*store_base=*/false);
  EXPECT_LE(enc.size(), 12u);
  EXPECT_NE(enc[0] & kIntStreamSparse, 0);
}

TEST(IntStreamTest, GcdRemovesPrecisionZeros) {
  // Second-precision timestamps in ns with a few seconds of jitter.
  std::mt19937_64 rng(3);
  std::vector<int64_t> ts(4096);
  int64_t t = 1600000000000000000;
  for (auto& x : ts) {
    t += (10 + static_cast<int64_t>(rng() % 5) - 2) * 1000000000LL;
    x = t;
  }
  const std::string enc = RoundTrip(ts, false);
  EXPECT_LT(enc.size(), ts.size() / 2);  // ~3 bits per point, not ~33
}

TEST(IntStreamTest, Extremes) {
  RoundTrip({kMin, kMax});
  RoundTrip({kMax, kMin, kMax, kMin, 0, -1, 1});
  RoundTrip({kMin, kMin + 1, kMax - 1, kMax});
  RoundTrip({kMin, 0});  // difference exactly 2^63
  RoundTrip({0, kMin, 0, kMin});
  std::vector<int64_t> alt(1000);
  for (size_t i = 0; i < alt.size(); i++) alt[i] = (i % 2) ? kMax : kMin;
  RoundTrip(alt);
  RoundTrip(alt, false);
}

TEST(IntStreamTest, RandomAtManyScales) {
  std::mt19937_64 rng(11);
  for (int shift = 0; shift < 64; shift += 5) {
    for (size_t n : {size_t{2}, size_t{129}, size_t{1000}, size_t{100000}}) {
      std::vector<int64_t> v(n);
      for (auto& x : v) x = static_cast<int64_t>(rng()) >> shift;
      RoundTrip(v);
    }
  }
}

TEST(IntStreamTest, CountersWalksAndSpikes) {
  std::mt19937_64 rng(5);
  std::vector<int64_t> counter(5000), walk(5000), spikes(5000, 7), multiples(5000);
  int64_t c = 0, w = 0;
  for (size_t i = 0; i < 5000; i++) {
    c += 1000 + static_cast<int64_t>(rng() % 3);
    counter[i] = c;
    w += static_cast<int64_t>(rng() % 11) - 5;
    walk[i] = w;
    if (rng() % 500 == 0) spikes[i] = static_cast<int64_t>(rng());
    multiples[i] = static_cast<int64_t>(rng() % 1000) * 100;
  }
  RoundTrip(counter);
  RoundTrip(walk);
  RoundTrip(spikes);
  const std::string enc = RoundTrip(multiples);
  EXPECT_LT(enc.size(), 5000u * 10 / 8 + 200);  // GCD 100 leaves 10 bits per value
}

TEST(IntStreamTest, TruncationIsDataLoss) {
  std::vector<int64_t> v(300);
  for (size_t i = 0; i < v.size(); i++) v[i] = static_cast<int64_t>(i * i * 7919 % 10007);
  std::string enc;
  EncodeIntStream(v.data(), v.size(), true, &enc);
  std::vector<int64_t> out(v.size());
  for (size_t len = 0; len < enc.size(); len++) {
    ByteReader in(enc.data(), len);
    EXPECT_THAT(DecodeIntStream(&in, v.size(), std::nullopt, out.data()),
                StatusIs(absl::StatusCode::kDataLoss))
        << len;
  }
}

TEST(IntStreamTest, BadModeIsDataLoss) {
  std::vector<int64_t> out(4);
  for (char mode : {'\x03', '\x04', '\x08', '\xff'}) {
    std::string enc = std::string(1, mode) + std::string(20, '\0');
    ByteReader in(enc);
    EXPECT_THAT(DecodeIntStream(&in, 4, std::nullopt, out.data()),
                StatusIs(absl::StatusCode::kDataLoss));
  }
}

// Meter timestamps: a 900 s grid with +-5 s of jitter and missed readings (doubled deltas).
std::vector<int64_t> MeterTimestamps(size_t n, uint64_t seed, int missed_every) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> ts;
  for (size_t i = 0; ts.size() < n; i++) {
    if (missed_every > 0 && i % missed_every == 7) continue;
    ts.push_back(1767268800000000000 +
                 (static_cast<int64_t>(i) * 900 + static_cast<int64_t>(rng() % 11) - 5) *
                     1000000000LL);
  }
  return ts;
}

TEST(IntStreamTest, PatchedLayoutCutsOutliers) {
  // 48 timestamps with one missed reading: the doubled delta is patched out, so the deltas
  // keep ~5 bits (not 11).
  const std::vector<int64_t> ts = MeterTimestamps(48, 5, 40);
  const std::string enc = RoundTrip(ts, /*store_base=*/false);
  EXPECT_EQ(enc[0] & kIntStreamPatched, kIntStreamPatched);
  EXPECT_LT(enc.size(), 48u * 6 / 8 + 16);
  // Every order, several outliers at both ends, at many lengths; values at the edges.
  std::mt19937_64 rng(11);
  for (size_t n : {8, 9, 17, 64, 127, 128, 129, 300, 1024}) {
    for (int missed : {3, 10, 40}) RoundTrip(MeterTimestamps(n, n, missed), false);
    std::vector<int64_t> v(n);
    for (auto& x : v) x = static_cast<int64_t>(rng() % 16);
    v[n / 2] = kMax;
    v[n / 3] = kMin;
    v[n - 1] = 1 << 20;
    RoundTrip(v);
    RoundTrip(v, false);
  }
}

TEST(IntStreamTest, PatchedLayoutDamageIsDataLoss) {
  const std::vector<int64_t> ts = MeterTimestamps(48, 5, 40);
  std::string enc;
  EncodeIntStream(ts.data(), ts.size(), /*store_base=*/true, &enc);
  ASSERT_EQ(enc[0] & kIntStreamPatched, kIntStreamPatched);
  std::vector<int64_t> out(ts.size());
  for (size_t len = 0; len < enc.size(); len++) {
    ByteReader in(enc.data(), len);
    EXPECT_THAT(DecodeIntStream(&in, ts.size(), std::nullopt, out.data()),
                StatusIs(absl::StatusCode::kDataLoss))
        << len;
  }
  // Patched together with sparse or entropy, or nested, is not a valid mode.
  for (char mode : {'\x15', '\x19', '\x1f', '\x20'}) {
    std::string bad = std::string(1, mode) + std::string(20, '\0');
    ByteReader in(bad);
    EXPECT_THAT(DecodeIntStream(&in, 4, std::nullopt, out.data()),
                StatusIs(absl::StatusCode::kDataLoss));
  }
  // Any single flipped byte either fails or decodes to something; never reads outside.
  for (size_t i = 0; i < enc.size(); i++) {
    std::string flipped = enc;
    flipped[i] ^= 0x5a;
    ByteReader in(flipped);
    (void)DecodeIntStream(&in, ts.size(), std::nullopt, out.data());
  }
}

// A compass heading: a walk of +-20 degrees per step that wraps at 360. Deltas span 41 values
// (5.4 bits of entropy) except at a wrap; bit-packing would pay 10 bits in every block that
// holds one.
std::vector<int64_t> HeadingWalk(size_t n, int step, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> v(n);
  int64_t h = 180;
  for (auto& x : v) {
    h = (h + static_cast<int64_t>(rng() % (2 * step + 1)) - step + 360) % 360;
    x = h;
  }
  return v;
}

TEST(IntStreamTest, EntropyLayoutBeatsWholeBitsPerBlock) {
  const std::vector<int64_t> heading = HeadingWalk(8192, 20, 7);
  const std::string enc = RoundTrip(heading);
  EXPECT_NE(enc[0] & kIntStreamEntropy, 0);
  EXPECT_LT(enc.size(), heading.size() * 6 / 8);  // under 6 bits per value

  // One byte plane: a walk of +-3 (7 values, 2.8 bits) packs in 3 bits per value.
  std::mt19937_64 rng(8);
  std::vector<int64_t> grade(8192);
  int64_t g = 50;
  for (auto& x : grade) {
    g = std::clamp<int64_t>(g + static_cast<int64_t>(rng() % 7) - 3, 0, 100);
    x = g;
  }
  const std::string enc1 = RoundTrip(grade);
  EXPECT_NE(enc1[0] & kIntStreamEntropy, 0);
  EXPECT_LT(enc1.size(), grade.size() * 3 / 8);

  // Too few values for zstd's overhead, or too wide a range: never chosen.
  const std::string small = RoundTrip(HeadingWalk(kIntStreamEntropyMinValues - 1, 20, 9));
  EXPECT_EQ(small[0] & kIntStreamEntropy, 0);
  std::vector<int64_t> wide = HeadingWalk(4096, 20, 10);
  for (size_t i = 0; i < wide.size(); i++) wide[i] += (i % 2) * 100000;
  EXPECT_EQ(RoundTrip(wide)[0] & kIntStreamEntropy, 0);
}

// Bytes written by the encoder when the entropy layout was introduced (order 1, one plane, a
// zstd frame that found the sequence's period): any later encoder must still read them.
TEST(IntStreamTest, EntropyGoldenBytesDecode) {
  const std::string golden(
      "\x09\xd6\x0f\x01\x03\x01\x1a\x28\xb5\x2f\xfd\x60\x2b\x00\x85\x00\x00\x48\x00\x03\x05"
      "\x06\x06\x05\x03\x00\x05\x01\x00\x1f\x54\xcb\x11",
      33);
  std::vector<int64_t> want(300);
  int64_t s = 1000;
  for (int i = 0; i < 300; i++) {
    s += static_cast<int64_t>((i * i * 31 + 7) % 9) - 4;
    want[i] = s;
  }
  std::vector<int64_t> out(want.size());
  ByteReader in(golden);
  ASSERT_OK(DecodeIntStream(&in, want.size(), std::nullopt, out.data()));
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(out, want);
}

TEST(IntStreamTest, EntropyLayoutDamageIsDataLoss) {
  const std::vector<int64_t> v = HeadingWalk(1000, 20, 11);
  std::string enc;
  EncodeIntStream(v.data(), v.size(), true, &enc);
  ASSERT_NE(enc[0] & kIntStreamEntropy, 0);
  std::vector<int64_t> out(v.size());
  for (size_t len = 0; len < enc.size(); len++) {
    ByteReader in(enc.data(), len);
    EXPECT_THAT(DecodeIntStream(&in, v.size(), std::nullopt, out.data()),
                StatusIs(absl::StatusCode::kDataLoss))
        << len;
  }
  // The same bytes read as a longer or shorter stream: the frames hold the wrong size.
  for (size_t n : {v.size() - 1, v.size() + 1}) {
    std::vector<int64_t> other(n);
    ByteReader in(enc);
    EXPECT_THAT(DecodeIntStream(&in, n, std::nullopt, other.data()),
                StatusIs(absl::StatusCode::kDataLoss))
        << n;
  }
  // Entropy combined with sparse is no layout.
  std::string both = enc;
  both[0] = static_cast<char>(both[0] | kIntStreamSparse);
  ByteReader in(both);
  EXPECT_THAT(DecodeIntStream(&in, v.size(), std::nullopt, out.data()),
              StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace telemdb::storage::codec
