// Format compatibility. Version 2 (what the encoder writes): fixed inputs encode to exactly
// these bytes, and these bytes decode to the inputs. Version 1 (written until issue 17): its
// bytes, pinned when it was current, still decode to the same inputs with the same header and
// pre-aggregates. If an encode test fails, the format changed: bump kFormatVersion and keep
// the old decoder instead of editing the bytes.
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
  if (name == "alp_floats" || name == "meter_floats") return static_cast<uint8_t>(FloatCodec::kAlp);
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

// Version 1 bytes, as EncodeChunk wrote them before format 2 (decode-only since).
std::vector<Golden> GoldensV1() {
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

// Meter-like timestamps: a 900 s grid with a few seconds of clock jitter and one missed reading
// (a doubled delta: the int stream's patched layout), and 2-decimal values.
Columns MeterColumns() {
  const int jitter[] = {3, -2, 0, 5, -5, 1, 2, -1, 4, -3, 0, -4, 2, 5, -2, 1};
  std::vector<int64_t> ts;
  std::vector<double> v;
  for (int i = 0; i < 16; i++) {
    if (i == 9) continue;  // missed
    ts.push_back(kT0 + (900 * i + jitter[i]) * kSecond);
    v.push_back((400 + 7 * i - (i % 3) * 11) / 100.0);
  }
  return FloatColumns(ts, v);
}

// Version 2 bytes. Chunks below kAggregatesMinPoints carry no pre-aggregates; "ints_300" does.
std::vector<Golden> GoldensV2() {
  std::vector<int64_t> ts300(300), v300(300);
  for (int64_t i = 0; i < 300; i++) {
    ts300[i] = kT0 + i * 10 * kSecond;
    v300[i] = 1000 + i * i % 17;
  }
  return {
      {"alp_floats",
       FloatColumns(
           {kT0, kT0 + 10 * kSecond, kT0 + 20 * kSecond, kT0 + 31 * kSecond, kT0 + 41 * kSecond},
           {36.807, 36.806999999999995, 37.5, -0.0, 36.9}),
       
       "0209058080d0e2c6bfce972f80b4a9de980109018094ebdc031401040302028ebf040300f5c60110"
       "a23200009b9205020202000501ffffffffffffffff7f0100f164046a"},
      {"gorilla_floats", FloatColumns({1, 2, 3, 4, 5, 6}, {M_PI, M_PI, M_PI, M_E, M_E, -M_E}), 
       "02110602050405010200400921fb54442d18366993de3bea0f4e2c00c0a952e448"},
      {"raw_floats", FloatColumns({1, 2, 3}, {M_PI, M_E, std::nan("")}), 
       "021903020204050102000018182d4454fb2109406957148b0abf0540000000000000f87fac8a3c18"},
      {"ints", IntColumns({-5, 0, 5, 1000}, {100, 90, 80, -7}), 
       "020a0409ed0707010502080000c601c80101ad0107cd26005ff64b2e"},
      {"ints_300", IntColumns(ts300, v300), 
       "024aac028080d0e2c6bfce972f80988dcf82570090f524d00ff00fd00fee0f080580c8afa0250200"
       "090119012228b52ffd602b00c50000880e10121405071a0b0d0f00131506080a0c01002f489d4b4e"
       "c2db98"},
      {"bools_bitmap", IntColumns({1, 2, 3, 4, 5, 6}, {1, 1, 0, 0, 0, 1}, ValueType::kBool), 
       "0213060205040501020023786bdef3"},
      {"strings_plain", StringColumns({10, 20, 30, 40}, {"on", "", "on", "off"}), 
       "021404141e04050a0200000b026f6e00026f6e036f6666f94831ed"},
      {"bools_runs", IntColumns(Range(64), Runs(64, 30), ValueType::kBool), 
       "020b40023f040501020001021e2293258670"},
      {"strings_dict", StringColumns(Range(8), {"on", "off", "on", "off", "on", "on", "on", "on"}),
       
       "020c0802070405010200020007026f6e036f666600000100010a8934afd5"},
      {"meter_floats", MeterColumns(), 
       "02090f80f8d28fddbfce972f8088fbfbeb880318118094ebdc0301001000881cf40d05853d00d779"
       "06b6d100020001a0060107060010024008001d100240085668c423"},
  };
}

// The header and pre-aggregates a decoder reports must match the points.
void ExpectHeaderMatches(const ChunkHeader& h, const Columns& cols, const std::string& name) {
  const ChunkHeader want = ComputeHeader(cols);
  EXPECT_EQ(h.count, want.count) << name;
  EXPECT_EQ(h.min_ts, want.min_ts) << name;
  EXPECT_EQ(h.max_ts, want.max_ts) << name;
  EXPECT_EQ(h.type, want.type) << name;
  EXPECT_EQ(h.ts_codec, static_cast<uint8_t>(TsCodec::kIntStream)) << name;
  if (!h.has_aggregates) return;
  EXPECT_EQ(h.isum, want.isum) << name;
  EXPECT_EQ(h.imin, want.imin) << name;
  EXPECT_EQ(h.imax, want.imax) << name;
  EXPECT_EQ(h.ifirst, want.ifirst) << name;
  EXPECT_EQ(h.ilast, want.ilast) << name;
  EXPECT_EQ(testing::DoubleBits(h.fsum), testing::DoubleBits(want.fsum)) << name;
  EXPECT_EQ(testing::DoubleBits(h.fmin), testing::DoubleBits(want.fmin)) << name;
  EXPECT_EQ(testing::DoubleBits(h.fmax), testing::DoubleBits(want.fmax)) << name;
  EXPECT_EQ(testing::DoubleBits(h.ffirst), testing::DoubleBits(want.ffirst)) << name;
  EXPECT_EQ(testing::DoubleBits(h.flast), testing::DoubleBits(want.flast)) << name;
}

TEST(ChunkGoldenTest, EncodesToExactV2Bytes) {
  for (const Golden& g : GoldensV2()) {
    ASSERT_OK_AND_ASSIGN(std::string enc, EncodeChunk(g.cols));
    EXPECT_EQ(absl::BytesToHexString(enc), g.hex) << g.name;
  }
}

TEST(ChunkGoldenTest, V2BytesDecode) {
  for (const Golden& g : GoldensV2()) {
    Columns out;
    const std::string bytes = absl::HexStringToBytes(g.hex);
    ASSERT_OK(DecodeChunk(bytes, &out)) << g.name;
    EXPECT_TRUE(SameColumns(out, g.cols)) << g.name;
    ASSERT_OK_AND_ASSIGN(ChunkHeader h, DecodeChunkHeader(bytes));
    EXPECT_EQ(h.format_version, 2) << g.name;
    EXPECT_EQ(h.value_codec, ExpectedCodec(g.name)) << g.name;
    EXPECT_EQ(h.has_aggregates, g.cols.size() >= kAggregatesMinPoints &&
                                    g.cols.type != ValueType::kString)
        << g.name;
    ExpectHeaderMatches(h, g.cols, g.name);
  }
}

TEST(ChunkGoldenTest, V1BytesStillDecode) {
  for (const Golden& g : GoldensV1()) {
    Columns out;
    const std::string bytes = absl::HexStringToBytes(g.hex);
    ASSERT_OK(DecodeChunk(bytes, &out)) << g.name;
    EXPECT_TRUE(SameColumns(out, g.cols)) << g.name;
    ASSERT_OK_AND_ASSIGN(ChunkHeader h, DecodeChunkHeader(bytes));
    EXPECT_EQ(h.format_version, 1) << g.name;
    EXPECT_TRUE(h.has_aggregates) << g.name;
    EXPECT_EQ(h.value_codec, ExpectedCodec(g.name)) << g.name;
    ExpectHeaderMatches(h, g.cols, g.name);
  }
}

TEST(ChunkGoldenTest, ShortSeriesChunkIsSmall) {
  // A meter's 15 readings: no pre-aggregates, one id byte, the missed reading patched out of
  // the timestamp block. Format 1 took 112 bytes for these points (40 of them aggregates).
  ASSERT_OK_AND_ASSIGN(std::string enc, EncodeChunk(MeterColumns()));
  EXPECT_LE(enc.size(), 67u);
}

}  // namespace
}  // namespace telemdb::storage::codec
