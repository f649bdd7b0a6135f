// Simulated power cuts: the WAL and RocksDB lose (or tear) everything they did not sync.
// Every acked point must survive; an unacked batch must be there entirely or not at all.
#include <random>
#include <thread>

#include "gtest/gtest.h"
#include "storage/db.h"
#include "storage/testing/db_test_util.h"
#include "storage/testing/fault_rocks_env.h"
#include "storage/wal/fault_wal_fs.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::storage {
namespace {

using ::telemdb::storage::testing::FindSeries;
using ::telemdb::storage::testing::ReadFloats;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;
constexpr int64_t kSec = 1'000'000'000;

struct Batch {
  std::string device;
  std::vector<int64_t> ts;
  std::vector<double> values;
  bool acked = false;
};

// Runs one cycle and returns how many violations it saw: acked points lost, half-applied
// batches, points nobody wrote, or a database that no longer opens. With `strict`, each
// violation also fails the test.
int RunCycle(uint64_t seed, bool sync_is_noop, bool strict) {
  std::mt19937_64 rng(seed);
  TempDir dir;
  wal::FaultWalFs wal_fs;
  wal_fs.set_sync_is_noop(sync_is_noop);
  testing::FaultRocksEnv rocks;
  Options o;
  o.dir = dir.path();
  o.background = false;
  o.partition = absl::Hours(1);
  o.chunk_target_points = 50;
  o.head_seal_points = 40;
  o.wal_segment_bytes = 4096;
  o.wal_fs = &wal_fs;
  o.rocksdb_env = rocks.env();
  // Cut the power at a random moment, possibly inside the WAL -> RocksDB hand-over.
  const int cut_at = 20 + static_cast<int>(rng() % 150);
  std::atomic<int> events{0};
  auto maybe_cut = [&] {
    if (++events == cut_at) {
      wal_fs.PowerCut();
      rocks.PowerCut();
    }
  };
  o.hooks.after_wal_sync = maybe_cut;
  o.hooks.after_chunk_write = maybe_cut;
  o.hooks.before_segment_delete = maybe_cut;
  o.hooks.after_merge_write = maybe_cut;

  std::vector<Batch> batches;
  {
    auto opened = Db::Open(o);
    EXPECT_OK(opened.status());
    if (!opened.ok()) return 0;
    std::unique_ptr<Db> db = *std::move(opened);
    std::map<std::string, int64_t> next_ts;
    for (int step = 0; step < 400 && !wal_fs.dead(); step++) {
      int op = static_cast<int>(rng() % 100);
      if (op < 75) {
        Batch b;
        b.device = "d" + std::to_string(rng() % 4);
        int64_t& t = next_ts[b.device];
        if (t == 0) t = kT0;
        int n = 1 + static_cast<int>(rng() % 30);
        for (int i = 0; i < n; i++) {
          t += kSec * (1 + static_cast<int64_t>(rng() % 100));
          b.ts.push_back(t);
          b.values.push_back(static_cast<double>(rng() % 100000) / 1000);
        }
        if (rng() % 5 == 0) std::reverse(b.ts.begin(), b.ts.end());  // out of order
        b.acked = testing::WriteFloats(db.get(), "m", b.device, "f", b.ts, b.values).ok();
        batches.push_back(std::move(b));
        maybe_cut();
      } else if (op < 85) {
        (void)db->SealDue();
      } else if (op < 92) {
        (void)db->CheckpointWal();
      } else if (op < 96) {
        (void)db->MergeDue();
      } else {
        (void)db->Flush();
      }
    }
    wal_fs.PowerCut();
    rocks.PowerCut();
    (void)db->Close();  // everything fails: the machine is off
  }
  wal_fs.DropUnsynced(/*tear_seed=*/rng() | 1);
  rocks.DropUnsynced();
  wal_fs.Revive();
  rocks.Revive();
  o.hooks = TestHooks();
  auto reopened = Db::Open(o);
  if (strict) EXPECT_OK(reopened.status()) << "seed " << seed;
  if (!reopened.ok()) return 1;
  std::unique_ptr<Db> db = *std::move(reopened);
  std::map<std::string, std::map<int64_t, double>> stored;
  for (int d = 0; d < 4; d++) {
    std::string dev = "d" + std::to_string(d);
    SeriesId id = FindSeries(db.get(), "m", dev, "f");
    if (id == kInvalidSeriesId) continue;
    auto got = ReadFloats(db.get(), id);
    EXPECT_OK(got.status());
    if (got.ok()) stored[dev] = *got;
  }
  int violations = 0;
  size_t expected_points = 0;
  for (const auto& b : batches) {
    size_t present = 0;
    for (size_t i = 0; i < b.ts.size(); i++) {
      auto it = stored[b.device].find(b.ts[i]);
      if (it == stored[b.device].end()) continue;
      present++;
      if (it->second != b.values[i]) violations++;
      if (strict) EXPECT_EQ(it->second, b.values[i]) << "seed " << seed;
    }
    if (b.acked && present != b.ts.size()) {
      violations++;
      if (strict) {
        ADD_FAILURE() << "seed " << seed << ": an acked batch lost " << b.ts.size() - present
                      << " of " << b.ts.size() << " points";
      }
    }
    if (!b.acked && present != 0 && present != b.ts.size()) {
      violations++;
      if (strict) {
        ADD_FAILURE() << "seed " << seed << ": an unacked batch is half-applied (" << present
                      << " of " << b.ts.size() << ")";
      }
    }
    if (present > 0) expected_points += b.ts.size();
  }
  size_t total = 0;
  for (const auto& [dev, pts] : stored) total += pts.size();
  if (total != expected_points) violations++;
  if (strict) EXPECT_EQ(total, expected_points) << "seed " << seed << ": points nobody wrote";
  EXPECT_OK(db->Close());
  return violations;
}

TEST(PowerLossTest, AckedPointsSurviveEveryCut) {
  int cycles = 40;
  if (const char* env = std::getenv("TELEMDB_POWER_CYCLES")) cycles = std::atoi(env);
  for (int seed = 1; seed <= cycles; seed++) {
    EXPECT_EQ(RunCycle(static_cast<uint64_t>(seed), /*sync_is_noop=*/false, /*strict=*/true), 0)
        << "seed " << seed;
  }
}

// Regression: a torn WAL tail was truncated at open without an fsync, so a second power cut
// could bring the torn bytes back, now in front of later segments, and the next open failed
// with DataLoss. The truncation must be durable.
TEST(PowerLossTest, TruncatedTornTailStaysTruncated) {
  int truncations = 0;
  for (uint64_t seed = 1; seed <= 20; seed++) {
    TempDir dir;
    wal::FaultWalFs wal_fs;
    Options o;
    o.dir = dir.path();
    o.background = false;
    o.async_sync_interval = absl::Hours(1);  // ASYNC writes stay unsynced: a tail to tear
    o.wal_fs = &wal_fs;
    int64_t t = kT0;
    std::vector<int64_t> acked;
    auto write = [&](Db* db, AckMode mode) {
      t += kSec;
      bool ok = testing::WriteFloats(db, "m", "d", "f", {t}, {1.0}, mode).ok();
      if (ok && mode == AckMode::kSync) acked.push_back(t);
    };
    {
      ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));
      for (int i = 0; i < 5; i++) write(db.get(), AckMode::kSync);
      for (int i = 0; i < 5; i++) write(db.get(), AckMode::kAsync);
      wal_fs.PowerCut();
      (void)db->Close();
    }
    wal_fs.DropUnsynced(seed);  // leaves a torn tail in the last segment
    wal_fs.Revive();
    {
      ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));  // truncates the torn tail
      truncations += wal_fs.truncations();
      for (int i = 0; i < 3; i++) write(db.get(), AckMode::kSync);  // into a later segment
      wal_fs.PowerCut();
      (void)db->Close();
    }
    wal_fs.DropUnsynced(0);
    wal_fs.Revive();
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));
    ASSERT_OK_AND_ASSIGN(auto got, ReadFloats(db.get(), FindSeries(db.get(), "m", "d", "f")));
    for (int64_t ts : acked) EXPECT_TRUE(got.contains(ts)) << "seed " << seed;
  }
  EXPECT_GT(truncations, 0);  // the scenario happened
}

