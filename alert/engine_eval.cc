// AlertEngine: a round (Step), evaluations of incremental and scheduled rules, late windows.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "alert/engine.h"
#include "alert/engine_rt.h"
#include "query/engine/engine.h"
#include "query/engine/storage_querier.h"
#include "query/lang/time_literal.h"
#include "util/log.h"

namespace telemdb::alert {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

// The value of an incremental instance over the window ending at `end`.
Evaluation EvaluateIncremental(const Rule& r, const AlertEngine::Instance& inst,
                               int64_t activated_ns, int64_t end) {
  Evaluation e;
  if (r.cond.kind == RuleKind::kAbsence) {
    const int64_t last = inst.last_ts == INT64_MIN ? activated_ns : inst.last_ts;
    e.has_value = true;
    e.value = static_cast<double>(end - last) / 1e9;  // seconds without a point
    e.cond = end - last >= r.window_ns;
    e.clear = !e.cond;
    return e;
  }
  const Partial p = inst.ring.Combine(r.cond, FloorDiv(end - r.window_ns, r.bucket_ns),
                                      FloorDiv(end, r.bucket_ns));
  std::optional<double> v = FinishPartial(r.cond, p);
  if (!v.has_value()) return e;
  e.has_value = true;
  e.value = *v;
  e.cond = r.cond.Test(*v);
  e.clear = r.clear.has_value() && r.clear->Test(*v);
  return e;
}

}  // namespace

void AlertEngine::Step() {
  const int64_t now = Now();
  std::deque<query::LiveEventPtr> events;
  absl::flat_hash_set<std::string> resync;
  {
    absl::MutexLock l(&qmu_);
    events.swap(queue_);
    resync.swap(resync_);
    queue_bytes_ = 0;
  }
  absl::MutexLock l(&mu_);
  steps_++;
  if (!resync.empty()) {
    for (auto& [name, rt] : rules_) {
      if (resync.contains("*") || resync.contains(rt->rule.query.measurement)) {
        rt->needs_bootstrap = true;
        rt->status.resyncs++;
        bootstrap_pending_ = true;
      }
    }
  }
  if (bootstrap_pending_) {
    bootstrap_pending_ = false;
    for (auto& [name, rt] : rules_) {
      if (rt->needs_bootstrap && !rt->rule.spec.paused) BootstrapLocked(rt.get(), now);
    }
  }
  for (const auto& ev : events) ProcessEventLocked(*ev, now);
  std::vector<Effect> effects;
  // Rules are walked only when something is due: a round that only took points is cheap.
  if (late_pending_) {
    late_pending_ = false;
    for (auto& [name, rt] : rules_) {
      if (rt->rule.spec.paused) continue;
      EvaluateLateLocked(rt.get(), now, &effects);
    }
  }
  if (now >= next_due_locked_) {
    int64_t next_due = INT64_MAX;
    for (auto& [name, rt] : rules_) {
      if (rt->rule.spec.paused) continue;
      const int64_t every = rt->rule.every_ns;
      if (now >= rt->next_due) {
        const int64_t tick = FloorDiv(now, every) * every;
        if (rt->last_tick != INT64_MIN && tick - rt->last_tick > every) {
          rt->status.missed_ticks += (tick - rt->last_tick) / every - 1;
        }
        const auto t0 = std::chrono::steady_clock::now();
        EvaluateLocked(rt.get(), tick, now, &effects);
        const int64_t took = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now() - t0)
                                 .count();
        RuleStatus& s = rt->status;
        s.evaluations++;
        s.last_eval_ns = tick;
        s.last_eval_duration_ns = took;
        s.max_eval_duration_ns = std::max(s.max_eval_duration_ns, took);
        s.lag_ns = now - tick;
        rt->last_tick = tick;
        rt->next_due = tick + every;
      }
      next_due = std::min(next_due, rt->next_due);
    }
    next_due_locked_ = next_due;
    next_due_ = next_due;
  }
  ApplyEffectsLocked(&effects);
}

void AlertEngine::StepInstanceLocked(RuleRt* rt, Instance* inst, const Evaluation& e,
                                     int64_t window_end, std::vector<Effect>* effects) {
  const Rule& r = rt->rule;
  auto t = alert::Step(&inst->st, e, r.spec.for_ns, r.clear.has_value());
  if (t.has_value()) {
    Effect fx;
    fx.rt = rt;
    fx.inst = inst;
    fx.transition = true;
    AlertEvent& ev = fx.event;
    ev.from = StateName(t->from);
    ev.to = StateName(t->to);
    ev.at_ns = t->at_ns;
    ev.value = t->value;
    ev.late = t->late;
    ev.number = t->number;
    ev.active_since_ns = t->active_since_ns;
    if (t->late) {
      ev.note =
          absl::StrCat("late point at ", query::lang::FormatRfc3339(inst->late_ts),
                       " re-evaluated the window ending ", query::lang::FormatRfc3339(window_end));
    }
    if (t->to == AlertState::kFiring) inst->st.last_notified_ns = e.at_ns;
    effects->push_back(std::move(fx));
    rt->status.transitions++;
    return;
  }
  if (inst->st.state == AlertState::kFiring && r.spec.repeat_ns > 0 && !e.late &&
      e.at_ns - inst->st.last_notified_ns >= r.spec.repeat_ns) {
    inst->st.last_notified_ns = e.at_ns;
    Effect fx;
    fx.rt = rt;
    fx.inst = inst;
    fx.transition = false;
    fx.event.from = fx.event.to = "firing";
    fx.event.at_ns = e.at_ns;
    fx.event.value = inst->st.value;
    fx.event.number = inst->st.transitions;
    fx.event.active_since_ns = inst->st.active_since_ns;
    fx.event.reminder = true;
    effects->push_back(std::move(fx));
  }
}

