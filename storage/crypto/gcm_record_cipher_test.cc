// AES-256-GCM record sealing: the GCM spec's known answer, round trips, tamper detection, and
// encrypted WAL records bound to their segment and offset.
#include "storage/crypto/gcm_record_cipher.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_writer.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::storage::crypto {
namespace {

using ::telemdb::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::shared_ptr<const KeyRing> Ring(std::vector<std::string> keys) {
  std::vector<KeyRing::Material> m;
  for (auto& k : keys) m.push_back({k, "test key"});
  auto ring = KeyRing::FromKeys(std::move(m));
  EXPECT_OK(ring.status());
  return *ring;
}

// "The Galois/Counter Mode of Operation" (McGrew, Viega), test case 16: AES-256, 96-bit IV,
// with associated data.
TEST(GcmRecordCipherTest, KnownAnswer) {
  auto ring = Ring({Unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")});
  const std::string iv = Unhex("cafebabefacedbaddecaf888");
  const std::string plain = Unhex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  const std::string aad = Unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  std::string out;
  ASSERT_OK(GcmRecordCipher::SealWithNonce(
      ring->active(), reinterpret_cast<const unsigned char*>(iv.data()), aad, plain, &out));
  EXPECT_EQ(out, iv + Unhex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
                            "76fc6ece0f4e1768cddf8853bb2d551b"));
  ASSERT_OK_AND_ASSIGN(auto cipher, GcmRecordCipher::Create(ring));
  std::string back;
  ASSERT_OK(cipher->Open(ring->active().id, aad, out, &back));
  EXPECT_EQ(back, plain);
}

// A sealed WAL record's payload, byte for byte (independently computed): key 00..1f (key id
// e77beb4f), nonce 00..0b, payload "abc", segment 7, offset 16, type 1.
TEST(GcmRecordCipherTest, WalRecordGoldenBytes) {
  std::string key_bytes;
  for (int i = 0; i < 32; i++) key_bytes.push_back(static_cast<char>(i));
  auto ring = Ring({key_bytes});
  ASSERT_EQ(ring->active().id, 0xe77beb4fu);
  char aad[wal::kRecordAadSize];
  wal::EncodeRecordAad(aad, 7, 16, 3 + RecordCipher::kOverhead, wal::RecordType::kWriteBatch,
                       ring->active().id);
  EXPECT_EQ(std::string(aad, sizeof aad),
            Unhex("070000000000000010000000000000001f000000014feb7be7"));
  const unsigned char nonce[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  std::string sealed;
  ASSERT_OK(GcmRecordCipher::SealWithNonce(ring->active(), nonce, std::string_view(aad, sizeof aad),
                                           "abc", &sealed));
  EXPECT_EQ(sealed, Unhex("000102030405060708090a0b2660b57ec420e65cc6076bdf236ff8e77382c6"));
}

TEST(GcmRecordCipherTest, RoundTripAndEveryTamperIsDataLoss) {
  auto ring = Ring({std::string(32, 'k')});
  ASSERT_OK_AND_ASSIGN(auto cipher, GcmRecordCipher::Create(ring));
  const std::string plain = "device=pump_7 temperature 81.5";
  std::string sealed = "prefix:";  // Seal appends
  ASSERT_OK(cipher->Seal("aad", plain, &sealed));
  sealed = sealed.substr(7);
  ASSERT_EQ(sealed.size(), plain.size() + RecordCipher::kOverhead);
  EXPECT_EQ(sealed.find("pump_7"), std::string::npos);
  std::string back;
  ASSERT_OK(cipher->Open(cipher->active_key_id(), "aad", sealed, &back));
  EXPECT_EQ(back, plain);
  for (size_t i = 0; i < sealed.size(); i++) {  // nonce, ciphertext and tag
    std::string bad = sealed;
    bad[i] ^= 0x20;
    EXPECT_THAT(cipher->Open(cipher->active_key_id(), "aad", bad, &back),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("authentication failed")))
        << "byte " << i;
  }
  EXPECT_THAT(cipher->Open(cipher->active_key_id(), "aae", sealed, &back),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(cipher->Open(cipher->active_key_id(), "aad", sealed.substr(0, 27), &back),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(cipher->Open(12345, "aad", sealed, &back), StatusIs(absl::StatusCode::kNotFound));
  // Under another key with the same id space it cannot be opened either.
  auto other = Ring({std::string(32, 'j'), std::string(32, 'k')});
  ASSERT_OK_AND_ASSIGN(auto c2, GcmRecordCipher::Create(other));
  ASSERT_OK(c2->Open(cipher->active_key_id(), "aad", sealed, &back));  // the old key still reads
}

TEST(GcmRecordCipherTest, NoncesNeverRepeat) {
  ASSERT_OK_AND_ASSIGN(auto cipher, GcmRecordCipher::Create(Ring({std::string(32, 'k')})));
  std::set<std::string> nonces;
  for (int i = 0; i < 10000; i++) {
    std::string out;
    ASSERT_OK(cipher->Seal("", "x", &out));
    nonces.insert(out.substr(0, RecordCipher::kNonceBytes));
  }
  EXPECT_EQ(nonces.size(), 10000u);
}

// Encrypted WAL records: what the writer seals, the reader opens, at the same place only.
class EncryptedWalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ring_ = Ring({std::string(32, 'w')});
    auto c = GcmRecordCipher::Create(ring_);
    ASSERT_OK(c.status());
    cipher_ = *std::move(c);
  }
  std::string WriteSegment(const std::vector<std::string>& payloads) {
    auto w = wal::WalWriter::Create(wal::WalFs::Default(), dir_.path(), 3, cipher_.get());
    EXPECT_OK(w.status());
    for (const auto& p : payloads) {
      std::string framed;
      wal::AppendRecord(&framed, wal::RecordType::kWriteBatch, wal::kPlaintextKeyId, p);
      EXPECT_OK((*w)->AppendFramed(framed));
    }
    EXPECT_OK((*w)->Close());
    std::ifstream in(wal::SegmentPath(dir_.path(), 3), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Opens every record; returns the plaintexts or the first error.
  absl::StatusOr<std::vector<std::string>> ReadSegment(const std::string& contents) {
    std::vector<std::string> out;
    auto scan = wal::ScanSegment(contents, 3, [&](const wal::RecordView& r) -> absl::Status {
      key_ids_.push_back(r.key_id);
      std::string plain;
      RETURN_IF_ERROR(wal::OpenRecordPayload(*cipher_, 3, r, &plain));
      out.push_back(plain);
      return absl::OkStatus();
    });
    if (!scan.ok()) return scan.status();
    if (scan->corrupt) return absl::DataLossError("corrupt: " + scan->corrupt_reason);
    return out;
  }
  static void FixCrc(std::string* c, size_t off) {
    const uint32_t len = DecodeFixed32(c->data() + off + 4);
    EncodeFixed32(c->data() + off,
                  crc32c::Value(c->data() + off + 4, wal::kRecordHeaderSize - 4 + len));
  }

  TempDir dir_;
  std::shared_ptr<const KeyRing> ring_;
  std::unique_ptr<GcmRecordCipher> cipher_;
  std::vector<uint32_t> key_ids_;  // of the records ReadSegment saw
};

TEST_F(EncryptedWalTest, RecordsRoundTripAndHideTheirPayload) {
  const std::vector<std::string> payloads = {"tag value zq_secret_1", "", std::string(5000, 's')};
  std::string seg = WriteSegment(payloads);
  EXPECT_EQ(seg.find("zq_secret"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(auto back, ReadSegment(seg));
  EXPECT_EQ(back, payloads);
  EXPECT_EQ(key_ids_, std::vector<uint32_t>(3, cipher_->active_key_id()));
}

TEST_F(EncryptedWalTest, ModifiedRecordWithValidCrcIsDataLossNamingSegmentAndOffset) {
  std::string seg = WriteSegment({"first", "second"});
  const size_t off = wal::kSegmentHeaderSize;
  seg[off + wal::kRecordHeaderSize + 14] ^= 1;  // a ciphertext byte
  FixCrc(&seg, off);
  EXPECT_THAT(ReadSegment(seg).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("WAL segment 3 offset 16"), HasSubstr("authentication"),
                             HasSubstr("not a torn write"))));
}

TEST_F(EncryptedWalTest, SwappedRecordsAreDetected) {
  std::string seg = WriteSegment({"aaaa", "bbbb"});
  const size_t rec = wal::kRecordHeaderSize + 4 + RecordCipher::kOverhead;
  const size_t off = wal::kSegmentHeaderSize;
  ASSERT_EQ(seg.size(), off + 2 * rec);
  std::string swapped =
      seg.substr(0, off) + seg.substr(off + rec, rec) + seg.substr(off, rec);  // CRCs intact
  EXPECT_THAT(ReadSegment(swapped).status(), StatusIs(absl::StatusCode::kDataLoss));
  // The same record in another segment number fails too.
  auto scan =
      wal::ScanSegment(seg.substr(0, 8) + std::string("\x04\0\0\0\0\0\0\0", 8) + seg.substr(16), 4,
                       [&](const wal::RecordView& r) {
                         std::string plain;
                         return wal::OpenRecordPayload(*cipher_, 4, r, &plain);
                       });
  EXPECT_THAT(scan.status(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(EncryptedWalTest, PlaintextRecordInEncryptedWalIsRefused) {
  std::string seg = WriteSegment({});
  wal::AppendRecord(&seg, wal::RecordType::kWriteBatch, wal::kPlaintextKeyId, "injected");
  EXPECT_THAT(ReadSegment(seg).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("plaintext record")));
}

TEST_F(EncryptedWalTest, UnknownKeyIsFailedPrecondition) {
  std::string seg = WriteSegment({"x"});
  auto other = GcmRecordCipher::Create(Ring({std::string(32, 'o')}));
  ASSERT_OK(other.status());
  auto scan = wal::ScanSegment(seg, 3, [&](const wal::RecordView& r) {
    std::string plain;
    return wal::OpenRecordPayload(**other, 3, r, &plain);
  });
  EXPECT_THAT(scan.status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                      HasSubstr("--encryption-old-key-file")));
}

}  // namespace
}  // namespace telemdb::storage::crypto
