// FILL for aggregated rows, and small helpers shared by the executors.
#include <cmath>
#include <limits>

#include "query/engine/executor.h"

namespace telemdb::query::internal {

using lang::FillMode;

int64_t RangeStartOrEpoch(const SelectPlan& plan) {
  return plan.range.start == std::numeric_limits<int64_t>::min() ? 0 : plan.range.start;
}

int64_t AggregateRowTime(const SelectPlan& plan) {
  if (plan.influxql_times && plan.items.size() == 1) {
    const PlannedItem& it = plan.items[0];
    if (it.aggregate && !it.transform && it.aggregate->function == lang::Function::kIntegral) {
      return 0;  // InfluxQL reports a lone integral at the epoch, whatever the range
    }
  }
  return RangeStartOrEpoch(plan);
}

bool RowTimeIsPointTime(const SelectPlan& plan) {
  if (plan.group_by_time || plan.items.size() != 1) return false;
  const PlannedItem& it = plan.items[0];
  if (!it.aggregate || it.transform) return false;  // arithmetic keeps the point (InfluxQL)
  switch (it.aggregate->function) {
    case lang::Function::kFirst:
    case lang::Function::kLast:
      return true;
    case lang::Function::kMin:
    case lang::Function::kMax:
      return plan.influxql_times;
    case lang::Function::kPercentile:
      return plan.influxql_times && plan.nearest_rank;
    default:
      return false;
  }
}

void ApplyMath(const std::vector<lang::MathStep>& steps, Column* col) {
  IntColumnToFloat(col);
  for (size_t r = 0; r < col->size(); r++) {
    if (col->IsNull(r)) continue;
    if (!ApplyMathTo(steps, &col->floats[r])) col->valid[r] = 0;
  }
}

bool ApplyMathTo(const std::vector<lang::MathStep>& steps, double* x) {
  double v = *x;
  for (const lang::MathStep& m : steps) {
    const double a = m.constant_first ? m.constant : v;
    const double b = m.constant_first ? v : m.constant;
    switch (m.op) {
      case lang::MathOp::kAdd:
        v = a + b;
        break;
      case lang::MathOp::kSub:
        v = a - b;
        break;
      case lang::MathOp::kMul:
        v = a * b;
        break;
      case lang::MathOp::kDiv:
        if (b == 0) return false;  // division by zero: null
        v = a / b;
        break;
    }
  }
  *x = v;
  return true;
}

void IntColumnToFloat(Column* col) {
  if (col->type != ValueType::kInt) return;
  col->floats.resize(col->ints.size());
  for (size_t i = 0; i < col->ints.size(); i++) col->floats[i] = static_cast<double>(col->ints[i]);
  col->ints.clear();
  col->type = ValueType::kFloat;
}

namespace {

void SetCell(Column* col, size_t r, double v) {
  col->valid[r] = 1;
  if (col->type == ValueType::kInt) {
    col->ints[r] = static_cast<int64_t>(v);
  } else {
    col->floats[r] = v;
  }
}

double CellValue(const Column& col, size_t r) {
  return col.type == ValueType::kInt ? static_cast<double>(col.ints[r]) : col.floats[r];
}

}  // namespace

void ApplyFill(const SelectPlan& plan, const std::vector<int64_t>& time,
               const std::vector<uint8_t>& empty, Column* col) {
  const size_t n = col->size();
  switch (plan.fill) {
    case FillMode::kNone:
    case FillMode::kNull:
      return;  // empty cells are already null
    case FillMode::kValue:
      if (col->type != ValueType::kFloat && col->type != ValueType::kInt) return;
      for (size_t r = 0; r < n; r++) {
        if (empty[r]) SetCell(col, r, plan.fill_value);
      }
      return;
    case FillMode::kPrevious: {
      int64_t prev = -1;
      for (size_t r = 0; r < n; r++) {
        if (!empty[r]) {
          if (!col->IsNull(r)) prev = static_cast<int64_t>(r);
          continue;
        }
        if (prev < 0) continue;
        col->valid[r] = 1;
        switch (col->type) {
          case ValueType::kFloat:
            col->floats[r] = col->floats[prev];
            break;
          case ValueType::kInt:
          case ValueType::kBool:
            col->ints[r] = col->ints[prev];
            break;
          case ValueType::kString:
            col->strings[r] = col->strings[prev];
            break;
        }
      }
      return;
    }
    case FillMode::kLinear: {
      if (col->type != ValueType::kFloat) return;  // int columns were planned as float
      int64_t prev = -1;
      for (size_t r = 0; r < n; r++) {
        if (empty[r] || col->IsNull(r)) continue;
        if (prev >= 0 && static_cast<size_t>(prev) + 1 < r) {
          const double span = static_cast<double>(time[r] - time[prev]);
          const double v0 = CellValue(*col, prev), v1 = CellValue(*col, r);
          for (size_t k = prev + 1; k < r; k++) {
            if (!empty[k]) continue;
            SetCell(col, k, v0 + (v1 - v0) * static_cast<double>(time[k] - time[prev]) / span);
          }
        }
        prev = static_cast<int64_t>(r);
      }
      return;
    }
  }
}

}  // namespace telemdb::query::internal
