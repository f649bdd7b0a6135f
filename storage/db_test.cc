#include "storage/db.h"

#include <random>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "re2/re2.h"
#include "storage/testing/db_test_util.h"
#include "storage/write_error.h"
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
constexpr int64_t kSec = 1'000'000'000;

class DbTest : public ::testing::Test {
 protected:
  Options MakeOptions() {
    Options o;
    o.dir = dir_.path();
    o.background = false;
    o.partition = absl::Hours(1);
    o.chunk_target_points = 64;
    o.chunk_aggregates_min_points = 1;  // small chunks with pre-aggregates
    return o;
  }
  void Open() {
    auto db = Db::Open(options_);
    ASSERT_OK(db.status());
    db_ = *std::move(db);
  }
  void Reopen() {
    ASSERT_OK(db_->Close());
    db_.reset();
    Open();
  }
  void SetUp() override {
    options_ = MakeOptions();
    Open();
  }

  TempDir dir_;
  Options options_;
  std::unique_ptr<Db> db_;
};

TEST_F(DbTest, WriteReadAcrossFlushMergeAndReopen) {
  std::vector<int64_t> ts;
  std::vector<double> v;
  for (int i = 0; i < 500; i++) {
    ts.push_back(kT0 + i * 10 * kSec);
    v.push_back(20.0 + i * 0.1);
  }
  ASSERT_OK(WriteFloats(db_.get(), "cpu", "a", "temp", ts, v));
  SeriesId id = FindSeries(db_.get(), "cpu", "a", "temp");
  ASSERT_NE(id, kInvalidSeriesId);
  auto check = [&] {
    ASSERT_OK_AND_ASSIGN(auto got, ReadFloats(db_.get(), id));
    ASSERT_EQ(got.size(), ts.size());
    for (size_t i = 0; i < ts.size(); i++) EXPECT_EQ(got[ts[i]], v[i]);
  };
  check();
  ASSERT_OK(db_->Flush());
  check();
  ASSERT_OK(db_->Compact());
  check();
  Reopen();
  check();
  ASSERT_OK_AND_ASSIGN(auto stats, db_->GetStats());
  EXPECT_EQ(stats.stored_points, 500u);
  EXPECT_EQ(stats.series, 1u);
}

// Points a cursor over [start, end) decodes from chunks.
uint64_t PointsDecoded(Db* db, SeriesId id, int64_t start, int64_t end) {
  auto cursor = db->Read(id, start, end);
  EXPECT_OK(cursor.status());
  if (!cursor.ok()) return 0;
  codec::Columns all;
  EXPECT_OK((*cursor)->ReadAll(&all));
  return (*cursor)->stats().points_decoded;
}

TEST_F(DbTest, MergeKeepsTheNewestPointsInAShortTailChunk) {
  options_.chunk_tail_points = 16;  // target 64: the body is split in pieces of <= 64
  Reopen();
  std::vector<int64_t> ts;
  std::vector<double> v;
  for (int i = 0; i < 1000; i++) {  // one partition (1 h), written in ten sealed pieces
    ts.push_back(kT0 + i * kSec);
    v.push_back(i);
  }
  for (int k = 0; k < 10; k++) {
    ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {ts.begin() + k * 100, ts.begin() + (k + 1) * 100},
                          {v.begin() + k * 100, v.begin() + (k + 1) * 100}));
    ASSERT_OK(db_->Flush());
  }
  ASSERT_OK(db_->Compact());
  SeriesId id = FindSeries(db_.get(), "m", "a", "f");
  ASSERT_OK_AND_ASSIGN(auto got, ReadFloats(db_.get(), id));
  ASSERT_EQ(got.size(), 1000u);
  EXPECT_EQ(got[kT0 + 999 * kSec], 999);
  // Sealing cut each 100-point write into two 50-point chunks; two of them exceed the
  // 64-point target, so merging leaves them, except the last, which becomes 34 + a 16-point
  // tail. The last 10 s come from the tail.
  EXPECT_EQ(PointsDecoded(db_.get(), id, kT0 + 990 * kSec, kT0 + 1000 * kSec), 16u);
  ASSERT_OK_AND_ASSIGN(auto stats, db_->GetStats());
  EXPECT_EQ(stats.stored_chunks, 21u);

  // Newer points in the same partition: the tail joins their run and a new tail forms.
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 1000 * kSec, kT0 + 1001 * kSec}, {1000, 1001}));
  ASSERT_OK(db_->Flush());
  ASSERT_OK(db_->Compact());
  ASSERT_OK_AND_ASSIGN(got, ReadFloats(db_.get(), id));
  EXPECT_EQ(got.size(), 1002u);
  EXPECT_EQ(PointsDecoded(db_.get(), id, kT0 + 1000 * kSec, kT0 + 1002 * kSec), 16u);

  // A newer partition: the older one keeps what it has; the newer one is short (2 points).
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 7200 * kSec, kT0 + 7201 * kSec}, {1, 2}));
  ASSERT_OK(db_->Compact());
  ASSERT_OK_AND_ASSIGN(got, ReadFloats(db_.get(), id));
  EXPECT_EQ(got.size(), 1004u);
  Reopen();
  ASSERT_OK_AND_ASSIGN(got, ReadFloats(db_.get(), id));
  EXPECT_EQ(got.size(), 1004u);
}

