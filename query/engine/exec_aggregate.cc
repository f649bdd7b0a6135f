// Aggregated SELECTs: per group, every point of every series is folded into per-bucket
// aggregator slots (pre-aggregates for whole chunks where possible), then rows are built per
// bucket, filled, transformed, ordered, limited and streamed.
#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "query/engine/aggregator.h"
#include "query/engine/buckets.h"
#include "query/engine/executor.h"
#include "query/engine/transform.h"
#include "util/status_macros.h"

namespace telemdb::query::internal {
namespace {

using storage::codec::ChunkHeader;
using storage::codec::Columns;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr size_t kFilterBatchRows = 8192;

// Row w of `c` becomes the single row of `one` (same type).
void SetRow(Column* c, size_t w, const Column& one) {
  c->valid[w] = one.valid[0];
  switch (c->type) {
    case ValueType::kFloat:
      c->floats[w] = one.floats[0];
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      c->ints[w] = one.ints[0];
      break;
    case ValueType::kString:
      c->strings[w] = one.strings[0];
      break;
  }
}

void TruncateColumn(Column* c, size_t n) {
  c->valid.resize(n);
  if (c->floats.size() > n) c->floats.resize(n);
  if (c->ints.size() > n) c->ints.resize(n);
  if (c->strings.size() > n) c->strings.resize(n);
}

// a - b for a >= b, exact even across the whole int64 range.
uint64_t Diff(int64_t a, int64_t b) { return static_cast<uint64_t>(a) - static_cast<uint64_t>(b); }

class GroupAggregation {
 public:
  // Aggregates over `range` (Default: the plan's).
  GroupAggregation(const SelectPlan& plan, const Buckets& buckets, Scanner* scan)
      : GroupAggregation(plan, buckets, scan, plan.range) {}
  GroupAggregation(const SelectPlan& plan, const Buckets& buckets, Scanner* scan,
                   const lang::TimeRange& range)
      : plan_(plan), range_(range), buckets_(buckets), scan_(scan), by_field_(plan.fields.size()) {
    for (size_t i = 0; i < plan.items.size(); i++) by_field_[plan.items[i].field].push_back(i);
    header_ok_.assign(plan.fields.size(), scan->options().use_preaggregates);
    for (const PlannedItem& it : plan.items) {
      if (!Aggregator::UsesHeaders(it.aggregate->function, plan.fields[it.field].type)) {
        header_ok_[it.field] = false;
      }
    }
    // Buckets outside the query range never receive points: bound the slot table by it.
    k_lo_ = range.start == kMin ? kMin : buckets.Index(range.start);
    k_hi_ = range.end == kMax ? kMax : buckets.Index(range.end - 1);
  }

  absl::Status Run(const Group& g);
  // The start of the first bucket that received a point (kMax when none did).
  int64_t first_data() const { return slots_ == 0 ? kMax : buckets_.Start(data_lo_); }
  // The bucket rows: their times and, per item, its aggregate after FILL (before any
  // transform or forecast). distinct() rows are complete.
  // `empty` (when set) receives per item and row whether the bucket had no point of it.
  absl::Status BuildRows(std::vector<int64_t>* time, std::vector<Column>* cols,
                         std::vector<std::vector<uint8_t>>* empty = nullptr);
  // Builds the group's rows into `out`. `primed[i]`, when set, is item i's transform already
  // fed with its look-back.
  absl::Status Emit(std::vector<std::optional<Transform>>* primed, FrameWriter* out);

 private:
  absl::StatusOr<size_t> SlotFor(int64_t k);
  absl::Status ScanSeries(SeriesId id, ValueType stored, int field);
  absl::Status ScanFiltered(const Entity& e);
  absl::Status Feed(int field, const int64_t* ts, const Columns& cols, size_t n);
  absl::Status CheckBuffered() const;

