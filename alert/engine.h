// AlertEngine: runs the alert rules (rule.h) against the data as it arrives, and turns
// their state changes (state.h) into events: rows of the `_alerts` measurement, audit
// records, notifications (notifier.h) and live watchers (alert_bus.h).
//
// Evaluation:
//   - threshold, rate and absence rules are incremental: the engine is a LiveHub listener,
//     and every new point updates its alert instance's bucket ring (window.h) or last-seen
//     time as it arrives; an evaluation combines a few buckets per instance and never reads
//     storage. Storage is read once per rule when it starts (creation, restart, resume)
//     and after the hub or the engine's own queue had to drop events (a resync), with
//     Db::ReadAt so that no point is counted twice at the seam.
//   - trend (time_to_threshold) and anomaly (anomaly_score) rules are scheduled: every
//     `every` they run their query over their window through the query engine.
//   Each rule evaluates at multiples of its `every` (rule time from the injected Clock);
//   the window of the evaluation at T is [T - window, T).
//
// Late points: a point whose timestamp lies in a window already evaluated (before the last
// evaluation time T, within its window) re-evaluates that window at once; a transition it
// causes is recorded with late = true and a note naming the point's time. Points older than
// the last evaluated window start change no alert (they are counted as late_ignored); points
// more than `every` ahead of the clock are ignored by incremental rules until then.
//
// Restarts: rules and the state of every instance (pending since when, firing since when,
// transition numbers, last notification) are stored at each change; after a restart the
// windows are rebuilt from storage and a pending instance keeps its start, so it fires at
// the time it would have (if its condition still holds then).
//
// Memory: instances, rings and routes are counted against max_state_bytes; an instance past
// that (or past max_instances_per_rule) is refused and counted in the rule's status.
//
// Thread safety: thread-safe. Rule changes and listings may come from any thread; the
// evaluation runs on the engine's thread (or in Step() when background is false).
#ifndef TELEMDB_ALERT_ENGINE_H_
#define TELEMDB_ALERT_ENGINE_H_

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "alert/alert_bus.h"
#include "alert/alert_event.h"
#include "alert/clock.h"
#include "alert/notifier.h"
#include "alert/rule.h"
#include "alert/state.h"
#include "query/engine/exec_options.h"
#include "query/live/live_hub.h"
#include "storage/db.h"

namespace telemdb::auth {
class AuditLog;
}

