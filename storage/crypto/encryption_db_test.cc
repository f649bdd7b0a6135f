// Encryption at rest through the Db API: nothing readable in the data directory, data back
// after restart, clear errors for wrong/missing/unexpected keys, tampered WAL records, rekey,
// snapshots and power cuts with encryption on.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/crypto/aes_ctr_provider.h"
#include "storage/crypto/key_ring.h"
#include "storage/db.h"
#include "storage/testing/db_test_util.h"
#include "storage/testing/fault_rocks_env.h"
#include "storage/wal/fault_wal_fs.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::storage {
namespace {

namespace fs = std::filesystem;
using ::telemdb::storage::testing::FindSeries;
using ::telemdb::storage::testing::ReadFloats;
using ::telemdb::storage::testing::WriteFloats;
using ::telemdb::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;
constexpr int64_t kSec = 1'000'000'000;
const std::string kKeyA(32, 'A'), kKeyB(32, 'B'), kKeyC(32, 'C');
// Distinctive names and values that must appear nowhere in the data directory.
constexpr char kMeasurement[] = "zqmeasurement_secret";
constexpr char kTagValue[] = "zqtagvalue_Xy7";
constexpr char kStringValue[] = "zqstringvalue_Q9";

std::shared_ptr<const crypto::KeyRing> Ring(const std::vector<std::string>& keys) {
  std::vector<crypto::KeyRing::Material> m;
  for (const auto& k : keys) m.push_back({k, "key " + std::string(1, k[0])});
  auto ring = crypto::KeyRing::FromKeys(std::move(m));
  EXPECT_OK(ring.status());
  return ring.ok() ? *ring : nullptr;
}

std::string IdOf(const std::string& key) {
  return crypto::KeyIdString(crypto::KeyRing::DeriveId(key));
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteAll(const std::string& path, const std::string& s) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << s;
}

// Every regular file under `dir` that contains one of `needles`.
std::vector<std::string> FilesContaining(const std::string& dir,
                                         const std::vector<std::string>& needles) {
  std::vector<std::string> hits;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string bytes = ReadAll(e.path());
    for (const auto& n : needles) {
      if (bytes.find(n) != std::string::npos) hits.push_back(e.path().string() + " has " + n);
    }
  }
  return hits;
}

std::vector<SeriesBatch> SecretBatch(int64_t t0, int rows) {
  SeriesBatch g;
  g.measurement = kMeasurement;
  g.tags = {{"device", kTagValue}};
  FieldColumn temp{"temp", ValueType::kFloat};
  FieldColumn note{"note", ValueType::kString};
  for (int i = 0; i < rows; i++) {
    g.timestamps.push_back(t0 + i * kSec);
    temp.floats.push_back(20 + i * 0.25);
    note.strings.push_back(std::string(kStringValue) + (i % 2 ? "a" : "b"));
  }
  g.fields = {temp, note};
  return {g};
}

class EncryptionDbTest : public ::testing::Test {
 protected:
  Options MakeOptions(const std::vector<std::string>& keys) {
    Options o;
    o.dir = dir_.Sub("data");
    o.background = false;
    o.wal_segment_bytes = 4096;
    if (!keys.empty()) o.encryption_keys = Ring(keys);
    return o;
  }
  void WriteSecret(Db* db, int64_t t0, int rows = 200) {
    auto groups = SecretBatch(t0, rows);
    ASSERT_OK(db->Write(&groups, WriteOptions()).status());
  }
  size_t CountTemp(Db* db) {
    SeriesId id =
        db->index().Find(keys::SeriesKeyBytes(kMeasurement, {{"device", kTagValue}}, "temp"));
    if (id == kInvalidSeriesId) return 0;
    auto got = ReadFloats(db, id);
    EXPECT_OK(got.status());
    return got.ok() ? got->size() : 0;
  }
  std::vector<std::string> Leaks() {
    return FilesContaining(dir_.Sub("data"), {kMeasurement, kTagValue, kStringValue});
  }
  TempDir dir_;
};

