// Raw SELECTs (fields, `*`, transforms over fields): each series (tag set) yields rows joined
// on timestamp across its selected fields, filtered by the WHERE's field conditions; the rows
// of a group's series are merged in time order (ties: the series sorting first), limited and
// streamed in frames.
//
// ORDER BY time DESC reads the range backwards in windows sized from the data's density, each
// read ascending and emitted reversed, so memory stays bounded and LIMIT stops early.
// Transforms in a DESC window are primed with the points just before it.
#include <algorithm>
#include <limits>
#include <memory>
#include <queue>
#include <utility>
#include <vector>

#include "query/engine/executor.h"
#include "query/engine/transform.h"
#include "util/status_macros.h"

namespace telemdb::query::internal {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr size_t kBatchRows = 1024;

// Output rows of one series (entity) over one time range.
class EntityStream {
 public:
  EntityStream(const SelectPlan& plan, const Entity& e) : plan_(plan), e_(e) {
    for (const PlannedItem& it : plan.items) {
      transforms_.emplace_back(it.transform.value_or(lang::Call{lang::Function::kDifference}),
                               it.value_type);
      inputs_.push_back(0);
    }
    cols_.resize(plan.columns);
    scratch_.resize(plan.items.size());
    for (size_t i = 0; i < plan.items.size(); i++) {
      const PlannedItem& it = plan.items[i];
      for (size_t c = 0; c < it.columns.size(); c++)
        cols_[it.first_column + c].type = it.columns[c].type;
      scratch_[i].type = it.math_input;
    }
  }

  absl::Status Open(Scanner* scan, int64_t start, int64_t end) {
    std::vector<ValueType> want;
    std::vector<int> read;
    std::vector<bool> needed(plan_.fields.size(), false);
    for (const PlannedItem& it : plan_.items) needed[it.field] = true;
    if (e_.filter) needed.assign(plan_.fields.size(), true);
    for (size_t f = 0; f < plan_.fields.size(); f++) {
      want.push_back(plan_.fields[f].type);
      if (needed[f]) read.push_back(static_cast<int>(f));
    }
    ASSIGN_OR_RETURN(reader_, EntityReader::Open(scan, e_.series, want, read, start, end));
    done_ = false;
    pos_ = 0;
    ts_.clear();
    for (Column& c : cols_) c.Clear();
    return absl::OkStatus();
  }

  // Refills the output batch; false when the range is exhausted.
  absl::StatusOr<bool> Produce() {
    ts_.clear();
    for (Column& c : cols_) c.Clear();
    pos_ = 0;
    while (!done_ && ts_.empty()) {
      ASSIGN_OR_RETURN(bool more, reader_->Next(kBatchRows, &in_));
      if (!more) {
        done_ = true;
        break;
      }
      const size_t n = in_.size();
      if (e_.filter) {
        plan_.predicate->EvalRows(e_.tags, in_.fields, n, &mask_);
      } else {
        mask_.assign(n, 1);
      }
      for (size_t r = 0; r < n; r++) {
        if (!mask_[r]) continue;
        bool any = false;
        for (const PlannedItem& it : plan_.items) {
          const Column& c = in_.fields[it.field];
          any |= c.size() > 0 && !c.IsNull(r);
        }
        if (!any) continue;
        ts_.push_back(in_.ts[r]);
        for (size_t i = 0; i < plan_.items.size(); i++) {
          const PlannedItem& it = plan_.items[i];
          const Column& c = in_.fields[it.field];
          Column* out = &cols_[it.first_column];
          if (c.size() == 0) {
            for (size_t k = 0; k < it.columns.size(); k++) out[k].AppendNull();
          } else if (!it.transform) {
            if (it.math.empty()) {
              out->AppendFrom(c, r);
            } else {
              AppendMath(it.math, c, r, out);
            }
          } else {
            inputs_[i] += !c.IsNull(r);
            if (it.math.empty()) {
              RETURN_IF_ERROR(transforms_[i].Push(in_.ts[r], c, r, out));
            } else {
              scratch_[i].Clear();
              RETURN_IF_ERROR(transforms_[i].Push(in_.ts[r], c, r, &scratch_[i]));
              AppendMath(it.math, scratch_[i], 0, out);
            }
          }
        }
        if (plan_.omit_empty_rows && !Contributes()) {  // InfluxQL emits no such row
          ts_.pop_back();
          for (Column& col : cols_) col.PopBack();
          continue;
        }
        if (plan_.anomalies >= 0) {  // keep only rows at or above the threshold
          const PlannedItem& it = plan_.items[static_cast<size_t>(plan_.anomalies)];
          const Column& score = cols_[it.first_column + 1];
          const size_t last = score.size() - 1;
          if (score.IsNull(last) || !(score.floats[last] >= it.transform->threshold)) {
            ts_.pop_back();
            for (Column& col : cols_) col.PopBack();
          }
        }
      }
    }
    return !ts_.empty();
  }