namespace telemdb::alert {

struct Route;  // engine_rt.h

struct AlertEngineOptions {
  // Rule time. Default: the system clock.
  const Clock* clock = nullptr;
  // Evaluate on an own thread; false: the caller calls Step(). Default: true.
  bool background = true;
  // Bytes of live events waiting for the engine; past it they are dropped and the rules of
  // their measurements re-read storage. Default: 64 MiB.
  size_t max_queue_bytes = 64u << 20;
  // Bytes of alert instances, windows and routes. Default: 256 MiB.
  uint64_t max_state_bytes = 256ull << 20;
  // Alert instances (groups) per rule. Default: 100,000.
  uint64_t max_instances_per_rule = 100'000;
  // Rules. Default: 10,000.
  size_t max_rules = 10'000;
  // Limits of scheduled rules' queries. Default: ExecOptions().
  query::ExecOptions exec;
};

struct RuleStatus {
  uint64_t instances = 0;
  uint64_t pending = 0;
  uint64_t firing = 0;
  uint64_t evaluations = 0;
  int64_t last_eval_ns = 0;           // the last evaluation time (a multiple of every)
  int64_t last_eval_duration_ns = 0;  // wall time it took
  int64_t max_eval_duration_ns = 0;
  int64_t lag_ns = 0;              // how long after its time the last one ran
  uint64_t missed_ticks = 0;       // evaluation times skipped (the engine was behind)
  uint64_t late_points = 0;        // points that re-evaluated an evaluated window
  uint64_t late_ignored = 0;       // points older than every kept window
  uint64_t future_ignored = 0;     // points more than `every` ahead of the clock
  uint64_t resyncs = 0;            // storage re-reads after dropped events
  uint64_t refused_instances = 0;  // groups past the limits
  uint64_t transitions = 0;
  uint64_t series_read = 0;  // series read from storage (bootstraps)
  uint64_t queries = 0;      // queries run (scheduled rules)
  std::string last_error;
};

struct RuleInfo {
  RuleSpec spec;
  RuleKind kind = RuleKind::kThreshold;
  bool incremental = false;
  std::string condition;  // canonical
  std::string clear;      // canonical, "" without --clear
  int64_t window_ns = 0;
  int64_t every_ns = 0;
  RuleStatus status;
};

struct AlertInfo {
  std::string rule;
  std::string measurement;
  storage::TagSet group;
  InstanceState state;
  std::vector<std::pair<std::string, std::string>> labels;
};

struct AlertFilter {
  absl::flat_hash_set<std::string> states;  // empty: pending, firing and resolved
  absl::flat_hash_set<std::string> rules;   // empty: every rule
  std::function<bool(const std::string& measurement)> may_read;  // null: everything
};

struct EngineCounters {
  uint64_t rules = 0;
  uint64_t instances = 0;
  uint64_t state_bytes = 0;
  uint64_t queue_bytes = 0;
  uint64_t events = 0;
  uint64_t dropped_values = 0;
  uint64_t transitions = 0;
  uint64_t steps = 0;
};

class AlertEngine : public query::LiveListener {
 public:
  // Loads rules and instance states from `db`, registers with `hub` and (background)
  // starts evaluating. `audit` may be null. Errors: the database fails.
  static absl::StatusOr<std::unique_ptr<AlertEngine>> Open(storage::Db* db, query::LiveHub* hub,
                                                           Notifier* notifier, AlertBus* bus,
                                                           auth::AuditLog* audit,
                                                           AlertEngineOptions options);
  ~AlertEngine() override;
  // Stops evaluating and unregisters from the hub. Idempotent.
  void Stop();

  // Errors: InvalidArgument (see CompileRule; unknown notify targets), AlreadyExists,
  // ResourceExhausted (max_rules), the database's.
  absl::StatusOr<RuleInfo> CreateRule(RuleSpec spec, const std::string& who);
  // Errors: NotFound.
  absl::Status DeleteRule(const std::string& name);
  absl::StatusOr<RuleInfo> SetPaused(const std::string& name, bool paused);
  std::vector<RuleInfo> ListRules() const;
  absl::StatusOr<RuleInfo> GetRule(const std::string& name) const;
  // Deletes a notification target. Errors: FailedPrecondition naming the rules using it;
  // NotFound.
  absl::Status DeleteTarget(const std::string& name);

  std::vector<AlertInfo> ListAlerts(const AlertFilter& filter) const;
  // The pending and firing instances as events with `current` set (for watchers).
  std::vector<AlertEvent> CurrentEvents(const AlertFilter& filter) const;

  // One round: bootstraps, processes queued points, re-evaluates late windows, evaluates
  // the rules whose time has come, and records the transitions. (background = false)
  void Step();
  EngineCounters counters() const;
  Notifier* notifier() const { return notifier_; }

  void OnEvent(const query::LiveEventPtr& event) override;
  void OnDropped(uint64_t values) override;

  struct Instance;
  struct RuleRt;
  struct Effect;

 private:
  AlertEngine(storage::Db* db, query::LiveHub* hub, Notifier* notifier, AlertBus* bus,
              auth::AuditLog* audit, AlertEngineOptions options);
  absl::Status Load();
  void Run();
  int64_t Now() const { return clock_->Now(); }