// The same test must catch a WAL that skips its fsync: otherwise it proves nothing.
TEST(PowerLossTest, DetectsAWalThatSkipsFsync) {
  int violations = 0;
  for (int seed = 1; seed <= 10; seed++) {
    violations += RunCycle(static_cast<uint64_t>(seed), /*sync_is_noop=*/true, /*strict=*/false);
  }
  EXPECT_GT(violations, 0);
}

}  // namespace
}  // namespace telemdb::storage

namespace telemdb::storage {
namespace {

// ASYNC acks: a power cut may lose what was acknowledged within the last sync interval (the
// periodic fsync), never anything older, and never half a batch.
TEST(PowerLossTest, AsyncAcksLoseAtMostTheLastSyncInterval) {
  const absl::Duration interval = absl::Milliseconds(50);
  const auto slack = std::chrono::milliseconds(100);  // scheduling jitter on a loaded machine
  int cycles = 10;
  int lost_batches = 0;
  double worst_lost_age_ms = 0;
  for (int cycle = 0; cycle < cycles; cycle++) {
    std::mt19937_64 rng(static_cast<uint64_t>(cycle) + 100);
    TempDir dir;
    wal::FaultWalFs wal_fs;
    testing::FaultRocksEnv rocks;
    Options o;
    o.dir = dir.path();
    o.background = false;
    o.async_sync_interval = interval;
    o.wal_fs = &wal_fs;
    o.rocksdb_env = rocks.env();
    struct Acked {
      Batch batch;
      std::chrono::steady_clock::time_point at;
    };
    std::vector<Acked> acked;
    std::vector<Batch> unacked;
    std::chrono::steady_clock::time_point cut;
    {
      ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));
      auto deadline =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(200 + rng() % 400);
      int64_t t = kT0;
      while (std::chrono::steady_clock::now() < deadline) {
        Batch b;
        b.device = "d" + std::to_string(rng() % 3);
        for (int i = 0; i < 20; i++) {
          t += kSec;
          b.ts.push_back(t);
          b.values.push_back(static_cast<double>(rng() % 1000));
        }
        bool ok =
            testing::WriteFloats(db.get(), "m", b.device, "f", b.ts, b.values, AckMode::kAsync)
                .ok();
        if (ok) {
          acked.push_back({b, std::chrono::steady_clock::now()});
        } else {
          unacked.push_back(b);
        }
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
      cut = std::chrono::steady_clock::now();
      wal_fs.PowerCut();
      rocks.PowerCut();
      (void)db->Close();
    }
    wal_fs.DropUnsynced(rng() | 1);
    rocks.DropUnsynced();
    wal_fs.Revive();
    rocks.Revive();
    ASSERT_OK_AND_ASSIGN(auto db, Db::Open(o));
    std::map<std::string, std::map<int64_t, double>> stored;
    for (int d = 0; d < 3; d++) {
      std::string dev = "d" + std::to_string(d);
      SeriesId id = FindSeries(db.get(), "m", dev, "f");
      if (id == kInvalidSeriesId) continue;
      ASSERT_OK_AND_ASSIGN(stored[dev], ReadFloats(db.get(), id));
    }
    for (const auto& a : acked) {
      size_t present = 0;
      for (int64_t ts : a.batch.ts) present += stored[a.batch.device].count(ts);
      ASSERT_TRUE(present == 0 || present == a.batch.ts.size()) << "half-applied batch";
      if (present == 0) {
        lost_batches++;
        double age = std::chrono::duration<double, std::milli>(cut - a.at).count();
        worst_lost_age_ms = std::max(worst_lost_age_ms, age);
        EXPECT_LE(cut - a.at, absl::ToChronoMilliseconds(interval) + slack)
            << "an ASYNC ack older than the sync interval was lost";
      }
    }
    for (const auto& b : unacked) {
      size_t present = 0;
      for (int64_t ts : b.ts) present += stored[b.device].count(ts);
      ASSERT_TRUE(present == 0 || present == b.ts.size()) << "half-applied batch";
    }
  }
  std::printf(
      "async power cuts: %d cycles, %d acked batches lost, oldest lost ack %.1f ms "
      "before the cut (interval %ld ms)\n",
      cycles, lost_batches, worst_lost_age_ms, absl::ToInt64Milliseconds(interval));
}

}  // namespace
}  // namespace telemdb::storage
