// Time buckets of GROUP BY time(interval, offset): bucket k covers
// [k * interval + offset, (k + 1) * interval + offset), i.e. buckets are aligned to multiples of
// the interval since the Unix epoch, shifted by the offset, and labelled by their start.
// Without GROUP BY time there is one bucket (k = 0) covering all time.
//
// Thread safety: immutable value type.
#ifndef TELEMDB_QUERY_ENGINE_BUCKETS_H_
#define TELEMDB_QUERY_ENGINE_BUCKETS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace telemdb::query {

class Buckets {
 public:
  // No time grouping: one bucket.
  Buckets() = default;
  // REQUIRES: interval > 0. The offset is reduced modulo the interval.
  Buckets(int64_t interval, int64_t offset) : enabled_(true), interval_(interval) {
    offset_ = offset % interval;
    if (offset_ < 0) offset_ += interval;
  }

  bool enabled() const { return enabled_; }
  int64_t interval() const { return interval_; }

  // The bucket holding instant t.
  int64_t Index(int64_t t) const {
    if (!enabled_) return 0;
    __int128 x = static_cast<__int128>(t) - offset_;
    __int128 q = x / interval_;
    if (x % interval_ != 0 && x < 0) q--;
    return static_cast<int64_t>(q);
  }
  // The start (label) of bucket k, clamped to the int64 range.
  int64_t Start(int64_t k) const {
    if (!enabled_) return std::numeric_limits<int64_t>::min();
    return Clamp(static_cast<__int128>(k) * interval_ + offset_);
  }
  // The end (exclusive) of bucket k, clamped to the int64 range.
  int64_t End(int64_t k) const {
    if (!enabled_) return std::numeric_limits<int64_t>::max();
    return Clamp((static_cast<__int128>(k) + 1) * interval_ + offset_);
  }

  // Calls fn(k, begin, end) for each run of `ts[0, n)` (ascending) inside one bucket.
  template <typename Fn>
  void ForEachRun(const int64_t* ts, size_t n, Fn&& fn) const {
    if (n == 0) return;
    if (!enabled_) {
      fn(int64_t{0}, size_t{0}, n);
      return;
    }
    size_t i = 0;
    while (i < n) {
      const int64_t k = Index(ts[i]);
      const int64_t end = End(k);
      size_t j;
      if (ts[n - 1] < end) {
        j = n;
      } else {
        // Buckets are usually short relative to the block: gallop from i, then bisect.
        // Invariant: ts[lo - 1] < end; ts[hi] >= end when hi < n.
        size_t lo = i + 1, hi = i + 1, step = 1;
        while (hi < n && ts[hi] < end) {
          lo = hi + 1;
          hi = lo + step;
          step *= 2;
        }
        hi = std::min(hi, n);
        j = std::lower_bound(ts + lo, ts + hi, end) - ts;
      }
      fn(k, i, j);
      i = j;
    }
  }

 private:
  static int64_t Clamp(__int128 v) {
    if (v < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
    if (v > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
    return static_cast<int64_t>(v);
  }

  bool enabled_ = false;
  int64_t interval_ = 0;
  int64_t offset_ = 0;
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_BUCKETS_H_
