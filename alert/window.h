// Incremental windows of threshold and rate rules: per alert instance, a ring of buckets of
// partial aggregates (bucket width gcd(window, every)), updated as points arrive and
// combined at each evaluation, so that no evaluation re-reads the window from storage.
//
// A Partial holds what an aggregate needs to merge exactly: count and sum (mean, sum,
// count), min and max (min, max, spread), the value at the smallest/greatest timestamp
// (first, last), mean and M2 (stddev: Chan's merge), and for derivative the means of t and
// v with the centred sums of squares and co-products (the least-squares slope, merged like
// stddev, with times relative to an origin inside the window so that nothing cancels). NaN values
// are skipped (count counts them).
//
// Thread safety: plain values; owned by the alert engine's thread.
#ifndef TELEMDB_ALERT_WINDOW_H_
#define TELEMDB_ALERT_WINDOW_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "alert/condition.h"

namespace telemdb::alert {

struct Partial {
  uint32_t n = 0;
  int64_t ts = 0;  // first/last: timestamp of `a`; derivative: the time origin of `a`
  double a = 0, b = 0, c = 0, d = 0;
};

// Adds one point (ts in ns).
void AddPoint(const Condition& cond, Partial* p, int64_t ts, double v);
// Merges `from` into `into`.
void MergePartial(const Condition& cond, Partial* into, const Partial& from);
// The condition's value over a window's merged partial; nullopt when it has no value (no
// points; derivative with fewer than two distinct times; stddev of one point). count of an
// empty window is 0.
std::optional<double> FinishPartial(const Condition& cond, const Partial& p);

// The ring of one instance: `size` buckets, bucket b in slot b mod size.
class BucketRing {
 public:
  explicit BucketRing(size_t size = 0) : slots_(size) {}
  // Adds a point of bucket `bucket`. Returns false (ignoring it) when the bucket is older
  // than what the ring holds.
  bool Add(const Condition& cond, int64_t bucket, int64_t ts, double v);
  // The merge of buckets [from, to).
  Partial Combine(const Condition& cond, int64_t from, int64_t to) const;
  size_t size() const { return slots_.size(); }
  size_t bytes() const { return slots_.capacity() * sizeof(Slot); }
  int64_t newest() const { return newest_; }

 private:
  struct Slot {
    int64_t bucket = INT64_MIN;
    Partial p;
  };
  std::vector<Slot> slots_;
  int64_t newest_ = INT64_MIN;
};

}  // namespace telemdb::alert

#endif  // TELEMDB_ALERT_WINDOW_H_
