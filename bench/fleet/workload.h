// What the fleet and meters workload generators share: output options, the line sink, the
// fast number formatting they write line protocol with, and the queue that delays lines to
// simulate late arrival. Thread safety: functions are pure; ArrivalQueue is not thread-safe.
#ifndef TELEMDB_BENCH_FLEET_WORKLOAD_H_
#define TELEMDB_BENCH_FLEET_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace telemdb::fleet {

// Receives each line-protocol line (no trailing '\n') in arrival order. A non-OK status stops
// the generator, which returns it.
using LineSink = absl::FunctionRef<absl::Status(std::string_view line)>;

// Unit of the written timestamps.
enum class TimestampUnit : uint8_t { kNanoseconds = 0, kSeconds = 1 };

// 2026-01-01T00:00:00Z, the default start of every workload.
inline constexpr int64_t kDefaultStartSeconds = 1767225600;

// Checks what the periodic workloads (meters, sensors) share: `devices` (named `what`, e.g.
// "meters") 1..10,000,000, hours 1..8784, an interval dividing 3600, jitter below half the
// interval, a start in 1970..2223. Errors: InvalidArgument naming the option.
absl::Status ValidatePeriodic(const char* what, int64_t devices, int64_t hours,
                              int64_t interval_s, int64_t jitter_s, int64_t start_s);

// Appends the decimal form of `v`.
void AppendInt(int64_t v, std::string* out);

// Appends `scaled` / 10^decimals with exactly `decimals` digits after the point, e.g.
// (4312345, 5) -> "43.12345", (-5, 1) -> "-0.5", (54, 0) -> "54". REQUIRES: decimals <= 9.
void AppendFixed(int64_t scaled, int decimals, std::string* out);

// Appends the timestamp `seconds` since the epoch in `unit`.
void AppendTimestamp(int64_t seconds, TimestampUnit unit, std::string* out);

// Lines held back until their arrival time. Entries come out by arrival time, ties in push
// order, so output stays deterministic.
class ArrivalQueue {
 public:
  // Holds `lines` (one line, or several joined by '\n') until `arrival_s`.
  void Push(int64_t arrival_s, std::string lines);
  // Sends every held line due at or before `now_s` to `sink`. Errors: the sink's.
  absl::Status EmitUntil(int64_t now_s, LineSink sink);
  // Sends everything still held.
  absl::Status EmitAll(LineSink sink);
  size_t size() const { return heap_.size(); }

 private:
  struct Entry {
    int64_t arrival_s;
    uint64_t seq;
    std::string lines;
  };
  static bool Later(const Entry& a, const Entry& b) {
    return a.arrival_s != b.arrival_s ? a.arrival_s > b.arrival_s : a.seq > b.seq;
  }
  absl::Status PopOne(LineSink sink);

  std::vector<Entry> heap_;
  uint64_t next_seq_ = 0;
};

// Sends each '\n'-separated line of `lines` to `sink`.
absl::Status EmitLines(std::string_view lines, LineSink sink);

}  // namespace telemdb::fleet

#endif  // TELEMDB_BENCH_FLEET_WORKLOAD_H_
