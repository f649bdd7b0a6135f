// The predictive aggregates: predict_linear(field, horizon) and time_to_threshold(field,
// threshold[, method]) over the points of a bucket (every series of the group). See
// predict/trend.h for the line and Holt fits.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "query/engine/aggregator.h"
#include "query/engine/aggregator_impl.h"
#include "query/predict/trend.h"

namespace telemdb::query::internal {
namespace {

using storage::ValueType;

// The least-squares line per slot.
class LinearAgg final : public Aggregator {
 public:
  LinearAgg(ValueType in, std::string field, const lang::Call& call)
      : Aggregator(in, ValueType::kFloat, std::move(field)), call_(call) {}
  void Grow(size_t front, size_t back) override {
    GrowVector<predict::LinearTrend>(&lines_, front, back, predict::LinearTrend());
    GrowVector<int64_t>(&n_, front, back, 0);
  }
  size_t size() const override { return n_.size(); }
  void AddFloats(size_t slot, const int64_t* ts, const double* v, size_t n) override {
    lines_[slot].AddRun(ts, v, n);
    n_[slot] += static_cast<int64_t>(n);
  }
  void AddInts(size_t slot, const int64_t* ts, const int64_t* v, size_t n) override {
    buf_.resize(n);
    for (size_t i = 0; i < n; i++) buf_[i] = static_cast<double>(v[i]);
    AddFloats(slot, ts, buf_.data(), n);
  }
  bool HasPoints(size_t slot) const override { return n_[slot] > 0; }
  absl::Status Emit(size_t slot, Column* out) const override {
    const predict::LinearTrend& line = lines_[slot];
    if (!line.defined()) {
      out->AppendNull();
      return absl::OkStatus();
    }
    if (call_.function == lang::Function::kPredictLinear) {
      out->AppendFloat(line.ValueAt(line.last_ts() + call_.horizon_ns));
      return absl::OkStatus();
    }
    const double span = static_cast<double>(line.last_ts() - line.first_ts()) * 1e-9;
    const double s =
        predict::SecondsToThreshold(line.ValueAt(line.last_ts()), line.slope_per_second(),
                                    call_.threshold, predict::kHorizonSpans * span);
    std::isnan(s) ? out->AppendNull() : out->AppendFloat(s);
    return absl::OkStatus();
  }

 private:
  lang::Call call_;
  std::vector<predict::LinearTrend> lines_;
  std::vector<int64_t> n_;  // points, NaN included
  std::vector<double> buf_;
};

// time_to_threshold(..., 'holt'): keeps the slot's points, fits Holt's method at the end.
class HoltAgg final : public Aggregator {
 public:
  HoltAgg(ValueType in, std::string field, double threshold)
      : Aggregator(in, ValueType::kFloat, std::move(field)), threshold_(threshold) {}
  void Grow(size_t front, size_t back) override {
    GrowVector<std::vector<std::pair<int64_t, double>>>(&points_, front, back, {});
    GrowVector<int64_t>(&n_, front, back, 0);
  }
  size_t size() const override { return n_.size(); }
  void AddFloats(size_t slot, const int64_t* ts, const double* v, size_t n) override {
    for (size_t i = 0; i < n; i++) {
      if (!std::isnan(v[i])) points_[slot].emplace_back(ts[i], v[i]);
    }
    n_[slot] += static_cast<int64_t>(n);
    held_ += n;
  }
  void AddInts(size_t slot, const int64_t* ts, const int64_t* v, size_t n) override {
    for (size_t i = 0; i < n; i++) points_[slot].emplace_back(ts[i], static_cast<double>(v[i]));
    n_[slot] += static_cast<int64_t>(n);
    held_ += n;
  }
  bool HasPoints(size_t slot) const override { return n_[slot] > 0; }
  uint64_t buffered() const override { return held_; }
  absl::Status Emit(size_t slot, Column* out) const override {
    std::vector<std::pair<int64_t, double>> pts = points_[slot];
    // Series arrive one after the other: order by time (ties: the series fed first).
    std::stable_sort(pts.begin(), pts.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    const predict::HoltTrend h = predict::FitHoltTrend(pts);
    if (!h.defined) {
      out->AppendNull();
      return absl::OkStatus();
    }
    const double span = static_cast<double>(h.last_ts - h.first_ts) * 1e-9;
    const double s = predict::SecondsToThreshold(h.level, h.slope_per_second, threshold_,
                                                 predict::kHorizonSpans * span);
    std::isnan(s) ? out->AppendNull() : out->AppendFloat(s);
    return absl::OkStatus();
  }

 private:
  double threshold_;
  std::vector<std::vector<std::pair<int64_t, double>>> points_;
  std::vector<int64_t> n_;
  uint64_t held_ = 0;
};

}  // namespace

std::unique_ptr<Aggregator> MakePredictLinear(ValueType input, std::string field,
                                              const lang::Call& call) {
  return std::make_unique<LinearAgg>(input, std::move(field), call);
}

std::unique_ptr<Aggregator> MakeTimeToThreshold(ValueType input, std::string field,
                                                const lang::Call& call) {
  if (call.method == "holt")
    return std::make_unique<HoltAgg>(input, std::move(field), call.threshold);
  return std::make_unique<LinearAgg>(input, std::move(field), call);
}

}  // namespace telemdb::query::internal