TEST_F(DbTest, OlderPartitionsGetNoTailChunk) {
  options_.chunk_tail_points = 16;
  Reopen();
  // A newer partition exists before the older one is merged.
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 7200 * kSec}, {1}));
  ASSERT_OK(db_->Flush());
  for (int k = 0; k < 4; k++) {
    std::vector<int64_t> ts;
    std::vector<double> v;
    for (int i = k * 100; i < (k + 1) * 100; i++) {
      ts.push_back(kT0 + i * kSec);
      v.push_back(i);
    }
    ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", ts, v));
    ASSERT_OK(db_->Flush());
  }
  ASSERT_OK(db_->Compact());
  SeriesId id = FindSeries(db_.get(), "m", "a", "f");
  // Eight 50-point chunks (sealing halves each write), none cut into a 16-point tail.
  EXPECT_EQ(PointsDecoded(db_.get(), id, kT0 + 390 * kSec, kT0 + 400 * kSec), 50u);
  ASSERT_OK_AND_ASSIGN(auto stats, db_->GetStats());
  EXPECT_EQ(stats.stored_chunks, 9u);  // 8 + the newer partition's one
  ASSERT_OK_AND_ASSIGN(auto got, ReadFloats(db_.get(), id));
  EXPECT_EQ(got.size(), 401u);
}

// Regression (bench/compare, 2026-12-03): a flush that ran while the background sealer held
// a series' run frozen skipped that series, so points written meanwhile stayed in the head
// and pinned the WAL after Compact.
TEST_F(DbTest, FlushWaitsForABackgroundSealAndSealsWhatArrivedMeanwhile) {
  absl::Notification entered, release;
  std::atomic<bool> first{true};
  options_.head_seal_points = 5;  // the series is due for SealDue
  options_.hooks.after_chunk_write = [&] {
    if (first.exchange(false)) {
      entered.Notify();
      release.WaitForNotification();
    }
  };
  Reopen();
  std::vector<int64_t> ts;
  std::vector<double> v;
  for (int i = 0; i < 10; i++) {
    ts.push_back(kT0 + i * kSec);
    v.push_back(i);
  }
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", ts, v));
  std::thread sealer([&] { EXPECT_OK(db_->SealDue()); });
  entered.WaitForNotification();  // the run is frozen and its chunk written
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 20 * kSec, kT0 + 21 * kSec}, {20, 21}));
  std::thread flusher([&] { EXPECT_OK(db_->Flush()); });
  absl::SleepFor(absl::Milliseconds(100));
  release.Notify();
  sealer.join();
  flusher.join();
  ASSERT_OK_AND_ASSIGN(auto stats, db_->GetStats());
  EXPECT_EQ(stats.head_points, 0u);
  EXPECT_EQ(stats.stored_points, 12u);
}

TEST_F(DbTest, UnsealedDataSurvivesReopenThroughWal) {
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0, kT0 + kSec}, {1, 2}));
  // Drop without Close: nothing sealed, only the WAL holds the points.
  ASSERT_OK(db_->health());
  db_.reset();  // the destructor closes; emulate a crash instead by reopening a copy below
  Open();
  SeriesId id = FindSeries(db_.get(), "m", "a", "f");
  ASSERT_OK_AND_ASSIGN(auto got, ReadFloats(db_.get(), id));
  EXPECT_EQ(got.size(), 2u);
}

TEST_F(DbTest, LateAndDuplicatePointsLaterWriteWins) {
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 10 * kSec, kT0 + 20 * kSec}, {1, 2}));
  ASSERT_OK(db_->Flush());
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 10 * kSec, kT0 + 5 * kSec}, {9, 5}));
  SeriesId id = FindSeries(db_.get(), "m", "a", "f");
  std::map<int64_t, double> want = {
      {kT0 + 5 * kSec, 5}, {kT0 + 10 * kSec, 9}, {kT0 + 20 * kSec, 2}};
  ASSERT_OK_AND_ASSIGN(auto got, ReadFloats(db_.get(), id));
  EXPECT_EQ(got, want);
  ASSERT_OK(db_->Flush());
  ASSERT_OK_AND_ASSIGN(got, ReadFloats(db_.get(), id));
  EXPECT_EQ(got, want);
  ASSERT_OK(db_->Compact());
  ASSERT_OK_AND_ASSIGN(got, ReadFloats(db_.get(), id));
  EXPECT_EQ(got, want);
  // Same timestamp twice within one batch: the later row wins.
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 20 * kSec, kT0 + 20 * kSec}, {7, 8}));
  Reopen();
  ASSERT_OK_AND_ASSIGN(got, ReadFloats(db_.get(), id));
  EXPECT_EQ(got[kT0 + 20 * kSec], 8);
}

