#include "alert/service/alert_proto.h"

#include <cmath>

namespace telemdb::alert {

RuleSpec SpecFromProto(const v1::AlertRule& r) {
  RuleSpec s;
  s.name = r.name();
  s.query = r.query();
  s.condition = r.condition();
  s.clear = r.clear();
  s.for_ns = r.for_ns();
  s.every_ns = r.every_ns();
  s.repeat_ns = r.repeat_ns();
  for (const auto& [k, v] : r.labels()) s.labels.emplace_back(k, v);
  s.notify.assign(r.notify().begin(), r.notify().end());
  s.expect.assign(r.expect().begin(), r.expect().end());
  return s;
}

void RuleToProto(const RuleInfo& info, v1::AlertRule* out) {
  const RuleSpec& s = info.spec;
  out->set_name(s.name);
  out->set_query(s.query);
  out->set_condition(s.condition);
  out->set_clear(s.clear);
  out->set_for_ns(s.for_ns);
  out->set_every_ns(info.every_ns);
  out->set_repeat_ns(s.repeat_ns);
  for (const auto& [k, v] : s.labels) (*out->mutable_labels())[k] = v;
  for (const auto& n : s.notify) out->add_notify(n);
  for (const auto& e : s.expect) out->add_expect(e);
  out->set_id(s.id);
  out->set_created_ns(s.created_ns);
  out->set_created_by(s.created_by);
  out->set_paused(s.paused);
  out->set_kind(RuleKindName(info.kind));
  out->set_evaluation(info.incremental ? "incremental" : "scheduled");
  out->set_canonical_condition(info.condition);
  out->set_canonical_clear(info.clear);
  out->set_window_ns(info.window_ns);
  const RuleStatus& st = info.status;
  auto* p = out->mutable_status();
  p->set_instances(st.instances);
  p->set_pending(st.pending);
  p->set_firing(st.firing);
  p->set_evaluations(st.evaluations);
  p->set_last_eval_ns(st.last_eval_ns);
  p->set_last_eval_duration_ns(st.last_eval_duration_ns);
  p->set_max_eval_duration_ns(st.max_eval_duration_ns);
  p->set_lag_ns(st.lag_ns);
  p->set_missed_evaluations(st.missed_ticks);
  p->set_late_points(st.late_points);
  p->set_late_ignored(st.late_ignored);
  p->set_future_ignored(st.future_ignored);
  p->set_resyncs(st.resyncs);
  p->set_refused_instances(st.refused_instances);
  p->set_transitions(st.transitions);
  p->set_series_read(st.series_read);
  p->set_queries(st.queries);
  p->set_last_error(st.last_error);
}

void TargetToProto(const TargetInfo& t, v1::NotifyTarget* out) {
  out->set_name(t.name);
  out->set_url(t.url);
  out->set_created_ns(t.created_ns);
  out->set_created_by(t.created_by);
  out->set_queued(t.queued);
  out->set_delivered(t.delivered);
  out->set_failed_attempts(t.failed_attempts);
  out->set_dropped(t.dropped);
  out->set_consecutive_failures(t.consecutive_failures);
  out->set_last_error(t.last_error);
  out->set_last_delivery_ns(t.last_delivery_ns);
  out->set_next_attempt_ns(t.next_attempt_ns);
}

void InstanceToProto(const AlertInfo& a, v1::AlertInstance* out) {
  out->set_rule(a.rule);
  out->set_measurement(a.measurement);
  for (const auto& [k, v] : a.group) {
    auto* t = out->add_group();
    t->set_key(k);
    t->set_value(v);
  }
  out->set_state(StateName(a.state.state));
  out->set_since_ns(a.state.since_ns);
  out->set_active_since_ns(a.state.active_since_ns);
  out->set_has_value(!std::isnan(a.state.value));
  out->set_value(std::isnan(a.state.value) ? 0 : a.state.value);
  out->set_last_eval_ns(a.state.last_eval_ns);
  out->set_transitions(a.state.transitions);
  for (const auto& [k, v] : a.labels) (*out->mutable_labels())[k] = v;
}

void EventToProto(const AlertEvent& e, v1::AlertEvent* out) {
  out->set_id(e.id);
  out->set_rule(e.rule);
  out->set_measurement(e.measurement);
  for (const auto& [k, v] : e.group) {
    auto* t = out->add_group();
    t->set_key(k);
    t->set_value(v);
  }
  out->set_from(e.from);
  out->set_to(e.to);
  out->set_at_ns(e.at_ns);
  out->set_has_value(!std::isnan(e.value));
  out->set_value(std::isnan(e.value) ? 0 : e.value);
  out->set_late(e.late);
  out->set_note(e.note);
  out->set_transition(e.number);
  out->set_active_since_ns(e.active_since_ns);
  for (const auto& [k, v] : e.labels) (*out->mutable_labels())[k] = v;
  out->set_reminder(e.reminder);
  out->set_current(e.current);
  out->set_condition(e.condition);
}

}  // namespace telemdb::alert
