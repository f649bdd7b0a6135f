// last(field)s without GROUP BY time and without field conditions: the "latest reading of
// every device" query, answered from the last-value cache (Querier::Last) per series. A series
// whose cached last point lies at or after the range end is scanned instead (its last point
// in range is older than the cache's); one whose last point lies before the range start has
// no point in range.
#include <limits>
#include <optional>

#include "query/engine/executor.h"
#include "util/status_macros.h"

namespace telemdb::query::internal {
namespace {

struct Candidate {
  bool has = false;
  int64_t ts = 0;
  storage::Value value;
};

// The last point of series `id` in the plan's range, by scanning.
absl::StatusOr<std::optional<LastValue>> ScanLast(const SelectPlan& plan, Scanner* scan,
                                                  SeriesId id) {
  ASSIGN_OR_RETURN(auto cursor, scan->Open(id, plan.range.start, plan.range.end));
  std::optional<LastValue> last;
  storage::codec::Columns cols;
  while (true) {
    ASSIGN_OR_RETURN(bool more, scan->Next(&cursor));
    if (!more) break;
    RETURN_IF_ERROR(cursor->Decode(&cols));
    RETURN_IF_ERROR(scan->Account(&cursor));
    if (cols.size() == 0) continue;
    const size_t i = cols.size() - 1;
    LastValue v;
    v.ts = cols.ts[i];
    switch (cols.type) {
      case ValueType::kFloat:
        v.value = storage::Value::Float(cols.floats[i]);
        break;
      case ValueType::kInt:
        v.value = storage::Value::Int(cols.ints[i]);
        break;
      case ValueType::kBool:
        v.value = storage::Value::Bool(cols.ints[i] != 0);
        break;
      case ValueType::kString:
        v.value = storage::Value::String(cols.strings[i]);
        break;
    }
    last = std::move(v);
  }
  return last;
}

void AppendValue(const storage::Value& v, Column* col) {
  switch (col->type) {
    case ValueType::kFloat:
      col->AppendFloat(v.type == ValueType::kInt ? static_cast<double>(v.i) : v.f);
      break;
    case ValueType::kInt:
      col->AppendInt(v.i);
      break;
    case ValueType::kBool:
      col->AppendBool(v.i != 0);
      break;
    case ValueType::kString:
      col->AppendString(v.s);
      break;
  }
}

// Whether a is larger than b (values of one type; true > false).
bool LargerValue(const storage::Value& a, const storage::Value& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case ValueType::kFloat:
      return a.f > b.f;
    case ValueType::kString:
      return a.s > b.s;
    default:
      return a.i > b.i;
  }
}

}  // namespace

absl::Status ExecuteLastCache(const SelectPlan& plan, Scanner* scan, FrameWriter* out) {
  int64_t groups = 0;
  for (const Group& g : plan.groups) {
    if (plan.slimit > 0 && groups >= plan.slimit) break;
    RETURN_IF_ERROR(scan->Check());
    std::vector<Candidate> best(plan.items.size());
    for (const Entity& e : g.entities) {
      for (size_t i = 0; i < plan.items.size(); i++) {
        const SeriesId id = e.series[plan.items[i].field];
        if (id == storage::kInvalidSeriesId) continue;
        auto last = scan->querier().Last(id);
        if (!last.ok()) {
          if (last.status().code() == absl::StatusCode::kNotFound) continue;  // deleted
          return last.status();
        }
        scan->stats().last_cache_hits++;
        if (!last->has_value() || (*last)->ts < plan.range.start) continue;
        if ((*last)->ts >= plan.range.end) {
          ASSIGN_OR_RETURN(*last, ScanLast(plan, scan, id));
          if (!last->has_value()) continue;
        }
        Candidate& c = best[i];
        // A tie between series goes to the larger value, as in the last() aggregator.
        if (!c.has || (*last)->ts > c.ts ||
            ((*last)->ts == c.ts && LargerValue((*last)->value, c.value))) {
          c.has = true;
          c.ts = (*last)->ts;
          c.value = std::move((*last)->value);
        }
      }
    }
    bool any = false;
    for (const Candidate& c : best) any |= c.has;
    out->BeginGroup(g.values);
    if (any) {
      ResultFrame& f = out->frame();
      f.time.push_back(plan.items.size() == 1 ? best[0].ts : RangeStartOrEpoch(plan));
      for (size_t i = 0; i < plan.items.size(); i++) {
        if (best[i].has) {
          AppendValue(best[i].value, &f.columns[i]);
        } else {
          f.columns[i].AppendNull();
        }
      }
      RETURN_IF_ERROR(out->Commit());
      groups++;
    }
    RETURN_IF_ERROR(out->EndGroup());
  }
  return absl::OkStatus();
}

}  // namespace telemdb::query::internal