TEST_F(EncryptionDbTest, NothingReadableInTheDataDirectoryAndDataComesBack) {
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions({kKeyA})));
    WriteSecret(db.get(), kT0);
    EXPECT_THAT(Leaks(), ::testing::IsEmpty()) << "WAL";
    ASSERT_OK(db->Flush());
    WriteSecret(db.get(), kT0 + 1000 * kSec);
    EXPECT_THAT(Leaks(), ::testing::IsEmpty()) << "after flush";
    ASSERT_OK(db->Compact());
    EXPECT_THAT(Leaks(), ::testing::IsEmpty()) << "after compact";
    ASSERT_OK_AND_ASSIGN(Stats st, db->GetStats());
    EXPECT_EQ(crypto::KeyIdString(st.encryption_key_id), IdOf(kKeyA));
    EXPECT_EQ(st.files_under_old_keys, 0u);
    ASSERT_OK(db->Close());
  }
  EXPECT_THAT(Leaks(), ::testing::IsEmpty()) << "after close";

  // Every file RocksDB wrote (the info LOG, OPTIONS, MANIFEST, CURRENT, IDENTITY, SSTs, its
  // WAL) starts with our prefix under key A; LOCK is empty; KEYCHECK is the only plaintext
  // file of ours, and it holds no key.
  int encrypted = 0;
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_.Sub("data/rocksdb"))) {
    const std::string name = e.path().filename();
    names.insert(name.substr(0, name.find_first_of("-.0123456789")));
    if (e.file_size() == 0) {
      EXPECT_EQ(name, "LOCK");
      continue;
    }
    auto prefix = crypto::ParseFilePrefix(ReadAll(e.path()));
    ASSERT_OK(prefix.status()) << name;
    EXPECT_EQ(crypto::KeyIdString(prefix->key_id), IdOf(kKeyA)) << name;
    encrypted++;
  }
  EXPECT_GT(encrypted, 5);
  for (const char* n : {"LOG", "OPTIONS", "MANIFEST", "CURRENT", "IDENTITY"}) {
    EXPECT_TRUE(names.count(n)) << n;
  }
  std::set<std::string> top;
  for (const auto& e : fs::directory_iterator(dir_.Sub("data"))) top.insert(e.path().filename());
  EXPECT_EQ(top, (std::set<std::string>{"KEYCHECK", "rocksdb", "wal"}));
  const std::string keycheck = ReadAll(dir_.Sub("data/KEYCHECK"));
  EXPECT_THAT(keycheck, HasSubstr("active " + IdOf(kKeyA)));
  EXPECT_EQ(keycheck.find(kKeyA), std::string::npos);

  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions({kKeyA})));
  EXPECT_EQ(CountTemp(db.get()), 400u);
  SeriesId note =
      db->index().Find(keys::SeriesKeyBytes(kMeasurement, {{"device", kTagValue}}, "note"));
  ASSERT_NE(note, kInvalidSeriesId);
  ASSERT_OK_AND_ASSIGN(auto cursor, db->Read(note, INT64_MIN, INT64_MAX));
  codec::Columns all;
  ASSERT_OK(cursor->ReadAll(&all));
  ASSERT_EQ(all.strings.size(), 400u);
  EXPECT_EQ(all.strings[1], std::string(kStringValue) + "a");
}

TEST_F(EncryptionDbTest, TheScanFindsPlaintextWithoutEncryption) {
  // The control for the test above: the same writes without a key are visible on disk.
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions({})));
  WriteSecret(db.get(), kT0);
  ASSERT_OK(db->Compact());
  EXPECT_THAT(Leaks(), ::testing::Not(::testing::IsEmpty()));
}

TEST_F(EncryptionDbTest, WrongMissingOrUnexpectedKeysFailOpenClearly) {
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions({kKeyA})));
    WriteSecret(db.get(), kT0);
    ASSERT_OK(db->Close());
  }
  EXPECT_THAT(Db::Open(MakeOptions({kKeyB})).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("encryption key key B (key id " + IdOf(kKeyB)),
                             HasSubstr("does not match the key this data directory was written "
                                       "with (key id " +
                                       IdOf(kKeyA) + ")"))));
  EXPECT_THAT(Db::Open(MakeOptions({})).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("is encrypted"), HasSubstr("--encryption-key-file"))));
  // KEYCHECK lost: CURRENT still tells the right key from a wrong one, and KEYCHECK returns.
  fs::remove(dir_.Sub("data/KEYCHECK"));
  EXPECT_THAT(Db::Open(MakeOptions({})).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is encrypted")));
  EXPECT_THAT(Db::Open(MakeOptions({kKeyB})).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("does not match")));
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions({kKeyA})));
    EXPECT_EQ(CountTemp(db.get()), 200u);
  }
  EXPECT_TRUE(fs::exists(dir_.Sub("data/KEYCHECK")));

  // A plaintext directory with a key: refused, and the error says why.
  TempDir plain;
  Options o = MakeOptions({});
  o.dir = plain.Sub("data");
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));
    WriteSecret(db.get(), kT0);
  }
  o.encryption_keys = Ring({kKeyA});
  EXPECT_THAT(Db::Open(o).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("unencrypted data"), HasSubstr("not supported"))));
}

