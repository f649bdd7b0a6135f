// The aggregates answered from running sums: count, sum, mean, min, max, spread, first, last
// (all of which can also fold in chunk header pre-aggregates), and the factory.
#include "query/engine/aggregator.h"

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "query/engine/aggregator_impl.h"
#include "query/lang/functions.h"
#include "util/absl_compat.h"

namespace telemdb::query {
namespace {

using internal::GrowVector;
using lang::Function;
using storage::ValueType;
using storage::codec::ChunkHeader;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Sum of v[0, n) with four accumulators (breaks the add latency chain).
inline double SumFloats(const double* v, size_t n) {
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 += v[i];
    a1 += v[i + 1];
    a2 += v[i + 2];
    a3 += v[i + 3];
  }
  for (; i < n; i++) a0 += v[i];
  return (a0 + a1) + (a2 + a3);
}

inline __int128 SumInts(const int64_t* v, size_t n) {
  __int128 s = 0;
  for (size_t i = 0; i < n; i++) s += v[i];
  return s;
}

bool FitsInt64(__int128 v) {
  return v >= std::numeric_limits<int64_t>::min() && v <= std::numeric_limits<int64_t>::max();
}

class CountAgg final : public Aggregator {
 public:
  CountAgg(ValueType in, std::string field) : Aggregator(in, ValueType::kInt, std::move(field)) {}
  void Grow(size_t front, size_t back) override { GrowVector<int64_t>(&n_, front, back, 0); }
  size_t size() const override { return n_.size(); }
  bool CanUseHeader(const ChunkHeader& h) const override { return h.type == input_; }
  void AddHeader(size_t slot, const ChunkHeader& h) override { n_[slot] += h.count; }
  void AddFloats(size_t slot, const int64_t*, const double*, size_t n) override { n_[slot] += n; }
  void AddInts(size_t slot, const int64_t*, const int64_t*, size_t n) override { n_[slot] += n; }
  void AddStrings(size_t slot, const int64_t*, const std::string*, size_t n) override {
    n_[slot] += n;
  }
  bool HasPoints(size_t slot) const override { return n_[slot] > 0; }
  absl::Status Emit(size_t slot, Column* out) const override {
    n_[slot] > 0 ? out->AppendInt(n_[slot]) : out->AppendNull();
    return absl::OkStatus();
  }

 private:
  std::vector<int64_t> n_;
};

// sum and mean over floats.
class FloatSumAgg final : public Aggregator {
 public:
  FloatSumAgg(std::string field, bool mean)
      : Aggregator(ValueType::kFloat, ValueType::kFloat, std::move(field)), mean_(mean) {}
  void Grow(size_t front, size_t back) override {
    GrowVector<double>(&sum_, front, back, 0);
    GrowVector<int64_t>(&n_, front, back, 0);
  }
  size_t size() const override { return n_.size(); }
  bool CanUseHeader(const ChunkHeader& h) const override { return h.type == ValueType::kFloat; }
  void AddHeader(size_t slot, const ChunkHeader& h) override {
    sum_[slot] += h.fsum;
    n_[slot] += h.count;
  }
  void AddFloats(size_t slot, const int64_t*, const double* v, size_t n) override {
    sum_[slot] += SumFloats(v, n);
    n_[slot] += n;
  }
  bool HasPoints(size_t slot) const override { return n_[slot] > 0; }
  absl::Status Emit(size_t slot, Column* out) const override {
    if (n_[slot] == 0) {
      out->AppendNull();
    } else {
      out->AppendFloat(mean_ ? sum_[slot] / static_cast<double>(n_[slot]) : sum_[slot]);
    }
    return absl::OkStatus();
  }

 private:
  bool mean_;
  std::vector<double> sum_;
  std::vector<int64_t> n_;
};

// sum and mean over ints: exact 128-bit sums.
class IntSumAgg final : public Aggregator {
 public:
  IntSumAgg(std::string field, bool mean)
      : Aggregator(ValueType::kInt, mean ? ValueType::kFloat : ValueType::kInt, std::move(field)),
        mean_(mean) {}
  void Grow(size_t front, size_t back) override {
    GrowVector<__int128>(&sum_, front, back, 0);
    GrowVector<int64_t>(&n_, front, back, 0);
  }
  size_t size() const override { return n_.size(); }
  bool CanUseHeader(const ChunkHeader& h) const override {
    return h.type == ValueType::kInt && !h.int_sum_overflowed;
  }
  void AddHeader(size_t slot, const ChunkHeader& h) override {
    sum_[slot] += h.isum;
    n_[slot] += h.count;
  }
  void AddInts(size_t slot, const int64_t*, const int64_t* v, size_t n) override {
    sum_[slot] += SumInts(v, n);
    n_[slot] += n;
  }
  bool HasPoints(size_t slot) const override { return n_[slot] > 0; }
  absl::Status Emit(size_t slot, Column* out) const override {
    if (n_[slot] == 0) {
      out->AppendNull();
    } else if (mean_) {
      out->AppendFloat(static_cast<double>(sum_[slot]) / static_cast<double>(n_[slot]));
    } else if (!FitsInt64(sum_[slot])) {
      return absl::OutOfRangeError(
          absl::StrCat("sum(", field_, "): the sum of int field ", field_, " overflows int64"));
    } else {
      out->AppendInt(static_cast<int64_t>(sum_[slot]));
    }
    return absl::OkStatus();
  }

