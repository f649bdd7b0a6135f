// Forecasts over a group's bucket rows (holt_winters, holt_winters_with_fit, forecast), the
// rows they add after the last bucket, and the anomalies() row filter.
#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "query/engine/executor.h"
#include "query/predict/exp_smoothing.h"

namespace telemdb::query::internal {

using lang::Function;

void RunForecast(const PlannedItem& it, int64_t interval, const std::vector<int64_t>& time,
                 const Column& values, Column* out, std::vector<FutureCell>* future) {
  const size_t width = it.columns.size();
  const size_t rows = time.size();
  for (size_t c = 0; c < width; c++) {
    out[c].Reserve(rows);
    for (size_t r = 0; r < rows; r++) out[c].AppendNull();
  }
  const auto value = [&](size_t r) {
    return values.type == ValueType::kInt ? static_cast<double>(values.ints[r]) : values.floats[r];
  };
  size_t r0 = rows, r1 = 0;
  for (size_t r = 0; r < rows; r++) {
    if (values.IsNull(r) || std::isnan(value(r))) continue;
    if (r0 == rows) r0 = r;
    r1 = r;
  }
  if (r0 == rows || interval <= 0) return;
  // The regular series from row r0 to r1, one value per bucket; gaps interpolated.
  const int64_t t0 = time[r0];
  const size_t n = static_cast<size_t>((time[r1] - t0) / interval) + 1;
  std::vector<double> y(n, std::nan(""));
  std::vector<size_t> index_of_row(rows, n);
  for (size_t r = r0; r <= r1; r++) {
    const size_t k = static_cast<size_t>((time[r] - t0) / interval);
    index_of_row[r] = k;
    if (!values.IsNull(r) && !std::isnan(value(r))) y[k] = value(r);
  }
  size_t prev = 0;
  for (size_t k = 1; k < n; k++) {
    if (std::isnan(y[k])) continue;
    for (size_t j = prev + 1; j < k; j++) {
      y[j] = y[prev] +
             (y[k] - y[prev]) * static_cast<double>(j - prev) / static_cast<double>(k - prev);
    }
    prev = k;
  }
  const lang::Call& call = *it.transform;
  std::optional<predict::EtsFit> fit = call.function == Function::kForecast
                                           ? predict::FitForecast(y, call.method, call.season)
                                           : predict::FitHoltWinters(y, call.season);
  if (!fit.has_value()) return;
  std::vector<double> mean, half;
  predict::ForecastEts(*fit, call.count,
                       call.function == Function::kForecast ? predict::kBand80 : 0, &mean, &half);
  if (call.function == Function::kHoltWintersWithFit) {
    for (size_t r = r0; r <= r1; r++) {
      const double f = fit->fitted[index_of_row[r]];
      if (std::isnan(f)) continue;
      out[0].valid[r] = 1;
      out[0].floats[r] = f;
    }
  }
  const int64_t last = time[r1];
  for (int64_t h = 1; h <= call.count; h++) {
    const __int128 t = static_cast<__int128>(last) + static_cast<__int128>(h) * interval;
    if (t > std::numeric_limits<int64_t>::max()) break;
    const size_t k = static_cast<size_t>(h - 1);
    future->push_back({static_cast<int64_t>(t), it.first_column, mean[k]});
    if (call.function == Function::kForecast) {
      future->push_back({static_cast<int64_t>(t), it.first_column + 1, mean[k] - half[k]});
      future->push_back({static_cast<int64_t>(t), it.first_column + 2, mean[k] + half[k]});
    }
  }
}

bool OnlyForecastRows(const SelectPlan& plan) {
  for (const PlannedItem& it : plan.items) {
    if (!it.forecast() || it.transform->function == Function::kHoltWintersWithFit) return false;
  }
  return true;
}

void MergeFuture(std::vector<FutureCell> future, std::vector<int64_t>* time_ptr,
                 std::vector<Column>* cols_ptr) {
  std::vector<int64_t>& time = *time_ptr;
  std::vector<Column>& cols = *cols_ptr;
  std::stable_sort(future.begin(), future.end(),
                   [](const FutureCell& a, const FutureCell& b) { return a.time < b.time; });
  std::vector<int64_t> out_time;
  std::vector<Column> out(cols.size());
  for (size_t c = 0; c < cols.size(); c++) out[c].type = cols[c].type;
  size_t r = 0, f = 0;
  while (r < time.size() || f < future.size()) {
    const bool take_row = f == future.size() || (r < time.size() && time[r] <= future[f].time);
    const int64_t t = take_row ? time[r] : future[f].time;
    out_time.push_back(t);
    for (size_t c = 0; c < cols.size(); c++) {
      take_row ? out[c].AppendFrom(cols[c], r) : out[c].AppendNull();
    }
    if (take_row) r++;
    for (; f < future.size() && future[f].time == t; f++) {
      Column& col = out[future[f].column];
      col.valid.back() = 1;
      col.floats.back() = future[f].value;
    }
  }
  time = std::move(out_time);
  cols = std::move(out);
}

void KeepRowsAtOrAbove(const Column& score_col, double threshold, std::vector<int64_t>* time,
                       std::vector<Column>* cols) {
  std::vector<uint8_t> keep(time->size());
  for (size_t r = 0; r < time->size(); r++) {
    keep[r] = !score_col.IsNull(r) && score_col.floats[r] >= threshold;
  }
  std::vector<int64_t> t2;
  std::vector<Column> c2(cols->size());
  for (size_t c = 0; c < cols->size(); c++) c2[c].type = (*cols)[c].type;
  for (size_t r = 0; r < time->size(); r++) {
    if (!keep[r]) continue;
    t2.push_back((*time)[r]);
    for (size_t c = 0; c < cols->size(); c++) c2[c].AppendFrom((*cols)[c], r);
  }
  *time = std::move(t2);
  *cols = std::move(c2);
}

}  // namespace telemdb::query::internal