  // Whether an item has a value in the last row (transforms that InfluxQL leaves empty and
  // raw fields count only with a value; other transforms always count).
  bool Contributes() const {
    for (const PlannedItem& it : plan_.items) {
      const Column& c = cols_[it.first_column];
      if (it.transform && !Transform::OmitsEmpty(it.transform->function)) return true;
      if (!c.IsNull(c.size() - 1)) return true;
    }
    return false;
  }

  // Row i of `in` (int or float) after the arithmetic, appended to the float column `out`.
  static void AppendMath(const std::vector<lang::MathStep>& steps, const Column& in, size_t i,
                         Column* out) {
    if (in.IsNull(i)) {
      out->AppendNull();
      return;
    }
    double v = in.type == ValueType::kInt ? static_cast<double>(in.ints[i]) : in.floats[i];
    ApplyMathTo(steps, &v) ? out->AppendFloat(v) : out->AppendNull();
  }

  // Whether every transform selected by `mask` (all when empty) has seen enough inputs to
  // continue seamlessly.
  bool Primed(const std::vector<bool>& mask = {}) const {
    for (size_t i = 0; i < plan_.items.size(); i++) {
      if (!mask.empty() && !mask[i]) continue;
      if (plan_.items[i].transform && inputs_[i] < transforms_[i].history()) return false;
    }
    return true;
  }
  // Takes the state of the transforms selected by `mask` (all when empty).
  void TakeTransforms(const EntityStream& other, const std::vector<bool>& mask = {}) {
    for (size_t i = 0; i < transforms_.size(); i++) {
      if (mask.empty() || mask[i]) transforms_[i] = other.transforms_[i];
    }
  }

  bool has_row() const { return pos_ < ts_.size(); }
  int64_t ts() const { return ts_[pos_]; }
  size_t pos() const { return pos_; }
  const Column& col(size_t i) const { return cols_[i]; }
  void Advance() { pos_++; }

 private:
  const SelectPlan& plan_;
  const Entity& e_;
  std::unique_ptr<EntityReader> reader_;
  std::vector<Transform> transforms_;
  std::vector<uint64_t> inputs_;
  RowBatch in_;
  std::vector<uint8_t> mask_;
  std::vector<int64_t> ts_;
  std::vector<Column> cols_;
  std::vector<Column> scratch_;  // per item: a transform's output before its arithmetic
  size_t pos_ = 0;
  bool done_ = false;
};

bool HasTransforms(const SelectPlan& plan) {
  for (const PlannedItem& it : plan.items) {
    if (it.transform) return true;
  }
  return false;
}

// Merges the streams' rows in (time, series order) and calls emit(stream) per row until it
// returns false. Streams must be opened.
template <typename Emit>
absl::Status Merge(std::vector<std::unique_ptr<EntityStream>>& streams, Scanner* scan,
                   Emit&& emit) {
  using Head = std::pair<int64_t, size_t>;
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heads;
  for (size_t k = 0; k < streams.size(); k++) {
    ASSIGN_OR_RETURN(bool more, streams[k]->Produce());
    if (more) heads.push({streams[k]->ts(), k});
  }
  uint64_t n = 0;
  while (!heads.empty()) {
    const size_t k = heads.top().second;
    heads.pop();
    EntityStream& s = *streams[k];
    ASSIGN_OR_RETURN(bool go_on, emit(s));
    if (!go_on) return absl::OkStatus();
    s.Advance();
    if (!s.has_row()) {
      ASSIGN_OR_RETURN(bool more, s.Produce());
      if (!more) continue;
    }
    heads.push({s.ts(), k});
    if ((++n & 4095) == 0) RETURN_IF_ERROR(scan->Check());
  }
  return absl::OkStatus();
}

class RawGroup {
 public:
  RawGroup(const SelectPlan& plan, const Group& g, Scanner* scan, FrameWriter* out)
      : plan_(plan), g_(g), scan_(scan), out_(out) {}