  // engine.cc
  std::unique_ptr<RuleRt> MakeRuntime(Rule rule, int64_t now);
  RuleInfo InfoLocked(const RuleRt& rt) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  std::vector<std::string> MeasurementsLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void IndexRulesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseRoutesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // engine_ingest.cc
  Instance* FindOrCreateLocked(RuleRt* rt, const storage::TagSet& series_tags)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const std::vector<Route>& RoutesLocked(storage::SeriesId id, const query::LiveGroup& group,
                                         const query::LiveColumn& column)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const std::vector<Route>& GroupRoutesLocked(const query::LiveGroup& group)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ProcessEventLocked(const query::LiveEvent& event, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void BootstrapLocked(RuleRt* rt, int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // engine_eval.cc
  void EvaluateLocked(RuleRt* rt, int64_t tick, int64_t now, std::vector<Effect>* effects)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvaluateLateLocked(RuleRt* rt, int64_t now, std::vector<Effect>* effects)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StepInstanceLocked(RuleRt* rt, Instance* inst, const Evaluation& e, int64_t window_end,
                          std::vector<Effect>* effects) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RunScheduledQueryLocked(RuleRt* rt, int64_t tick, int64_t now, bool late,
                                       std::vector<Effect>* effects)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // engine_effects.cc
  void ApplyEffectsLocked(std::vector<Effect>* effects) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static std::string StateKey(const RuleRt& rt, const std::string& group_key);

  storage::Db* const db_;
  query::LiveHub* const hub_;
  Notifier* const notifier_;
  AlertBus* const bus_;
  auth::AuditLog* const audit_;
  const AlertEngineOptions options_;
  const Clock* const clock_;

  // The rules and their instances; held by Step.
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<RuleRt>> rules_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<RuleRt*>> by_measurement_ ABSL_GUARDED_BY(mu_);
  // Candidate rules for a series, so that a new series is tested against a few rules, not
  // all: per measurement, the rules whose WHERE requires `tag = 'value'` (one such
  // condition indexed per rule) and the others.
  struct RuleIndex {
    absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, std::vector<RuleRt*>>> eq;
    std::vector<RuleRt*> other;
  };
  absl::flat_hash_map<std::string, RuleIndex> rule_index_ ABSL_GUARDED_BY(mu_);
  // Routes by series id (ids are dense: an array, no hashing on the hot path); a series not
  // yet routed has none. Cleared when rules change.
  struct RouteSlot {
    bool known = false;
    std::vector<Route> routes;
  };
  std::vector<RouteSlot> routes_ ABSL_GUARDED_BY(mu_);
  // absent(*) rules hang off the series group (measurement + tags), not each field: one
  // update per group and event however many fields it has. Series id -> group number + 1.
  std::vector<uint32_t> series_group_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> group_numbers_ ABSL_GUARDED_BY(mu_);
  std::vector<RouteSlot> group_routes_ ABSL_GUARDED_BY(mu_);
  // A late point was seen since the last round: re-evaluate late windows.
  bool late_pending_ ABSL_GUARDED_BY(mu_) = false;
  // Some rule needs its windows read (created, loaded, resumed, resynced).
  bool bootstrap_pending_ ABSL_GUARDED_BY(mu_) = true;
  int64_t next_due_locked_ ABSL_GUARDED_BY(mu_) = INT64_MIN;  // earliest rule time due
  uint64_t state_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t transitions_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t steps_ ABSL_GUARDED_BY(mu_) = 0;
  bool registered_ = false;

  // Events from the hub, waiting for Step. Never held with mu_ by the hub's thread.
  mutable absl::Mutex qmu_ ABSL_ACQUIRED_AFTER(mu_);
  std::deque<query::LiveEventPtr> queue_ ABSL_GUARDED_BY(qmu_);
  size_t queue_bytes_ ABSL_GUARDED_BY(qmu_) = 0;
  absl::flat_hash_set<std::string> resync_ ABSL_GUARDED_BY(qmu_);
  uint64_t events_ ABSL_GUARDED_BY(qmu_) = 0;
  uint64_t dropped_values_ ABSL_GUARDED_BY(qmu_) = 0;
  bool kick_ ABSL_GUARDED_BY(qmu_) = false;
  bool stop_ ABSL_GUARDED_BY(qmu_) = false;
  std::atomic<int64_t> next_due_{INT64_MAX};
  std::thread thread_;
};

}  // namespace telemdb::alert

#endif  // TELEMDB_ALERT_ENGINE_H_
