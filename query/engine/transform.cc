#include "query/engine/transform.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace telemdb::query {

using lang::Function;
using storage::ValueType;

namespace {

std::string GetFunctionName(Function f) { return std::string(lang::GetFunctionInfo(f).name); }

predict::AnomalyOptions DetectorOptions(const lang::Call& call) {
  auto o = predict::AnomalyOptions::Parse(call.options);
  return o.ok() ? *o : predict::AnomalyOptions();  // the parser checked them
}

}  // namespace

bool Transform::OmitsEmpty(Function f) {
  switch (f) {
    case Function::kDerivative:
    case Function::kDifference:
    case Function::kMovingAverage:
    case Function::kNonNegativeDerivative:
    case Function::kNonNegativeDifference:
    case Function::kCumulativeSum:
    case Function::kElapsed:
      return true;
    default:
      return false;
  }
}

Transform::Transform(const lang::Call& call, ValueType input) : call_(call), input_(input) {
  if (call_.unit_ns <= 0) {
    call_.unit_ns =
        call_.function == Function::kElapsed ? lang::kElapsedDefaultUnitNs : lang::kDefaultUnitNs;
  }
  if (call_.window < 1) call_.window = 1;
  Reset();
}

int64_t Transform::LookBack(const lang::Call& call) {
  switch (call.function) {
    case Function::kEwma:
      return predict::Ewma::LookBack(call.alpha);
    case Function::kZscore:
      return call.window;
    case Function::kAnomalyScore:
    case Function::kAnomalies:
      return DetectorOptions(call).Memory();
    default:
      return 0;
  }
}

size_t Transform::history() const {
  switch (call_.function) {
    case Function::kMovingAverage:
      return static_cast<size_t>(call_.window) - 1;
    case Function::kEwma:
    case Function::kZscore:
    case Function::kAnomalyScore:
    case Function::kAnomalies:
      return static_cast<size_t>(LookBack(call_));
    case Function::kCumulativeSum:
      return static_cast<size_t>(-1);
    default:
      return 1;
  }
}

void Transform::Reset() {
  has_prev_ = false;
  sum_f_ = 0;
  sum_i_ = 0;
  window_.clear();
  ewma_.reset();
  zscore_.reset();
  detector_.reset();
  switch (call_.function) {
    case Function::kEwma:
      ewma_.emplace(call_.alpha > 0 ? call_.alpha : 1.0);
      break;
    case Function::kZscore:
      zscore_.emplace(call_.window);
      break;
    case Function::kAnomalyScore:
    case Function::kAnomalies:
      detector_.emplace(DetectorOptions(call_));
      break;
    default:
      break;
  }
}

double Transform::Stream(double x) {
  if (ewma_) return std::isnan(x) ? x : ewma_->Push(x);
  if (zscore_) return std::isnan(x) ? x : zscore_->Push(x);
  return detector_->Push(x);  // NaN in, NaN out, state unchanged
}

void Transform::Remember(int64_t ts, const Column& in, size_t i) {
  has_prev_ = true;
  prev_ts_ = ts;
  if (call_.function == Function::kElapsed) return;  // any type: only the time matters
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
  if (in.IsNull(i)) return;
  if (ewma_ || zscore_ || detector_) {
    Stream(AsDouble(in, i));
    return;
  }
  if (call_.function == Function::kCumulativeSum) {
    Column scratch;
    scratch.type = output_type();
    (void)Push(ts, in, i, &scratch);  // only the running sum matters
    return;
  }
  Remember(ts, in, i);
}

absl::Status Transform::Push(int64_t ts, const Column& in, size_t i, Column* out) {
  if (in.IsNull(i)) {
    for (size_t c = 0; c < width(); c++) out[c].AppendNull();
    return absl::OkStatus();
  }
  const Function f = call_.function;
  if (ewma_ || zscore_ || detector_) {
    const double y = Stream(AsDouble(in, i));
    Column& result = f == Function::kAnomalies ? out[1] : out[0];
    std::isnan(y) ? result.AppendNull() : result.AppendFloat(y);
    if (f == Function::kAnomalies) out[0].AppendFrom(in, i);
    return absl::OkStatus();
  }
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
  if (f == Function::kCumulativeSum) {
    if (input_ == ValueType::kInt) {
      if (__builtin_add_overflow(sum_i_, in.ints[i], &sum_i_)) {
        return absl::OutOfRangeError("cumulative_sum(): the sum of ints overflows int64");
      }
      out->AppendInt(sum_i_);
    } else {
      sum_f_ += in.floats[i];
      out->AppendFloat(sum_f_);
    }
    return absl::OkStatus();
  }
  if (!has_prev_) {
    out->AppendNull();
    Remember(ts, in, i);
    return absl::OkStatus();
  }
  if (f == Function::kElapsed) {
    const __int128 d = (static_cast<__int128>(ts) - prev_ts_) / call_.unit_ns;
    out->AppendInt(static_cast<int64_t>(d));
    Remember(ts, in, i);
    return absl::OkStatus();
  }
  const double dt = static_cast<double>(static_cast<__int128>(ts) - prev_ts_);
  double delta;  // v1 - v0 as a double
  if (input_ == ValueType::kInt) {
    const __int128 d = static_cast<__int128>(in.ints[i]) - prev_i_;
    if (f == Function::kDifference || f == Function::kNonNegativeDifference) {
      if (d < std::numeric_limits<int64_t>::min() || d > std::numeric_limits<int64_t>::max()) {
        return absl::OutOfRangeError(
            absl::StrCat(GetFunctionName(f), "(): the difference of two ints overflows int64"));
      }
      (f == Function::kNonNegativeDifference && d < 0) ? out->AppendNull()
                                                       : out->AppendInt(static_cast<int64_t>(d));
      Remember(ts, in, i);
      return absl::OkStatus();
    }
    delta =
        (f == Function::kRate && d < 0) ? static_cast<double>(in.ints[i]) : static_cast<double>(d);
  } else {
    const double v = in.floats[i];
    if (f == Function::kDifference || f == Function::kNonNegativeDifference) {
      const double d = v - prev_f_;
      (f == Function::kNonNegativeDifference && d < 0) ? out->AppendNull() : out->AppendFloat(d);
      Remember(ts, in, i);
      return absl::OkStatus();
    }
    delta = (f == Function::kRate && v < prev_f_) ? v : v - prev_f_;
  }
  const double unit = f == Function::kRate ? 1e9 : static_cast<double>(call_.unit_ns);
  if (f == Function::kNonNegativeDerivative && delta < 0) {
    out->AppendNull();
  } else {
    out->AppendFloat(delta / (dt / unit));
  }
  Remember(ts, in, i);
  return absl::OkStatus();
}

}  // namespace telemdb::query
