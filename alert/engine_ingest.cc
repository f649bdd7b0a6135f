// AlertEngine: routing live points to alert instances, and bootstrapping rules from storage.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "alert/engine.h"
#include "alert/engine_rt.h"
#include "query/engine/predicate.h"
#include "util/log.h"

namespace telemdb::alert {
namespace {

// Sizes counted per instance and per route entry (besides the ring).
constexpr size_t kInstanceBytes = sizeof(AlertEngine::Instance) + 96;

storage::TagSet GroupOf(const RuleQuery& q, const storage::TagSet& tags) {
  storage::TagSet g;
  g.reserve(q.group_by.size());
  for (const auto& k : q.group_by) {
    auto it = std::lower_bound(
        tags.begin(), tags.end(), k,
        [](const storage::Tag& t, const std::string& key) { return t.first < key; });
    g.emplace_back(k, it != tags.end() && it->first == k ? it->second : std::string());
  }
  return g;
}

bool FieldApplies(const Condition& c, const std::string& field, storage::ValueType type) {
  if (c.kind == RuleKind::kAbsence) return c.field == "*" || c.field == field;
  if (c.field != field) return false;
  // Strings have no numeric value: only count() looks at them.
  return type != storage::ValueType::kString ||
         (c.kind == RuleKind::kThreshold && c.agg == Agg::kCount);
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

}  // namespace

AlertEngine::Instance* AlertEngine::FindOrCreateLocked(RuleRt* rt,
                                                       const storage::TagSet& series_tags) {
  storage::TagSet group = GroupOf(rt->rule.query, series_tags);
  std::string key = GroupKey(group);
  auto it = rt->instances.find(key);
  if (it != rt->instances.end()) return it->second.get();
  const size_t bytes =
      kInstanceBytes + 2 * key.size() + rt->ring_buckets * (sizeof(Partial) + sizeof(int64_t));
  if (rt->instances.size() >= options_.max_instances_per_rule ||
      state_bytes_ + bytes > options_.max_state_bytes) {
    rt->status.refused_instances++;
    rt->status.last_error =
        absl::StrCat("group ", key, " refused: ",
                     rt->instances.size() >= options_.max_instances_per_rule
                         ? absl::StrCat("the rule has its maximum of ",
                                        options_.max_instances_per_rule, " instances")
                         : absl::StrCat("alert state is at its memory limit of ",
                                        options_.max_state_bytes, " bytes"));
    return nullptr;
  }
  auto inst = std::make_unique<Instance>();
  inst->group = std::move(group);
  inst->key = key;
  inst->ring = BucketRing(rt->ring_buckets);
  inst->bytes = bytes;
  state_bytes_ += bytes;
  Instance* p = inst.get();
  rt->instances.emplace(std::move(key), std::move(inst));
  return p;
}

const std::vector<Route>& AlertEngine::RoutesLocked(storage::SeriesId id,
                                                    const query::LiveGroup& group,
                                                    const query::LiveColumn& column) {
  if (id < routes_.size() && routes_[id].known) return routes_[id].routes;
  std::vector<Route> routes;
  auto idx =
      rule_index_.find(absl::string_view(group.measurement.data(), group.measurement.size()));
  if (idx != rule_index_.end()) {
    const storage::TagSet tags = group.Tags();
    const std::string field(column.name);
    auto consider = [&](RuleRt* rt) {
      if (rt->rule.spec.paused || !FieldApplies(rt->rule.cond, field, column.type)) return;
      if (rt->rule.cond.kind == RuleKind::kAbsence && rt->rule.cond.field == "*") return;
      if (rt->where && rt->where->EvalTags(tags) == query::Predicate::Tri::kFalse) return;
      Instance* inst = FindOrCreateLocked(rt, tags);
      if (inst != nullptr) routes.push_back({rt, inst});
    };
    for (RuleRt* rt : idx->second.other) consider(rt);
    for (const auto& [k, v] : tags) {
      auto by_key = idx->second.eq.find(k);
      if (by_key == idx->second.eq.end()) continue;
      auto by_value = by_key->second.find(v);
      if (by_value == by_key->second.end()) continue;
      for (RuleRt* rt : by_value->second) consider(rt);
    }
  }
  if (id >= routes_.size()) {
    const size_t old = routes_.size();
    routes_.resize(std::max<size_t>(id + 1, routes_.size() * 2));
    state_bytes_ += (routes_.size() - old) * sizeof(RouteSlot);
  }
  state_bytes_ += kRouteBytesPerEntry * routes.size();
  routes_[id].known = true;
  routes_[id].routes = std::move(routes);
  return routes_[id].routes;
}

const std::vector<Route>& AlertEngine::GroupRoutesLocked(const query::LiveGroup& group) {
  static const std::vector<Route> kNone;
  if (group.n_columns == 0) return kNone;
  const storage::SeriesId first = group.columns[0].id;
  if (first >= series_group_.size()) {
    const size_t old = series_group_.size();
    series_group_.resize(std::max<size_t>(first + 1, series_group_.size() * 2), 0);
    state_bytes_ += (series_group_.size() - old) * sizeof(uint32_t);
  }
  uint32_t& number = series_group_[first];
  if (number == 0) {
    std::string key(group.measurement);
    for (size_t i = 0; i < group.n_tags; i++) {
      absl::StrAppend(&key, "\x1f", std::string(group.tags[i].first), "=",
                      std::string(group.tags[i].second));
    }
    auto [it, inserted] =
        group_numbers_.emplace(std::move(key), static_cast<uint32_t>(group_numbers_.size() + 1));
    if (inserted) state_bytes_ += it->first.size() + 32;
    number = it->second;
  }
  if (number > group_routes_.size()) {
    const size_t old = group_routes_.size();
    group_routes_.resize(std::max<size_t>(number, group_routes_.size() * 2));
    state_bytes_ += (group_routes_.size() - old) * sizeof(RouteSlot);
  }
  RouteSlot& slot = group_routes_[number - 1];
  if (slot.known) return slot.routes;
  slot.known = true;
  auto idx =
      rule_index_.find(absl::string_view(group.measurement.data(), group.measurement.size()));
  if (idx == rule_index_.end()) return slot.routes;
  const storage::TagSet tags = group.Tags();
  auto consider = [&](RuleRt* rt) {
    if (rt->rule.spec.paused || rt->rule.cond.kind != RuleKind::kAbsence ||
        rt->rule.cond.field != "*") {
      return;
    }
    if (rt->where && rt->where->EvalTags(tags) == query::Predicate::Tri::kFalse) return;
    Instance* inst = FindOrCreateLocked(rt, tags);
    if (inst != nullptr) slot.routes.push_back({rt, inst});
  };
  for (RuleRt* rt : idx->second.other) consider(rt);
  for (const auto& [k, v] : tags) {
    auto by_key = idx->second.eq.find(k);
    if (by_key == idx->second.eq.end()) continue;
    auto by_value = by_key->second.find(v);
    if (by_value == by_key->second.end()) continue;
    for (RuleRt* rt : by_value->second) consider(rt);
  }
  state_bytes_ += kRouteBytesPerEntry * slot.routes.size();
  return slot.routes;
}

void AlertEngine::ProcessEventLocked(const query::LiveEvent& event, int64_t now) {
  for (const query::LiveGroup& grp : event.groups) {
    if (!by_measurement_.contains(
            absl::string_view(grp.measurement.data(), grp.measurement.size()))) {
      continue;
    }
    // Absence needs only the newest timestamp: absent(*) rules are updated once per group
    // (from the group's routes), absent(field) ones from their field's column.
    int64_t group_max_ts = INT64_MIN;
    for (size_t row = 0; row < grp.rows; row++) group_max_ts = std::max(group_max_ts, grp.ts[row]);
    auto seen = [&](RuleRt* rt, Instance* inst, int64_t ts) {
      if (rt->needs_bootstrap || ts <= inst->last_ts) return;
      const int64_t window_start =
          rt->last_tick == INT64_MIN ? INT64_MIN : rt->last_tick - rt->rule.window_ns;
      const bool late = rt->last_tick != INT64_MIN && ts < rt->last_tick;
      if (late && ts < window_start) {
        rt->status.late_ignored++;
        return;
      }
      inst->last_ts = ts;
      if (!late) return;
      rt->status.late_points++;
      late_pending_ = true;
      if (!inst->late) {
        inst->late = true;
        inst->late_ts = ts;
        rt->late_dirty.push_back(inst);
      }
    };
    for (const Route& route : GroupRoutesLocked(grp)) seen(route.rule, route.inst, group_max_ts);
    for (size_t f = 0; f < grp.n_columns; f++) {
      const query::LiveColumn& col = grp.columns[f];
      const storage::SeriesId id = col.id;
      const std::vector<Route>& routes = RoutesLocked(id, grp, col);
      for (const Route& route : routes) {
        RuleRt* rt = route.rule;
        Instance* inst = route.inst;
        if (rt->needs_bootstrap) continue;  // its bootstrap will read this from storage
        if (!rt->boot_snap.empty()) {
          if (event.seq > rt->boot_max_snap) {
            rt->boot_snap.clear();
          } else if (auto s = rt->boot_snap.find(id);
                     s != rt->boot_snap.end() && event.seq <= s->second) {
            continue;  // the bootstrap read it already
          }
        }
        const Rule& r = rt->rule;
        const int64_t window_start =
            rt->last_tick == INT64_MIN ? INT64_MIN : rt->last_tick - r.window_ns;
        if (r.cond.kind == RuleKind::kAbsence) {
          int64_t ts = INT64_MIN;
          for (size_t row = 0; row < grp.rows; row++) {
            if (col.IsValid(row)) ts = std::max(ts, grp.ts[row]);
          }
          if (ts != INT64_MIN) seen(rt, inst, ts);
          continue;
        }
        for (size_t row = 0; row < grp.rows; row++) {
          if (!col.IsValid(row)) continue;
          const int64_t ts = grp.ts[row];
          const bool late = rt->last_tick != INT64_MIN && ts < rt->last_tick;
          if (late && ts < window_start) {
            rt->status.late_ignored++;
            continue;
          }
          if (r.incremental()) {
            if (ts > now + r.every_ns) {
              rt->status.future_ignored++;
              continue;
            }
            if (!inst->ring.Add(r.cond, FloorDiv(ts, r.bucket_ns), ts, col.AsDouble(row))) {
              rt->status.late_ignored++;
              continue;
            }
          }
          if (!late) continue;
          rt->status.late_points++;
          late_pending_ = true;
          if (r.incremental()) {
            if (!inst->late) {
              inst->late = true;
              inst->late_ts = ts;
              rt->late_dirty.push_back(inst);
            }
            inst->late_ts = std::min(inst->late_ts, ts);
          } else {
            if (!rt->scheduled_late) rt->scheduled_late_ts = ts;
            rt->scheduled_late = true;
            rt->scheduled_late_ts = std::min(rt->scheduled_late_ts, ts);
          }
        }
      }
    }
  }
}

void AlertEngine::BootstrapLocked(RuleRt* rt, int64_t now) {
  rt->needs_bootstrap = false;
  rt->boot_snap.clear();
  rt->boot_max_snap = 0;
  rt->late_dirty.clear();
  const Rule& r = rt->rule;
  for (auto& [k, inst] : rt->instances) {
    inst->ring = BucketRing(rt->ring_buckets);
    inst->late = false;
  }
  for (const storage::TagSet& g : r.expected) FindOrCreateLocked(rt, g);
  if (!r.incremental()) return;
  storage::SeriesSelector sel;
  sel.measurement = r.query.measurement;
  if (!(r.cond.kind == RuleKind::kAbsence && r.cond.field == "*")) sel.fields = {r.cond.field};
  if (rt->where) sel.matchers = rt->where->IndexMatchers();
  const std::vector<storage::SeriesId> ids = db_->index().Select(sel);
  const int64_t from =
      r.bucket_ns > 0
          ? (FloorDiv(now, r.bucket_ns) - static_cast<int64_t>(rt->ring_buckets) + 1) * r.bucket_ns
          : 0;
  for (storage::SeriesId id : ids) {
    auto info = db_->index().Get(id);
    if (!info) continue;
    if (rt->where && rt->where->EvalTags(info->key.tags) == query::Predicate::Tri::kFalse) {
      continue;
    }
    if (!FieldApplies(r.cond, info->key.field, info->type)) continue;
    Instance* inst = FindOrCreateLocked(rt, info->key.tags);
    if (inst == nullptr) continue;
    if (r.cond.kind == RuleKind::kAbsence) {
      rt->status.series_read++;
      auto last = db_->Last(id);
      if (last.ok() && last->has_value()) inst->last_ts = std::max(inst->last_ts, (*last)->ts);
      continue;
    }
    uint64_t snap = 0;
    rt->status.series_read++;
    auto cursor = db_->ReadAt(id, from, now + r.every_ns + 1, &snap);
    if (!cursor.ok()) continue;
    storage::codec::Columns cols;
    absl::Status s = (*cursor)->ReadAll(&cols);
    if (!s.ok()) {
      rt->status.last_error = absl::StrCat("reading series ", id, ": ", s.message());
      continue;
    }
    rt->boot_snap[id] = snap;
    rt->boot_max_snap = std::max(rt->boot_max_snap, snap);
    for (size_t i = 0; i < cols.size(); i++) {
      double v = 0;
      switch (cols.type) {
        case storage::ValueType::kFloat:
          v = cols.floats[i];
          break;
        case storage::ValueType::kInt:
        case storage::ValueType::kBool:
          v = static_cast<double>(cols.ints[i]);
          break;
        case storage::ValueType::kString:
          v = std::nan("");
          break;
      }
      inst->ring.Add(r.cond, FloorDiv(cols.ts[i], r.bucket_ns), cols.ts[i], v);
    }
  }
  // The hub may not have announced the writes this read saw: its seq is the seam.
  if (rt->boot_snap.empty()) rt->boot_max_snap = 0;
}

}  // namespace telemdb::alert
