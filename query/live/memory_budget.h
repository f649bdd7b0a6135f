// MemoryBudget: a shared cap on bytes held by live consumers (subscription buffers, alert
// watchers), carved out of the server's --memory-budget. A consumer charges what it buffers
// and releases it when the bytes leave.
//
// Thread safety: thread-safe (atomics).
#ifndef TELEMDB_QUERY_LIVE_MEMORY_BUDGET_H_
#define TELEMDB_QUERY_LIVE_MEMORY_BUDGET_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace telemdb::query {

class MemoryBudget {
 public:
  explicit MemoryBudget(uint64_t limit) : limit_(limit) {}

  // Charges `bytes` if they fit under the limit. Returns false (charging nothing) otherwise.
  bool TryCharge(uint64_t bytes) {
    uint64_t used = used_.load(std::memory_order_relaxed);
    while (true) {
      if (used + bytes > limit_) return false;
      if (used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed)) break;
    }
    uint64_t hw = high_water_.load(std::memory_order_relaxed);
    while (used + bytes > hw &&
           !high_water_.compare_exchange_weak(hw, used + bytes, std::memory_order_relaxed)) {
    }
    return true;
  }
  // Charges even past the limit (bytes already held that must stay accounted).
  void ForceCharge(uint64_t bytes) { used_.fetch_add(bytes, std::memory_order_relaxed); }
  void Release(uint64_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }

  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  uint64_t limit() const { return limit_; }
  uint64_t high_water() const { return high_water_.load(std::memory_order_relaxed); }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> high_water_{0};
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_LIVE_MEMORY_BUDGET_H_
