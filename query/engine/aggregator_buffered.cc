// The aggregates that need more than running sums: stddev (mergeable moments), median and
// percentile (every value of the bucket), integral (per-series neighbours) and distinct (a set
// per bucket). None can use chunk pre-aggregates.
#include <algorithm>
#include <cmath>
#include <set>
#include <utility>
#include <vector>

#include "query/engine/aggregator.h"
#include "query/engine/aggregator_impl.h"

namespace telemdb::query::internal {
namespace {

using storage::ValueType;

// Sample standard deviation. Each run's count, mean and sum of squared deviations are computed
// in two passes over the run and merged into the bucket with Chan et al.'s formula, which is
// as stable as a two-pass computation over the whole bucket.
class StddevAgg final : public Aggregator {
 public:
  StddevAgg(ValueType in, std::string field)
      : Aggregator(in, ValueType::kFloat, std::move(field)) {}
  void Grow(size_t front, size_t back) override {
    GrowVector<int64_t>(&n_, front, back, 0);
    GrowVector<double>(&mean_, front, back, 0);
    GrowVector<double>(&m2_, front, back, 0);
  }
  size_t size() const override { return n_.size(); }
  void AddFloats(size_t slot, const int64_t*, const double* v, size_t n) override {
    AddRun(slot, v, n, [](double x) { return x; });
  }
  void AddInts(size_t slot, const int64_t*, const int64_t* v, size_t n) override {
    AddRun(slot, v, n, [](int64_t x) { return static_cast<double>(x); });
  }
  bool HasPoints(size_t slot) const override { return n_[slot] > 0; }
  absl::Status Emit(size_t slot, Column* out) const override {
    if (n_[slot] < 2) {
      out->AppendNull();
    } else {
      out->AppendFloat(std::sqrt(m2_[slot] / static_cast<double>(n_[slot] - 1)));
    }
    return absl::OkStatus();
  }

 private:
  template <typename T, typename Conv>
  void AddRun(size_t slot, const T* v, size_t n, Conv conv) {
    if (n == 0) return;
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += conv(v[i]);
    const double mb = sum / static_cast<double>(n);
    double m2b = 0;
    for (size_t i = 0; i < n; i++) {
      const double d = conv(v[i]) - mb;
      m2b += d * d;
    }
    const int64_t na = n_[slot];
    const int64_t nb = static_cast<int64_t>(n);
    if (na == 0) {
      n_[slot] = nb;
      mean_[slot] = mb;
      m2_[slot] = m2b;
      return;
    }
    const double total = static_cast<double>(na + nb);
    const double delta = mb - mean_[slot];
    mean_[slot] += delta * static_cast<double>(nb) / total;
    m2_[slot] += m2b + delta * delta * static_cast<double>(na) * static_cast<double>(nb) / total;
    n_[slot] = na + nb;
  }