TEST_F(DbTest, EveryValueTypeRoundTrips) {
  std::vector<SeriesBatch> groups(1);
  SeriesBatch& g = groups[0];
  g.measurement = "truck";
  g.tags = {{"name", "t1"}, {"fleet", "east"}};
  g.timestamps = {kT0, kT0 + kSec, kT0 + 2 * kSec};
  FieldColumn i{"status", ValueType::kInt};
  i.ints = {INT64_MIN, 0, INT64_MAX};
  FieldColumn b{"ok", ValueType::kBool};
  b.bools = {1, 0, 1};
  FieldColumn s{"fw", ValueType::kString};
  s.strings = {"v1.2", "", "v1.3 ü"};
  s.valid = {1, 1, 0};
  g.fields = {i, b, s};
  ASSERT_OK(db_->Write(&groups, {}).status());
  for (int round = 0; round < 2; round++) {
    auto fw =
        db_->index().Find(keys::SeriesKeyBytes("truck", {{"fleet", "east"}, {"name", "t1"}}, "fw"));
    ASSERT_NE(fw, kInvalidSeriesId);
    ASSERT_OK_AND_ASSIGN(auto cursor, db_->Read(fw, INT64_MIN, INT64_MAX));
    codec::Columns all;
    ASSERT_OK(cursor->ReadAll(&all));
    EXPECT_EQ(all.strings, (std::vector<std::string>{"v1.2", ""}));
    auto st = db_->index().Find(
        keys::SeriesKeyBytes("truck", {{"fleet", "east"}, {"name", "t1"}}, "status"));
    ASSERT_OK_AND_ASSIGN(cursor, db_->Read(st, INT64_MIN, INT64_MAX));
    ASSERT_OK(cursor->ReadAll(&all));
    EXPECT_EQ(all.ints, (std::vector<int64_t>{INT64_MIN, 0, INT64_MAX}));
    ASSERT_OK_AND_ASSIGN(auto last, db_->Last(fw));
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->value.s, "");
    cursor.reset();  // cursors must not outlive the database
    ASSERT_OK(db_->Flush());
    Reopen();
  }
}

TEST_F(DbTest, TypeConflictIsRejectedAndLeavesNoTrace) {
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0}, {1}));
  std::vector<SeriesBatch> groups;
  groups.push_back(testing::FloatGroup("m", "b", "g", {kT0}, {1}));  // new series
  SeriesBatch bad;
  bad.measurement = "m";
  bad.tags = {{"device", "a"}};
  bad.timestamps = {kT0 + kSec};
  FieldColumn c{"f", ValueType::kInt};
  c.ints = {5};
  bad.fields.push_back(c);
  groups.push_back(bad);
  auto r = db_->Write(&groups, {});
  EXPECT_THAT(r.status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("field type conflict")));
  auto where = GetBatchError(r.status());
  ASSERT_TRUE(where.has_value());
  EXPECT_EQ(where->group, 1);
  EXPECT_EQ(where->field, "f");
  EXPECT_EQ(FindSeries(db_.get(), "m", "b", "g"), kInvalidSeriesId);
  EXPECT_EQ(db_->index().size(), 1u);
  Reopen();
  EXPECT_EQ(db_->index().size(), 1u);
}