  const SelectPlan& plan_;
  const lang::TimeRange range_;
  const Buckets& buckets_;
  Scanner* scan_;
  std::vector<std::vector<size_t>> by_field_;  // items per planned field
  std::vector<bool> header_ok_;                // per planned field
  std::vector<std::unique_ptr<Aggregator>> aggs_;
  int64_t k_lo_, k_hi_;
  int64_t base_ = 0;                         // bucket of slot 0
  int64_t data_lo_ = kMax, data_hi_ = kMin;  // buckets that received points
  size_t slots_ = 0;
  Columns cols_, tmp_;
  RowBatch batch_;
  std::vector<uint8_t> mask_;
};

absl::StatusOr<size_t> GroupAggregation::SlotFor(int64_t k) {
  data_lo_ = std::min(data_lo_, k);
  data_hi_ = std::max(data_hi_, k);
  if (slots_ > 0 && k >= base_ && k - base_ < static_cast<int64_t>(slots_)) return k - base_;
  // Grow geometrically towards k, within the query range's buckets.
  size_t front = 0, back = 0;
  int64_t new_base = base_;
  if (slots_ == 0) {
    new_base = k;
    back = 1;
  } else if (k < base_) {
    // Unsigned differences: the bounds may be the int64 extremes.
    const uint64_t need = Diff(base_, k);
    const uint64_t room = Diff(base_, k_lo_);
    front = std::min<uint64_t>(std::max<uint64_t>(need, slots_), room);
    new_base = static_cast<int64_t>(static_cast<uint64_t>(base_) - front);
  } else {
    const uint64_t need = Diff(k, base_) - slots_ + 1;
    const uint64_t room = Diff(k_hi_, base_) - slots_ + 1;
    back = std::min<uint64_t>(std::max<uint64_t>(need, slots_), room);
  }
  if (slots_ + front + back > scan_->options().max_buckets) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "GROUP BY time spans more than ", scan_->options().max_buckets,
        " buckets in one group (limit max_buckets); use a larger interval or a shorter range"));
  }
  for (auto& a : aggs_) a->Grow(front, back);
  slots_ += front + back;
  base_ = new_base;
  return static_cast<size_t>(k - base_);
}

absl::Status GroupAggregation::CheckBuffered() const {
  uint64_t total = 0;
  for (const auto& a : aggs_) total += a->buffered();
  if (total > scan_->options().max_buffered_values) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "median, percentile, distinct or time_to_threshold(..., 'holt') hold more than ",
        scan_->options().max_buffered_values,
        " values (limit max_buffered_values); use smaller groups or ranges"));
  }
  return absl::OkStatus();
}

absl::Status GroupAggregation::Feed(int field, const int64_t* ts, const Columns& cols, size_t n) {
  absl::Status status;
  const auto& items = by_field_[field];
  buckets_.ForEachRun(ts, n, [&](int64_t k, size_t i, size_t j) {
    if (!status.ok()) return;
    auto slot = SlotFor(k);
    if (!slot.ok()) {
      status = slot.status();
      return;
    }
    const size_t len = j - i;
    for (size_t item : items) {
      Aggregator& a = *aggs_[item];
      switch (cols.type) {
        case ValueType::kFloat:
          a.AddFloats(*slot, ts + i, cols.floats.data() + i, len);
          break;
        case ValueType::kInt:
        case ValueType::kBool:
          a.AddInts(*slot, ts + i, cols.ints.data() + i, len);
          break;
        case ValueType::kString:
          a.AddStrings(*slot, ts + i, cols.strings.data() + i, len);
          break;
      }
    }
  });
  return status;
}

absl::Status GroupAggregation::ScanSeries(SeriesId id, ValueType stored, int field) {
  const ValueType want = plan_.fields[field].type;
  ASSIGN_OR_RETURN(auto cursor, scan_->Open(id, range_.start, range_.end));
  const bool header_ok = header_ok_[field] && stored == want;
  const auto& items = by_field_[field];
  while (true) {
    ASSIGN_OR_RETURN(bool more, scan_->Next(&cursor));
    if (!more) break;
    const QueryCursor::Block& b = cursor->block();
    if (header_ok && b.header != nullptr && b.header->min_ts >= cursor->start() &&
        b.header->max_ts < cursor->end()) {
      const ChunkHeader& h = *b.header;
      const int64_t k = buckets_.Index(h.min_ts);
      bool usable = k == buckets_.Index(h.max_ts);
      for (size_t item : items) usable = usable && aggs_[item]->CanUseHeader(h);
      if (usable) {
        ASSIGN_OR_RETURN(size_t slot, SlotFor(k));
        for (size_t item : items) aggs_[item]->AddHeader(slot, h);
        scan_->stats().chunks_preaggregated++;
        continue;
      }
    }
    RETURN_IF_ERROR(scan_->Decode(&cursor, want, &cols_));
    RETURN_IF_ERROR(Feed(field, cols_.ts.data(), cols_, cols_.size()));
    RETURN_IF_ERROR(CheckBuffered());
  }
  return absl::OkStatus();
}