  std::vector<int64_t> n_;
  std::vector<double> mean_, m2_;
};

// median and percentile(p): keeps the bucket's non-NaN values; at the end sorts them and
// interpolates linearly between the closest ranks, rank = p / 100 * (n - 1). With
// nearest_rank (InfluxQL): the value at index floor(n * p / 100 + 0.5) - 1, null outside
// [0, n). With point_time the values keep their times: sorted by (value, time), the chosen
// one's time is PointTime.
class PercentileAgg final : public Aggregator {
 public:
  PercentileAgg(ValueType in, std::string field, double p, bool nearest_rank, bool point_time)
      : Aggregator(in, ValueType::kFloat, std::move(field)),
        p_(p),
        nearest_rank_(nearest_rank),
        point_time_(point_time) {}
  void Grow(size_t front, size_t back) override {
    GrowVector<std::vector<double>>(&values_, front, back, {});
    GrowVector<std::vector<std::pair<double, int64_t>>>(&timed_, front, back, {});
    GrowVector<int64_t>(&n_, front, back, 0);
  }
  size_t size() const override { return n_.size(); }
  void AddFloats(size_t slot, const int64_t* ts, const double* v, size_t n) override {
    for (size_t i = 0; i < n; i++) {
      if (!std::isnan(v[i])) Keep(slot, v[i], ts[i]);
    }
    n_[slot] += n;
    buffered_ += n;
  }
  void AddInts(size_t slot, const int64_t* ts, const int64_t* v, size_t n) override {
    for (size_t i = 0; i < n; i++) Keep(slot, static_cast<double>(v[i]), ts[i]);
    n_[slot] += n;
    buffered_ += n;
  }
  bool HasPoints(size_t slot) const override { return n_[slot] > 0; }
  int64_t PointTime(size_t slot) const override {
    auto& t = timed_[slot];
    std::sort(t.begin(), t.end());  // PointTime may come before Emit
    const int64_t i = Index(t.size());
    return i >= 0 ? t[static_cast<size_t>(i)].second : 0;
  }
  absl::Status Emit(size_t slot, Column* out) const override {
    if (point_time_) {
      auto& t = timed_[slot];
      std::sort(t.begin(), t.end());
      const int64_t i = Index(t.size());
      i >= 0 ? out->AppendFloat(t[static_cast<size_t>(i)].first) : out->AppendNull();
      return absl::OkStatus();
    }
    auto& v = values_[slot];
    if (v.empty()) {
      out->AppendNull();
      return absl::OkStatus();
    }
    std::sort(v.begin(), v.end());
    if (nearest_rank_) {
      const int64_t i = Index(v.size());
      i >= 0 ? out->AppendFloat(v[static_cast<size_t>(i)]) : out->AppendNull();
      return absl::OkStatus();
    }
    const double rank = p_ / 100.0 * static_cast<double>(v.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(rank));
    const size_t hi = std::min(lo + 1, v.size() - 1);
    const double frac = rank - static_cast<double>(lo);
    out->AppendFloat(frac == 0 ? v[lo] : v[lo] + frac * (v[hi] - v[lo]));
    return absl::OkStatus();
  }
  uint64_t buffered() const override { return buffered_; }

 private:
  void Keep(size_t slot, double v, int64_t ts) {
    if (point_time_) {
      timed_[slot].emplace_back(v, ts);
    } else {
      values_[slot].push_back(v);
    }
  }
  // The nearest-rank index among n sorted values, or -1 when there is none.
  int64_t Index(size_t n) const {
    const int64_t i =
        static_cast<int64_t>(std::floor(static_cast<double>(n) * p_ / 100.0 + 0.5)) - 1;
    return i >= 0 && i < static_cast<int64_t>(n) ? i : -1;
  }

  double p_;
  bool nearest_rank_, point_time_;
  mutable std::vector<std::vector<double>> values_;                     // sorted in place by Emit
  mutable std::vector<std::vector<std::pair<double, int64_t>>> timed_;  // with point_time
  std::vector<int64_t> n_;
  uint64_t buffered_ = 0;
};

// integral(unit): sum over consecutive points (t0, v0), (t1, v1) of one series inside one
// bucket of (v0 + v1) / 2 * (t1 - t0) / unit. A bucket with one point of a series adds 0.
class IntegralAgg final : public Aggregator {
 public:
  IntegralAgg(ValueType in, std::string field, int64_t unit)
      : Aggregator(in, ValueType::kFloat, std::move(field)), unit_(unit) {}
  void Grow(size_t front, size_t back) override {
    GrowVector<double>(&area_, front, back, 0);
    GrowVector<int64_t>(&n_, front, back, 0);
    prev_slot_ += front;
  }
  size_t size() const override { return n_.size(); }
  void AddFloats(size_t slot, const int64_t* ts, const double* v, size_t n) override {
    AddRun(slot, ts, v, n);
  }
  void AddInts(size_t slot, const int64_t* ts, const int64_t* v, size_t n) override {
    AddRun(slot, ts, v, n);
  }
  void EndSeries() override { has_prev_ = false; }
  bool HasPoints(size_t slot) const override { return n_[slot] > 0; }
  absl::Status Emit(size_t slot, Column* out) const override {
    if (n_[slot] == 0) {
      out->AppendNull();
    } else {
      out->AppendFloat(area_[slot] * 0.5 / static_cast<double>(unit_));
    }
    return absl::OkStatus();
  }

