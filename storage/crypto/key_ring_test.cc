// Key files, key ids and the KEYCHECK file.
#include "storage/crypto/key_ring.h"

#include <sys/stat.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/crypto/key_check.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::storage::crypto {
namespace {

using ::telemdb::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string Bytes0To31() {
  std::string k;
  for (int i = 0; i < 32; i++) k.push_back(static_cast<char>(i));
  return k;
}

void WriteFile(const std::string& path, const std::string& data, mode_t mode) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  ::chmod(path.c_str(), mode);
}

TEST(KeyRingTest, DerivedIdAndCheckValueAreStable) {
  // Golden values (HMAC-SHA256 computed independently): they are persisted, never change.
  const std::string key = Bytes0To31();
  EXPECT_EQ(KeyRing::DeriveId(key), 0xe77beb4fu);
  EXPECT_EQ(KeyIdString(KeyRing::DeriveId(key)), "e77beb4f");
  std::string check = KeyRing::CheckValue(key);
  ASSERT_EQ(check.size(), 32u);
  std::string hex;
  for (unsigned char c : check)
    hex += "0123456789abcdef"[c >> 4], hex += "0123456789abcdef"[c & 15];
  EXPECT_EQ(hex, "41b9acbfee8c2c95167f3b456f199eafd916fd2935fba8b8514c80eca0eed212");
}

TEST(KeyRingTest, FirstKeyIsActiveDuplicatesCollapse) {
  ASSERT_OK_AND_ASSIGN(auto ring, KeyRing::FromKeys({{std::string(32, 'b'), "new"},
                                                     {std::string(32, 'a'), "old"},
                                                     {std::string(32, 'b'), "new again"}}));
  EXPECT_EQ(ring->keys().size(), 2u);
  EXPECT_EQ(ring->active().source, "new");
  EXPECT_NE(ring->Find(KeyRing::DeriveId(std::string(32, 'a'))), nullptr);
  EXPECT_EQ(ring->Find(7), nullptr);
  EXPECT_THAT(KeyRing::FromKeys({{"short", "k"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("32")));
}

TEST(KeyRingTest, KeyFileMustBeOwnerOnlyAnd32Bytes) {
  TempDir dir;
  const std::string path = dir.Sub("telemdb.key");
  WriteFile(path, std::string(32, 'k'), 0600);
  ASSERT_OK_AND_ASSIGN(std::string key, KeyRing::ReadKeyFile(path));
  EXPECT_EQ(key, std::string(32, 'k'));
  ::chmod(path.c_str(), 0400);
  EXPECT_OK(KeyRing::ReadKeyFile(path).status());

  ::chmod(path.c_str(), 0644);
  EXPECT_THAT(KeyRing::ReadKeyFile(path),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path), HasSubstr("mode 0644"), HasSubstr("chmod 600"))));
  ::chmod(path.c_str(), 0640);
  EXPECT_THAT(KeyRing::ReadKeyFile(path), StatusIs(absl::StatusCode::kFailedPrecondition));

  WriteFile(path, std::string(31, 'k'), 0600);
  EXPECT_THAT(KeyRing::ReadKeyFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exactly 32 raw bytes")));
  WriteFile(path, std::string(64, 'a') + "\n", 0600);
  EXPECT_THAT(KeyRing::ReadKeyFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hex")));
  EXPECT_THAT(KeyRing::ReadKeyFile(dir.Sub("missing")), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(KeyRing::ReadKeyFile(dir.path()), StatusIs(absl::StatusCode::kInvalidArgument));

  WriteFile(dir.Sub("a.key"), std::string(32, 'a'), 0600);
  WriteFile(dir.Sub("b.key"), std::string(32, 'b'), 0600);
  ASSERT_OK_AND_ASSIGN(auto ring, KeyRing::LoadFiles(dir.Sub("b.key"), {dir.Sub("a.key")}));
  EXPECT_EQ(ring->active().source, dir.Sub("b.key"));
  EXPECT_EQ(ring->keys().size(), 2u);
}

TEST(KeyCheckTest, GoldenTextRoundTripAndDamage) {
  KeyCheck kc;
  kc.active = 0xe77beb4f;
  kc.keys.emplace_back(0xe77beb4f, KeyRing::CheckValue(Bytes0To31()));
  const std::string text = EncodeKeyCheck(kc);
  EXPECT_EQ(text,
            "# telemdb key check: which keys this data directory is encrypted with (no key "
            "material)\n"
            "version 1\n"
            "active e77beb4f\n"
            "key e77beb4f 41b9acbfee8c2c95167f3b456f199eafd916fd2935fba8b8514c80eca0eed212\n");
  ASSERT_OK_AND_ASSIGN(KeyCheck back, ParseKeyCheck(text));
  EXPECT_EQ(back.active, kc.active);
  EXPECT_EQ(back.keys, kc.keys);

  EXPECT_THAT(ParseKeyCheck("version 1\nactive zz\n"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParseKeyCheck("version 1\nactive 00000001\n"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("incomplete")));
  EXPECT_THAT(ParseKeyCheck("version 2\n"), StatusIs(absl::StatusCode::kFailedPrecondition));
  // A line of blanks is skipped (regression: it was read past its end).
  std::string blanks = text;
  blanks.insert(blanks.find("active"), "   \n");
  ASSERT_OK_AND_ASSIGN(KeyCheck with_blanks, ParseKeyCheck(blanks));
  EXPECT_EQ(with_blanks.active, kc.active);

  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto none, ReadKeyCheck(dir.path()));
  EXPECT_FALSE(none.has_value());
  ASSERT_OK(WriteKeyCheck(dir.path(), kc));
  ASSERT_OK_AND_ASSIGN(auto read, ReadKeyCheck(dir.path()));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->active, kc.active);
}

}  // namespace
}  // namespace telemdb::storage::crypto