TEST_F(EncryptionDbTest, KeyFileInsideTheDataDirectoryIsRefused) {
  fs::create_directories(dir_.Sub("data"));
  const std::string path = dir_.Sub("data/telemdb.key");
  WriteAll(path, kKeyA);
  ::chmod(path.c_str(), 0600);
  Options o = MakeOptions({});
  ASSERT_OK_AND_ASSIGN(o.encryption_keys, crypto::KeyRing::LoadFiles(path, {}));
  EXPECT_THAT(Db::Open(o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("inside the data directory")));
}

TEST_F(EncryptionDbTest, RekeyMovesEverythingToTheNewKey) {
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions({kKeyA})));
    WriteSecret(db.get(), kT0);
    ASSERT_OK(db->Compact());
    WriteSecret(db.get(), kT0 + 1000 * kSec);  // stays in the WAL: replayed under key B
    // A crash leaves the WAL under key A: copy it away before Close checkpoints it.
    fs::copy(dir_.Sub("data/wal"), dir_.Sub("wal.crash"));
    ASSERT_OK(db->Close());
    fs::remove_all(dir_.Sub("data/wal"));
    fs::rename(dir_.Sub("wal.crash"), dir_.Sub("data/wal"));
  }
  // Restart with B active and A as an older key: everything readable, old files reported.
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions({kKeyB, kKeyA})));
  EXPECT_EQ(CountTemp(db.get()), 400u);
  ASSERT_OK_AND_ASSIGN(Stats st, db->GetStats());
  EXPECT_EQ(crypto::KeyIdString(st.encryption_key_id), IdOf(kKeyB));
  EXPECT_GT(st.files_under_old_keys, 0u);
  EXPECT_EQ(st.rekey_state, "");
  WriteSecret(db.get(), kT0 + 2000 * kSec);

  ASSERT_OK(db->StartRekey());
  for (int i = 0; i < 600; i++) {
    ASSERT_OK_AND_ASSIGN(st, db->GetStats());
    if (st.rekey_state != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(st.rekey_state, "done");
  EXPECT_EQ(st.files_under_old_keys, 0u);
  EXPECT_EQ(CountTemp(db.get()), 600u);
  ASSERT_OK(db->Rekey());  // again, blocking: nothing left to do
  ASSERT_OK(db->Close());
  db.reset();
  for (const auto& e : fs::directory_iterator(dir_.Sub("data/rocksdb"))) {
    if (e.file_size() == 0) continue;
    ASSERT_OK_AND_ASSIGN(auto prefix, crypto::ParseFilePrefix(ReadAll(e.path())));
    EXPECT_EQ(crypto::KeyIdString(prefix.key_id), IdOf(kKeyB)) << e.path();
  }
  EXPECT_THAT(Leaks(), ::testing::IsEmpty());

  // Key A is no longer needed; alone it no longer opens the directory.
  ASSERT_OK_AND_ASSIGN(db, Db::Open(MakeOptions({kKeyB})));
  EXPECT_EQ(CountTemp(db.get()), 600u);
  ASSERT_OK(db->Close());
  EXPECT_THAT(Db::Open(MakeOptions({kKeyA})).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("written with (key id " + IdOf(kKeyB) + ")")));
}

TEST_F(EncryptionDbTest, FilesUnderAKeyNotGivenFailOpen) {
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions({kKeyA})));
    WriteSecret(db.get(), kT0);
    ASSERT_OK(db->Compact());
  }
  { ASSERT_OK(Db::Open(MakeOptions({kKeyB, kKeyA})).status()); }  // no rekey: SSTs stay A
  EXPECT_THAT(Db::Open(MakeOptions({kKeyC, kKeyB})).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("encrypted with key id " + IdOf(kKeyA)),
                             HasSubstr("--encryption-old-key-file"))));
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions({kKeyC, kKeyB, kKeyA})));
  EXPECT_EQ(CountTemp(db.get()), 200u);
}

TEST_F(EncryptionDbTest, RekeyWithoutEncryptionIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions({})));
  EXPECT_THAT(db->Rekey(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(db->StartRekey(), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(Stats st, db->GetStats());
  EXPECT_EQ(st.encryption_key_id, 0u);
}

class EncryptedWalReplayTest : public EncryptionDbTest {
 protected:
  // Writes `n` batches with key A and leaves the WAL as a crash would (see wal_test.cc).
  void WriteAndCrash(int n) {
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions({kKeyA})));
    for (int i = 0; i < n; i++) WriteSecret(db.get(), kT0 + i * 10 * kSec, 5);
    fs::copy(dir_.Sub("data/wal"), dir_.Sub("wal.crash"));
    ASSERT_OK(db->Close());
    fs::remove_all(dir_.Sub("data/wal"));
    fs::rename(dir_.Sub("wal.crash"), dir_.Sub("data/wal"));
    fs::remove_all(dir_.Sub("data/rocksdb"));
  }
  std::vector<std::string> Segments() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_.Sub("data/wal"))) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(EncryptedWalReplayTest, ReplayDecryptsAndTornTailIsStillDiscarded) {
  WriteAndCrash(60);
  auto segs = Segments();
  ASSERT_GT(segs.size(), 2u);
  EXPECT_THAT(Leaks(), ::testing::IsEmpty());
  std::string last = ReadAll(segs.back());
  WriteAll(segs.back(), last.substr(0, last.size() - 5));  // a torn final record
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions({kKeyA})));
  EXPECT_EQ(CountTemp(db.get()), 59u * 5);
}

