// FailureThrottle: slows down guessing. Each peer address has a token bucket of failures
// (`burst` answered at once, refilled at `rate` per second); past it, each further failure
// is answered after a delay that doubles (100 ms, 200 ms, ... up to `max_delay`).
//
// Memory is bounded whatever the clients do: at most `max_peers` addresses are remembered,
// the least recently failing one is forgotten first (a client rotating addresses only ever
// gets a fresh bucket, which is what a new address would get anyway).
//
// Thread safety: thread-safe.
#ifndef TELEMDB_AUTH_FAILURE_THROTTLE_H_
#define TELEMDB_AUTH_FAILURE_THROTTLE_H_

#include <cstddef>
#include <list>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace telemdb::auth {

struct FailureThrottleOptions {
  // Failures per address answered at once before answers are held back. Default: 10.
  int burst = 10;
  // Failures per second an address may make without being held back. Default: 1.
  double rate = 1.0;
  // Longest hold. Default: 10 s.
  absl::Duration max_delay = absl::Seconds(10);
  // Addresses remembered (least recently failing forgotten first). Default: 10,000.
  size_t max_peers = 10'000;
};

class FailureThrottle {
 public:
  explicit FailureThrottle(FailureThrottleOptions options) : options_(options) {}

  // Counts one failure of `peer` at `now`; returns how long to hold its answer back.
  absl::Duration RecordFailure(std::string_view peer, absl::Time now);
  size_t size() const;

 private:
  struct Peer {
    double tokens;
    absl::Time updated;
    int excess = 0;
    std::list<std::string>::iterator lru;
  };
  const FailureThrottleOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Peer> peers_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // most recent first
};

}  // namespace telemdb::auth

#endif  // TELEMDB_AUTH_FAILURE_THROTTLE_H_
