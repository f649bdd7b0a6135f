// Aggregates that choose values rather than combine them, as InfluxQL defines them: mode (the
// most frequent value), top and bottom (the n greatest / smallest points of a bucket, each at
// its own time) and min / max remembering the chosen point's time. None uses chunk headers;
// mode, top and bottom count their held values toward max_buffered_values.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "query/engine/aggregator.h"
#include "query/engine/aggregator_impl.h"

namespace telemdb::query::internal {
namespace {

using storage::ValueType;

template <typename T>
void Append(ValueType type, const T& v, Column* out) {
  if constexpr (std::is_same_v<T, double>) {
    out->AppendFloat(v);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    type == ValueType::kBool ? out->AppendBool(v != 0) : out->AppendInt(v);
  } else {
    out->AppendString(v);
  }
}

template <typename T>
bool IsNan(const T& v) {
  if constexpr (std::is_same_v<T, double>) {
    return std::isnan(v);
  } else {
    return false;
  }
}

// min / max with the chosen point's time: the earliest point among equal values; NaN ignored
// (a slot of only NaNs yields NaN at its first point).
template <typename T>
class ExtremeAtAgg final : public Aggregator {
 public:
  ExtremeAtAgg(ValueType in, std::string field, bool max)
      : Aggregator(in, in, std::move(field)), max_(max) {}
  void Grow(size_t front, size_t back) override {
    GrowVector<T>(&v_, front, back, T());
    GrowVector<int64_t>(&ts_, front, back, 0);
    GrowVector<uint8_t>(&has_, front, back, 0);
  }
  size_t size() const override { return has_.size(); }
  void AddFloats(size_t slot, const int64_t* ts, const double* v, size_t n) override {
    if constexpr (std::is_same_v<T, double>) Add(slot, ts, v, n);
  }
  void AddInts(size_t slot, const int64_t* ts, const int64_t* v, size_t n) override {
    if constexpr (std::is_same_v<T, int64_t>) Add(slot, ts, v, n);
  }
  bool HasPoints(size_t slot) const override { return has_[slot] != 0; }
  int64_t PointTime(size_t slot) const override { return ts_[slot]; }
  absl::Status Emit(size_t slot, Column* out) const override {
    if (!has_[slot]) {
      out->AppendNull();
    } else {
      Append(input_, v_[slot], out);
    }
    return absl::OkStatus();
  }

 private:
  void Add(size_t slot, const int64_t* ts, const T* v, size_t n) {
    for (size_t i = 0; i < n; i++) {
      if (!has_[slot]) {
        has_[slot] = 1;
        v_[slot] = v[i];
        ts_[slot] = ts[i];
        continue;
      }
      if (IsNan(v[i])) continue;
      const bool better = IsNan(v_[slot]) || (max_ ? v[i] > v_[slot] : v[i] < v_[slot]) ||
                          (v[i] == v_[slot] && ts[i] < ts_[slot]);
      if (better) {
        v_[slot] = v[i];
        ts_[slot] = ts[i];
      }
    }
  }

  bool max_;
  std::vector<T> v_;
  std::vector<int64_t> ts_;
  std::vector<uint8_t> has_;
};

// mode: per slot, each value's count and its earliest and latest time. InfluxQL (1.x) walks
// the values in ascending order keeping a leader: the first value leads; a later value with
// count c takes the lead from a leader with count m when c > m, or when c == m >= 2 and its
// earliest point is not after the leader's latest one. Booleans: true when at least as many
// as false. NaN is ignored.
template <typename T>
class ModeAgg final : public Aggregator {
 public:
  ModeAgg(ValueType in, std::string field) : Aggregator(in, in, std::move(field)) {}
  void Grow(size_t front, size_t back) override {
    GrowVector<std::map<T, Stat>>(&slots_, front, back, {});
  }
  size_t size() const override { return slots_.size(); }
  void AddFloats(size_t slot, const int64_t* ts, const double* v, size_t n) override {
    if constexpr (std::is_same_v<T, double>) Add(slot, ts, v, n);
  }
  void AddInts(size_t slot, const int64_t* ts, const int64_t* v, size_t n) override {
    if constexpr (std::is_same_v<T, int64_t>) Add(slot, ts, v, n);
  }
  void AddStrings(size_t slot, const int64_t* ts, const std::string* v, size_t n) override {
    if constexpr (std::is_same_v<T, std::string>) Add(slot, ts, v, n);
  }
  bool HasPoints(size_t slot) const override { return !slots_[slot].empty(); }
  absl::Status Emit(size_t slot, Column* out) const override {
    const auto& m = slots_[slot];
    if (m.empty()) {
      out->AppendNull();
      return absl::OkStatus();
    }
    if (input_ == ValueType::kBool) {
      int64_t t = 0, f = 0;
      for (const auto& [v, st] : m) (v != T() ? t : f) += st.count;
      out->AppendBool(t >= f);
      return absl::OkStatus();
    }
    auto lead = m.begin();
    for (auto it = std::next(m.begin()); it != m.end(); ++it) {
      const Stat& c = it->second;
      const Stat& l = lead->second;
      if (c.count > l.count || (c.count == l.count && c.count >= 2 && c.first <= l.last)) {
        lead = it;
      }
    }
    Append(input_, lead->first, out);
    return absl::OkStatus();
  }
  uint64_t buffered() const override { return buffered_; }

