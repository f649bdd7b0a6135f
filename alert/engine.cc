// AlertEngine: opening, the loop, rule management and listings.
#include "alert/engine.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "alert/engine_rt.h"
#include "auth/audit_log.h"
#include "storage/crypto/openssl_util.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::alert {
namespace {

constexpr char kRulePrefix[] = "alert/rule/";
constexpr char kStatePrefix[] = "alert/state/";

std::string NewRuleId() {
  std::string raw(8, '\0');
  if (!storage::crypto::RandomBytes(raw.data(), raw.size()).ok()) {
    static std::mt19937_64 rng(std::random_device{}());
    uint64_t v = rng();
    raw.assign(reinterpret_cast<const char*>(&v), 8);
  }
  return storage::crypto::Hex(raw);
}

}  // namespace

AlertEngine::AlertEngine(storage::Db* db, query::LiveHub* hub, Notifier* notifier, AlertBus* bus,
                         auth::AuditLog* audit, AlertEngineOptions options)
    : db_(db),
      hub_(hub),
      notifier_(notifier),
      bus_(bus),
      audit_(audit),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : SystemClock::Get()) {}

absl::StatusOr<std::unique_ptr<AlertEngine>> AlertEngine::Open(storage::Db* db, query::LiveHub* hub,
                                                               Notifier* notifier, AlertBus* bus,
                                                               auth::AuditLog* audit,
                                                               AlertEngineOptions options) {
  std::unique_ptr<AlertEngine> e(new AlertEngine(db, hub, notifier, bus, audit, options));
  RETURN_IF_ERROR(e->Load());
  {
    absl::MutexLock l(&e->mu_);
    // Registered before any bootstrap reads storage: no point falls between the two.
    e->hub_->Add(e.get(), e->MeasurementsLocked());
    e->registered_ = true;
  }
  if (options.background) e->thread_ = std::thread([p = e.get()] { p->Run(); });
  return e;
}

AlertEngine::~AlertEngine() { Stop(); }