TEST_F(DbTest, ValidationNamesTheProblem) {
  struct Case {
    std::function<void(SeriesBatch*)> mutate;
    std::string message;
  };
  std::vector<Case> cases = {
      {[](SeriesBatch* g) { g->measurement = ""; }, "measurement name is empty"},
      {[](SeriesBatch* g) { g->measurement = "a\xff"; }, "not valid UTF-8"},
      {[](SeriesBatch* g) {
         g->tags.push_back({"device", "x"});
       },
       "appears twice"},
      {[](SeriesBatch* g) {
         g->tags.push_back({"k", ""});
       },
       "value of tag \"k\" is empty"},
      {[](SeriesBatch* g) {
         g->tags.push_back({"time", "x"});
       },
       "cannot be a tag key"},
      {[](SeriesBatch* g) { g->fields[0].floats.push_back(1); },
       "has 2 values but the series has 1"},
      {[](SeriesBatch* g) { g->timestamps[0] = -5; }, "before the earliest accepted time"},
      {[](SeriesBatch* g) { g->timestamps[0] = INT64_MAX; }, "ahead of the server clock"},
      {[](SeriesBatch* g) { g->fields[0].name = "a\nb"; }, "control character 0x0a"},
      {[](SeriesBatch* g) { g->fields.push_back(g->fields[0]); }, "field appears twice"},
      {[](SeriesBatch* g) { g->measurement = std::string(300, 'x'); }, "the limit is 256"},
  };
  for (const auto& c : cases) {
    std::vector<SeriesBatch> groups;
    groups.push_back(testing::FloatGroup("m", "a", "f", {kT0}, {1}));
    c.mutate(&groups[0]);
    EXPECT_THAT(db_->Write(&groups, {}).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
  std::vector<SeriesBatch> none;
  EXPECT_THAT(db_->Write(&none, {}).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(db_->index().size(), 0u);
}

TEST_F(DbTest, IdempotentRetryIsAppliedOnceAcrossRestart) {
  std::vector<SeriesBatch> groups;
  groups.push_back(testing::FloatGroup("m", "a", "f", {kT0}, {1}));
  WriteOptions wo;
  wo.producer_id = "gw-1";
  wo.sequence = 42;
  ASSERT_OK_AND_ASSIGN(auto r1, db_->Write(&groups, wo));
  EXPECT_FALSE(r1.duplicate);
  groups[0].fields[0].floats[0] = 99;  // a retry must not change anything
  ASSERT_OK_AND_ASSIGN(auto r2, db_->Write(&groups, wo));
  EXPECT_TRUE(r2.duplicate);
  Reopen();
  ASSERT_OK_AND_ASSIGN(auto r3, db_->Write(&groups, wo));
  EXPECT_TRUE(r3.duplicate);
  ASSERT_OK(db_->Flush());  // WAL gone: the window lives in meta now
  Reopen();
  ASSERT_OK_AND_ASSIGN(auto r4, db_->Write(&groups, wo));
  EXPECT_TRUE(r4.duplicate);
  ASSERT_OK_AND_ASSIGN(auto got, ReadFloats(db_.get(), FindSeries(db_.get(), "m", "a", "f")));
  EXPECT_EQ(got[kT0], 1);
  wo.sequence = 43;
  ASSERT_OK_AND_ASSIGN(auto r5, db_->Write(&groups, wo));
  EXPECT_FALSE(r5.duplicate);
}

// Idempotency keys belong to the identity that wrote them: another identity reusing a
// producer_id and the victim's next sequence numbers gets a window of its own, and the
// victim's batches are still stored (regression: they were answered duplicate and dropped).
TEST_F(DbTest, IdempotencyWindowIsPerIdentity) {
  auto write = [&](const std::string& identity, uint64_t seq, double v) {
    std::vector<SeriesBatch> groups;
    groups.push_back(
        testing::FloatGroup("m", identity, "f", {kT0 + static_cast<int64_t>(seq)}, {v}));
    WriteOptions wo;
    wo.identity = identity;
    wo.producer_id = "gw-1";
    wo.sequence = seq;
    return db_->Write(&groups, wo);
  };
  for (uint64_t seq = 1; seq <= 5; seq++) {
    ASSERT_OK_AND_ASSIGN(auto r, write("mallory", seq, 0));
    EXPECT_FALSE(r.duplicate);
  }
  for (int round = 0; round < 3; round++) {
    for (uint64_t seq = 1; seq <= 5; seq++) {
      ASSERT_OK_AND_ASSIGN(auto r, write("alice", seq, static_cast<double>(seq)));
      EXPECT_EQ(r.duplicate, round > 0) << "round " << round << " seq " << seq;
    }
    if (round == 0) Reopen();  // from the WAL
    if (round == 1) {
      ASSERT_OK(db_->Flush());  // from the persisted window
      Reopen();
    }
  }
  ASSERT_OK_AND_ASSIGN(auto got, ReadFloats(db_.get(), FindSeries(db_.get(), "m", "alice", "f")));
  EXPECT_EQ(got.size(), 5u);
  EXPECT_EQ(got[kT0 + 3], 3);
}

// A producer that restarts its numbering inside the window (lost state) sends a new epoch:
// its batches are stored, not answered duplicate; within one epoch retries still are.
TEST_F(DbTest, NewProducerEpochStartsTheWindowOver) {
  auto write = [&](uint64_t epoch, uint64_t seq, int64_t ts) {
    std::vector<SeriesBatch> groups;
    groups.push_back(testing::FloatGroup("m", "a", "f", {ts}, {static_cast<double>(ts - kT0)}));
    WriteOptions wo;
    wo.identity = "dev";
    wo.producer_id = "meter-9";
    wo.producer_epoch = epoch;
    wo.sequence = seq;
    return db_->Write(&groups, wo);
  };
  for (uint64_t seq = 1; seq <= 100; seq++) ASSERT_OK(write(7, seq, kT0 + seq).status());
  ASSERT_OK_AND_ASSIGN(auto dup, write(7, 50, kT0 + 50));
  EXPECT_TRUE(dup.duplicate);
  // Reflashed: numbering starts at 1 again, under a new epoch.
  for (uint64_t seq = 1; seq <= 10; seq++) {
    ASSERT_OK_AND_ASSIGN(auto r, write(8, seq, kT0 + 1000 + seq));
    EXPECT_FALSE(r.duplicate) << seq;
  }
  Reopen();
  ASSERT_OK_AND_ASSIGN(auto again, write(8, 10, kT0 + 1010));
  EXPECT_TRUE(again.duplicate);
  ASSERT_OK_AND_ASSIGN(auto got, ReadFloats(db_.get(), FindSeries(db_.get(), "m", "a", "f")));
  EXPECT_EQ(got.size(), 110u);
}

// Authorization sees only validated batches: a malformed batch is refused as malformed and
// never reaches the callback; a refused one stores nothing.
TEST_F(DbTest, AuthorizeRunsAfterValidation) {
  int calls = 0;
  WriteOptions wo;
  wo.authorize = [&](const std::vector<SeriesBatch>& groups) {
    calls++;
    EXPECT_EQ(groups[0].tags.front().first, "a");  // sorted by validation
    return absl::PermissionDeniedError("no");
  };
  std::vector<SeriesBatch> bad;
  bad.push_back(testing::FloatGroup("m", "\xff", "f", {kT0}, {1}));
  EXPECT_THAT(db_->Write(&bad, wo).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid UTF-8")));
  EXPECT_EQ(calls, 0);
  std::vector<SeriesBatch> good;
  good.push_back(testing::FloatGroup("m", "x", "f", {kT0}, {1}));
  good[0].tags.insert(good[0].tags.begin(), {"z", "1"});
  good[0].tags.push_back({"a", "2"});
  EXPECT_THAT(db_->Write(&good, wo).status(), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(db_->index().size(), 0u);
}

// An error quoting a megabyte-long tag value carries a bounded, marked excerpt of it.
TEST_F(DbTest, ErrorsQuoteClientTextBounded) {
  std::vector<SeriesBatch> groups;
  groups.push_back(testing::FloatGroup("m", std::string(1 << 20, 'v'), "f", {kT0}, {1}));
  auto s = db_->Write(&groups, {}).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more bytes]")));
  EXPECT_LT(s.message().size(), 1024u);
  auto where = GetBatchError(s);
  ASSERT_TRUE(where.has_value());
  EXPECT_LT(where->series.size(), 512u);
}

TEST_F(DbTest, DeleteRangeAndMeasurement) {
  std::vector<int64_t> ts;
  std::vector<double> v;
  for (int i = 0; i < 300; i++) {
    ts.push_back(kT0 + i * 60 * kSec);
    v.push_back(i);
  }
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", ts, v));
  ASSERT_OK(WriteFloats(db_.get(), "m", "b", "f", ts, v));
  ASSERT_OK(db_->Flush());
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 100 * 60 * kSec}, {-1}));  // in head
  DeleteSpec spec;
  spec.measurement = "m";
  spec.matchers.push_back({TagMatcher::Op::kEqual, "device", "a", nullptr});
  spec.start = kT0 + 50 * 60 * kSec;
  spec.end = kT0 + 150 * 60 * kSec;
  ASSERT_OK_AND_ASSIGN(uint64_t n, db_->Delete(spec));
  EXPECT_EQ(n, 1u);
  auto check = [&] {
    ASSERT_OK_AND_ASSIGN(auto a, ReadFloats(db_.get(), FindSeries(db_.get(), "m", "a", "f")));
    EXPECT_EQ(a.size(), 200u);
    EXPECT_FALSE(a.contains(kT0 + 100 * 60 * kSec));
    EXPECT_TRUE(a.contains(kT0 + 49 * 60 * kSec));
    EXPECT_TRUE(a.contains(kT0 + 150 * 60 * kSec));
    ASSERT_OK_AND_ASSIGN(auto b, ReadFloats(db_.get(), FindSeries(db_.get(), "m", "b", "f")));
    EXPECT_EQ(b.size(), 300u);
  };
  check();
  Reopen();  // the delete is replayed from the WAL
  check();
  ASSERT_OK(db_->Compact());
  check();
  DeleteSpec all;
  all.measurement = "m";
  all.whole_measurement = true;
  ASSERT_OK_AND_ASSIGN(n, db_->Delete(all));
  EXPECT_EQ(n, 2u);
  EXPECT_TRUE(db_->index().Measurements().empty());
  Reopen();
  EXPECT_TRUE(db_->index().Measurements().empty());
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0}, {3}));
  ASSERT_OK_AND_ASSIGN(auto fresh, ReadFloats(db_.get(), FindSeries(db_.get(), "m", "a", "f")));
  EXPECT_EQ(fresh.size(), 1u);
}

