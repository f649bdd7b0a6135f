#include "query/predict/sorted_window.h"

#include <algorithm>
#include <limits>

namespace telemdb::predict {

SortedWindow::SortedWindow(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {
  ring_.reserve(capacity_);
  sorted_.reserve(capacity_);
}

void SortedWindow::Clear() {
  ring_.clear();
  sorted_.clear();
  head_ = 0;
}

void SortedWindow::Push(double x) {
  if (ring_.size() < capacity_) {
    ring_.push_back(x);
  } else {
    const double old = ring_[head_];
    ring_[head_] = x;
    head_ = head_ + 1 == capacity_ ? 0 : head_ + 1;
    // Remove one copy of the evicted value, then insert the new one; when both land in the
    // same place a single shift suffices.
    auto at = std::lower_bound(sorted_.begin(), sorted_.end(), old);
    auto to = std::upper_bound(sorted_.begin(), sorted_.end(), x);
    if (to <= at) {
      std::move_backward(to, at, at + 1);
      *to = x;
    } else {
      std::move(at + 1, to, at);
      *(to - 1) = x;
    }
    return;
  }
  sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), x), x);
}

double SortedWindow::Recent(size_t age) const {
  if (ring_.size() < capacity_) return ring_[ring_.size() - 1 - age];
  size_t newest = head_ == 0 ? capacity_ - 1 : head_ - 1;
  return ring_[(newest + capacity_ - age) % capacity_];
}

double SortedWindow::Median() const {
  const size_t n = sorted_.size();
  if (n % 2 == 1) return sorted_[n / 2];
  return 0.5 * (sorted_[n / 2 - 1] + sorted_[n / 2]);
}

double SortedWindow::Mad() const {
  const size_t n = sorted_.size();
  const double m = Median();
  // Deviations left of the median, ascending: m - sorted_[h - 1 - i]; right: sorted_[h + j] - m.
  const size_t h =
      static_cast<size_t>(std::lower_bound(sorted_.begin(), sorted_.end(), m) - sorted_.begin());
  const size_t na = h, nb = n - h;
  const auto A = [&](size_t i) { return m - sorted_[h - 1 - i]; };
  const auto B = [&](size_t j) { return sorted_[h + j] - m; };
  // The k-th smallest (0-based) of the merged deviations.
  const auto kth = [&](size_t k) {
    size_t lo = k + 1 > nb ? k + 1 - nb : 0, hi = std::min(k + 1, na);
    while (lo < hi) {
      const size_t i = (lo + hi) / 2, j = k + 1 - i;
      if (A(i) < B(j - 1)) {
        lo = i + 1;
      } else {
        hi = i;
      }
    }
    const size_t i = lo, j = k + 1 - lo;
    constexpr double kLow = -std::numeric_limits<double>::infinity();
    return std::max(i > 0 ? A(i - 1) : kLow, j > 0 ? B(j - 1) : kLow);
  };
  if (n % 2 == 1) return kth(n / 2);
  return 0.5 * (kth(n / 2 - 1) + kth(n / 2));
}

size_t SortedWindow::CountAtLeast(double x) const {
  return static_cast<size_t>(sorted_.end() - std::lower_bound(sorted_.begin(), sorted_.end(), x));
}

size_t SortedWindow::CountAbove(double x) const {
  return static_cast<size_t>(sorted_.end() - std::upper_bound(sorted_.begin(), sorted_.end(), x));
}

}  // namespace telemdb::predict
