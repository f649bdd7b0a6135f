// LiveRegistry: the subscriptions of a server, whatever their transport (gRPC
// SubscribeService, HTTP server-sent events). It checks rights and limits before a
// subscription exists, owns the shared MemoryBudget of their buffers, and closes them all at
// shutdown.
//
//   rights   a read right on the measurement (auth/reserved.h: any read right for
//            `_alerts`, whose series a restricted reader then sees per rule measurement);
//   limits   at most `max_subscriptions` at once (ResourceExhausted past it), `since` of at
//            most `max_since`, each buffer `buffer_bytes`, all buffers `memory_bytes`.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_QUERY_LIVE_LIVE_REGISTRY_H_
#define TELEMDB_QUERY_LIVE_LIVE_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <set>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/scopes.h"
#include "query/live/live_hub.h"
#include "query/live/memory_budget.h"
#include "query/live/subscription.h"
#include "storage/db.h"

namespace telemdb::query {

struct LiveOptions {
  // Subscriptions open at once (gRPC and HTTP together). Default: 256.
  size_t max_subscriptions = 256;
  // Bytes of every subscription's and alert watcher's buffers together. Default: 64 MiB.
  uint64_t memory_bytes = 64ull << 20;
  // The longest `since`. Default: 7 days.
  absl::Duration max_since = absl::Hours(24 * 7);
  // How often an idle stream gets a heartbeat (and its token is checked again).
  // Default: 15 s.
  absl::Duration heartbeat = absl::Seconds(15);
  // Per subscription: buffer_bytes (Default: 4 MiB) and history limits.
  SubscriptionOptions subscription;
};

struct LiveCounters {
  uint64_t active = 0;
  uint64_t started = 0;
  uint64_t refused = 0;  // over max_subscriptions
  uint64_t active_high_water = 0;
  uint64_t memory_bytes = 0;
  uint64_t memory_high_water = 0;
};

class LiveRegistry {
 public:
  // REQUIRES: db and hub outlive the registry.
  LiveRegistry(storage::Db* db, LiveHub* hub, LiveOptions options);
  ~LiveRegistry();

  // Starts a subscription for `who`: history from now - since_ns first when since_ns > 0.
  // `wake` is called when it has something (see Subscription::SetWake). The subscription
  // ends (and frees its slot) when the returned pointer goes.
  // Errors: PermissionDenied (no read right on the measurement), InvalidArgument (the
  // selector, a negative or too long since), ResourceExhausted (too many subscriptions),
  // Unavailable (shutting down).
  absl::StatusOr<std::shared_ptr<Subscription>> Subscribe(const auth::Identity& who,
                                                          LiveSelectorSpec spec, int64_t since_ns,
                                                          std::function<void()> wake);
  // Ends every subscription with `why` and refuses new ones.
  void CloseAll(const absl::Status& why);

  const LiveOptions& options() const { return options_; }
  MemoryBudget* budget() { return &budget_; }
  LiveHub* hub() const { return hub_; }
  LiveCounters counters() const;

 private:
  void Release(Subscription* s);

  storage::Db* const db_;
  LiveHub* const hub_;
  const LiveOptions options_;
  MemoryBudget budget_;
  mutable absl::Mutex mu_;
  std::set<Subscription*> open_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status closed_why_ ABSL_GUARDED_BY(mu_);
  LiveCounters counters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_LIVE_LIVE_REGISTRY_H_
