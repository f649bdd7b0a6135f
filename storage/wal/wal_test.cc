#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/db.h"
#include "storage/key_layout.h"
#include "storage/kv_store.h"
#include "storage/testing/db_test_util.h"
#include "storage/wal/batch_record.h"
#include "storage/wal/fault_wal_fs.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_writer.h"
#include "util/coding.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::storage {
namespace {

using ::telemdb::storage::testing::FindSeries;
using ::telemdb::storage::testing::ReadFloats;
using ::telemdb::storage::testing::WriteFloats;
using ::telemdb::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteAll(const std::string& path, const std::string& s) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << s;
}

TEST(WalFormatTest, GoldenBytes) {
  // Format version 1 must never change silently: this record is the reference.
  std::string framed;
  wal::AppendRecord(&framed, wal::RecordType::kWriteBatch, 0, "abc");
  EXPECT_EQ(framed.size(), wal::kRecordHeaderSize + 3);
  const unsigned char want[] = {0xe7, 0x28, 0xe1, 0x67,  // crc32c over the rest
                                0x03, 0x00, 0x00, 0x00,  // length
                                0x01,                    // type: write batch
                                0x00, 0x00, 0x00, 0x00,  // key id: plaintext
                                'a',  'b',  'c'};
  EXPECT_EQ(framed, std::string(reinterpret_cast<const char*>(want), sizeof want));

  wal::WriteRecordMeta meta{"gw", 7, 1000};
  std::vector<wal::NewSeries> created = {{5, ValueType::kFloat, std::string("m\0\0f", 4)}};
  std::vector<SeriesBatch> groups(1);
  groups[0].timestamps = {10, 20};
  FieldColumn c{"f", ValueType::kFloat};
  c.floats = {1.5, -2};
  groups[0].fields.push_back(c);
  std::string payload;
  wal::EncodeWriteRecord(meta, created, groups, {{5}}, &payload);
  const unsigned char want_payload[] = {
      0x01, 0x02, 'g',  'w',  0x07,                  // flags, producer, sequence
      0xd0, 0x0f,                                    // arrival 1000 (zigzag varint)
      0x01, 0x05, 0x01, 0x04, 'm',  0, 0,    'f',    // one new series: id 5, float, key
      0x01, 0x02, 0x14, 0x14,                        // one group, 2 rows, ts deltas 10, 10
      0x01, 0x05, 0x01, 0x00,                        // one column: series 5, float, no validity
      0,    0,    0,    0,    0,    0, 0xf8, 0x3f,   // 1.5
      0,    0,    0,    0,    0,    0, 0x00, 0xc0};  // -2
  EXPECT_EQ(payload, std::string(reinterpret_cast<const char*>(want_payload), sizeof want_payload));
  wal::DecodedWrite back;
  ASSERT_OK(wal::DecodeWriteRecord(payload, &back));
  EXPECT_EQ(back.meta.producer_id, "gw");
  EXPECT_EQ(back.groups[0].fields[0].floats, (std::vector<double>{1.5, -2}));
  EXPECT_EQ(back.ids[0][0], 5u);
}

