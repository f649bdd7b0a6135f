// Subscription: one live consumer of new points matching a LiveSelector, independent of the
// transport (the gRPC SubscribeService and the HTTP SSE handler both drive one). It listens
// to the LiveHub, turns each wanted group into a LiveFrame and buffers frames until the
// transport Take()s them.
//
// Bounded: the buffer holds at most SubscriptionOptions::buffer_bytes (charged to the shared
// MemoryBudget too). A frame that does not fit is dropped and counted; the transport then
// receives, in stream order, an overflow message with the points and values lost, and the
// client may resubscribe with `since` to fill the gap from storage. Nothing here ever
// blocks the hub, let alone ingest; and a full subscription pauses the hub's copies for it
// (LiveHub::Pause: the hub then only counts what it misses) until its reader has drained
// half of the buffer, so a stalled reader costs ingest next to nothing.
//
// History (`since`): Start() registers with the hub first, then a thread reads the series'
// stored points from `history_from` with Db::ReadAt, which reports the apply seq of what it
// read. Live frames that arrive meanwhile wait aside (bounded like the buffer); when the
// history is done, the values of writes the history already held (their seq <= the series'
// snapshot seq) are removed and the rest follow a caught-up marker: no gap and no duplicate
// at the seam. History frames are never dropped: the reader waits for room instead.
//
// Thread safety: thread-safe. OnEvent/OnDropped come from the hub's thread; Take, Wait and
// Close from the transport's.
#ifndef TELEMDB_QUERY_LIVE_SUBSCRIPTION_H_
#define TELEMDB_QUERY_LIVE_SUBSCRIPTION_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "query/live/live_frame.h"
#include "query/live/live_hub.h"
#include "query/live/live_selector.h"
#include "query/live/memory_budget.h"
#include "storage/db.h"

namespace telemdb::query {

struct SubscriptionOptions {
  // Bytes of frames waiting for the subscriber; past it new points are dropped (overflow).
  // Default: 4 MiB.
  size_t buffer_bytes = 4u << 20;
  // Values the history may hold; more fails the subscription with ResourceExhausted.
  // Default: 10,000,000.
  uint64_t max_history_values = 10'000'000;
  // Series the history may read. Default: 100,000.
  uint64_t max_history_series = 100'000;
  // Rows per history frame. Default: 10,000.
  size_t frame_rows = 10'000;
};

// What the transport sends next.
struct LiveMessage {
  enum class Kind { kFrames, kOverflow, kCaughtUp };
  Kind kind = Kind::kFrames;
  std::vector<LiveFrame> frames;  // kFrames
  uint64_t dropped_points = 0;    // kOverflow: rows lost
  uint64_t dropped_values = 0;    // kOverflow: field values lost
};

struct SubscriptionCounters {
  uint64_t frames = 0;  // taken by the transport
  uint64_t values = 0;
  uint64_t dropped_points = 0;
  uint64_t dropped_values = 0;
  uint64_t history_values = 0;
  uint64_t seam_duplicates = 0;  // live values the history already held (removed)
};

class Subscription : public LiveListener {
 public:
  // `visible` (may be null) hides groups the subscriber may not read (row-level scopes).
  // REQUIRES: budget outlives the subscription.
  Subscription(LiveSelector selector, SubscriptionOptions options, MemoryBudget* budget,
               std::function<bool(const storage::TagSet&)> visible = nullptr);
  ~Subscription() override;  // Stop()

  // Registers with `hub`; with `history_from`, reads the stored points with timestamps at
  // or after it first (on its own thread). REQUIRES: hub and db outlive Stop().
  void Start(LiveHub* hub, storage::Db* db, std::optional<int64_t> history_from);
  // Unregisters and stops the history reader. Idempotent.
  void Stop();

  // Called (outside every lock) when something becomes ready to Take or the subscription
  // ends. Set before Start.
  void SetWake(std::function<void()> wake);
  // Moves the next message into *out: a run of frames of at most about `max_bytes` (at
  // least one frame), or one marker. False when nothing is ready.
  bool Take(size_t max_bytes, LiveMessage* out);
  // Waits until Take has something, the subscription ended, or `timeout`.
  void Wait(absl::Duration timeout);
  // Ends the subscription with `why` (kept if it already ended).
  void Close(const absl::Status& why);
  // OK while running; otherwise why it ended (the transport finishes with it once Take
  // returns false).
  absl::Status ended() const;
  SubscriptionCounters counters() const;
  const LiveSelector& selector() const { return selector_; }

  void OnEvent(const LiveEventPtr& event) override;
  void OnDropped(uint64_t values) override;

 private:
  struct Entry {
    LiveMessage::Kind kind = LiveMessage::Kind::kFrames;
    LiveFrame frame;
    uint64_t points = 0, values = 0;  // kOverflow
    size_t bytes = 0;                 // charged
  };
  struct Waiting {  // a live frame held back while the history is read
    uint64_t seq = 0;
    LiveFrame frame;
    std::vector<storage::SeriesId> ids;
    size_t bytes = 0;
  };

  bool Matches(storage::SeriesId key, const LiveGroup& group);
  void DropLocked(uint64_t points, uint64_t values) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReadHistory(storage::Db* db, int64_t from);
  absl::Status ReadHistoryImpl(storage::Db* db, int64_t from);
  // Queues a history frame, waiting for room. Errors: Cancelled when stopped.
  absl::Status PushHistory(LiveFrame&& frame);
  void FinishCatchUp();
  void Wake();

  const LiveSelector selector_;
  const SubscriptionOptions options_;
  MemoryBudget* const budget_;
  const std::function<bool(const storage::TagSet&)> visible_;

  // Touched by the hub's thread only.
  absl::flat_hash_map<storage::SeriesId, bool> match_cache_;

  mutable absl::Mutex mu_;
  std::function<void()> wake_ ABSL_GUARDED_BY(mu_);
  std::deque<Entry> buffer_ ABSL_GUARDED_BY(mu_);
  size_t buffer_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool catching_up_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;  // the hub only counts for us
  // Writes in [skip_from_, skip_to_] were counted by the hub while paused: ignore them.
  uint64_t skip_from_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t skip_to_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Waiting> waiting_ ABSL_GUARDED_BY(mu_);
  size_t waiting_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t waiting_dropped_points_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t waiting_dropped_values_ ABSL_GUARDED_BY(mu_) = 0;
  // The history's snapshot seq per series, kept after the catch-up until the hub has
  // dispatched past the largest: a write read by the history may still be in the hub's
  // queue then.
  absl::flat_hash_map<storage::SeriesId, uint64_t> snaps_ ABSL_GUARDED_BY(mu_);
  uint64_t max_snap_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status ended_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  SubscriptionCounters counters_ ABSL_GUARDED_BY(mu_);

  LiveHub* hub_ = nullptr;
  std::thread history_;
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_LIVE_SUBSCRIPTION_H_
