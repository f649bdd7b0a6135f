// AES-256-CTR: NIST known answers, random access, the file prefix, and RocksDB's encrypted
// file system over our provider.
#include "storage/crypto/aes_ctr_provider.h"

#include <filesystem>
#include <fstream>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "rocksdb/env_encryption.h"
#include "rocksdb/file_system.h"
#include "storage/crypto/key_ring.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::storage::crypto {
namespace {

using ::telemdb::testing::StatusIs;
using ::testing::HasSubstr;

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

Key MakeKey(std::string_view bytes) {
  Key k;
  std::memcpy(k.bytes.data(), bytes.data(), 32);
  k.id = KeyRing::DeriveId(bytes);
  return k;
}

std::shared_ptr<const KeyRing> Ring(std::vector<std::string> keys) {
  std::vector<KeyRing::Material> m;
  for (auto& k : keys) m.push_back({k, "test key"});
  auto ring = KeyRing::FromKeys(std::move(m));
  EXPECT_OK(ring.status());
  return *ring;
}

std::string ReadRaw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt.
TEST(AesCtrTest, NistSp800_38aF55) {
  Key key = MakeKey(Unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"));
  std::array<unsigned char, 16> ctr;
  std::string iv = Unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  std::memcpy(ctr.data(), iv.data(), 16);
  const std::string plain = Unhex(
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  const std::string cipher = Unhex(
      "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
      "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6");
  std::string data = plain;
  ASSERT_OK(AesCtrXor(key, ctr, 0, data.data(), data.size()));
  EXPECT_EQ(data, cipher);
  // Block by block at their offsets, and decryption is the same operation.
  for (size_t b = 0; b < 4; b++) {
    std::string block = cipher.substr(b * 16, 16);
    ASSERT_OK(AesCtrXor(key, ctr, b * 16, block.data(), 16));
    EXPECT_EQ(block, plain.substr(b * 16, 16)) << "block " << b;
  }
}

TEST(AesCtrTest, AnySplitAtAnyOffsetGivesTheSameStream) {
  Key key = MakeKey(std::string(32, '\x42'));
  for (unsigned char fill : {0x00, 0xff}) {  // 0xff..: the 128-bit counter wraps inside
    std::array<unsigned char, 16> ctr;
    ctr.fill(fill);
    ctr[15] = static_cast<unsigned char>(fill - 3);
    std::string whole(5000, '\0');
    std::mt19937 rng(fill);
    for (auto& c : whole) c = static_cast<char>(rng());
    const std::string plain = whole;
    ASSERT_OK(AesCtrXor(key, ctr, 4096, whole.data(), whole.size()));
    std::string pieces = plain;
    for (size_t off = 0; off < pieces.size();) {
      size_t n = std::min<size_t>(1 + rng() % 77, pieces.size() - off);
      ASSERT_OK(AesCtrXor(key, ctr, 4096 + off, pieces.data() + off, n));
      off += n;
    }
    EXPECT_EQ(pieces, whole);
    EXPECT_NE(whole, plain);
  }
}

TEST(FilePrefixTest, GoldenBytesAndParse) {
  FilePrefix p;
  p.key_id = 0x01020304;
  for (int i = 0; i < 16; i++) p.counter0[i] = static_cast<unsigned char>(i);
  std::string buf(kPrefixBytes, '\x77');
  EncodeFilePrefix(p, buf.data());
  const unsigned char want[] = {'T', 'M', 'D', 'B', 'E', 'N', 'C', '1',  // magic
                                1,   1,   0,   0,                        // version, cipher
                                4,   3,   2,   1,                        // key id LE
                                0,   1,   2,   3,   4,   5,   6,   7,
                                8,   9,   10,  11,  12,  13,  14,  15};
  EXPECT_EQ(buf.substr(0, 32), std::string(reinterpret_cast<const char*>(want), 32));
  ASSERT_OK_AND_ASSIGN(FilePrefix back, ParseFilePrefix(buf));
  EXPECT_EQ(back.key_id, p.key_id);
  EXPECT_EQ(back.counter0, p.counter0);

  std::string bad = buf;
  bad[13] ^= 1;
  EXPECT_THAT(ParseFilePrefix(bad), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("checksum")));
  EXPECT_THAT(ParseFilePrefix("MANIFEST-000005\n" + std::string(30, 'x')),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not encrypted")));
  EXPECT_THAT(ParseFilePrefix(buf.substr(0, 20)), StatusIs(absl::StatusCode::kDataLoss));
}

class EncryptedFsTest : public ::testing::Test {
 protected:
  std::unique_ptr<rocksdb::Env> EnvFor(std::shared_ptr<const KeyRing> ring) {
    auto fs = rocksdb::NewEncryptedFS(rocksdb::FileSystem::Default(), NewAesCtrProvider(ring));
    EXPECT_NE(fs, nullptr);
    return rocksdb::NewCompositeEnv(fs);
  }
  TempDir dir_;
};

TEST_F(EncryptedFsTest, FilesRoundTripAndCarryPrefixAndKeyId) {
  const std::string k1(32, '\x01'), k2(32, '\x02');
  auto env = EnvFor(Ring({k1}));
  const std::string path = dir_.Sub("000001.sst");
  std::string plain;
  for (int i = 0; i < 2000; i++) plain += "sensor_secret_" + std::to_string(i) + ";";
  ASSERT_TRUE(rocksdb::WriteStringToFile(env.get(), plain, path, true).ok());

  const std::string raw = ReadRaw(path);
  ASSERT_EQ(raw.size(), kPrefixBytes + plain.size());
  EXPECT_EQ(raw.find("sensor_secret"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(FilePrefix p, ParseFilePrefix(raw));
  EXPECT_EQ(p.key_id, KeyRing::DeriveId(k1));

  std::string back;
  ASSERT_TRUE(rocksdb::ReadFileToString(env.get(), path, &back).ok());
  EXPECT_EQ(back, plain);
  uint64_t size = 0;
  ASSERT_TRUE(env->GetFileSize(path, &size).ok());
  EXPECT_EQ(size, plain.size());

  // Random access reads decrypt at their offset.
  std::unique_ptr<rocksdb::RandomAccessFile> file;
  ASSERT_TRUE(env->NewRandomAccessFile(path, &file, rocksdb::EnvOptions()).ok());
  char scratch[100];
  rocksdb::Slice got;
  ASSERT_TRUE(file->Read(12345, 100, &got, scratch).ok());
  EXPECT_EQ(got.ToString(), plain.substr(12345, 100));

  // Two files of the same content differ (random counter per file).
  ASSERT_TRUE(rocksdb::WriteStringToFile(env.get(), plain, path + "2", true).ok());
  EXPECT_NE(ReadRaw(path + "2").substr(kPrefixBytes), raw.substr(kPrefixBytes));

  // A new active key: old files stay readable, new files use the new key's id.
  auto env2 = EnvFor(Ring({k2, k1}));
  ASSERT_TRUE(rocksdb::ReadFileToString(env2.get(), path, &back).ok());
  EXPECT_EQ(back, plain);
  ASSERT_TRUE(rocksdb::WriteStringToFile(env2.get(), "x", dir_.Sub("new"), true).ok());
  ASSERT_OK_AND_ASSIGN(p, ParseFilePrefix(ReadRaw(dir_.Sub("new"))));
  EXPECT_EQ(p.key_id, KeyRing::DeriveId(k2));

  // Without the file's key, reading fails and says which key is missing.
  auto env3 = EnvFor(Ring({k2}));
  rocksdb::Status s = rocksdb::ReadFileToString(env3.get(), path, &back);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.ToString(), HasSubstr(KeyIdString(KeyRing::DeriveId(k1))));
}

TEST_F(EncryptedFsTest, FileCutInsideItsPrefixReadsAsEmpty) {
  auto env = EnvFor(Ring({std::string(32, '\x01')}));
  const std::string path = dir_.Sub("cut");
  ASSERT_TRUE(rocksdb::WriteStringToFile(env.get(), "hello", path, true).ok());
  std::filesystem::resize_file(path, 100);
  std::unique_ptr<rocksdb::SequentialFile> file;
  ASSERT_TRUE(env->NewSequentialFile(path, &file, rocksdb::EnvOptions()).ok());
  char scratch[10];
  rocksdb::Slice got;
  ASSERT_TRUE(file->Read(10, &got, scratch).ok());
  EXPECT_EQ(got.size(), 0u);
}

}  // namespace
}  // namespace telemdb::storage::crypto
