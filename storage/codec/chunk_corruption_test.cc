// Corrupt chunks: every single-byte flip and every truncation must be DataLoss, and random
// bytes behind a valid CRC must give a clean error or a well-formed decode.
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/codec/chunk.h"
#include "storage/codec/testing/codec_test_util.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/status_matchers.h"

namespace telemdb::storage::codec {
namespace {

using ::telemdb::testing::StatusIs;
using testing::DecimalWalk;
using testing::FloatColumns;
using testing::IntColumns;
using testing::RegularTimestamps;
using testing::StringColumns;

constexpr int64_t kSecond = 1000000000;

std::vector<std::string> SampleChunks() {
  std::vector<Columns> cols;
  const auto ts = RegularTimestamps(300, 1700000000 * kSecond, 10 * kSecond, kSecond);
  std::vector<double> artefacts = DecimalWalk(300, 3, 0, 50, 1);
  for (size_t i = 0; i < artefacts.size(); i += 3) artefacts[i] = std::nextafter(artefacts[i], 99);
  cols.push_back(FloatColumns(ts, DecimalWalk(300, 2, 0, 100, 1)));  // ALP
  cols.push_back(FloatColumns(ts, artefacts));                       // ALP with exceptions
  std::vector<double> noisy(300);
  std::mt19937_64 rng(1);
  for (auto& d : noisy) d = testing::DoubleFromBits((rng() >> 12) | 0x4000000000000000);
  cols.push_back(FloatColumns(ts, noisy));  // Gorilla or raw
  std::vector<double> periodic(1024);
  for (size_t i = 0; i < periodic.size(); i++) periodic[i] = (i % 2) ? 1.25 : -7.5;
  cols.push_back(FloatColumns(RegularTimestamps(1024, 0, 1), periodic));
  std::vector<int64_t> ints(300), bools(300);
  for (size_t i = 0; i < 300; i++) {
    ints[i] = static_cast<int64_t>(i * i) - 5000;
    bools[i] = (i / 7) % 2;
  }
  cols.push_back(IntColumns(ts, ints));
  cols.push_back(IntColumns(ts, bools, ValueType::kBool));
  for (size_t i = 0; i < 300; i++) bools[i] = (rng() & 1);
  cols.push_back(IntColumns(ts, bools, ValueType::kBool));
  std::vector<std::string> strings(300), distinct(300);
  for (size_t i = 0; i < 300; i++) {
    strings[i] = "s" + std::to_string(i % 5);
    distinct[i] = std::to_string(rng());
  }
  cols.push_back(StringColumns(ts, strings));
  cols.push_back(StringColumns(ts, distinct));
  cols.push_back(FloatColumns({5}, {1}));
  std::vector<std::string> out;
  for (const Columns& c : cols) {
    auto enc = EncodeChunk(c);
    EXPECT_OK(enc);
    if (enc.ok()) out.push_back(*enc);
  }
  return out;
}

void FixCrc(std::string* chunk) {
  if (chunk->size() < 4) return;
  EncodeFixed32(chunk->data() + chunk->size() - 4, crc32c::Value(chunk->data(), chunk->size() - 4));
}

// A successful decode must still honour the Columns contract.
void ExpectWellFormed(const Columns& c) {
  for (size_t i = 1; i < c.ts.size(); i++) ASSERT_LT(c.ts[i - 1], c.ts[i]);
  switch (c.type) {
    case ValueType::kFloat:
      EXPECT_EQ(c.floats.size(), c.ts.size());
      EXPECT_TRUE(c.ints.empty() && c.strings.empty());
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      EXPECT_EQ(c.ints.size(), c.ts.size());
      break;
    case ValueType::kString:
      EXPECT_EQ(c.strings.size(), c.ts.size());
      break;
  }
  if (c.type == ValueType::kBool) {
    for (int64_t v : c.ints) ASSERT_TRUE(v == 0 || v == 1);
  }
}

TEST(ChunkCorruptionTest, EverySingleByteFlipIsDataLoss) {
  Columns out;
  for (const std::string& chunk : SampleChunks()) {
    for (size_t i = 0; i < chunk.size(); i++) {
      for (uint8_t mask : {0x01, 0x80, 0xff}) {
        std::string bad = chunk;
        bad[i] = static_cast<char>(bad[i] ^ mask);
        ASSERT_THAT(DecodeChunk(bad, &out), StatusIs(absl::StatusCode::kDataLoss)) << i;
        ASSERT_THAT(DecodeChunkHeader(bad), StatusIs(absl::StatusCode::kDataLoss)) << i;
      }
    }
  }
}

TEST(ChunkCorruptionTest, TruncationIsDataLoss) {
  Columns out;
  for (const std::string& chunk : SampleChunks()) {
    for (size_t len = 0; len < chunk.size(); len++) {
      std::string cut = chunk.substr(0, len);
      ASSERT_THAT(DecodeChunk(cut, &out), StatusIs(absl::StatusCode::kDataLoss)) << len;
      // Even with its CRC made valid again, a truncated chunk does not parse.
      FixCrc(&cut);
      ASSERT_THAT(DecodeChunk(cut, &out), StatusIs(absl::StatusCode::kDataLoss)) << len;
    }
  }
}

TEST(ChunkCorruptionTest, GarbageWithValidCrcFailsCleanly) {
  std::mt19937_64 rng(12345);
  const std::vector<std::string> chunks = SampleChunks();
  Columns out;
  int decoded = 0;
  for (int iter = 0; iter < 30000; iter++) {
    std::string bad = chunks[rng() % chunks.size()];
    switch (iter % 4) {
      case 0:  // a few random bytes changed
        for (int k = 1 + rng() % 4; k > 0; k--) bad[rng() % bad.size()] = static_cast<char>(rng());
        break;
      case 1:  // a random tail after a valid header prefix
        for (size_t i = 4 + rng() % (bad.size() - 4); i < bad.size(); i++) {
          bad[i] = static_cast<char>(rng());
        }
        break;
      case 2:  // bytes inserted or removed in the middle
        if (rng() & 1) {
          bad.insert(rng() % bad.size(), 1 + rng() % 8, static_cast<char>(rng()));
        } else {
          bad.erase(rng() % bad.size(), 1 + rng() % 8);
        }
        break;
      default: {  // pure noise behind the four id bytes of a real chunk
        std::string noise = bad.substr(0, 4);
        for (size_t i = rng() % 200; i > 0; i--) noise.push_back(static_cast<char>(rng()));
        bad = noise + "0000";
      }
    }
    FixCrc(&bad);
    const absl::Status s = DecodeChunk(bad, &out);
    if (s.ok()) {
      decoded++;
      ExpectWellFormed(out);
      EXPECT_OK(DecodeChunkHeader(bad));
    } else {
      ASSERT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    }
  }
  // Some mutations (e.g. of a packed value) still decode; most do not.
  EXPECT_GT(decoded, 0);
}

}  // namespace
}  // namespace telemdb::storage::codec