// Format version 2: an idempotent write carries its writer's identity and the producer's
// epoch. The version-1 payload above still decodes, as identity-unknown (identity "").
TEST(WalFormatTest, GoldenBytesVersion2IdentityAndEpoch) {
  EXPECT_EQ(wal::kFormatVersion, 2);
  wal::WriteRecordMeta meta{"gw", 7, 1000, "tok1", 3};
  std::vector<SeriesBatch> groups(1);
  groups[0].timestamps = {10};
  FieldColumn c{"f", ValueType::kInt};
  c.ints = {4};
  groups[0].fields.push_back(c);
  std::string payload;
  wal::EncodeWriteRecord(meta, {}, groups, {{5}}, &payload);
  const unsigned char want[] = {
      0x07, 0x02, 'g',  'w',  0x07,  // flags (producer|identity|epoch), producer, sequence
      0x04, 't',  'o',  'k',  '1',   // identity
      0x03,                          // epoch
      0xd0, 0x0f,                    // arrival 1000
      0x00,                          // no new series
      0x01, 0x01, 0x14,              // one group, 1 row, ts 10
      0x01, 0x05, 0x02, 0x00,        // one column: series 5, int, no validity
      4,    0,    0,    0,    0,    0, 0, 0};  // 4
  EXPECT_EQ(payload, std::string(reinterpret_cast<const char*>(want), sizeof want));
  wal::DecodedWrite back;
  ASSERT_OK(wal::DecodeWriteRecord(payload, &back));
  EXPECT_EQ(back.meta.identity, "tok1");
  EXPECT_EQ(back.meta.epoch, 3u);
  EXPECT_EQ(back.meta.sequence, 7u);
  // Version 1 bytes (flags = 1): no identity, no epoch.
  const unsigned char v1[] = {0x01, 0x02, 'g', 'w', 0x07, 0xd0, 0x0f, 0x00, 0x00};
  ASSERT_OK(
      wal::DecodeWriteRecord(std::string(reinterpret_cast<const char*>(v1), sizeof v1), &back));
  EXPECT_EQ(back.meta.producer_id, "gw");
  EXPECT_EQ(back.meta.identity, "");
  EXPECT_EQ(back.meta.epoch, 0u);
  // Identity or epoch without a producer, and unknown flags, are corruption.
  for (unsigned char flags : {0x02, 0x04, 0x08}) {
    const unsigned char bad[] = {flags, 0xd0, 0x0f, 0x00, 0x00};
    EXPECT_FALSE(
        wal::DecodeWriteRecord(std::string(reinterpret_cast<const char*>(bad), sizeof bad), &back)
            .ok());
  }
}

TEST(WalFormatTest, RecordRoundTripWithValidityAndEveryType) {
  std::vector<SeriesBatch> groups(1);
  groups[0].timestamps = {INT64_MIN + 1, 0, INT64_MAX};
  FieldColumn s{"s", ValueType::kString};
  s.strings = {"a", "", "ccc"};
  s.valid = {1, 0, 1};
  FieldColumn b{"b", ValueType::kBool};
  b.bools = {1, 1, 0};
  FieldColumn i{"i", ValueType::kInt};
  i.ints = {INT64_MIN, 5, 0};
  i.valid = {0, 1, 1};
  groups[0].fields = {s, b, i};
  std::string payload;
  wal::EncodeWriteRecord({}, {}, groups, {{1, 2, 3}}, &payload);
  wal::DecodedWrite back;
  ASSERT_OK(wal::DecodeWriteRecord(payload, &back));
  EXPECT_EQ(back.groups[0].timestamps, groups[0].timestamps);
  EXPECT_EQ(back.groups[0].fields[0].strings[2], "ccc");
  EXPECT_EQ(back.groups[0].fields[0].valid, s.valid);
  EXPECT_EQ(back.groups[0].fields[1].bools, b.bools);
  EXPECT_EQ(back.groups[0].fields[2].ints[1], 5);
  for (size_t cut = 0; cut < payload.size(); cut++) {
    EXPECT_FALSE(wal::DecodeWriteRecord(payload.substr(0, cut), &back).ok()) << cut;
  }
}

class WalRecoveryTest : public ::testing::Test {
 protected:
  Options MakeOptions() {
    Options o;
    o.dir = dir_.path();
    o.background = false;
    o.wal_segment_bytes = 2048;
    return o;
  }
  // Writes `n` batches and drops the database without sealing (the WAL holds them).
  void WriteAndCrash(int n) {
    Options o = MakeOptions();
    auto db = Db::Open(o);
    ASSERT_OK(db.status());
    for (int i = 0; i < n; i++) {
      ASSERT_OK(WriteFloats(db->get(), "m", "a", "f", {kT0 + i}, {static_cast<double>(i)}));
    }
    // Leave the files as a crash would: copy the WAL away before Close() seals it.
    std::filesystem::copy(dir_.Sub("wal"), dir_.Sub("wal.crash"));
    ASSERT_OK((*db)->Close());
    std::filesystem::remove_all(dir_.Sub("wal"));
    std::filesystem::rename(dir_.Sub("wal.crash"), dir_.Sub("wal"));
    // And RocksDB as it was before any seal: start from an empty store with the same index.
    std::filesystem::remove_all(dir_.Sub("rocksdb"));
  }
  std::vector<std::string> Segments() {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_.Sub("wal"))) {
      out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  size_t CountPoints(Db* db) {
    auto id = FindSeries(db, "m", "a", "f");
    if (id == kInvalidSeriesId) return 0;
    auto got = ReadFloats(db, id);
    return got.ok() ? got->size() : 0;
  }

  TempDir dir_;
};