 private:
  struct Stat {
    int64_t count = 0;
    int64_t first = 0, last = 0;
  };
  void Add(size_t slot, const int64_t* ts, const T* v, size_t n) {
    auto& m = slots_[slot];
    for (size_t i = 0; i < n; i++) {
      if (IsNan(v[i])) continue;
      auto [it, inserted] = m.try_emplace(v[i]);
      Stat& st = it->second;
      if (inserted) {
        st.first = st.last = ts[i];
        buffered_++;
      }
      st.count++;
      st.first = std::min(st.first, ts[i]);
      st.last = std::max(st.last, ts[i]);
    }
  }

  std::vector<std::map<T, Stat>> slots_;
  uint64_t buffered_ = 0;
};

// top(n) / bottom(n): per slot the n best points, best being the greater (smaller) value, then
// the earlier time, then the point fed first (series in group order). Emitted in time order;
// points at the same time in selection order. NaN is ignored.
template <typename T>
class TopBottomAgg final : public Aggregator {
 public:
  TopBottomAgg(ValueType in, std::string field, bool top, int64_t n)
      : Aggregator(in, in, std::move(field)), top_(top), n_(static_cast<size_t>(n)) {}
  void Grow(size_t front, size_t back) override {
    GrowVector<std::vector<Entry>>(&heaps_, front, back, {});
  }
  size_t size() const override { return heaps_.size(); }
  void AddFloats(size_t slot, const int64_t* ts, const double* v, size_t n) override {
    if constexpr (std::is_same_v<T, double>) Add(slot, ts, v, n);
  }
  void AddInts(size_t slot, const int64_t* ts, const int64_t* v, size_t n) override {
    if constexpr (std::is_same_v<T, int64_t>) Add(slot, ts, v, n);
  }
  bool HasPoints(size_t slot) const override { return !heaps_[slot].empty(); }
  absl::Status Emit(size_t slot, Column* out) const override {
    out->AppendNull();
    return absl::OkStatus();
  }
  void EmitAll(size_t slot, int64_t, Column* out, std::vector<int64_t>* times) const override {
    std::vector<Entry> e = heaps_[slot];
    std::sort(e.begin(), e.end(), Better{top_});
    std::stable_sort(e.begin(), e.end(),
                     [](const Entry& a, const Entry& b) { return a.ts < b.ts; });
    for (const Entry& x : e) {
      Append(input_, x.v, out);
      times->push_back(x.ts);
    }
  }
  uint64_t buffered() const override { return buffered_; }

 private:
  struct Entry {
    T v;
    int64_t ts;
    uint64_t seq;
  };
  // a before b: a is the better point.
  struct Better {
    bool top;
    bool operator()(const Entry& a, const Entry& b) const {
      if (a.v != b.v) return top ? a.v > b.v : a.v < b.v;
      if (a.ts != b.ts) return a.ts < b.ts;
      return a.seq < b.seq;
    }
  };
  void Add(size_t slot, const int64_t* ts, const T* v, size_t n) {
    auto& h = heaps_[slot];  // a heap whose front is the worst point kept
    const Better better{top_};
    for (size_t i = 0; i < n; i++) {
      if (IsNan(v[i])) continue;
      Entry e{v[i], ts[i], seq_++};
      if (h.size() < n_) {
        h.push_back(e);
        std::push_heap(h.begin(), h.end(), better);
        buffered_++;
      } else if (better(e, h.front())) {
        std::pop_heap(h.begin(), h.end(), better);
        h.back() = e;
        std::push_heap(h.begin(), h.end(), better);
      }
    }
  }

  bool top_;
  size_t n_;
  std::vector<std::vector<Entry>> heaps_;
  uint64_t seq_ = 0;
  uint64_t buffered_ = 0;
};

}  // namespace

std::unique_ptr<Aggregator> MakeExtremeAt(ValueType in, std::string field, bool max) {
  if (in == ValueType::kFloat) return std::make_unique<ExtremeAtAgg<double>>(in, field, max);
  return std::make_unique<ExtremeAtAgg<int64_t>>(in, std::move(field), max);
}

std::unique_ptr<Aggregator> MakeMode(ValueType in, std::string field) {
  switch (in) {
    case ValueType::kFloat:
      return std::make_unique<ModeAgg<double>>(in, std::move(field));
    case ValueType::kString:
      return std::make_unique<ModeAgg<std::string>>(in, std::move(field));
    default:
      return std::make_unique<ModeAgg<int64_t>>(in, std::move(field));
  }
}

std::unique_ptr<Aggregator> MakeTopBottom(ValueType in, std::string field, bool top, int64_t n) {
  if (in == ValueType::kFloat) return std::make_unique<TopBottomAgg<double>>(in, field, top, n);
  return std::make_unique<TopBottomAgg<int64_t>>(in, std::move(field), top, n);
}

}  // namespace telemdb::query::internal
