// AlertBus: the fan-out of alert events to live watchers (gRPC WatchAlerts, the HTTP event
// stream). Each AlertWatcher filters (rules, states, and the measurements its identity may
// read) and buffers what it wants, bounded in bytes (and charged to the shared live
// MemoryBudget); when full it drops and counts, and the transport sends an overflow notice.
// Publish never blocks on a watcher.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_ALERT_ALERT_BUS_H_
#define TELEMDB_ALERT_ALERT_BUS_H_

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "alert/alert_event.h"
#include "query/live/memory_budget.h"

namespace telemdb::alert {

struct WatchFilter {
  absl::flat_hash_set<std::string> rules;   // empty: every rule
  absl::flat_hash_set<std::string> states;  // empty: every state
  // The watcher's read rights: whether it may see alerts of rules over `measurement`.
  std::function<bool(const std::string& measurement)> may_read;
};

class AlertWatcher {
 public:
  AlertWatcher(WatchFilter filter, size_t buffer_bytes, query::MemoryBudget* budget)
      : filter_(std::move(filter)), buffer_bytes_(buffer_bytes), budget_(budget) {}
  ~AlertWatcher();

  bool Wants(const AlertEvent& e) const;
  // Queues `e` if it fits; otherwise counts it dropped. Never blocks.
  void Push(const AlertEvent& e);
  // Moves everything queued into *out; *dropped gets the events lost since the last Take
  // (they were lost before the events now in *out). False when there is nothing.
  bool Take(std::vector<AlertEvent>* out, uint64_t* dropped);
  void Wait(absl::Duration timeout);
  void SetWake(std::function<void()> wake);
  void Close(const absl::Status& why);
  absl::Status ended() const;

 private:
  const WatchFilter filter_;
  const size_t buffer_bytes_;
  query::MemoryBudget* const budget_;
  mutable absl::Mutex mu_;
  std::deque<AlertEvent> queue_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status ended_ ABSL_GUARDED_BY(mu_);
  std::function<void()> wake_ ABSL_GUARDED_BY(mu_);
};

class AlertBus {
 public:
  void Add(AlertWatcher* w);
  // Once this returns, `w` gets nothing more.
  void Remove(AlertWatcher* w);
  void Publish(const std::vector<AlertEvent>& events);
  // Ends every watcher with `why` (server shutdown).
  void CloseAll(const absl::Status& why);
  size_t watchers() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<AlertWatcher*> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace telemdb::alert

#endif  // TELEMDB_ALERT_ALERT_BUS_H_