TEST_F(WalRecoveryTest, ReplaysEverySegment) {
  WriteAndCrash(100);
  EXPECT_GT(Segments().size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions()));
  EXPECT_EQ(CountPoints(db.get()), 100u);
}

TEST_F(WalRecoveryTest, SegmentsCutOffDuringCreationAreDropped) {
  WriteAndCrash(100);
  auto segs = Segments();
  const size_t k = segs.size();
  // Segment k+1: a crash while it was being created left 5 bytes of its header. Segment
  // k+2: written after the restart (a copy of segment k renumbered). The stub sits in the
  // middle and must not read as damage.
  WriteAll(wal::SegmentPath(dir_.Sub("wal"), k + 1), "TMDBW");
  std::string copy = ReadAll(segs.back());
  EncodeFixed64(copy.data() + 8, k + 2);
  // Renumbering changes no record, and a record's CRC does not cover the segment header.
  WriteAll(wal::SegmentPath(dir_.Sub("wal"), k + 2), copy);
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions()));
  EXPECT_EQ(CountPoints(db.get()), 100u);
  EXPECT_FALSE(std::filesystem::exists(wal::SegmentPath(dir_.Sub("wal"), k + 1)));
}

TEST_F(WalRecoveryTest, TornTailIsDiscarded) {
  WriteAndCrash(100);
  auto segs = Segments();
  std::string last = ReadAll(segs.back());
  WriteAll(segs.back(), last.substr(0, last.size() - 5));  // a torn final record
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(MakeOptions()));
  EXPECT_EQ(CountPoints(db.get()), 99u);
  ASSERT_OK(WriteFloats(db.get(), "m", "a", "f", {kT0 + 1000}, {1}));
  ASSERT_OK(db->Close());
  ASSERT_OK_AND_ASSIGN(db, Db::Open(MakeOptions()));  // the cut tail does not come back
  EXPECT_EQ(CountPoints(db.get()), 100u);
}

TEST_F(WalRecoveryTest, CorruptionFollowedByValidRecordsFailsWithDataLoss) {
  WriteAndCrash(100);
  auto segs = Segments();
  std::string middle = ReadAll(segs[1]);
  middle[40] ^= 0x5a;
  WriteAll(segs[1], middle);
  auto db = Db::Open(MakeOptions());
  EXPECT_THAT(db.status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       ::testing::AllOf(HasSubstr("WAL segment 2"), HasSubstr("offset"),
                                        HasSubstr("point-in-time"))));
}

TEST_F(WalRecoveryTest, CorruptionInLastSegmentWithValidRecordsAfterFails) {
  WriteAndCrash(100);
  auto segs = Segments();
  std::string last = ReadAll(segs.back());
  last[20] ^= 0x01;  // inside the first record of the last segment
  WriteAll(segs.back(), last);
  EXPECT_THAT(Db::Open(MakeOptions()).status(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(WalRecoveryTest, PointInTimeRecoveryTruncatesThere) {
  WriteAndCrash(100);
  auto segs = Segments();
  std::string middle = ReadAll(segs[1]);
  middle[40] ^= 0x5a;
  WriteAll(segs[1], middle);
  Options o = MakeOptions();
  o.wal_point_in_time_recovery = true;
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));
  size_t n = CountPoints(db.get());
  EXPECT_GT(n, 0u);
  EXPECT_LT(n, 100u);
  ASSERT_OK(db->Close());
  ASSERT_OK_AND_ASSIGN(db, Db::Open(MakeOptions()));  // opens normally afterwards
  EXPECT_EQ(CountPoints(db.get()), n);
}

TEST(WalFaultTest, DiskFullIsRetryableAndFsyncFailureStopsAcks) {
  TempDir dir;
  wal::FaultWalFs fs;
  Options o;
  o.dir = dir.path();
  o.background = false;
  o.wal_fs = &fs;
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));
  ASSERT_OK(WriteFloats(db.get(), "m", "a", "f", {kT0}, {1}));
  fs.FailAppends(1);
  EXPECT_THAT(WriteFloats(db.get(), "m", "a", "f", {kT0 + 1}, {2}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("No space")));
  ASSERT_OK(WriteFloats(db.get(), "m", "a", "f", {kT0 + 2}, {3}));  // space is back
  fs.FailSyncs(1);
  EXPECT_THAT(WriteFloats(db.get(), "m", "a", "f", {kT0 + 3}, {4}),
              StatusIs(absl::StatusCode::kUnavailable));
  // Never retried as if it had worked: the log stays broken until restart.
  EXPECT_THAT(WriteFloats(db.get(), "m", "a", "f", {kT0 + 4}, {5}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("until restart")));
  EXPECT_FALSE(db->health().ok());
  db.reset();
  ASSERT_OK_AND_ASSIGN(db, Db::Open(o));
  ASSERT_OK_AND_ASSIGN(auto got, ReadFloats(db.get(), FindSeries(db.get(), "m", "a", "f")));
  EXPECT_TRUE(got.contains(kT0));
  EXPECT_TRUE(got.contains(kT0 + 2));
  EXPECT_FALSE(got.contains(kT0 + 1));
  EXPECT_FALSE(got.contains(kT0 + 4));
}