 private:
  bool mean_;
  std::vector<__int128> sum_;
  std::vector<int64_t> n_;
};

enum class Extreme { kMin, kMax, kSpread };

// min, max, spread over floats; NaN ignored unless every value is NaN.
class FloatExtremeAgg final : public Aggregator {
 public:
  FloatExtremeAgg(std::string field, Extreme what)
      : Aggregator(ValueType::kFloat, ValueType::kFloat, std::move(field)), what_(what) {}
  void Grow(size_t front, size_t back) override {
    GrowVector<double>(&min_, front, back, kNaN);
    GrowVector<double>(&max_, front, back, kNaN);
    GrowVector<int64_t>(&n_, front, back, 0);
  }
  size_t size() const override { return n_.size(); }
  bool CanUseHeader(const ChunkHeader& h) const override { return h.type == ValueType::kFloat; }
  void AddHeader(size_t slot, const ChunkHeader& h) override {
    Merge(slot, h.fmin, h.fmax);
    n_[slot] += h.count;
  }
  void AddFloats(size_t slot, const int64_t*, const double* v, size_t n) override {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    double lo = kInf, hi = -kInf;
    for (size_t i = 0; i < n; i++) {
      lo = v[i] < lo ? v[i] : lo;  // NaN compares false: ignored
      hi = v[i] > hi ? v[i] : hi;
    }
    if (lo == kInf || hi == -kInf) {
      // Either infinities or no non-NaN value at all: settle it the slow way.
      bool any = false;
      for (size_t i = 0; i < n; i++) any |= !std::isnan(v[i]);
      if (!any) lo = hi = kNaN;
    }
    Merge(slot, lo, hi);
    n_[slot] += n;
  }
  bool HasPoints(size_t slot) const override { return n_[slot] > 0; }
  absl::Status Emit(size_t slot, Column* out) const override {
    if (n_[slot] == 0) {
      out->AppendNull();
      return absl::OkStatus();
    }
    switch (what_) {
      case Extreme::kMin:
        out->AppendFloat(min_[slot]);
        break;
      case Extreme::kMax:
        out->AppendFloat(max_[slot]);
        break;
      case Extreme::kSpread:
        out->AppendFloat(max_[slot] - min_[slot]);
        break;
    }
    return absl::OkStatus();
  }

 private:
  void Merge(size_t slot, double lo, double hi) {
    if (!std::isnan(lo) && (std::isnan(min_[slot]) || lo < min_[slot])) min_[slot] = lo;
    if (!std::isnan(hi) && (std::isnan(max_[slot]) || hi > max_[slot])) max_[slot] = hi;
  }