TEST_F(DbTest, RetentionRejectsHidesAndRemoves) {
  int64_t now = kT0 + 10 * 3600 * kSec;
  options_.now = [&now] { return now; };
  options_.retention = absl::Hours(2);
  Reopen();
  EXPECT_THAT(WriteFloats(db_.get(), "m", "a", "f", {now - 3 * 3600 * kSec}, {1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("retention")));
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {now - 3600 * kSec, now}, {1, 2}));
  ASSERT_OK(db_->Flush());
  now += 90 * 60 * kSec;  // the first point is now expired
  SeriesId id = FindSeries(db_.get(), "m", "a", "f");
  ASSERT_OK_AND_ASSIGN(auto got, ReadFloats(db_.get(), id));
  EXPECT_EQ(got.size(), 1u);
  now += 10 * 3600 * kSec;
  ASSERT_OK(db_->Compact());
  ASSERT_OK_AND_ASSIGN(auto stats, db_->GetStats());
  EXPECT_EQ(stats.stored_points, 0u);
  ASSERT_OK_AND_ASSIGN(auto last, db_->Last(id));
  EXPECT_FALSE(last.has_value());
}

TEST_F(DbTest, LastValueCacheTracksGreatestTimestamp) {
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 10 * kSec, kT0 + 20 * kSec}, {1, 2}));
  SeriesId id = FindSeries(db_.get(), "m", "a", "f");
  ASSERT_OK_AND_ASSIGN(auto last, db_->Last(id));
  EXPECT_EQ(last->ts, kT0 + 20 * kSec);
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 5 * kSec}, {9}));  // late: not last
  ASSERT_OK_AND_ASSIGN(last, db_->Last(id));
  EXPECT_EQ(last->value.f, 2);
  ASSERT_OK(db_->Flush());
  Reopen();
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 15 * kSec}, {7}));  // unknown yet
  ASSERT_OK_AND_ASSIGN(last, db_->Last(id));
  EXPECT_EQ(last->ts, kT0 + 20 * kSec);
  EXPECT_EQ(last->value.f, 2);
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 20 * kSec}, {3}));  // rewrite wins
  ASSERT_OK_AND_ASSIGN(last, db_->Last(id));
  EXPECT_EQ(last->value.f, 3);
}

