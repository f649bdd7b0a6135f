// Format v1 compatibility: fixed inputs encode to exactly these bytes, and these bytes decode
// to the inputs. If this fails, the format changed: bump kFormatVersion and keep a v1 decoder
// instead of editing the bytes.
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "storage/codec/chunk.h"
#include "storage/codec/chunk_format.h"
#include "storage/codec/testing/codec_test_util.h"
#include "util/status_matchers.h"

namespace telemdb::storage::codec {
namespace {

using testing::FloatColumns;
using testing::IntColumns;
using testing::SameColumns;
using testing::StringColumns;

constexpr int64_t kSecond = 1000000000;
constexpr int64_t kT0 = 1700000000 * kSecond;

struct Golden {
  const char* name;
  Columns cols;
  const char* hex;
};

// The value codec each golden exercises, by name.
uint8_t ExpectedCodec(const std::string& name) {
  if (name == "alp_floats") return static_cast<uint8_t>(FloatCodec::kAlp);
  if (name == "gorilla_floats") return static_cast<uint8_t>(FloatCodec::kGorilla);
  if (name == "raw_floats") return static_cast<uint8_t>(FloatCodec::kRawZstd);
  if (name == "bools_bitmap") return static_cast<uint8_t>(BoolCodec::kBitmap);
  if (name == "bools_runs") return static_cast<uint8_t>(BoolCodec::kRunLength);
  if (name == "strings_plain") return static_cast<uint8_t>(StringCodec::kPlain);
  if (name == "strings_dict") return static_cast<uint8_t>(StringCodec::kDictionary);
  return static_cast<uint8_t>(IntCodec::kIntStream);
}

std::vector<int64_t> Range(int64_t n) {
  std::vector<int64_t> v(n);
  for (int64_t i = 0; i < n; i++) v[i] = i + 1;
  return v;
}

// n bools: `ones` ones, then zeros.
std::vector<int64_t> Runs(int64_t n, int64_t ones) {
  std::vector<int64_t> v(n, 0);
  for (int64_t i = 0; i < ones; i++) v[i] = 1;
  return v;
}

std::vector<Golden> Goldens() {
  return {
      {"alp_floats",
       FloatColumns(
           {kT0, kT0 + 10 * kSecond, kT0 + 20 * kSecond, kT0 + 31 * kSecond, kT0 + 41 * kSecond},
           {36.807, 36.806999999999995, 37.5, -0.0, 36.9}),
       "01010101058080d0e2c6bfce972f80b4a9de98019cc420b072806240000000000000008000000000"
       "00c042409eefa7c64b674240333333333373424009018094ebdc031401040302028ebf040300f5c6"
       "0110a23200009b9205020202000501ffffffffffffffff7f0100cc4424ea"},
      {"gorilla_floats", FloatColumns({1, 2, 3, 4, 5, 6}, {M_PI, M_PI, M_PI, M_E, M_E, -M_E}),
       "01010102060205ac37f8213f4928406957148b0abf05c0182d4454fb210940182d4454fb21094069"
       "57148b0abf05c00405010200400921fb54442d18366993de3bea0f4e2c00c0b7eefaa6"},
      {"raw_floats", FloatColumns({1, 2, 3}, {M_PI, M_E, std::nan("")}),
       "01010103030202000000000000f87f6957148b0abf0540182d4454fb210940182d4454fb21094000"
       "0000000000f87f04050102000018182d4454fb2109406957148b0abf0540000000000000f87f800f"
       "9512"},
      {"ints", IntColumns({-5, 0, 5, 1000}, {100, 90, 80, -7}),
       "010201010409ed07008e040dc801c8010d07010502080000c60101ad0107cd26000bbbbf53"},
      {"bools_bitmap", IntColumns({1, 2, 3, 4, 5, 6}, {1, 1, 0, 0, 0, 1}, ValueType::kBool),
       "01030102060205000600020202040501020023c12ec4b5"},
      {"strings_plain", StringColumns({10, 20, 30, 40}, {"on", "", "on", "off"}),
       "0104010204141e04050a0200000b026f6e00026f6e036f6666af25b7fb"},
      {"bools_runs", IntColumns(Range(64), Runs(64, 30), ValueType::kBool),
       "0103010140023f003c00020200040501020001021e225d1c9826"},
      {"strings_dict", StringColumns(Range(8), {"on", "off", "on", "off", "on", "on", "on", "on"}),

       "010401010802070405010200020007026f6e036f666600000100010ad2deadb9"},
  };
}

TEST(ChunkGoldenTest, EncodesToExactBytes) {
  for (const Golden& g : Goldens()) {
    ASSERT_OK_AND_ASSIGN(std::string enc, EncodeChunk(g.cols));
    EXPECT_EQ(absl::BytesToHexString(enc), g.hex) << g.name;
  }
}

TEST(ChunkGoldenTest, GoldenBytesDecode) {
  for (const Golden& g : Goldens()) {
    Columns out;
    const std::string bytes = absl::HexStringToBytes(g.hex);
    ASSERT_OK(DecodeChunk(bytes, &out)) << g.name;
    EXPECT_TRUE(SameColumns(out, g.cols)) << g.name;
    ASSERT_OK_AND_ASSIGN(ChunkHeader h, DecodeChunkHeader(bytes));
    EXPECT_EQ(h.value_codec, ExpectedCodec(g.name)) << g.name;
    EXPECT_EQ(h.ts_codec, static_cast<uint8_t>(TsCodec::kIntStream));
  }
}

}  // namespace
}  // namespace telemdb::storage::codec