  Extreme what_;
  std::vector<double> min_, max_;
  std::vector<int64_t> n_;
};

class IntExtremeAgg final : public Aggregator {
 public:
  IntExtremeAgg(std::string field, Extreme what)
      : Aggregator(ValueType::kInt, ValueType::kInt, std::move(field)), what_(what) {}
  void Grow(size_t front, size_t back) override {
    GrowVector<int64_t>(&min_, front, back, std::numeric_limits<int64_t>::max());
    GrowVector<int64_t>(&max_, front, back, std::numeric_limits<int64_t>::min());
    GrowVector<int64_t>(&n_, front, back, 0);
  }
  size_t size() const override { return n_.size(); }
  bool CanUseHeader(const ChunkHeader& h) const override { return h.type == ValueType::kInt; }
  void AddHeader(size_t slot, const ChunkHeader& h) override {
    min_[slot] = std::min(min_[slot], h.imin);
    max_[slot] = std::max(max_[slot], h.imax);
    n_[slot] += h.count;
  }
  void AddInts(size_t slot, const int64_t*, const int64_t* v, size_t n) override {
    int64_t lo = min_[slot], hi = max_[slot];
    for (size_t i = 0; i < n; i++) {
      lo = v[i] < lo ? v[i] : lo;
      hi = v[i] > hi ? v[i] : hi;
    }
    min_[slot] = lo;
    max_[slot] = hi;
    n_[slot] += n;
  }
  bool HasPoints(size_t slot) const override { return n_[slot] > 0; }
  absl::Status Emit(size_t slot, Column* out) const override {
    if (n_[slot] == 0) {
      out->AppendNull();
      return absl::OkStatus();
    }
    switch (what_) {
      case Extreme::kMin:
        out->AppendInt(min_[slot]);
        break;
      case Extreme::kMax:
        out->AppendInt(max_[slot]);
        break;
      case Extreme::kSpread: {
        __int128 d = static_cast<__int128>(max_[slot]) - min_[slot];
        if (!FitsInt64(d)) {
          return absl::OutOfRangeError(absl::StrCat(
              "spread(", field_, "): the spread of int field ", field_, " overflows int64"));
        }
        out->AppendInt(static_cast<int64_t>(d));
        break;
      }
    }
    return absl::OkStatus();
  }

 private:
  Extreme what_;
  std::vector<int64_t> min_, max_;
  std::vector<int64_t> n_;
};

// first and last for every type. T: double, int64_t (ints and bools) or std::string.
template <typename T>
class SelectorAgg final : public Aggregator {
 public:
  SelectorAgg(ValueType in, std::string field, bool last)
      : Aggregator(in, in, std::move(field)), last_(last) {}
  void Grow(size_t front, size_t back) override {
    GrowVector<int64_t>(&ts_, front, back, 0);
    GrowVector<T>(&v_, front, back, T());
    GrowVector<uint8_t>(&has_, front, back, 0);
  }
  size_t size() const override { return has_.size(); }
  bool CanUseHeader(const ChunkHeader& h) const override {
    return h.type == input_ && input_ != ValueType::kString;
  }
  void AddHeader(size_t slot, const ChunkHeader& h) override {
    if constexpr (std::is_same_v<T, double>) {
      Offer(slot, last_ ? h.max_ts : h.min_ts, last_ ? h.flast : h.ffirst);
    } else if constexpr (std::is_same_v<T, int64_t>) {
      Offer(slot, last_ ? h.max_ts : h.min_ts, last_ ? h.ilast : h.ifirst);
    }
  }
  void AddFloats(size_t slot, const int64_t* ts, const double* v, size_t n) override {
    if constexpr (std::is_same_v<T, double>) AddRun(slot, ts, v, n);
  }
  void AddInts(size_t slot, const int64_t* ts, const int64_t* v, size_t n) override {
    if constexpr (std::is_same_v<T, int64_t>) AddRun(slot, ts, v, n);
  }
  void AddStrings(size_t slot, const int64_t* ts, const std::string* v, size_t n) override {
    if constexpr (std::is_same_v<T, std::string>) AddRun(slot, ts, v, n);
  }
  bool HasPoints(size_t slot) const override { return has_[slot] != 0; }
  int64_t PointTime(size_t slot) const override { return ts_[slot]; }
  absl::Status Emit(size_t slot, Column* out) const override {
    if (!has_[slot]) {
      out->AppendNull();
    } else if constexpr (std::is_same_v<T, double>) {
      out->AppendFloat(v_[slot]);
    } else if constexpr (std::is_same_v<T, int64_t>) {
      input_ == ValueType::kBool ? out->AppendBool(v_[slot] != 0) : out->AppendInt(v_[slot]);
    } else {
      out->AppendString(v_[slot]);
    }
    return absl::OkStatus();
  }

 private:
  void AddRun(size_t slot, const int64_t* ts, const T* v, size_t n) {
    if (n == 0) return;
    if (last_) {
      Offer(slot, ts[n - 1], v[n - 1]);
    } else {
      Offer(slot, ts[0], v[0]);
    }
  }
  // Points of several series can share a timestamp; the tie goes to the larger value (for
  // first() of booleans, false), as InfluxDB decides it, so the answer never depends on the
  // order the series are read in.
  bool WinsTie(const T& v, const T& held) const {
    if (input_ == ValueType::kBool && !last_) return v < held;
    return v > held;
  }
  void Offer(size_t slot, int64_t ts, const T& v) {
    if (!has_[slot] || (last_ ? ts > ts_[slot] : ts < ts_[slot]) ||
        (ts == ts_[slot] && WinsTie(v, v_[slot]))) {
      has_[slot] = 1;
      ts_[slot] = ts;
      v_[slot] = v;
    }
  }