TEST_F(DbTest, SelectByTagMatchers) {
  for (const char* dev : {"truck_1", "truck_2", "truck_10", "van_1"}) {
    ASSERT_OK(WriteFloats(db_.get(), "m", dev, "f", {kT0}, {1}));
  }
  SeriesSelector sel{"m", {"f"}, {}};
  EXPECT_EQ(db_->index().Select(sel).size(), 4u);
  sel.matchers = {{TagMatcher::Op::kRegex, "device", "", std::make_shared<RE2>("truck_1.*")}};
  EXPECT_EQ(db_->index().Select(sel).size(), 2u);
  sel.matchers = {{TagMatcher::Op::kNotEqual, "device", "van_1", nullptr}};
  EXPECT_EQ(db_->index().Select(sel).size(), 3u);
  sel.matchers = {{TagMatcher::Op::kNotRegex, "device", "", std::make_shared<RE2>("truck.*")}};
  EXPECT_EQ(db_->index().Select(sel).size(), 1u);
  sel.matchers = {{TagMatcher::Op::kExists, "device", "", nullptr}};
  EXPECT_EQ(db_->index().Select(sel).size(), 4u);
  sel.matchers = {{TagMatcher::Op::kExists, "fleet", "", nullptr}};
  EXPECT_EQ(db_->index().Select(sel).size(), 0u);
  Reopen();
  sel.matchers = {{TagMatcher::Op::kEqual, "device", "truck_2", nullptr}};
  EXPECT_EQ(db_->index().Select(sel).size(), 1u);
  EXPECT_EQ(db_->index().TagValues("device", "m", 10).size(), 4u);
  EXPECT_EQ(db_->index().Fields("m").size(), 1u);
}