  absl::Status Ascending() {
    std::vector<std::unique_ptr<EntityStream>> streams;
    for (const Entity& e : g_.entities) {
      streams.push_back(std::make_unique<EntityStream>(plan_, e));
      RETURN_IF_ERROR(streams.back()->Open(scan_, plan_.range.start, plan_.range.end));
      RETURN_IF_ERROR(PrimeLookBack(e, plan_.range.start, streams.back().get()));
    }
    return Merge(streams, scan_, [&](const EntityStream& s) -> absl::StatusOr<bool> {
      ResultFrame& f = out_->frame();
      f.time.push_back(s.ts());
      for (size_t c = 0; c < plan_.columns; c++) f.columns[c].AppendFrom(s.col(c), s.pos());
      RETURN_IF_ERROR(out_->Commit());
      return plan_.limit == 0 || out_->group_rows() < static_cast<uint64_t>(plan_.limit);
    });
  }

  absl::Status Descending();

 private:
  absl::Status Probe(int64_t* lo, int64_t* hi, double* density);
  // Feeds the transforms in `mask` of `s` with the entity's rows before ws, reading back
  // (from ws - width, growing) until they have their history or `floor` is reached.
  absl::Status PrimeStream(const Entity& e, int64_t ws, int64_t floor, int64_t width,
                           EntityStream* s, const std::vector<bool>& mask);
  // Primes the look-back transforms (ewma, zscore, anomaly_score, anomalies) of `s` with the
  // entity's data before `ws`.
  absl::Status PrimeLookBack(const Entity& e, int64_t ws, EntityStream* s);