absl::Status GroupAggregation::ScanFiltered(const Entity& e) {
  std::vector<ValueType> want;
  std::vector<int> read;
  for (size_t f = 0; f < plan_.fields.size(); f++) {
    want.push_back(plan_.fields[f].type);
    read.push_back(static_cast<int>(f));
  }
  ASSIGN_OR_RETURN(auto reader,
                   EntityReader::Open(scan_, e.series, want, read, range_.start, range_.end));
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader->Next(kFilterBatchRows, &batch_));
    if (!more) break;
    const size_t n = batch_.size();
    plan_.predicate->EvalRows(e.tags, batch_.fields, n, &mask_);
    for (size_t f = 0; f < plan_.fields.size(); f++) {
      if (by_field_[f].empty()) continue;
      const Column& col = batch_.fields[f];
      if (col.size() == 0) continue;
      tmp_.Clear();
      tmp_.type = col.type;
      for (size_t r = 0; r < n; r++) {
        if (!mask_[r] || col.IsNull(r)) continue;
        tmp_.ts.push_back(batch_.ts[r]);
        switch (col.type) {
          case ValueType::kFloat:
            tmp_.floats.push_back(col.floats[r]);
            break;
          case ValueType::kInt:
          case ValueType::kBool:
            tmp_.ints.push_back(col.ints[r]);
            break;
          case ValueType::kString:
            tmp_.strings.push_back(col.strings[r]);
            break;
        }
      }
      RETURN_IF_ERROR(Feed(static_cast<int>(f), tmp_.ts.data(), tmp_, tmp_.size()));
    }
    RETURN_IF_ERROR(CheckBuffered());
  }
  return absl::OkStatus();
}

absl::Status GroupAggregation::Run(const Group& g) {
  for (const PlannedItem& it : plan_.items) {
    ASSIGN_OR_RETURN(auto a, Aggregator::Make(*it.aggregate, plan_.fields[it.field].type,
                                              plan_.fields[it.field].name, plan_.nearest_rank,
                                              plan_.point_time));
    aggs_.push_back(std::move(a));
  }
  for (const Entity& e : g.entities) {
    if (e.filter) {
      RETURN_IF_ERROR(ScanFiltered(e));
    } else {
      for (size_t f = 0; f < plan_.fields.size(); f++) {
        if (by_field_[f].empty() || e.series[f] == storage::kInvalidSeriesId) continue;
        RETURN_IF_ERROR(ScanSeries(e.series[f], e.stored[f], static_cast<int>(f)));
        for (size_t item : by_field_[f]) aggs_[item]->EndSeries();
      }
    }
    for (auto& a : aggs_) a->EndSeries();
  }
  return absl::OkStatus();
}

absl::Status GroupAggregation::BuildRows(std::vector<int64_t>* time_out,
                                         std::vector<Column>* cols_out,
                                         std::vector<std::vector<uint8_t>>* empty_out) {
  std::vector<int64_t>& time = *time_out;
  std::vector<Column>& cols = *cols_out;
  const size_t n_items = plan_.items.size();
  time.clear();
  cols.assign(n_items, Column());
  for (size_t i = 0; i < n_items; i++) cols[i].type = aggs_[i]->output_type();
  if (slots_ == 0) return absl::OkStatus();

  if (plan_.multi_row) {  // distinct, top, bottom: the values of each bucket, in order
    for (size_t s = 0; s < slots_; s++) {
      const int64_t t = buckets_.enabled() ? buckets_.Start(base_ + static_cast<int64_t>(s))
                                           : AggregateRowTime(plan_);
      aggs_[0]->EmitAll(s, t, &cols[0], &time);
    }
    return absl::OkStatus();
  }
  std::vector<std::vector<uint8_t>> empty(n_items);
  int64_t first = data_lo_, last = data_hi_;
  if (buckets_.enabled() && plan_.fill != lang::FillMode::kNone) {
    if (range_.start != kMin) first = k_lo_;
    if (range_.end != kMax) last = k_hi_;
    if (Diff(last, first) >= scan_->options().max_buckets) {
      return absl::ResourceExhaustedError(
          absl::StrCat("GROUP BY time with FILL spans more than ", scan_->options().max_buckets,
                       " buckets (limit max_buckets); use a larger interval or a shorter range"));
    }
  }
  for (int64_t k = first;; k++) {
    const bool has_slot = k >= base_ && k - base_ < static_cast<int64_t>(slots_);
    const size_t s = has_slot ? static_cast<size_t>(k - base_) : 0;
    bool any = false;
    for (size_t i = 0; i < n_items && has_slot; i++) any |= aggs_[i]->HasPoints(s);
    if (any || plan_.fill != lang::FillMode::kNone) {
      if (!buckets_.enabled()) {
        time.push_back(plan_.point_time ? aggs_[0]->PointTime(s) : AggregateRowTime(plan_));
      } else {
        time.push_back(buckets_.Start(k));
      }
      for (size_t i = 0; i < n_items; i++) {
        const bool has = has_slot && aggs_[i]->HasPoints(s);
        empty[i].push_back(!has);
        if (has) {
          RETURN_IF_ERROR(aggs_[i]->Emit(s, &cols[i]));
        } else {
          cols[i].AppendNull();
        }
      }
    }
    if (k == last) break;
    if ((time.size() & 1023) == 0) RETURN_IF_ERROR(scan_->Check());
  }
  for (size_t i = 0; i < n_items; i++) {
    if (plan_.items[i].value_type == ValueType::kFloat) IntColumnToFloat(&cols[i]);
    ApplyFill(plan_, time, empty[i], &cols[i]);
  }
  if (empty_out != nullptr) *empty_out = std::move(empty);
  return absl::OkStatus();
}

