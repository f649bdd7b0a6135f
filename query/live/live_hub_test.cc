#include "query/live/live_hub.h"

#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace telemdb::query {
namespace {

storage::SeriesBatch Group(const std::string& m, int rows, const std::string& dev = "a") {
  storage::SeriesBatch g;
  g.measurement = m;
  g.tags = {{"device", dev}};
  for (int i = 0; i < rows; i++) g.timestamps.push_back(i);
  storage::FieldColumn c;
  c.name = "v";
  c.floats.assign(rows, 1.0);
  g.fields.push_back(c);
  return g;
}

class Recorder : public LiveListener {
 public:
  void OnEvent(const LiveEventPtr& e) override {
    absl::MutexLock l(&mu);
    seqs.push_back(e->seq);
    for (const auto& g : e->groups) measurements.emplace_back(g.measurement);
  }
  void OnDropped(uint64_t values) override {
    absl::MutexLock l(&mu);
    dropped += values;
  }
  absl::Mutex mu;
  std::vector<uint64_t> seqs;
  std::vector<std::string> measurements;
  uint64_t dropped = 0;
};

void Apply(LiveHub* hub, uint64_t seq, std::vector<storage::SeriesBatch> groups) {
  std::vector<std::vector<storage::SeriesId>> ids(groups.size(), {seq});
  hub->OnApply(seq, groups, ids);
}

TEST(LiveHubTest, DeliversWantedMeasurementsInOrderFromRegistration) {
  LiveHub hub;
  Recorder a, b;
  Apply(&hub, 1, {Group("m", 1)});
  EXPECT_EQ(hub.Add(&a, {"m"}), 1u);
  Apply(&hub, 2, {Group("m", 1), Group("n", 1)});
  EXPECT_EQ(hub.Add(&b, {"n"}), 2u);
  Apply(&hub, 3, {Group("n", 1)});
  Apply(&hub, 4, {Group("other", 1)});
  Apply(&hub, 5, {Group("m", 2)});
  hub.Drain();
  EXPECT_EQ(a.seqs, (std::vector<uint64_t>{2, 5}));
  EXPECT_EQ(b.seqs, (std::vector<uint64_t>{3}));
  // Only wanted groups are copied: n was nobody's at seq 2, and seq 4 was not queued.
  EXPECT_EQ(a.measurements, (std::vector<std::string>{"m", "m"}));
  EXPECT_EQ(hub.counters().events, 3u);
}

TEST(LiveHubTest, UpdateAndRemoveChangeWhatIsDelivered) {
  LiveHub hub;
  Recorder a;
  hub.Add(&a, {"m"});
  hub.Update(&a, {"n"});
  Apply(&hub, 1, {Group("m", 1)});
  Apply(&hub, 2, {Group("n", 1)});
  hub.Drain();
  hub.Remove(&a);
  hub.Remove(&a);  // idempotent
  Apply(&hub, 3, {Group("n", 1)});
  hub.Drain();
  EXPECT_EQ(a.seqs, (std::vector<uint64_t>{2}));
  EXPECT_EQ(hub.counters().events, 1u);  // nobody listens any more: 3 was not copied
}

// A full queue drops events and tells the listeners how many values they lost; the queue
// never holds more than its bound.
TEST(LiveHubTest, FullQueueDropsAndReports) {
  LiveHubOptions o;
  o.max_queue_bytes = 64 << 10;
  LiveHub hub(o);
  // A listener that blocks the dispatcher until released.
  class Blocking : public LiveListener {
   public:
    void OnEvent(const LiveEventPtr&) override {
      absl::MutexLock l(&mu);
      mu.Await(absl::Condition(&open));
      events++;
    }
    void OnDropped(uint64_t v) override {
      absl::MutexLock l(&mu);
      dropped += v;
    }
    absl::Mutex mu;
    bool open = false;
    int events = 0;
    uint64_t dropped = 0;
  } slow;
  hub.Add(&slow, {"m"});
  uint64_t applied_values = 0;
  for (uint64_t s = 1; s <= 200; s++) {
    Apply(&hub, s, {Group("m", 100)});
    applied_values += 100;
    EXPECT_LE(hub.queue_bytes(), o.max_queue_bytes);
  }
  {
    absl::MutexLock l(&slow.mu);
    slow.open = true;
  }
  hub.Drain();
  auto c = hub.counters();
  EXPECT_GT(c.dropped_events, 0u);
  EXPECT_LE(c.queue_bytes_high_water, o.max_queue_bytes);
  absl::MutexLock l(&slow.mu);
  EXPECT_EQ(slow.dropped, c.dropped_values);
  EXPECT_EQ(slow.events * 100 + slow.dropped, applied_values);
}

// A paused listener costs no copy: the hub counts what it misses and hands the count over
// on Resume.
TEST(LiveHubTest, PausedListenersAreCountedNotCopied) {
  LiveHub hub;
  Recorder a;
  hub.Add(&a, {"m"});
  hub.Pause(&a);
  Apply(&hub, 1, {Group("m", 3), Group("n", 5)});
  Apply(&hub, 2, {Group("m", 4)});
  hub.Drain();
  EXPECT_EQ(hub.counters().events, 0u);  // nothing copied
  const LiveHub::Counted c = hub.Resume(&a);
  EXPECT_EQ(c.rows, 7u);
  EXPECT_EQ(c.values, 7u);
  Apply(&hub, 3, {Group("m", 1)});
  hub.Drain();
  EXPECT_EQ(a.seqs, (std::vector<uint64_t>{3}));
  EXPECT_EQ(hub.Resume(&a).rows, 0u);  // not paused: nothing
  hub.Pause(&a);
  hub.Remove(&a);  // paused and removed: the interest is gone once
  Apply(&hub, 4, {Group("m", 1)});
  hub.Drain();
  EXPECT_EQ(hub.counters().events, 1u);
}

}  // namespace
}  // namespace telemdb::query