  const SelectPlan& plan_;
  const Group& g_;
  Scanner* scan_;
  FrameWriter* out_;
};

// The group's data extent within the range, and its density (points per ns, summed over
// series, from each series' first block).
absl::Status RawGroup::Probe(int64_t* lo, int64_t* hi, double* density) {
  *lo = kMax;
  *hi = kMin;
  *density = 0;
  std::vector<bool> selected(plan_.fields.size(), false);
  for (const PlannedItem& it : plan_.items) selected[it.field] = true;
  for (const Entity& e : g_.entities) {
    for (size_t f = 0; f < plan_.fields.size(); f++) {
      if (!selected[f] || e.series[f] == storage::kInvalidSeriesId) continue;
      ASSIGN_OR_RETURN(auto cursor, scan_->Open(e.series[f], plan_.range.start, plan_.range.end));
      ASSIGN_OR_RETURN(bool more, scan_->Next(&cursor));
      if (!more) continue;
      const QueryCursor::Block& b = cursor->block();
      *lo = std::min(*lo, std::max(b.min_ts, plan_.range.start));
      const double span = static_cast<double>(b.max_ts) - static_cast<double>(b.min_ts) + 1;
      *density += static_cast<double>(b.count) / span;
      auto last = scan_->querier().Last(e.series[f]);
      int64_t top = plan_.range.end - 1;
      if (last.ok() && last->has_value()) top = std::min(top, (*last)->ts);
      *hi = std::max(*hi, top);
    }
  }
  return absl::OkStatus();
}

absl::Status RawGroup::PrimeStream(const Entity& e, int64_t ws, int64_t lo, int64_t width,
                                   EntityStream* s, const std::vector<bool>& mask) {
  uint64_t back = static_cast<uint64_t>(std::max<int64_t>(width, 1));
  while (true) {
    const uint64_t room = static_cast<uint64_t>(ws) - static_cast<uint64_t>(lo);
    const int64_t from = back >= room ? lo : static_cast<int64_t>(static_cast<uint64_t>(ws) - back);
    EntityStream probe(plan_, e);
    RETURN_IF_ERROR(probe.Open(scan_, from, ws));
    while (true) {
      ASSIGN_OR_RETURN(bool more, probe.Produce());
      if (!more) break;
    }
    if (probe.Primed(mask) || from == lo) {
      s->TakeTransforms(probe, mask);
      return absl::OkStatus();
    }
    back = back > (uint64_t{1} << 61) ? room : back * 4;
  }
}

absl::Status RawGroup::PrimeLookBack(const Entity& e, int64_t ws, EntityStream* s) {
  std::vector<bool> mask(plan_.items.size(), false);
  int64_t need = 0;
  bool any = false;
  for (size_t i = 0; i < plan_.items.size(); i++) {
    mask[i] = plan_.items[i].lookback > 0;
    any |= mask[i];
    need = std::max(need, plan_.items[i].lookback);
  }
  if (!any || ws == kMin) return absl::OkStatus();
  // The earliest data before ws, and its density, from the first block of each series.
  int64_t earliest = kMax;
  double density = 0;
  for (size_t i = 0; i < plan_.items.size(); i++) {
    if (!mask[i]) continue;
    const SeriesId id = e.series[static_cast<size_t>(plan_.items[i].field)];
    if (id == storage::kInvalidSeriesId) continue;
    ASSIGN_OR_RETURN(auto cursor, scan_->Open(id, kMin, ws));
    ASSIGN_OR_RETURN(bool more, scan_->Next(&cursor));
    if (!more) continue;
    const QueryCursor::Block& b = cursor->block();
    earliest = std::min(earliest, std::max(b.min_ts, cursor->start()));
    const double span = static_cast<double>(b.max_ts) - static_cast<double>(b.min_ts) + 1;
    density = std::max(density, static_cast<double>(b.count) / span);
  }
  if (earliest >= ws) return absl::OkStatus();
  const double width = density > 0 ? 1.25 * static_cast<double>(need + 1) / density : 9.0e18;
  return PrimeStream(e, ws, earliest, static_cast<int64_t>(std::min(width, 9.0e18)), s, mask);
}

absl::Status RawGroup::Descending() {
  int64_t lo, hi;
  double density;
  RETURN_IF_ERROR(Probe(&lo, &hi, &density));
  if (lo > hi) return absl::OkStatus();
  size_t want_rows = std::max<size_t>(out_->space(), 1);
  if (plan_.limit > 0) want_rows = std::min<size_t>(want_rows, static_cast<size_t>(plan_.limit));
  const double target = static_cast<double>(want_rows);
  const double extent = static_cast<double>(hi) - static_cast<double>(lo) + 1;
  double width = density > 0 ? std::min(extent, target / density) : extent;
  const bool transforms = HasTransforms(plan_);
  // Transforms that start within the range are primed from the range's data only; the
  // look-back ones from any data before the window (PrimeLookBack).
  std::vector<bool> starts_in_range(plan_.items.size(), false);
  for (size_t i = 0; i < plan_.items.size(); i++) {
    starts_in_range[i] = plan_.items[i].transform && plan_.items[i].lookback == 0;
  }
  int64_t we = hi == kMax ? kMax : hi + 1;  // window end (exclusive)
  std::vector<int64_t> time;
  std::vector<Column> cols(plan_.columns);
  while (we > lo) {
    const int64_t w = static_cast<int64_t>(std::max(1.0, std::min(width, 9.0e18)));
    const uint64_t room = static_cast<uint64_t>(we) - static_cast<uint64_t>(lo);
    const int64_t ws =
        static_cast<uint64_t>(w) >= room ? lo : static_cast<int64_t>(static_cast<uint64_t>(we) - w);
    std::vector<std::unique_ptr<EntityStream>> streams;
    for (const Entity& e : g_.entities) {
      streams.push_back(std::make_unique<EntityStream>(plan_, e));
      RETURN_IF_ERROR(streams.back()->Open(scan_, ws, we));
      if (transforms && ws > lo) {
        RETURN_IF_ERROR(PrimeStream(e, ws, lo, w, streams.back().get(), starts_in_range));
      }
      RETURN_IF_ERROR(PrimeLookBack(e, ws, streams.back().get()));
    }
    time.clear();
    for (size_t c = 0; c < cols.size(); c++) {
      cols[c].Clear();
      cols[c].type = plan_.schema.types[c];
    }
    RETURN_IF_ERROR(Merge(streams, scan_, [&](const EntityStream& s) -> absl::StatusOr<bool> {
      time.push_back(s.ts());
      for (size_t c = 0; c < cols.size(); c++) cols[c].AppendFrom(s.col(c), s.pos());
      return true;
    }));
    for (size_t k = time.size(); k-- > 0;) {
      ResultFrame& f = out_->frame();
      f.time.push_back(time[k]);
      for (size_t c = 0; c < cols.size(); c++) f.columns[c].AppendFrom(cols[c], k);
      RETURN_IF_ERROR(out_->Commit());
      if (plan_.limit > 0 && out_->group_rows() >= static_cast<uint64_t>(plan_.limit)) {
        return absl::OkStatus();
      }
    }
    // Aim at about one frame per window.
    if (time.size() < target / 4) width *= 2;
    if (time.size() > target * 4) width = std::max(1.0, width / 2);
    we = ws;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ExecuteRaw(const SelectPlan& plan, Scanner* scan, FrameWriter* out) {
  int64_t groups = 0;
  for (const Group& g : plan.groups) {
    if (plan.slimit > 0 && groups >= plan.slimit) break;
    out->BeginGroup(g.values);
    RawGroup rg(plan, g, scan, out);
    RETURN_IF_ERROR(plan.descending ? rg.Descending() : rg.Ascending());
    if (out->group_rows() > 0) groups++;
    RETURN_IF_ERROR(out->EndGroup());
  }
  return absl::OkStatus();
}

}  // namespace telemdb::query::internal