absl::Status GroupAggregation::Emit(std::vector<std::optional<Transform>>* primed,
                                    FrameWriter* out) {
  std::vector<int64_t> time;
  std::vector<Column> cols;
  std::vector<std::vector<uint8_t>> empty;
  RETURN_IF_ERROR(BuildRows(&time, &cols, &empty));
  if (time.empty()) return absl::OkStatus();
  std::vector<Column> result(plan_.columns);
  for (size_t c = 0; c < plan_.columns; c++) result[c].type = plan_.schema.types[c];
  std::vector<FutureCell> future;
  for (size_t i = 0; i < plan_.items.size(); i++) {
    const PlannedItem& it = plan_.items[i];
    Column* outcols = &result[it.first_column];
    if (plan_.multi_row || !it.transform) {
      outcols[0] = std::move(cols[i]);
    } else if (it.forecast()) {
      RunForecast(it, buckets_.interval(), time, cols[i], outcols, &future);
    } else {
      Transform fresh(*it.transform, it.value_type);
      Transform& t = (*primed)[i].has_value() ? *(*primed)[i] : fresh;
      outcols[0].type = it.math.empty() ? outcols[0].type : it.math_input;
      for (size_t r = 0; r < time.size(); r++) {
        RETURN_IF_ERROR(t.Push(time[r], cols[i], r, outcols));
      }
    }
    if (!it.math.empty()) ApplyMath(it.math, &outcols[0]);
  }
  if (plan_.omit_empty_rows && !plan_.multi_row) {
    // InfluxQL: a row holds the points its items emit; a transform without a value (and,
    // without FILL, an aggregate without a point in the bucket) emits none.
    std::vector<uint8_t> keep(time.size(), 0);
    for (size_t i = 0; i < plan_.items.size(); i++) {
      const PlannedItem& it = plan_.items[i];
      const Column& c = result[it.first_column];
      const bool omits = it.transform && Transform::OmitsEmpty(it.transform->function);
      for (size_t r = 0; r < time.size(); r++) {
        if (omits) {
          keep[r] |= !c.IsNull(r);
        } else if (!it.transform && plan_.fill == lang::FillMode::kNone) {
          keep[r] |= !empty[i][r];
        } else {
          keep[r] = 1;
        }
      }
    }
    size_t w = 0;
    for (size_t r = 0; r < time.size(); r++) {
      if (!keep[r]) continue;
      time[w] = time[r];
      for (Column& c : result) {
        if (w != r) {
          Column tmp;
          tmp.type = c.type;
          tmp.AppendFrom(c, r);
          SetRow(&c, w, tmp);
        }
      }
      w++;
    }
    time.resize(w);
    for (Column& c : result) TruncateColumn(&c, w);
  }
  if (OnlyForecastRows(plan_)) {  // the bucket rows would hold nothing
    time.clear();
    for (Column& c : result) c.Clear();
  }
  if (!future.empty()) MergeFuture(std::move(future), &time, &result);
  if (plan_.anomalies >= 0) {
    const PlannedItem& it = plan_.items[static_cast<size_t>(plan_.anomalies)];
    KeepRowsAtOrAbove(result[it.first_column + 1], it.transform->threshold, &time, &result);
  }

  // Order, limit, stream.
  const size_t rows = time.size();
  size_t emit = rows;
  if (plan_.limit > 0) emit = std::min<size_t>(emit, static_cast<size_t>(plan_.limit));
  ResultFrame& f = out->frame();
  for (size_t k = 0; k < emit; k++) {
    const size_t r = plan_.descending ? rows - 1 - k : k;
    f.time.push_back(time[r]);
    for (size_t c = 0; c < plan_.columns; c++) f.columns[c].AppendFrom(result[c], r);
    if (out->space() == 0) RETURN_IF_ERROR(out->Commit());
  }
  return out->Commit();
}