void AlertEngine::EvaluateLocked(RuleRt* rt, int64_t tick, int64_t now,
                                 std::vector<Effect>* effects) {
  if (!rt->rule.incremental()) {
    absl::Status s = RunScheduledQueryLocked(rt, tick, now, /*late=*/false, effects);
    if (!s.ok()) rt->status.last_error = std::string(s.message());
    return;
  }
  for (auto& [key, inst] : rt->instances) {
    Evaluation e = EvaluateIncremental(rt->rule, *inst, rt->activated_ns, tick);
    e.at_ns = tick;
    inst->late = false;
    StepInstanceLocked(rt, inst.get(), e, tick, effects);
  }
  rt->late_dirty.clear();
}

void AlertEngine::EvaluateLateLocked(RuleRt* rt, int64_t now, std::vector<Effect>* effects) {
  if (rt->last_tick == INT64_MIN) {
    rt->late_dirty.clear();
    rt->scheduled_late = false;
    return;
  }
  // The last evaluated window again, with what arrived since; transitions happen now.
  for (Instance* inst : rt->late_dirty) {
    Evaluation e = EvaluateIncremental(rt->rule, *inst, rt->activated_ns, rt->last_tick);
    e.at_ns = std::max(now, rt->last_tick);
    e.late = true;
    StepInstanceLocked(rt, inst, e, rt->last_tick, effects);
    inst->late = false;
  }
  rt->late_dirty.clear();
  // Scheduled rules re-run their query at most once a second.
  if (rt->scheduled_late && now - rt->last_late_eval_ns >= 1'000'000'000) {
    rt->scheduled_late = false;
    rt->last_late_eval_ns = now;
    absl::Status s = RunScheduledQueryLocked(rt, rt->last_tick, now, /*late=*/true, effects);
    if (!s.ok()) rt->status.last_error = std::string(s.message());
  }
}

absl::Status AlertEngine::RunScheduledQueryLocked(RuleRt* rt, int64_t tick, int64_t now, bool late,
                                                  std::vector<Effect>* effects) {
  const Rule& r = rt->rule;
  query::lang::SelectStatement st;
  query::lang::SelectItem item;
  item.field = r.cond.field;
  query::lang::Call call;
  if (r.cond.kind == RuleKind::kTrend) {
    call.function = query::lang::Function::kTimeToThreshold;
    call.threshold = r.cond.threshold;
    call.method = r.cond.method;
    item.aggregate = call;
  } else {
    call.function = query::lang::Function::kAnomalyScore;
    call.options = r.cond.options;
    item.transform = call;
  }
  st.items.push_back(item);
  st.measurement = r.query.measurement;
  std::vector<query::lang::Condition> conds;
  if (r.query.where) conds.push_back(*r.query.where);
  conds.push_back(query::lang::Condition::Time(query::lang::CompareOp::kGe, tick - r.window_ns));
  conds.push_back(query::lang::Condition::Time(query::lang::CompareOp::kLt, tick));
  st.where = query::lang::Condition::And(std::move(conds));
  st.group_by_tags = r.query.group_by;
  query::StorageQuerier querier(db_);
  query::ExecOptions opts = options_.exec;
  opts.now_ns = tick;
  query::Context ctx(absl::Now() + absl::Nanoseconds(std::max<int64_t>(r.every_ns, 1'000'000'000)));
  query::CollectingSink sink;
  rt->status.queries++;
  absl::Status s = query::Execute(query::lang::Statement(st), querier, opts, ctx, sink, nullptr);
  if (!s.ok()) {
    // A field that does not exist yet is no error for a rule: nothing to evaluate.
    if (absl::IsInvalidArgument(s) && s.message().find("unknown") != std::string_view::npos) {
      return absl::OkStatus();
    }
    return s;
  }
  absl::flat_hash_set<Instance*> seen;
  for (const query::ResultFrame& f : sink.Groups()) {
    storage::TagSet tags;
    for (size_t i = 0; i < r.query.group_by.size() && i < f.group_values.size(); i++) {
      tags.emplace_back(r.query.group_by[i], f.group_values[i]);
    }
    Instance* inst = FindOrCreateLocked(rt, tags);
    if (inst == nullptr || f.columns.empty()) continue;
    const query::Column& c = f.columns[0];
    double best = std::nan("");
    for (size_t i = 0; i < c.size(); i++) {
      if (c.IsNull(i) || c.type != storage::ValueType::kFloat) continue;
      const double v = c.floats[i];
      if (std::isnan(v)) continue;
      // time_to_threshold: one row per group; anomaly_score: the most surprising point.
      if (std::isnan(best) || v > best) best = v;
    }
    seen.insert(inst);
    Evaluation e;
    e.at_ns = late ? std::max(now, tick) : tick;
    e.late = late;
    if (!std::isnan(best)) {
      e.has_value = true;
      e.value = best;
      e.cond = r.cond.Test(best);
      e.clear = r.clear.has_value() && r.clear->Test(best);
    } else if (r.cond.kind == RuleKind::kTrend && c.size() > 0) {
      // The group has data but its trend does not reach the threshold (null): the
      // condition does not hold, and any --clear does (the time left is unbounded).
      e.has_value = true;
      e.value = std::nan("");
      e.cond = false;
      e.clear = true;
    }
    if (late) inst->late_ts = rt->scheduled_late_ts;
    StepInstanceLocked(rt, inst, e, tick, effects);
  }
  if (!late) {
    for (auto& [key, inst] : rt->instances) {
      if (seen.contains(inst.get())) continue;
      Evaluation e;
      e.at_ns = tick;
      StepInstanceLocked(rt, inst.get(), e, tick, effects);
    }
  }
  return absl::OkStatus();
}

}  // namespace telemdb::alert