TEST_F(EncryptedWalReplayTest, ChangedRecordWithValidCrcIsDataLoss) {
  WriteAndCrash(60);
  auto segs = Segments();
  std::string seg = ReadAll(segs[1]);
  const size_t off = 16;  // the first record
  seg[off + 13 + 20] ^= 0x01;
  const uint32_t len = DecodeFixed32(seg.data() + off + 4);
  EncodeFixed32(seg.data() + off, crc32c::Value(seg.data() + off + 4, 9 + len));
  WriteAll(segs[1], seg);
  EXPECT_THAT(Db::Open(MakeOptions({kKeyA})).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("WAL segment 2 offset 16"), HasSubstr("authentication"))));
}

TEST_F(EncryptionDbTest, SnapshotOpensWithTheSameKey) {
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions({kKeyA})));
  WriteSecret(db.get(), kT0);
  ASSERT_OK(db->Flush());
  WriteSecret(db.get(), kT0 + 1000 * kSec);
  ASSERT_OK(db->Snapshot(dir_.Sub("snap")));
  EXPECT_THAT(FilesContaining(dir_.Sub("snap"), {kMeasurement, kTagValue, kStringValue}),
              ::testing::IsEmpty());
  Options o = MakeOptions({kKeyA});
  o.dir = dir_.Sub("snap");
  ASSERT_OK_AND_ASSIGN(auto snap, Db::Open(o));
  EXPECT_EQ(CountTemp(snap.get()), 400u);
  o.encryption_keys = Ring({kKeyB});
  ASSERT_OK(snap->Close());
  EXPECT_THAT(Db::Open(o).status(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

// A short version of power_loss_test.cc with encryption on: every acked point survives power
// cuts under both logs, also when the cut lands inside a file's encryption prefix.
TEST_F(EncryptionDbTest, AckedPointsSurvivePowerCuts) {
  for (uint64_t seed = 1; seed <= 12; seed++) {
    std::mt19937_64 rng(seed);
    TempDir dir;
    wal::FaultWalFs wal_fs;
    testing::FaultRocksEnv rocks;
    Options o = MakeOptions({kKeyA});
    o.dir = dir.path();
    o.head_seal_points = 40;
    o.wal_fs = &wal_fs;
    o.rocksdb_env = rocks.env();
    std::map<int64_t, double> acked;
    {
      ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));
      const int cut_at = 10 + static_cast<int>(rng() % 150);
      int64_t t = kT0;
      for (int step = 0; step < cut_at; step++) {
        const int op = static_cast<int>(rng() % 10);
        if (op < 7) {
          std::vector<int64_t> ts;
          std::vector<double> vs;
          for (int i = 0; i < 1 + static_cast<int>(rng() % 20); i++) {
            ts.push_back(t += kSec);
            vs.push_back(static_cast<double>(rng() % 1000));
          }
          if (WriteFloats(db.get(), "m", "d", "f", ts, vs).ok()) {
            for (size_t i = 0; i < ts.size(); i++) acked[ts[i]] = vs[i];
          }
        } else if (op < 9) {
          (void)db->SealDue();
          (void)db->CheckpointWal();
        } else {
          (void)db->Flush();
        }
      }
      wal_fs.PowerCut();
      rocks.PowerCut();
      (void)db->Close();
    }
    wal_fs.DropUnsynced(rng() | 1);
    rocks.DropUnsynced();
    wal_fs.Revive();
    rocks.Revive();
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));
    SeriesId id = FindSeries(db.get(), "m", "d", "f");
    std::map<int64_t, double> got;
    if (id != kInvalidSeriesId) {
      ASSERT_OK_AND_ASSIGN(got, ReadFloats(db.get(), id));
    }
    for (const auto& [ts, v] : acked) {
      auto it = got.find(ts);
      ASSERT_NE(it, got.end()) << "seed " << seed << ": acked point lost";
      EXPECT_EQ(it->second, v);
    }
    ASSERT_OK(db->Close());
  }
}

}  // namespace
}  // namespace telemdb::storage
