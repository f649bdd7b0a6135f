// Clock: where the alert engine reads the time. Rule evaluation takes it injected so that
// tests drive minutes of rule time in milliseconds (ManualClock) instead of waiting.
//
// Thread safety: Now() is thread-safe for both implementations.
#ifndef TELEMDB_ALERT_CLOCK_H_
#define TELEMDB_ALERT_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"

namespace telemdb::alert {

class Clock {
 public:
  virtual ~Clock() = default;
  // ns since the Unix epoch.
  virtual int64_t Now() const = 0;
};

class SystemClock : public Clock {
 public:
  int64_t Now() const override { return absl::GetCurrentTimeNanos(); }
  static SystemClock* Get() {
    static SystemClock c;
    return &c;
  }
};

class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t now) : now_(now) {}
  int64_t Now() const override { return now_.load(); }
  void Set(int64_t now) { now_ = now; }
  void Advance(int64_t ns) { now_ += ns; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace telemdb::alert

#endif  // TELEMDB_ALERT_CLOCK_H_