void AlertEngine::Stop() {
  {
    absl::MutexLock l(&qmu_);
    if (stop_) return;
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (registered_) hub_->Remove(this);
}

absl::Status AlertEngine::Load() {
  ASSIGN_OR_RETURN(auto specs, db_->ScanMeta(kRulePrefix));
  const int64_t now = Now();
  absl::MutexLock l(&mu_);
  for (const auto& [key, json] : specs) {
    auto spec = RuleSpecFromJson(json);
    if (!spec.ok()) {
      Log(LogLevel::kError, "alert.bad_rule_record",
          {{"key", key}, {"error", spec.status().ToString()}});
      continue;
    }
    auto rule = CompileRule(*spec);
    if (!rule.ok()) {
      Log(LogLevel::kError, "alert.rule_does_not_compile",
          {{"rule", spec->name}, {"error", rule.status().ToString()}});
      continue;
    }
    auto rt = MakeRuntime(*std::move(rule), now);
    ASSIGN_OR_RETURN(auto states, db_->ScanMeta(absl::StrCat(kStatePrefix, rt->rule.spec.id, "/")));
    for (const auto& [skey, sjson] : states) {
      storage::TagSet group;
      auto st = StateFromJson(sjson, &group);
      if (!st.ok()) {
        Log(LogLevel::kError, "alert.bad_state_record", {{"key", skey}});
        continue;
      }
      Instance* inst = FindOrCreateLocked(rt.get(), group);
      if (inst != nullptr) inst->st = *st;
    }
    rules_[rt->rule.spec.name] = std::move(rt);
  }
  IndexRulesLocked();
  if (!rules_.empty()) Log(LogLevel::kInfo, "alert.rules_loaded", {{"rules", rules_.size()}});
  return absl::OkStatus();
}

std::unique_ptr<AlertEngine::RuleRt> AlertEngine::MakeRuntime(Rule rule, int64_t now) {
  auto rt = std::make_unique<RuleRt>();
  if (rule.query.where) {
    query::MeasurementSchema schema;
    schema.measurement = rule.query.measurement;
    auto p = query::Predicate::BuildTagsOnly(*rule.query.where, schema);
    if (p.ok()) rt->where = std::make_shared<const query::Predicate>(*std::move(p));
  }
  if (rule.bucket_ns > 0) {
    rt->ring_buckets =
        static_cast<size_t>(rule.window_ns / rule.bucket_ns + 2 * (rule.every_ns / rule.bucket_ns));
  }
  rt->activated_ns = now;
  rt->rule = std::move(rule);
  const int64_t every = rt->rule.every_ns;
  rt->next_due = (now + every - 1) / every * every;  // the first multiple of every from now
  return rt;
}

void AlertEngine::IndexRulesLocked() {
  by_measurement_.clear();
  rule_index_.clear();
  for (auto& [name, rt] : rules_) {
    by_measurement_[rt->rule.query.measurement].push_back(rt.get());
    RuleIndex& idx = rule_index_[rt->rule.query.measurement];
    bool indexed = false;
    if (rt->where) {
      for (const storage::TagMatcher& m : rt->where->IndexMatchers()) {
        if (m.op != storage::TagMatcher::Op::kEqual) continue;
        idx.eq[m.key][m.value].push_back(rt.get());
        indexed = true;
        break;
      }
    }
    if (!indexed) idx.other.push_back(rt.get());
  }
  ReleaseRoutesLocked();
}

void AlertEngine::ReleaseRoutesLocked() {
  for (const RouteSlot& r : routes_) state_bytes_ -= kRouteBytesPerEntry * r.routes.size();
  for (const RouteSlot& r : group_routes_) state_bytes_ -= kRouteBytesPerEntry * r.routes.size();
  state_bytes_ -= routes_.size() * sizeof(RouteSlot) + group_routes_.size() * sizeof(RouteSlot);
  routes_.clear();
  routes_.shrink_to_fit();
  group_routes_.clear();
  group_routes_.shrink_to_fit();
  // Group numbers stay valid (a series' tags never change); their routes are recomputed.
}

std::vector<std::string> AlertEngine::MeasurementsLocked() const {
  std::vector<std::string> out;
  for (const auto& [m, rts] : by_measurement_) out.push_back(m);
  return out;
}

RuleInfo AlertEngine::InfoLocked(const RuleRt& rt) const {
  RuleInfo i;
  i.spec = rt.rule.spec;
  i.kind = rt.rule.cond.kind;
  i.incremental = rt.rule.incremental();
  Condition shown = rt.rule.cond;
  shown.window_ns = rt.rule.window_ns;
  i.condition = shown.ToString();
  if (rt.rule.clear) {
    Condition c = *rt.rule.clear;
    c.window_ns = rt.rule.window_ns;
    i.clear = c.ToString();
  }
  i.window_ns = rt.rule.window_ns;
  i.every_ns = rt.rule.every_ns;
  i.status = rt.status;
  i.status.instances = rt.instances.size();
  i.status.pending = i.status.firing = 0;
  for (const auto& [k, inst] : rt.instances) {
    i.status.pending += inst->st.state == AlertState::kPending;
    i.status.firing += inst->st.state == AlertState::kFiring;
  }
  return i;
}

absl::StatusOr<RuleInfo> AlertEngine::CreateRule(RuleSpec spec, const std::string& who) {
  spec.id = NewRuleId();
  spec.created_ns = Now();
  spec.created_by = who;
  spec.paused = false;
  ASSIGN_OR_RETURN(Rule rule, CompileRule(std::move(spec)));
  for (const auto& t : rule.spec.notify) {
    if (notifier_ == nullptr || !notifier_->HasTarget(t)) {
      return absl::InvalidArgumentError(
          absl::StrCat("notify: no notification target named \"", t,
                       "\" (create it first: telemdb admin target create ", t, " --url ...)"));
    }
  }
  RuleInfo info;
  {
    absl::MutexLock l(&mu_);
    if (rules_.contains(rule.spec.name)) {
      return absl::AlreadyExistsError(
          absl::StrCat("a rule named \"", rule.spec.name, "\" exists (delete it first)"));
    }
    if (rules_.size() >= options_.max_rules) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the server holds its maximum of ", options_.max_rules, " rules"));
    }
    RETURN_IF_ERROR(db_->PutMeta(kRulePrefix + rule.spec.name, RuleSpecToJson(rule.spec)));
    auto rt = MakeRuntime(std::move(rule), Now());
    RuleRt* p = rt.get();
    rules_[p->rule.spec.name] = std::move(rt);
    IndexRulesLocked();
    hub_->Update(this, MeasurementsLocked());
    bootstrap_pending_ = true;
    next_due_locked_ = INT64_MIN;
    info = InfoLocked(*p);
  }
  {
    absl::MutexLock l(&qmu_);
    kick_ = true;
  }
  return info;
}

