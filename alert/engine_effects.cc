// AlertEngine: recording what a round decided — instance states and the notifications they
// cause (one atomic database write), `_alerts` rows, audit records, watchers.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "alert/engine.h"
#include "alert/engine_rt.h"
#include "auth/audit_log.h"
#include "util/log.h"

namespace telemdb::alert {
namespace {

constexpr char kStatePrefix[] = "alert/state/";
// Transitions audited one by one per rule and round; the rest are summed in one record.
constexpr int kAuditedPerRound = 20;

// The `_alerts` row of a transition. Tags: rule, measurement and the group's tags (a group
// tag named like one of those is stored as group_<name>); fields: state, previous, value,
// late, transition, active_since_ns, note.
storage::SeriesBatch AlertRow(const AlertEvent& e, int64_t ts) {
  storage::SeriesBatch g;
  g.measurement = "_alerts";
  g.tags.emplace_back("rule", e.rule);
  g.tags.emplace_back("measurement", e.measurement);
  for (const auto& [k, v] : e.group) {
    if (v.empty()) continue;  // a group without the tag
    g.tags.emplace_back(k == "rule" || k == "measurement" ? "group_" + k : k, v);
  }
  g.timestamps.push_back(ts);
  auto add_string = [&](const char* name, const std::string& v) {
    storage::FieldColumn c;
    c.name = name;
    c.type = storage::ValueType::kString;
    c.strings.push_back(v);
    g.fields.push_back(std::move(c));
  };
  add_string("state", e.to);
  add_string("previous", e.from);
  if (!std::isnan(e.value)) {
    storage::FieldColumn c;
    c.name = "value";
    c.floats.push_back(e.value);
    g.fields.push_back(std::move(c));
  }
  storage::FieldColumn late;
  late.name = "late";
  late.type = storage::ValueType::kBool;
  late.bools.push_back(e.late ? 1 : 0);
  g.fields.push_back(std::move(late));
  storage::FieldColumn num;
  num.name = "transition";
  num.type = storage::ValueType::kInt;
  num.ints.push_back(static_cast<int64_t>(e.number));
  g.fields.push_back(std::move(num));
  if (e.active_since_ns != 0) {
    storage::FieldColumn since;
    since.name = "active_since_ns";
    since.type = storage::ValueType::kInt;
    since.ints.push_back(e.active_since_ns);
    g.fields.push_back(std::move(since));
  }
  if (!e.note.empty()) add_string("note", e.note);
  return g;
}

std::string ValueText(double v) {
  if (std::isnan(v)) return "none";
  return absl::StrCat(v);
}

}  // namespace

std::string AlertEngine::StateKey(const RuleRt& rt, const std::string& group_key) {
  return absl::StrCat(kStatePrefix, rt.rule.spec.id, "/", group_key);
}

void AlertEngine::ApplyEffectsLocked(std::vector<Effect>* effects) {
  if (effects->empty()) return;
  storage::Db::MetaOps ops;
  std::vector<Outgoing> outgoing;
  std::vector<storage::SeriesBatch> rows;
  std::vector<AlertEvent> events;
  for (Effect& fx : *effects) {
    RuleRt* rt = fx.rt;
    Instance* inst = fx.inst;
    const Rule& r = rt->rule;
    AlertEvent& e = fx.event;
    e.rule = r.spec.name;
    e.rule_id = r.spec.id;
    e.measurement = r.query.measurement;
    Condition shown = r.cond;
    shown.window_ns = r.window_ns;
    e.condition = shown.ToString();
    e.group = inst->group;
    e.labels = r.spec.labels;
    e.id = absl::StrCat(r.spec.id, "/", inst->key, "/", e.number);
    if (e.reminder) absl::StrAppend(&e.id, "/r", e.at_ns);
    ops.emplace_back(StateKey(*rt, inst->key), StateToJson(inst->st, inst->group));
    const bool notify = e.reminder || e.to == "firing" || e.to == "resolved";
    if (notify) {
      for (const auto& t : r.spec.notify) outgoing.push_back({t, e});
    }
    if (fx.transition) {
      // One row per transition: never two at the same time in one instance's series.
      const int64_t ts = std::max(e.at_ns, inst->last_row_ns + 1);
      inst->last_row_ns = ts;
      rows.push_back(AlertRow(e, ts));
      transitions_++;
    }
    events.push_back(e);
  }
  Notifier::Staged staged;
  if (notifier_ != nullptr && !outgoing.empty()) staged = notifier_->Stage(outgoing, &ops);
  absl::Status s = db_->WriteMeta(ops);
  if (!s.ok()) {
    // Keep going: the states are right in memory and the next change stores them; the
    // notifications are still delivered from memory (not across a restart).
    Log(LogLevel::kError, "alert.state_write_failed", {{"error", s.ToString()}});
  }
  if (notifier_ != nullptr && !outgoing.empty()) notifier_->Commit(std::move(staged));
  if (!rows.empty()) {
    storage::WriteOptions wo;
    wo.identity = "telemdbd";
    auto w = db_->Write(&rows, wo);
    if (!w.ok())
      Log(LogLevel::kError, "alert.row_write_failed", {{"error", w.status().ToString()}});
  }
  if (audit_ != nullptr) {
    absl::flat_hash_map<std::string, int> per_rule;
    for (const AlertEvent& e : events) {
      if (e.reminder) continue;
      if (++per_rule[e.rule] > kAuditedPerRound) continue;
      auth::AuditLog::Fields f = {{"rule", e.rule},
                                  {"group", GroupKey(e.group)},
                                  {"from", e.from},
                                  {"to", e.to},
                                  {"value", ValueText(e.value)},
                                  {"transition", std::to_string(e.number)}};
      if (e.late) f.emplace_back("late", "true");
      audit_->Record("alert.transition", "telemdbd", "ok", f);
    }
    for (const auto& [rule, n] : per_rule) {
      if (n <= kAuditedPerRound) continue;
      audit_->Record("alert.transitions", "telemdbd", "ok",
                     {{"rule", rule},
                      {"more", std::to_string(n - kAuditedPerRound)},
                      {"note", "transitions beyond the first 20 of a round; all are in _alerts"}});
    }
  }
  for (const AlertEvent& e : events) {
    if (!e.reminder) {
      Log(LogLevel::kInfo, "alert.transition",
          {{"rule", e.rule},
           {"group", GroupKey(e.group)},
           {"from", e.from},
           {"to", e.to},
           {"late", e.late}});
    }
  }
  if (bus_ != nullptr) bus_->Publish(events);
  effects->clear();
}

}  // namespace telemdb::alert
