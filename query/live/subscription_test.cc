#include "query/live/subscription.h"

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "storage/testing/db_test_util.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::query {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;
constexpr int64_t kSec = 1'000'000'000;

class SubscriptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::Options o;
    o.dir = dir_.path();
    o.background = false;
    auto db = storage::Db::Open(o);
    ASSERT_OK(db.status());
    db_ = *std::move(db);
    db_->SetApplyObserver(&hub_);
  }
  void TearDown() override { db_->SetApplyObserver(nullptr); }

  LiveSelector Selector(const std::string& where = "") {
    LiveSelectorSpec s;
    s.measurement = "m";
    s.where = where;
    return *LiveSelector::Create(s);
  }
  absl::Status Write(const std::string& dev, int64_t ts, double v) {
    return storage::testing::WriteFloats(db_.get(), "m", dev, "f", {ts}, {v},
                                         storage::AckMode::kAsync);
  }
  // Every message until nothing is ready.
  std::vector<LiveMessage> TakeAll(Subscription* s) {
    std::vector<LiveMessage> out;
    LiveMessage m;
    while (s->Take(1 << 20, &m)) out.push_back(std::move(m));
    return out;
  }

  TempDir dir_;
  LiveHub hub_;
  std::unique_ptr<storage::Db> db_;
  MemoryBudget budget_{64 << 20};
};

TEST_F(SubscriptionTest, DeliversMatchingLivePoints) {
  Subscription sub(Selector("device = 'a'"), SubscriptionOptions(), &budget_);
  std::atomic<int> wakes{0};
  sub.SetWake([&] { wakes++; });
  sub.Start(&hub_, db_.get(), std::nullopt);
  ASSERT_OK(Write("a", kT0, 1));
  ASSERT_OK(Write("b", kT0, 2));
  ASSERT_OK(Write("a", kT0 + kSec, 3));
  hub_.Drain();
  auto msgs = TakeAll(&sub);
  ASSERT_EQ(msgs.size(), 1u);
  ASSERT_EQ(msgs[0].frames.size(), 2u);
  EXPECT_EQ(msgs[0].frames[0].tags, (storage::TagSet{{"device", "a"}}));
  EXPECT_EQ(msgs[0].frames[1].time, std::vector<int64_t>{kT0 + kSec});
  EXPECT_EQ(msgs[0].frames[1].columns[0].floats, std::vector<double>{3});
  EXPECT_FALSE(msgs[0].frames[0].history);
  EXPECT_GE(wakes.load(), 1);
  EXPECT_EQ(budget_.used(), 0u);
}

// A reader that never reads: the buffer stays within its bound, the overflow message says
// exactly how many points were dropped, and the budget is given back.
TEST_F(SubscriptionTest, StalledReaderOverflowsWithinBounds) {
  SubscriptionOptions o;
  o.buffer_bytes = 16 << 10;
  Subscription sub(Selector(), o, &budget_);
  sub.Start(&hub_, db_.get(), std::nullopt);
  const int kPoints = 2000;
  for (int i = 0; i < kPoints; i++) ASSERT_OK(Write("a", kT0 + i, i));
  hub_.Drain();
  EXPECT_LE(budget_.used(), o.buffer_bytes);
  auto msgs = TakeAll(&sub);
  uint64_t got = 0, dropped = 0;
  bool saw_overflow = false;
  for (const auto& m : msgs) {
    if (m.kind == LiveMessage::Kind::kOverflow) {
      saw_overflow = true;
      dropped += m.dropped_points;
      EXPECT_EQ(m.dropped_points, m.dropped_values);
    }
    for (const auto& f : m.frames) got += f.rows();
  }
  EXPECT_TRUE(saw_overflow);
  EXPECT_EQ(got + dropped, static_cast<uint64_t>(kPoints));
  EXPECT_EQ(sub.counters().dropped_points, dropped);
  EXPECT_EQ(budget_.used(), 0u);
  // After the reader caught up, new points flow again.
  ASSERT_OK(Write("a", kT0 + kPoints, 1));
  hub_.Drain();
  msgs = TakeAll(&sub);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].kind, LiveMessage::Kind::kFrames);
}

TEST_F(SubscriptionTest, SharedBudgetBoundsEverySubscription) {
  MemoryBudget small(8 << 10);
  Subscription a(Selector(), SubscriptionOptions(), &small);
  Subscription b(Selector(), SubscriptionOptions(), &small);
  a.Start(&hub_, db_.get(), std::nullopt);
  b.Start(&hub_, db_.get(), std::nullopt);
  for (int i = 0; i < 500; i++) ASSERT_OK(Write("a", kT0 + i, i));
  hub_.Drain();
  EXPECT_LE(small.used(), small.limit());
  EXPECT_GT(a.counters().dropped_points + b.counters().dropped_points, 0u);
}