absl::Status AlertEngine::DeleteRule(const std::string& name) {
  absl::MutexLock l(&mu_);
  auto it = rules_.find(name);
  if (it == rules_.end()) return absl::NotFoundError(absl::StrCat("no rule named \"", name, "\""));
  RuleRt* rt = it->second.get();
  storage::Db::MetaOps ops;
  ops.emplace_back(kRulePrefix + name, std::nullopt);
  ASSIGN_OR_RETURN(auto states, db_->ScanMeta(absl::StrCat(kStatePrefix, rt->rule.spec.id, "/")));
  for (const auto& [k, v] : states) ops.emplace_back(k, std::nullopt);
  RETURN_IF_ERROR(db_->WriteMeta(ops));
  for (const auto& [k, inst] : rt->instances) state_bytes_ -= inst->bytes;
  rules_.erase(it);
  IndexRulesLocked();
  hub_->Update(this, MeasurementsLocked());
  return absl::OkStatus();
}

absl::StatusOr<RuleInfo> AlertEngine::SetPaused(const std::string& name, bool paused) {
  absl::MutexLock l(&mu_);
  auto it = rules_.find(name);
  if (it == rules_.end()) return absl::NotFoundError(absl::StrCat("no rule named \"", name, "\""));
  RuleRt* rt = it->second.get();
  if (rt->rule.spec.paused != paused) {
    RuleSpec spec = rt->rule.spec;
    spec.paused = paused;
    RETURN_IF_ERROR(db_->PutMeta(kRulePrefix + name, RuleSpecToJson(spec)));
    rt->rule.spec.paused = paused;
    if (!paused) {
      // Windows restart from storage; evaluation resumes at the next multiple of every.
      const int64_t now = Now();
      rt->needs_bootstrap = true;
      rt->activated_ns = now;
      rt->next_due = (now + rt->rule.every_ns - 1) / rt->rule.every_ns * rt->rule.every_ns;
      rt->last_tick = INT64_MIN;
      bootstrap_pending_ = true;
      next_due_locked_ = INT64_MIN;
    }
    ReleaseRoutesLocked();
  }
  return InfoLocked(*rt);
}

std::vector<RuleInfo> AlertEngine::ListRules() const {
  absl::MutexLock l(&mu_);
  std::vector<RuleInfo> out;
  for (const auto& [name, rt] : rules_) out.push_back(InfoLocked(*rt));
  return out;
}

absl::StatusOr<RuleInfo> AlertEngine::GetRule(const std::string& name) const {
  absl::MutexLock l(&mu_);
  auto it = rules_.find(name);
  if (it == rules_.end()) return absl::NotFoundError(absl::StrCat("no rule named \"", name, "\""));
  return InfoLocked(*it->second);
}

