// CallTracker: counts calls in progress so that shutdown can stop taking new ones and wait
// for the running ones to finish (gRPC's own Shutdown() waits for idle client connections).
//
// Thread safety: thread-safe.
#ifndef TELEMDB_RPC_CALL_TRACKER_H_
#define TELEMDB_RPC_CALL_TRACKER_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace telemdb::rpc {

class CallTracker {
 public:
  // False once draining: the caller must refuse the call (UNAVAILABLE).
  bool Enter() {
    absl::MutexLock l(&mu_);
    if (draining_) return false;
    active_++;
    return true;
  }
  void Exit() {
    absl::MutexLock l(&mu_);
    active_--;
  }
  // Refuses new calls and waits (at most `timeout`) for the running ones. True if drained.
  bool Drain(absl::Duration timeout) {
    absl::MutexLock l(&mu_);
    draining_ = true;
    return mu_.AwaitWithTimeout(absl::Condition(
                                    +[](int* a) { return *a == 0; }, &active_),
                                timeout);
  }
  bool draining() const {
    absl::MutexLock l(&mu_);
    return draining_;
  }

 private:
  mutable absl::Mutex mu_;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace telemdb::rpc

#endif  // TELEMDB_RPC_CALL_TRACKER_H_
