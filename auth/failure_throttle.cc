#include "auth/failure_throttle.h"

#include <algorithm>

#include "util/absl_compat.h"

namespace telemdb::auth {

absl::Duration FailureThrottle::RecordFailure(std::string_view peer, absl::Time now) {
  absl::MutexLock l(&mu_);
  auto it = peers_.find(Sv(peer));
  if (it == peers_.end()) {
    if (peers_.size() >= options_.max_peers && !lru_.empty()) {
      peers_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.emplace_front(peer);
    it = peers_
             .emplace(std::string(peer),
                      Peer{static_cast<double>(options_.burst), now, 0, lru_.begin()})
             .first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  Peer& p = it->second;
  p.tokens = std::min<double>(options_.burst,
                              p.tokens + absl::ToDoubleSeconds(now - p.updated) * options_.rate);
  p.updated = now;
  if (p.tokens >= 1) {
    p.tokens -= 1;
    p.excess = 0;
    return absl::ZeroDuration();
  }
  p.excess = std::min(p.excess + 1, 20);
  return std::min(absl::Milliseconds(100) * (1 << std::min(p.excess, 10)), options_.max_delay);
}

size_t FailureThrottle::size() const {
  absl::MutexLock l(&mu_);
  return peers_.size();
}

}  // namespace telemdb::auth