// History then live with writers running throughout: every point exactly once, history
// before the caught-up marker.
TEST_F(SubscriptionTest, SinceSeamHasNoGapAndNoDuplicate) {
  std::atomic<int> next{0};
  for (int i = 0; i < 300; i++) {
    ASSERT_OK(Write(i % 2 ? "a" : "b", kT0 + next * kSec, next));
    next++;
  }
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop) {
      int i = next++;
      ASSERT_OK(Write(i % 2 ? "a" : "b", kT0 + int64_t{i} * kSec, i));
    }
  });
  SubscriptionOptions o;
  o.frame_rows = 7;  // many history frames
  Subscription sub(Selector(), o, &budget_);
  sub.Start(&hub_, db_.get(), kT0);
  std::map<int64_t, int> seen;  // ts -> times delivered
  bool caught_up = false, history_after_marker = false;
  auto consume = [&] {
    LiveMessage m;
    while (sub.Take(1 << 20, &m)) {
      ASSERT_NE(m.kind, LiveMessage::Kind::kOverflow);
      if (m.kind == LiveMessage::Kind::kCaughtUp) caught_up = true;
      for (const auto& f : m.frames) {
        if (f.history && caught_up) history_after_marker = true;
        for (int64_t t : f.time) seen[t]++;
      }
    }
  };
  while (!caught_up) {
    sub.Wait(absl::Milliseconds(100));
    ASSERT_OK(sub.ended());
    consume();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  writer.join();
  hub_.Drain();
  consume();
  EXPECT_FALSE(history_after_marker);
  const int total = next.load();
  ASSERT_EQ(seen.size(), static_cast<size_t>(total));
  for (const auto& [t, n] : seen) EXPECT_EQ(n, 1) << "ts " << (t - kT0) / kSec;
  EXPECT_EQ(sub.counters().dropped_points, 0u);
}

// The hub lags behind: a write the history already read reaches the subscription only after
// the catch-up. It must not be delivered twice. (Events are injected by hand here: the
// database has no observer, so nothing else reaches the subscription.)
TEST_F(SubscriptionTest, SeamHoldsWhenTheHubLagsBehindTheHistory) {
  db_->SetApplyObserver(nullptr);
  for (int i = 0; i < 10; i++) ASSERT_OK(Write("a", kT0 + i, i));
  const uint64_t read_seq = db_->applied_seq();  // the last write: the history will read it
  Subscription sub(Selector(), SubscriptionOptions(), &budget_);
  sub.Start(&hub_, db_.get(), kT0);
  std::map<int64_t, int> seen;
  bool caught_up = false;
  auto consume = [&] {
    LiveMessage m;
    while (sub.Take(1 << 20, &m)) {
      if (m.kind == LiveMessage::Kind::kCaughtUp) caught_up = true;
      for (const auto& f : m.frames) {
        for (int64_t t : f.time) seen[t]++;
      }
    }
  };
  for (int i = 0; i < 100 && !caught_up; i++) {
    sub.Wait(absl::Milliseconds(20));
    consume();
  }
  ASSERT_TRUE(caught_up);
  auto inject = [&](uint64_t seq, int64_t ts) {
    std::vector<storage::SeriesBatch> groups = {
        storage::testing::FloatGroup("m", "a", "f", {ts}, {1})};
    const storage::SeriesId id = storage::testing::FindSeries(db_.get(), "m", "a", "f");
    auto ev = BuildLiveEvent(seq, groups, {{id}}, [](size_t) { return true; });
    sub.OnEvent(ev);
  };
  inject(read_seq, kT0 + 9);       // the late announcement of a write the history had
  inject(read_seq + 1, kT0 + 10);  // a new one
  consume();
  ASSERT_EQ(seen.size(), 11u);
  for (const auto& [t, n] : seen) EXPECT_EQ(n, 1) << t - kT0;
  EXPECT_EQ(sub.counters().seam_duplicates, 1u);
  db_->SetApplyObserver(&hub_);
}

TEST_F(SubscriptionTest, HistoryLimitsFailClearly) {
  for (int i = 0; i < 50; i++) ASSERT_OK(Write("a", kT0 + i, i));
  SubscriptionOptions o;
  o.max_history_values = 10;
  Subscription sub(Selector(), o, &budget_);
  sub.Start(&hub_, db_.get(), kT0);
  for (int i = 0; i < 100 && sub.ended().ok(); i++) sub.Wait(absl::Milliseconds(50));
  EXPECT_THAT(sub.ended(), telemdb::testing::StatusIs(absl::StatusCode::kResourceExhausted));
}

}  // namespace
}  // namespace telemdb::query