TEST_F(DbTest, CardinalityLimit) {
  options_.limits.max_series = 3;
  Reopen();
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0}, {1}));
  ASSERT_OK(WriteFloats(db_.get(), "m", "b", "f", {kT0}, {1}));
  ASSERT_OK(WriteFloats(db_.get(), "m", "c", "f", {kT0}, {1}));
  EXPECT_THAT(WriteFloats(db_.get(), "m", "d", "f", {kT0}, {1}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("cardinality")));
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 1}, {1}));  // existing still fine
}

TEST_F(DbTest, BackpressureUnderTinyBudget) {
  options_.head_memory_budget = 64 << 10;
  options_.head_seal_points = 1'000'000;
  Reopen();
  absl::Status s;
  int accepted = 0;
  for (int i = 0; i < 2000 && s.ok(); i++) {
    std::vector<int64_t> ts;
    std::vector<double> v;
    for (int k = 0; k < 100; k++) {
      ts.push_back(kT0 + (i * 100 + k) * kSec);
      v.push_back(std::sin(k) * 1e6);
    }
    s = WriteFloats(db_.get(), "m", "dev" + std::to_string(i % 50), "f", ts, v);
    if (s.ok()) accepted++;
  }
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("retry after")));
  ASSERT_OK(db_->SealDue());  // sealing frees the head
  EXPECT_LT(db_->GetStats()->head_bytes, options_.head_memory_budget);
  ASSERT_OK(WriteFloats(db_.get(), "m", "dev0", "f", {kT0 - kSec}, {1}));
  uint64_t total = 0;
  for (int d = 0; d < 50; d++) {
    ASSERT_OK_AND_ASSIGN(
        auto got,
        ReadFloats(db_.get(), FindSeries(db_.get(), "m", "dev" + std::to_string(d), "f")));
    total += got.size();
  }
  EXPECT_EQ(total, static_cast<uint64_t>(accepted) * 100 + 1);
}

TEST_F(DbTest, SnapshotOpensAsADatabase) {
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0, kT0 + kSec}, {1, 2}));
  ASSERT_OK(db_->Flush());
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 2 * kSec}, {3}));  // only in the WAL
  TempDir snap_parent;
  std::string snap = snap_parent.Sub("snap");
  ASSERT_OK(db_->Snapshot(snap));
  EXPECT_THAT(db_->Snapshot(snap), StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", {kT0 + 3 * kSec}, {4}));  // after: not in it
  Options o = MakeOptions();
  o.dir = snap;
  ASSERT_OK_AND_ASSIGN(auto copy, Db::Open(o));
  ASSERT_OK_AND_ASSIGN(auto got, ReadFloats(copy.get(), FindSeries(copy.get(), "m", "a", "f")));
  EXPECT_EQ(got.size(), 3u);
}

TEST_F(DbTest, ReadStatsShowChunksAndPreaggregates) {
  std::vector<int64_t> ts;
  std::vector<double> v;
  for (int i = 0; i < 64 * 4; i++) {
    ts.push_back(kT0 + i * kSec);
    v.push_back(i);
  }
  ASSERT_OK(WriteFloats(db_.get(), "m", "a", "f", ts, v));
  ASSERT_OK(db_->Compact());
  SeriesId id = FindSeries(db_.get(), "m", "a", "f");
  ASSERT_OK_AND_ASSIGN(auto cursor, db_->Read(id, kT0, kT0 + 10 * kSec));
  ASSERT_OK_AND_ASSIGN(bool more, cursor->Next());
  ASSERT_TRUE(more);
  ASSERT_NE(cursor->block().header, nullptr);  // a whole, exclusive chunk
  EXPECT_EQ(cursor->block().header->count, 64u);
  EXPECT_EQ(cursor->block().header->fsum, 63 * 64 / 2);
  ASSERT_OK_AND_ASSIGN(more, cursor->Next());
  EXPECT_FALSE(more);
  EXPECT_EQ(cursor->stats().chunks_read, 1u);  // a narrow range touches one chunk
  EXPECT_EQ(cursor->stats().points_decoded, 0u);
}

TEST_F(DbTest, SmallChunksWithoutPreaggregatesAreDecoded) {
  Options o = MakeOptions();
  o.dir = dir_.path() + "/noagg";
  o.chunk_aggregates_min_points = 256;  // the default: 64-point chunks carry none
  ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));
  std::vector<int64_t> ts;
  std::vector<double> v;
  for (int i = 0; i < 64 * 4; i++) {
    ts.push_back(kT0 + i * kSec);
    v.push_back(i);
  }
  ASSERT_OK(WriteFloats(db.get(), "m", "a", "f", ts, v));
  ASSERT_OK(db->Compact());
  SeriesId id = FindSeries(db.get(), "m", "a", "f");
  ASSERT_OK_AND_ASSIGN(auto cursor, db->Read(id, kT0, kT0 + 10 * kSec));
  ASSERT_OK_AND_ASSIGN(bool more, cursor->Next());
  ASSERT_TRUE(more);
  EXPECT_EQ(cursor->block().header, nullptr);  // exclusive, but nothing to pre-aggregate with
  EXPECT_EQ(cursor->block().count, 64u);
  codec::Columns cols;
  ASSERT_OK(cursor->Decode(&cols));
  EXPECT_EQ(cols.size(), 10u);  // clipped to the range
  EXPECT_EQ(cols.floats.back(), 9);
  ASSERT_OK_AND_ASSIGN(auto all, ReadFloats(db.get(), id));
  EXPECT_EQ(all.size(), 256u);
}