// Regression: a segment rotation on a full disk (Flush/Compact rotate the WAL) broke the log
// until a restart. The new segment cannot be created, the log goes on in the current one,
// and writes and rotations work again once there is space.
TEST(WalFaultTest, RotationOnAFullDiskLeavesTheLogUsable) {
  TempDir dir;
  wal::FaultWalFs fs;
  Options o;
  o.dir = dir.path();
  o.background = false;
  o.wal_fs = &fs;
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));
  ASSERT_OK(WriteFloats(db.get(), "m", "a", "f", {kT0}, {1}));
  fs.FailAppends(1);  // the new segment's header
  EXPECT_THAT(db->Flush(), StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("No space")));
  EXPECT_OK(db->health());
  ASSERT_OK(WriteFloats(db.get(), "m", "a", "f", {kT0 + 1}, {2}));
  ASSERT_OK(db->Flush());
  ASSERT_OK(WriteFloats(db.get(), "m", "a", "f", {kT0 + 2}, {3}));
  db.reset();
  ASSERT_OK_AND_ASSIGN(db, Db::Open(o));
  ASSERT_OK_AND_ASSIGN(auto got, ReadFloats(db.get(), FindSeries(db.get(), "m", "a", "f")));
  EXPECT_EQ(got.size(), 3u);
}

TEST(ChunkCorruptionTest, DamagedChunkIsReportedAndOtherSeriesStayReadable) {
  TempDir dir;
  Options o;
  o.dir = dir.path();
  o.background = false;
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));
    for (const char* dev : {"a", "b"}) {
      ASSERT_OK(WriteFloats(db.get(), "m", dev, "f", {kT0, kT0 + 1, kT0 + 2}, {1, 2, 3}));
    }
    ASSERT_OK(db->Close());
  }
  SeriesId victim;
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));
    victim = FindSeries(db.get(), "m", "a", "f");
    ASSERT_OK(db->Close());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto kv, KvStore::Open(dir.Sub("rocksdb"), KvOptions()));
    auto it = kv->NewIterator(Cf::kChunks, keys::ChunkSeekKey(victim, INT64_MIN),
                              keys::ChunkSeriesEnd(victim));
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    std::string key(it->key()), value(it->value());
    it.reset();
    value[value.size() / 2] ^= 0x10;
    KvBatch b;
    b.Put(Cf::kChunks, key, value);
    ASSERT_OK(kv->Write(&b, true));
    ASSERT_OK(kv->Close());
  }
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));
  EXPECT_THAT(ReadFloats(db.get(), victim).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       ::testing::AllOf(HasSubstr("chunk of series"), HasSubstr("starting at"))));
  ASSERT_OK_AND_ASSIGN(auto other, ReadFloats(db.get(), FindSeries(db.get(), "m", "b", "f")));
  EXPECT_EQ(other.size(), 3u);
}

}  // namespace
}  // namespace telemdb::storage
