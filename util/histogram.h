// Histogram: a lock-free latency histogram with fixed bucket bounds, for metrics
// (/metrics renders it in Prometheus' cumulative form). Observe() is a few atomic adds.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_UTIL_HISTOGRAM_H_
#define TELEMDB_UTIL_HISTOGRAM_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace telemdb {

class Histogram {
 public:
  // `bounds`: ascending upper bounds of the buckets (in the unit the caller observes).
  explicit Histogram(std::vector<double> bounds);
  // Seconds, from 50 us to 10 s: WAL fsyncs, query latencies.
  static std::vector<double> LatencyBounds();

  void Observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;  // per bucket (not cumulative); one more for +Inf
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot Take() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_nanos_{0};  // sum in 1e-9 units, so it stays an integer add
};

}  // namespace telemdb

#endif  // TELEMDB_UTIL_HISTOGRAM_H_