  bool last_;
  std::vector<int64_t> ts_;
  std::vector<T> v_;
  std::vector<uint8_t> has_;
};

bool IsNumeric(ValueType t) { return t == ValueType::kFloat || t == ValueType::kInt; }

}  // namespace

ValueType Aggregator::OutputType(Function f, ValueType in) {
  switch (f) {
    case Function::kCount:
      return ValueType::kInt;
    case Function::kSum:
    case Function::kMin:
    case Function::kMax:
    case Function::kSpread:
    case Function::kFirst:
    case Function::kLast:
    case Function::kDistinct:
    case Function::kMode:
    case Function::kTop:
    case Function::kBottom:
      return in;
    default:
      return ValueType::kFloat;
  }
}

bool Aggregator::UsesHeaders(Function f, ValueType in) {
  switch (f) {
    case Function::kCount:
      return true;
    case Function::kFirst:
    case Function::kLast:
      return in != ValueType::kString;
    case Function::kSum:
    case Function::kMean:
    case Function::kMin:
    case Function::kMax:
    case Function::kSpread:
      return IsNumeric(in);
    default:
      return false;
  }
}

absl::StatusOr<std::unique_ptr<Aggregator>> Aggregator::Make(const lang::Call& call, ValueType in,
                                                             std::string_view field_view,
                                                             bool nearest_rank, bool point_time) {
  std::string field(field_view);
  const Function f = call.function;
  const bool any_type = f == Function::kCount || f == Function::kFirst || f == Function::kLast ||
                        f == Function::kDistinct || f == Function::kMode;
  if (!any_type && !IsNumeric(in)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Sv(lang::GetFunctionInfo(f).name), "(", field, "): field ", field, " is ",
                     storage::ValueTypeName(in), "; ", storage::ValueTypeName(in),
                     " fields take only count, first, last, distinct and mode"));
  }
  std::unique_ptr<Aggregator> a;
  switch (f) {
    case Function::kCount:
      a = std::make_unique<CountAgg>(in, field);
      break;
    case Function::kSum:
    case Function::kMean:
      if (in == ValueType::kFloat) {
        a = std::make_unique<FloatSumAgg>(field, f == Function::kMean);
      } else {
        a = std::make_unique<IntSumAgg>(field, f == Function::kMean);
      }
      break;
    case Function::kMin:
    case Function::kMax:
    case Function::kSpread: {
      if (point_time && f != Function::kSpread) {
        a = internal::MakeExtremeAt(in, field, f == Function::kMax);
        break;
      }
      Extreme e = f == Function::kMin   ? Extreme::kMin
                  : f == Function::kMax ? Extreme::kMax
                                        : Extreme::kSpread;
      if (in == ValueType::kFloat) {
        a = std::make_unique<FloatExtremeAgg>(field, e);
      } else {
        a = std::make_unique<IntExtremeAgg>(field, e);
      }
      break;
    }
    case Function::kFirst:
    case Function::kLast: {
      const bool last = f == Function::kLast;
      if (in == ValueType::kFloat) {
        a = std::make_unique<SelectorAgg<double>>(in, field, last);
      } else if (in == ValueType::kString) {
        a = std::make_unique<SelectorAgg<std::string>>(in, field, last);
      } else {
        a = std::make_unique<SelectorAgg<int64_t>>(in, field, last);
      }
      break;
    }
    case Function::kStddev:
      a = internal::MakeStddev(in, field);
      break;
    case Function::kMedian:
      a = internal::MakePercentile(in, field, 50);
      break;
    case Function::kPercentile:
      a = internal::MakePercentile(in, field, call.percentile, nearest_rank,
                                   point_time && nearest_rank);
      break;
    case Function::kMode:
      a = internal::MakeMode(in, field);
      break;
    case Function::kTop:
    case Function::kBottom:
      a = internal::MakeTopBottom(in, field, f == Function::kTop, call.count > 0 ? call.count : 1);
      break;
    case Function::kIntegral:
      a = internal::MakeIntegral(in, field, call.unit_ns > 0 ? call.unit_ns : lang::kDefaultUnitNs);
      break;
    case Function::kDistinct:
      a = internal::MakeDistinct(in, field);
      break;
    case Function::kPredictLinear:
      a = internal::MakePredictLinear(in, field, call);
      break;
    case Function::kTimeToThreshold:
      a = internal::MakeTimeToThreshold(in, field, call);
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(Sv(lang::GetFunctionInfo(f).name), " is not an aggregate function"));
  }
  return a;
}

}  // namespace telemdb::query