 private:
  template <typename T>
  void AddRun(size_t slot, const int64_t* ts, const T* v, size_t n) {
    if (n == 0) return;
    double area = 0;
    if (has_prev_ && prev_slot_ == slot) {
      area += (prev_v_ + static_cast<double>(v[0])) * static_cast<double>(ts[0] - prev_ts_);
    }
    for (size_t i = 1; i < n; i++) {
      area += (static_cast<double>(v[i - 1]) + static_cast<double>(v[i])) *
              static_cast<double>(ts[i] - ts[i - 1]);
    }
    area_[slot] += area;
    n_[slot] += n;
    has_prev_ = true;
    prev_slot_ = slot;
    prev_ts_ = ts[n - 1];
    prev_v_ = static_cast<double>(v[n - 1]);
  }

  int64_t unit_;
  std::vector<double> area_;
  std::vector<int64_t> n_;
  bool has_prev_ = false;
  size_t prev_slot_ = 0;
  int64_t prev_ts_ = 0;
  double prev_v_ = 0;
};

// Orders doubles with every NaN equal to each other and above everything else.
struct NanLast {
  bool operator()(double a, double b) const {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
    return a < b;
  }
};

template <typename T, typename Less = std::less<T>>
class DistinctAgg final : public Aggregator {
 public:
  DistinctAgg(ValueType in, std::string field) : Aggregator(in, in, std::move(field)) {}
  void Grow(size_t front, size_t back) override {
    GrowVector<std::set<T, Less>>(&sets_, front, back, {});
  }
  size_t size() const override { return sets_.size(); }
  void AddFloats(size_t slot, const int64_t*, const double* v, size_t n) override {
    if constexpr (std::is_same_v<T, double>) Add(slot, v, n);
  }
  void AddInts(size_t slot, const int64_t*, const int64_t* v, size_t n) override {
    if constexpr (std::is_same_v<T, int64_t>) Add(slot, v, n);
  }
  void AddStrings(size_t slot, const int64_t*, const std::string* v, size_t n) override {
    if constexpr (std::is_same_v<T, std::string>) Add(slot, v, n);
  }
  bool HasPoints(size_t slot) const override { return !sets_[slot].empty(); }
  absl::Status Emit(size_t slot, Column* out) const override {
    out->AppendNull();
    return absl::OkStatus();
  }
  void EmitAll(size_t slot, int64_t bucket_time, Column* out,
               std::vector<int64_t>* times) const override {
    times->insert(times->end(), sets_[slot].size(), bucket_time);
    for (const T& v : sets_[slot]) {
      if constexpr (std::is_same_v<T, double>) {
        out->AppendFloat(v);
      } else if constexpr (std::is_same_v<T, int64_t>) {
        input_ == ValueType::kBool ? out->AppendBool(v != 0) : out->AppendInt(v);
      } else {
        out->AppendString(v);
      }
    }
  }
  uint64_t buffered() const override { return buffered_; }

 private:
  void Add(size_t slot, const T* v, size_t n) {
    auto& s = sets_[slot];
    const size_t before = s.size();
    for (size_t i = 0; i < n; i++) s.insert(v[i]);
    buffered_ += s.size() - before;
  }

  std::vector<std::set<T, Less>> sets_;
  uint64_t buffered_ = 0;
};

}  // namespace

std::unique_ptr<Aggregator> MakeStddev(ValueType in, std::string field) {
  return std::make_unique<StddevAgg>(in, std::move(field));
}

std::unique_ptr<Aggregator> MakePercentile(ValueType in, std::string field, double p,
                                           bool nearest_rank, bool point_time) {
  return std::make_unique<PercentileAgg>(in, std::move(field), p, nearest_rank, point_time);
}

std::unique_ptr<Aggregator> MakeIntegral(ValueType in, std::string field, int64_t unit_ns) {
  return std::make_unique<IntegralAgg>(in, std::move(field), unit_ns);
}

std::unique_ptr<Aggregator> MakeDistinct(ValueType in, std::string field) {
  switch (in) {
    case ValueType::kFloat:
      return std::make_unique<DistinctAgg<double, NanLast>>(in, std::move(field));
    case ValueType::kString:
      return std::make_unique<DistinctAgg<std::string>>(in, std::move(field));
    default:
      return std::make_unique<DistinctAgg<int64_t>>(in, std::move(field));
  }
}

}  // namespace telemdb::query::internal
