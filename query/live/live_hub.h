// LiveHub: the fan-out of freshly applied writes to live consumers (subscriptions, the alert
// engine). It is the storage's ApplyObserver: on the WAL's log thread it copies the groups of
// the measurements somebody listens to into an immutable LiveEvent and queues it; its own
// dispatch thread hands each event to the interested listeners in apply order.
//
// Never slows ingest for a slow reader: the log thread does one hash lookup per group, a copy
// of the groups that are wanted and a queue push; it never waits for a listener. The queue
// is bounded in bytes (LiveHubOptions::max_queue_bytes): an event that does not fit is
// dropped, and the listeners that wanted it are told how many values they lost
// (OnDropped), so a subscription can report an overflow and the alert engine can re-read
// from storage. Listeners bound their own buffers the same way.
//
// Ordering: a listener sees events in increasing seq, each once, starting after the seq
// Add() returned; OnDropped arrives in the position of the events it replaces.
//
// Thread safety: thread-safe. Listeners are called from the dispatch thread only, never
// concurrently, and must not call back into the hub.
#ifndef TELEMDB_QUERY_LIVE_LIVE_HUB_H_
#define TELEMDB_QUERY_LIVE_LIVE_HUB_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "query/live/live_event.h"
#include "storage/apply_observer.h"
#include "storage/types.h"

namespace telemdb::query {

// Approximate heap bytes of a group (tags, timestamps, columns).
size_t GroupBytes(const storage::SeriesBatch& g);
// Valid field values of a group.
uint64_t GroupValues(const storage::SeriesBatch& g);

class LiveListener {
 public:
  virtual ~LiveListener() = default;
  // An event holding at least one group of a measurement this listener wants (it may hold
  // others too). Must return quickly and never block.
  virtual void OnEvent(const LiveEventPtr& event) = 0;
  // The hub dropped events with `values` values of measurements this listener wants.
  virtual void OnDropped(uint64_t values) = 0;
};

struct LiveHubOptions {
  // Bytes of events waiting for the dispatch thread. Default: 32 MiB.
  size_t max_queue_bytes = 32u << 20;
};

struct LiveHubCounters {
  uint64_t events = 0;          // queued
  uint64_t dropped_events = 0;  // did not fit in the queue
  uint64_t dropped_values = 0;
  uint64_t queue_bytes = 0;  // now
  uint64_t queue_bytes_high_water = 0;
  uint64_t listeners = 0;
};

class LiveHub : public storage::ApplyObserver {
 public:
  explicit LiveHub(LiveHubOptions options = LiveHubOptions());
  ~LiveHub() override;  // stops the dispatch thread (queued events are discarded)
  LiveHub(const LiveHub&) = delete;
  LiveHub& operator=(const LiveHub&) = delete;

  void OnApply(uint64_t seq, const std::vector<storage::SeriesBatch>& groups,
               const std::vector<std::vector<storage::SeriesId>>& ids) override;

  // Registers `listener` for `measurements`. Returns the seq of the last write it will not
  // be told about: it gets every later event of its measurements. REQUIRES: not registered.
  uint64_t Add(LiveListener* listener, const std::vector<std::string>& measurements);
  // Replaces the measurements of a registered listener.
  void Update(LiveListener* listener, const std::vector<std::string>& measurements);
  // Unregisters; once this returns the listener is never called again. Idempotent.
  void Remove(LiveListener* listener);

  // A listener whose buffer is full stops the copies made for it: while paused, the hub only
  // counts the rows and values of its measurements (on the log thread, without copying), so
  // a stalled reader costs ingest next to nothing. Resume returns what was counted (the
  // listener reports it as dropped) and restores the copies. Both take only the hub's queue
  // lock: a listener may call Pause from OnEvent and Resume from its transport's thread.
  // The hub counts the writes after the seq Pause returns and up to the seq Resume returns:
  // the listener must ignore events in that range (other listeners' copies may still reach
  // it), and count the drops of earlier ones itself.
  struct Counted {
    uint64_t rows = 0;
    uint64_t values = 0;
    uint64_t seq = 0;  // the last write counted
  };
  uint64_t Pause(LiveListener* listener);
  Counted Resume(LiveListener* listener);

  // Blocks until every event queued before the call has been dispatched (tests, benches).
  void Drain();

  LiveHubCounters counters() const;
  size_t queue_bytes() const;

 private:
  struct Entry {
    LiveListener* listener;
    uint64_t min_seq;  // first seq it gets
    absl::flat_hash_set<std::string> measurements;
  };
  struct Item {
    LiveEventPtr event;  // null: a drop notice
    uint64_t dropped_values = 0;
    absl::flat_hash_set<std::string> dropped_measurements;  // drop notice: whose values
    uint64_t seq = 0;
  };
  struct PausedEntry {
    absl::flat_hash_set<std::string> measurements;
    Counted counted;
  };
  void Run();
  void Interest(const std::vector<std::string>& measurements, int delta)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Deliver(const Item& item);

  const LiveHubOptions options_;
  std::shared_ptr<LiveEventPool> pool_ = std::make_shared<LiveEventPool>();
  // Lock order: listeners_mu_, then mu_.
  absl::Mutex listeners_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::vector<Entry> listeners_ ABSL_GUARDED_BY(listeners_mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> interest_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<LiveListener*, PausedEntry> paused_ ABSL_GUARDED_BY(mu_);
  // Each listener's measurements, for Pause/Resume (which may not take listeners_mu_).
  absl::flat_hash_map<LiveListener*, absl::flat_hash_set<std::string>> measurements_
      ABSL_GUARDED_BY(mu_);
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  size_t queue_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;  // last seq seen by OnApply
  bool dispatching_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  LiveHubCounters counters_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_LIVE_LIVE_HUB_H_