// Random interleavings of in-order, late and duplicate writes, flushes, merges and reopens
// against a std::map model.
TEST_F(DbTest, PropertyRandomOperationsMatchModel) {
  std::mt19937_64 rng(12345);
  std::map<std::string, std::map<int64_t, double>> model;
  const std::vector<std::string> devices = {"a", "b", "c"};
  int64_t cursor = kT0;
  for (int step = 0; step < 400; step++) {
    int op = static_cast<int>(rng() % 100);
    if (op < 70) {
      const std::string& dev = devices[rng() % devices.size()];
      std::vector<int64_t> ts;
      std::vector<double> vals;
      int n = 1 + static_cast<int>(rng() % 40);
      for (int i = 0; i < n; i++) {
        int64_t t;
        int kind = static_cast<int>(rng() % 10);
        if (kind < 6) {
          cursor += kSec * (1 + static_cast<int64_t>(rng() % 30));
          t = cursor;
        } else if (kind < 9) {
          t = kT0 + static_cast<int64_t>(rng() % static_cast<uint64_t>(cursor - kT0 + 1));
          t -= t % kSec;  // late: often a duplicate of an existing second
        } else {
          t = cursor;  // exact duplicate of the newest
        }
        ts.push_back(t);
        vals.push_back(static_cast<double>(rng() % 10000) / 100);
      }
      ASSERT_OK(WriteFloats(db_.get(), "m", dev, "f", ts, vals,
                            rng() % 2 ? AckMode::kSync : AckMode::kAsync));
      for (int i = 0; i < n; i++) model[dev][ts[i]] = vals[i];
    } else if (op < 80) {
      ASSERT_OK(db_->Flush());
    } else if (op < 88) {
      ASSERT_OK(db_->SealDue());
      ASSERT_OK(db_->MergeDue());
    } else if (op < 93) {
      ASSERT_OK(db_->Compact());
    } else if (op < 97) {
      Reopen();
    } else {
      const std::string& dev = devices[rng() % devices.size()];
      DeleteSpec spec;
      spec.measurement = "m";
      spec.matchers.push_back({TagMatcher::Op::kEqual, "device", dev, nullptr});
      spec.start = kT0 + static_cast<int64_t>(rng() % static_cast<uint64_t>(cursor - kT0 + 1));
      spec.end = spec.start + static_cast<int64_t>(rng() % (3600 * kSec));
      if (spec.end <= spec.start) spec.end = spec.start + 1;
      ASSERT_OK(db_->Delete(spec).status());
      auto& m = model[dev];
      for (auto it = m.lower_bound(spec.start); it != m.end() && it->first < spec.end;) {
        it = m.erase(it);
      }
    }
    if (step % 20 == 0 || step == 399) {
      for (const auto& dev : devices) {
        SeriesId id = FindSeries(db_.get(), "m", dev, "f");
        if (id == kInvalidSeriesId) {
          EXPECT_TRUE(model[dev].empty());
          continue;
        }
        ASSERT_OK_AND_ASSIGN(auto got, ReadFloats(db_.get(), id));
        ASSERT_EQ(got, model[dev]) << "device " << dev << " at step " << step;
        // A sub-range read agrees too.
        int64_t a = kT0 + static_cast<int64_t>(rng() % static_cast<uint64_t>(cursor - kT0 + 1));
        ASSERT_OK_AND_ASSIGN(auto part, ReadFloats(db_.get(), id, a, a + 600 * kSec));
        std::map<int64_t, double> want(model[dev].lower_bound(a),
                                       model[dev].lower_bound(a + 600 * kSec));
        ASSERT_EQ(part, want);
        ASSERT_OK_AND_ASSIGN(auto last, db_->Last(id));
        if (model[dev].empty()) {
          EXPECT_FALSE(last.has_value());
        } else {
          ASSERT_TRUE(last.has_value());
          EXPECT_EQ(last->ts, model[dev].rbegin()->first);
          EXPECT_EQ(last->value.f, model[dev].rbegin()->second);
        }
      }
    }
  }
}

}  // namespace
}  // namespace telemdb::storage
