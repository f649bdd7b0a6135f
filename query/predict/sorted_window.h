// SortedWindow: the last `capacity` values of a stream, kept both in arrival order (a ring)
// and sorted, so that order statistics of the window are cheap: the median in O(1), the
// median absolute deviation in O(log n) (a selection over the two sorted runs of deviations
// left and right of the median), ranks and quantiles in O(log n). Push is O(n) memmove at
// worst, a few hundred nanoseconds for windows of a few thousand values.
//
// Memory: 16 bytes per value of capacity (ring + sorted copy).
//
// Thread safety: not thread-safe; one per stream. Copyable (a copy is independent).
#ifndef TELEMDB_QUERY_PREDICT_SORTED_WINDOW_H_
#define TELEMDB_QUERY_PREDICT_SORTED_WINDOW_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace telemdb::predict {

class SortedWindow {
 public:
  // REQUIRES: capacity >= 1.
  explicit SortedWindow(size_t capacity = 1);

  // Appends `x` (not NaN), evicting the oldest value when full.
  void Push(double x);
  void Clear();

  size_t size() const { return sorted_.size(); }
  size_t capacity() const { return capacity_; }
  bool full() const { return sorted_.size() == capacity_; }
  // The value pushed `age` pushes ago (0: the newest). REQUIRES: age < size().
  double Recent(size_t age) const;
  // Ascending values. Valid until the next Push.
  const std::vector<double>& sorted() const { return sorted_; }

  // Median: the middle value, or the mean of the two middle ones. REQUIRES: size() > 0.
  double Median() const;
  // Median of |v - Median()| over the window (not scaled). REQUIRES: size() > 0.
  double Mad() const;
  // Number of values >= x.
  size_t CountAtLeast(double x) const;
  // Number of values > x.
  size_t CountAbove(double x) const;

 private:
  size_t capacity_;
  std::vector<double> ring_;  // arrival order; ring_[head_] is the oldest once full
  size_t head_ = 0;
  std::vector<double> sorted_;
};

}  // namespace telemdb::predict

#endif  // TELEMDB_QUERY_PREDICT_SORTED_WINDOW_H_
