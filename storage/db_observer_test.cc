// The apply observer, ReadAt's seam and WriteMeta.
#include <atomic>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "storage/db.h"
#include "storage/testing/db_test_util.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::storage {
namespace {

using ::telemdb::storage::testing::FindSeries;
using ::telemdb::storage::testing::WriteFloats;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;
constexpr int64_t kSec = 1'000'000'000;

struct Seen {
  uint64_t seq;
  std::string measurement;
  std::vector<int64_t> ts;
  SeriesId id;
};

class Recorder : public ApplyObserver {
 public:
  void OnApply(uint64_t seq, const std::vector<SeriesBatch>& groups,
               const std::vector<std::vector<SeriesId>>& ids) override {
    absl::MutexLock l(&mu);
    for (size_t g = 0; g < groups.size(); g++) {
      seen.push_back({seq, groups[g].measurement, groups[g].timestamps, ids[g][0]});
    }
  }
  absl::Mutex mu;
  std::vector<Seen> seen;
};

std::unique_ptr<Db> OpenDb(const std::string& dir) {
  Options o;
  o.dir = dir;
  o.background = false;
  auto db = Db::Open(o);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

TEST(ApplyObserverTest, SeesEveryBatchInOrderWithIncreasingSeq) {
  TempDir dir;
  auto db = OpenDb(dir.path());
  Recorder rec;
  ASSERT_OK(WriteFloats(db.get(), "m", "a", "f", {kT0}, {1}));  // before the observer
  db->SetApplyObserver(&rec);
  ASSERT_OK(WriteFloats(db.get(), "m", "a", "f", {kT0 + kSec}, {2}));
  ASSERT_OK(WriteFloats(db.get(), "n", "b", "g", {kT0 + 2 * kSec, kT0 + 3 * kSec}, {3, 4},
                        AckMode::kAsync));
  db->SetApplyObserver(nullptr);
  ASSERT_OK(WriteFloats(db.get(), "m", "a", "f", {kT0 + 4 * kSec}, {5}));
  ASSERT_EQ(rec.seen.size(), 2u);
  EXPECT_EQ(rec.seen[0].measurement, "m");
  EXPECT_EQ(rec.seen[0].seq, 2u);
  EXPECT_EQ(rec.seen[0].id, FindSeries(db.get(), "m", "a", "f"));
  EXPECT_EQ(rec.seen[1].seq, 3u);
  EXPECT_EQ(rec.seen[1].ts, (std::vector<int64_t>{kT0 + 2 * kSec, kT0 + 3 * kSec}));
  EXPECT_EQ(db->applied_seq(), 4u);
}

TEST(ApplyObserverTest, RejectedBatchIsNotObserved) {
  TempDir dir;
  auto db = OpenDb(dir.path());
  Recorder rec;
  db->SetApplyObserver(&rec);
  std::vector<SeriesBatch> groups = {testing::FloatGroup("m", "a", "f", {kT0}, {1})};
  WriteOptions wo;
  wo.authorize = [](const std::vector<SeriesBatch>&) { return absl::PermissionDeniedError("no"); };
  EXPECT_FALSE(db->Write(&groups, wo).ok());
  EXPECT_TRUE(rec.seen.empty());
  db->SetApplyObserver(nullptr);
}

// Concurrent writers and ReadAt snapshots: for every snapshot, the points it holds are
// exactly those of the batches with seq <= its applied seq.
TEST(ApplyObserverTest, ReadAtSeparatesAppliedFromLater) {
  TempDir dir;
  auto db = OpenDb(dir.path());
  ASSERT_OK(WriteFloats(db.get(), "m", "a", "f", {kT0}, {0}));
  const SeriesId id = FindSeries(db.get(), "m", "a", "f");
  Recorder rec;
  db->SetApplyObserver(&rec);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 1; i < 2000; i++) {
      ASSERT_OK(
          WriteFloats(db.get(), "m", "a", "f", {kT0 + i * kSec}, {double(i)}, AckMode::kAsync));
    }
    done = true;
  });
  int checks = 0;
  while (!done) {
    uint64_t snap = 0;
    auto cursor = db->ReadAt(id, INT64_MIN, INT64_MAX, &snap);
    ASSERT_OK(cursor.status());
    codec::Columns all;
    ASSERT_OK((*cursor)->ReadAll(&all));
    absl::MutexLock l(&rec.mu);
    // Every observed batch up to snap is in the cursor, every later one is not.
    for (const Seen& s : rec.seen) {
      bool in = std::binary_search(all.ts.begin(), all.ts.end(), s.ts[0]);
      EXPECT_EQ(in, s.seq <= snap) << "seq " << s.seq << " snap " << snap;
      checks++;
    }
  }
  writer.join();
  db->SetApplyObserver(nullptr);
  EXPECT_GT(checks, 0);
}

TEST(WriteMetaTest, PutsAndDeletesTogether) {
  TempDir dir;
  auto db = OpenDb(dir.path());
  ASSERT_OK(db->PutMeta("x/1", "one"));
  ASSERT_OK(db->WriteMeta({{"x/1", std::nullopt}, {"x/2", "two"}, {"x/3", "three"}}));
  auto all = db->ScanMeta("x/");
  ASSERT_OK(all.status());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].first, "x/2");
  EXPECT_EQ((*all)[1].second, "three");
}

}  // namespace
}  // namespace telemdb::storage