absl::Status AlertEngine::DeleteTarget(const std::string& name) {
  std::vector<std::string> users;
  {
    absl::MutexLock l(&mu_);
    for (const auto& [rname, rt] : rules_) {
      const auto& n = rt->rule.spec.notify;
      if (std::find(n.begin(), n.end(), name) != n.end()) users.push_back(rname);
    }
  }
  if (!users.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("notification target \"", name, "\" is used by rule(s) ",
                     absl::StrJoin(users, ", "), "; delete those rules first"));
  }
  if (notifier_ == nullptr) return absl::NotFoundError("no notifier");
  return notifier_->DeleteTarget(name);
}

std::vector<AlertInfo> AlertEngine::ListAlerts(const AlertFilter& f) const {
  absl::MutexLock l(&mu_);
  std::vector<AlertInfo> out;
  for (const auto& [name, rt] : rules_) {
    if (!f.rules.empty() && !f.rules.contains(name)) continue;
    if (f.may_read && !f.may_read(rt->rule.query.measurement)) continue;
    std::vector<AlertInfo> part;
    for (const auto& [key, inst] : rt->instances) {
      const std::string state = StateName(inst->st.state);
      if (f.states.empty() ? inst->st.state == AlertState::kInactive : !f.states.contains(state)) {
        continue;
      }
      AlertInfo a;
      a.rule = name;
      a.measurement = rt->rule.query.measurement;
      a.group = inst->group;
      a.state = inst->st;
      a.labels = rt->rule.spec.labels;
      part.push_back(std::move(a));
    }
    std::sort(part.begin(), part.end(), [](const AlertInfo& a, const AlertInfo& b) {
      return GroupKey(a.group) < GroupKey(b.group);
    });
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

std::vector<AlertEvent> AlertEngine::CurrentEvents(const AlertFilter& f) const {
  std::vector<AlertEvent> out;
  AlertFilter active = f;
  if (active.states.empty()) active.states = {"pending", "firing"};
  for (AlertInfo& a : ListAlerts(active)) {
    AlertEvent e;
    e.rule = a.rule;
    e.measurement = a.measurement;
    e.group = a.group;
    e.from = e.to = StateName(a.state.state);
    e.at_ns = a.state.since_ns;
    e.value = a.state.value;
    e.number = a.state.transitions;
    e.active_since_ns = a.state.active_since_ns;
    e.labels = a.labels;
    e.current = true;
    out.push_back(std::move(e));
  }
  return out;
}

void AlertEngine::OnEvent(const query::LiveEventPtr& event) {
  absl::MutexLock l(&qmu_);
  if (stop_) return;
  if (queue_bytes_ + event->bytes > options_.max_queue_bytes) {
    dropped_values_ += event->values;
    for (const auto& g : event->groups) resync_.emplace(g.measurement);
  } else {
    queue_bytes_ += event->bytes;
    queue_.push_back(event);
  }
  events_++;
  kick_ = true;
}

void AlertEngine::OnDropped(uint64_t values) {
  absl::MutexLock l(&qmu_);
  dropped_values_ += values;
  // The hub does not say which measurements: every rule re-reads.
  resync_.insert("*");
  kick_ = true;
}

void AlertEngine::Run() {
  while (true) {
    {
      absl::MutexLock l(&qmu_);
      const int64_t wait_ns = std::clamp<int64_t>(next_due_.load() - Now(), 0, 1'000'000'000);
      qmu_.AwaitWithTimeout(absl::Condition(
                                +[](AlertEngine* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->qmu_) {
                                  return e->stop_ || e->kick_;
                                },
                                this),
                            absl::Nanoseconds(wait_ns));
      if (stop_) return;
      kick_ = false;
    }
    Step();
  }
}

EngineCounters AlertEngine::counters() const {
  EngineCounters c;
  {
    absl::MutexLock l(&mu_);
    c.rules = rules_.size();
    for (const auto& [n, rt] : rules_) c.instances += rt->instances.size();
    c.state_bytes = state_bytes_;
    c.transitions = transitions_;
    c.steps = steps_;
  }
  absl::MutexLock q(&qmu_);
  c.queue_bytes = queue_bytes_;
  c.events = events_;
  c.dropped_values = dropped_values_;
  return c;
}

}  // namespace telemdb::alert