// The look-back of the group's transforms over buckets (ewma, zscore, anomaly_score,
// anomalies): the buckets before the range's first bucket, computed like the query's own
// (from the first bucket with a point on), read back (growing x4) until each such item has
// its LookBack() non-null values or the data runs out. Sets primed[i] for those items.
absl::Status PrimeBuckets(const SelectPlan& plan, const Buckets& buckets, const Group& g,
                          Scanner* scan, std::vector<std::optional<Transform>>* primed) {
  primed->assign(plan.items.size(), std::nullopt);
  int64_t need = 0;
  for (const PlannedItem& it : plan.items) need = std::max(need, it.lookback);
  if (need == 0 || !buckets.enabled() || plan.range.start == kMin || plan.multi_row) {
    return absl::OkStatus();
  }
  const int64_t end = buckets.Start(buckets.Index(plan.range.start));
  // The earliest point of the group's look-back fields before `end`.
  int64_t earliest = kMax;
  for (const Entity& e : g.entities) {
    for (const PlannedItem& it : plan.items) {
      const SeriesId id = e.series[static_cast<size_t>(it.field)];
      if (it.lookback == 0 || id == storage::kInvalidSeriesId) continue;
      ASSIGN_OR_RETURN(auto cursor, scan->Open(id, kMin, end));
      ASSIGN_OR_RETURN(bool more, scan->Next(&cursor));
      if (more) earliest = std::min(earliest, std::max(cursor->block().min_ts, cursor->start()));
    }
  }
  if (earliest >= end) return absl::OkStatus();
  const int64_t floor = buckets.Start(buckets.Index(earliest));
  const __int128 want = static_cast<__int128>(need + 1) * buckets.interval();
  uint64_t back =
      want > (static_cast<__int128>(1) << 62) ? (uint64_t{1} << 62) : static_cast<uint64_t>(want);
  std::vector<int64_t> time;
  std::vector<Column> cols;
  while (true) {
    const uint64_t room = static_cast<uint64_t>(end) - static_cast<uint64_t>(floor);
    const int64_t from =
        back >= room
            ? floor
            : buckets.Start(buckets.Index(static_cast<int64_t>(static_cast<uint64_t>(end) - back)));
    GroupAggregation agg(plan, buckets, scan, lang::TimeRange{from, end});
    RETURN_IF_ERROR(agg.Run(g));
    RETURN_IF_ERROR(agg.BuildRows(&time, &cols));
    // Rows before the first bucket with a point (FILL(number) makes some) are not history.
    const size_t skip = static_cast<size_t>(
        std::lower_bound(time.begin(), time.end(), agg.first_data()) - time.begin());
    time.erase(time.begin(), time.begin() + static_cast<std::ptrdiff_t>(skip));
    for (Column& c : cols) {
      Column rest;
      rest.type = c.type;
      for (size_t r = skip; r < c.size(); r++) rest.AppendFrom(c, r);
      c = std::move(rest);
    }
    bool enough = true;
    for (size_t i = 0; i < plan.items.size(); i++) {
      if (plan.items[i].lookback == 0) continue;
      int64_t values = 0;
      for (size_t r = 0; r < cols[i].size(); r++) values += !cols[i].IsNull(r);
      enough &= values >= plan.items[i].lookback;
    }
    if (enough || from <= floor) break;
    back = back > (uint64_t{1} << 61) ? room : back * 4;
  }
  for (size_t i = 0; i < plan.items.size(); i++) {
    const PlannedItem& it = plan.items[i];
    if (it.lookback == 0) continue;
    (*primed)[i].emplace(*it.transform, it.value_type);
    for (size_t r = 0; r < time.size(); r++) (*primed)[i]->Prime(time[r], cols[i], r);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ExecuteAggregate(const SelectPlan& plan, Scanner* scan, FrameWriter* out) {
  Buckets buckets = plan.group_by_time
                        ? Buckets(plan.group_by_time->interval_ns, plan.group_by_time->offset_ns)
                        : Buckets();
  int64_t groups = 0;
  for (const Group& g : plan.groups) {
    if (plan.slimit > 0 && groups >= plan.slimit) break;
    std::vector<std::optional<Transform>> primed;
    RETURN_IF_ERROR(PrimeBuckets(plan, buckets, g, scan, &primed));
    GroupAggregation agg(plan, buckets, scan);
    RETURN_IF_ERROR(agg.Run(g));
    out->BeginGroup(g.values);
    RETURN_IF_ERROR(agg.Emit(&primed, out));
    if (out->group_rows() > 0) groups++;
    RETURN_IF_ERROR(out->EndGroup());
  }
  return absl::OkStatus();
}

}  // namespace telemdb::query::internal
