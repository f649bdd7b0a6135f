#include "query/engine/transform.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace telemdb::query {

using lang::Function;
using storage::ValueType;

Transform::Transform(const lang::Call& call, ValueType input) : call_(call), input_(input) {
  if (call_.unit_ns <= 0) call_.unit_ns = lang::kDefaultUnitNs;
  if (call_.window < 1) call_.window = 1;
}

void Transform::Reset() {
  has_prev_ = false;
  window_.clear();
}

void Transform::Remember(int64_t ts, const Column& in, size_t i) {
  has_prev_ = true;
  prev_ts_ = ts;
  if (input_ == ValueType::kInt) {
    prev_i_ = in.ints[i];
  } else {
    prev_f_ = in.floats[i];
  }
  if (call_.function == Function::kMovingAverage) {
    window_.push_back(AsDouble(in, i));
    if (window_.size() > static_cast<size_t>(call_.window)) window_.pop_front();
  }
}

void Transform::Prime(int64_t ts, const Column& in, size_t i) {
  if (!in.IsNull(i)) Remember(ts, in, i);
}

absl::Status Transform::Push(int64_t ts, const Column& in, size_t i, Column* out) {
  if (in.IsNull(i)) {
    out->AppendNull();
    return absl::OkStatus();
  }
  const Function f = call_.function;
  if (f == Function::kMovingAverage) {
    Remember(ts, in, i);
    if (window_.size() < static_cast<size_t>(call_.window)) {
      out->AppendNull();
    } else {
      double sum = 0;
      for (double v : window_) sum += v;
      out->AppendFloat(sum / static_cast<double>(call_.window));
    }
    return absl::OkStatus();
  }
  if (!has_prev_) {
    out->AppendNull();
    Remember(ts, in, i);
    return absl::OkStatus();
  }
  const double dt = static_cast<double>(static_cast<__int128>(ts) - prev_ts_);
  double delta;  // v1 - v0 as a double
  if (input_ == ValueType::kInt) {
    const __int128 d = static_cast<__int128>(in.ints[i]) - prev_i_;
    if (f == Function::kDifference) {
      if (d < std::numeric_limits<int64_t>::min() || d > std::numeric_limits<int64_t>::max()) {
        return absl::OutOfRangeError("difference(): the difference of two ints overflows int64");
      }
      out->AppendInt(static_cast<int64_t>(d));
      Remember(ts, in, i);
      return absl::OkStatus();
    }
    delta =
        (f == Function::kRate && d < 0) ? static_cast<double>(in.ints[i]) : static_cast<double>(d);
  } else {
    const double v = in.floats[i];
    if (f == Function::kDifference) {
      out->AppendFloat(v - prev_f_);
      Remember(ts, in, i);
      return absl::OkStatus();
    }
    delta = (f == Function::kRate && v < prev_f_) ? v : v - prev_f_;
  }
  const double unit = f == Function::kRate ? 1e9 : static_cast<double>(call_.unit_ns);
  out->AppendFloat(delta / (dt / unit));
  Remember(ts, in, i);
  return absl::OkStatus();
}

}  // namespace telemdb::query
