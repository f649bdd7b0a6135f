#include "alert/service/alert_http.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "alert/service/alert_service.h"
#include "http/http_auth.h"
#include "http/http_status.h"
#include "nlohmann/json.hpp"
#include "query/lang/duration_json.h"
#include "query/live/sse.h"
#include "query/live/subscribe_http.h"
#include "util/client_text.h"

namespace telemdb::alert {
namespace {

using json = nlohmann::ordered_json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void Send(http::ResponseWriter& w, int status, const json& j) {
  w.Send(status, http::JsonHeaders(), Dump(j));
}

json TimeOrNull(int64_t ns) {
  return ns == 0 ? json(nullptr) : json(query::lang::FormatRfc3339(ns));
}

json GroupJson(const storage::TagSet& g) {
  json o = json::object();
  for (const auto& [k, v] : g) o[k] = v;
  return o;
}

json TargetJson(const TargetInfo& t) {
  json j;
  j["name"] = t.name;
  j["url"] = t.url;
  j["created"] = TimeOrNull(t.created_ns);
  j["created_by"] = t.created_by;
  j["queued"] = t.queued;
  j["delivered"] = t.delivered;
  j["failed_attempts"] = t.failed_attempts;
  j["dropped"] = t.dropped;
  j["consecutive_failures"] = t.consecutive_failures;
  j["last_error"] = t.last_error;
  j["last_delivery"] = TimeOrNull(t.last_delivery_ns);
  j["next_attempt"] = TimeOrNull(t.next_attempt_ns);
  return j;
}

json AlertJson(const AlertInfo& a) {
  json j;
  j["rule"] = a.rule;
  j["measurement"] = a.measurement;
  j["group"] = GroupJson(a.group);
  j["state"] = StateName(a.state.state);
  j["since"] = TimeOrNull(a.state.since_ns);
  j["active_since"] = TimeOrNull(a.state.active_since_ns);
  j["value"] = std::isnan(a.state.value) ? json(nullptr) : json(a.state.value);
  j["last_evaluation"] = TimeOrNull(a.state.last_eval_ns);
  j["transitions"] = a.state.transitions;
  j["labels"] = json::object();
  for (const auto& [k, v] : a.labels) j["labels"][k] = v;
  return j;
}

std::vector<std::string> ParamList(const http::Request& req, const char* name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : req.params) {
    if (k != name) continue;
    for (absl::string_view part : absl::StrSplit(v, ',', absl::SkipEmpty())) out.emplace_back(part);
  }
  return out;
}

}  // namespace

std::string RuleJson(const RuleInfo& info) {
  const RuleSpec& s = info.spec;
  json j;
  j["name"] = s.name;
  j["query"] = s.query;
  j["condition"] = s.condition;
  j["clear"] = s.clear;
  j["for"] = query::lang::FormatDuration(s.for_ns);
  j["every"] = query::lang::FormatDuration(info.every_ns);
  j["repeat"] = s.repeat_ns ? json(query::lang::FormatDuration(s.repeat_ns)) : json(nullptr);
  j["labels"] = json::object();
  for (const auto& [k, v] : s.labels) j["labels"][k] = v;
  j["notify"] = s.notify;
  j["expect"] = s.expect;
  j["id"] = s.id;
  j["created"] = TimeOrNull(s.created_ns);
  j["created_by"] = s.created_by;
  j["paused"] = s.paused;
  j["kind"] = RuleKindName(info.kind);
  j["evaluation"] = info.incremental ? "incremental" : "scheduled";
  j["canonical_condition"] = info.condition;
  j["canonical_clear"] = info.clear;
  j["window"] = query::lang::FormatDuration(info.window_ns);
  const RuleStatus& st = info.status;
  json status;
  status["instances"] = st.instances;
  status["pending"] = st.pending;
  status["firing"] = st.firing;
  status["evaluations"] = st.evaluations;
  status["last_evaluation"] = TimeOrNull(st.last_eval_ns);
  status["last_evaluation_seconds"] = st.last_eval_duration_ns / 1e9;
  status["max_evaluation_seconds"] = st.max_eval_duration_ns / 1e9;
  status["lag_seconds"] = st.lag_ns / 1e9;
  status["missed_evaluations"] = st.missed_ticks;
  status["late_points"] = st.late_points;
  status["late_ignored"] = st.late_ignored;
  status["future_ignored"] = st.future_ignored;
  status["resyncs"] = st.resyncs;
  status["refused_instances"] = st.refused_instances;
  status["transitions"] = st.transitions;
  status["series_read"] = st.series_read;
  status["queries"] = st.queries;
  status["last_error"] = st.last_error;
  j["status"] = status;
  return Dump(j);
}

absl::StatusOr<RuleSpec> RuleSpecFromBody(std::string_view body) {
  auto j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("the body must be a JSON object describing the rule");
  }
  static const char* kKnown[] = {"name",   "query",  "condition", "clear",  "for",
                                 "for_ns", "every",  "every_ns",  "repeat", "repeat_ns",
                                 "labels", "notify", "expect"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* k : kKnown) known |= it.key() == k;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown rule field \"", ClientText(it.key()),
                       "\" (name, query, condition, clear, for, every, repeat, labels, notify, "
                       "expect)"));
    }
  }
  RuleSpec s;
  for (const auto& [key, out] : {std::pair<const char*, std::string*>{"name", &s.name},
                                 {"query", &s.query},
                                 {"condition", &s.condition},
                                 {"clear", &s.clear}}) {
    if (!j.contains(key) || j[key].is_null()) continue;
    if (!j[key].is_string())
      return absl::InvalidArgumentError(absl::StrCat(key, ": expected a string"));
    *out = j[key].get<std::string>();
  }
  auto f = query::lang::DurationFromJson(j, "for", "for_ns");
  if (!f.ok()) return f.status();
  s.for_ns = *f;
  auto e = query::lang::DurationFromJson(j, "every", "every_ns");
  if (!e.ok()) return e.status();
  s.every_ns = *e;
  auto r = query::lang::DurationFromJson(j, "repeat", "repeat_ns");
  if (!r.ok()) return r.status();
  s.repeat_ns = *r;
  if (j.contains("labels")) {
    if (!j["labels"].is_object()) return absl::InvalidArgumentError("labels: expected an object");
    for (auto it = j["labels"].begin(); it != j["labels"].end(); ++it) {
      if (!it.value().is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("labels.", ClientText(it.key()), ": expected a string"));
      }
      s.labels.emplace_back(it.key(), it.value().get<std::string>());
    }
  }
  for (const auto& [key, out] :
       {std::pair<const char*, std::vector<std::string>*>{"notify", &s.notify},
        {"expect", &s.expect}}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_array())
      return absl::InvalidArgumentError(absl::StrCat(key, ": expected an array"));
    for (const auto& v : j[key]) {
      if (!v.is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(key, ": expected strings"));
      }
      out->push_back(v.get<std::string>());
    }
  }
  return s;
}

bool AlertHttp::Serves(const std::string& p) {
  return p == "/api/v1/rules" || absl::StartsWith(p, "/api/v1/rules/") ||
         p == "/api/v1/notify-targets" || absl::StartsWith(p, "/api/v1/notify-targets/") ||
         p == "/api/v1/alerts" || p == "/api/v1/alerts/watch";
}

void AlertHttp::Handle(const http::Request& req, http::ResponseWriter& w) {
  const auth::Credentials creds = http::CredentialsOf(req);
  auto who = http::AuthenticateOrAnswer(*auth_, req, w);
  if (!who.ok()) return;
  const std::string& p = req.path;
  if (p == "/api/v1/alerts" || p == "/api/v1/alerts/watch") {
    if (!who->CanReadSomething()) {
      absl::Status s = absl::PermissionDeniedError("listing alerts needs a read right");
      if (on_action) on_action(who->name, "list alerts", s);
      return http::SendError(w, s);
    }
    if (req.method != "GET") {
      return http::SendError(w, absl::InvalidArgumentError(absl::StrCat("use GET for ", p)));
    }
    return p == "/api/v1/alerts" ? Alerts(req, w, *who) : Watch(req, w, *who, creds);
  }
  if (!who->IsAdmin()) {
    absl::Status s = absl::PermissionDeniedError(
        absl::StrCat(req.method, " ", p, " needs the admin right, which this identity lacks"));
    if (on_action) on_action(who->name, absl::StrCat("http ", req.method, " ", p), s);
    return http::SendError(w, s);
  }
  if (absl::StartsWith(p, "/api/v1/rules")) return Rules(req, w, *who);
  return Targets(req, w, *who);
}

void AlertHttp::Rules(const http::Request& req, http::ResponseWriter& w,
                      const auth::Identity& who) {
  std::string rest = req.path.substr(std::string("/api/v1/rules").size());
  if (!rest.empty()) rest = rest.substr(1);
  std::string name = rest, verb;
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    name = rest.substr(0, slash);
    verb = rest.substr(slash + 1);
  }
  auto report = [&](const std::string& action, const absl::Status& s) {
    if (on_action) on_action(who.name, action, s);
  };
  if (name.empty()) {
    if (req.method == "GET") {
      std::string out = "{\"rules\":[";
      bool first = true;
      for (const RuleInfo& r : engine_->ListRules()) {
        if (!first) out += ",";
        first = false;
        out += RuleJson(r);
      }
      out += "]}";
      return w.Send(200, http::JsonHeaders(), out);
    }
    if (req.method == "POST") {
      auto spec = RuleSpecFromBody(req.body);
      if (!spec.ok()) return http::SendError(w, spec.status());
      const std::string rule_name = spec->name;
      auto info = engine_->CreateRule(*std::move(spec), who.name);
      report(absl::StrCat("create rule ", ClientText(rule_name)), info.status());
      if (!info.ok()) return http::SendError(w, info.status());
      return w.Send(201, http::JsonHeaders(), absl::StrCat("{\"rule\":", RuleJson(*info), "}"));
    }
    return http::SendError(w, absl::InvalidArgumentError("use GET or POST for /api/v1/rules"));
  }
  if (verb.empty() && req.method == "GET") {
    auto info = engine_->GetRule(name);
    if (!info.ok()) return http::SendError(w, info.status());
    return w.Send(200, http::JsonHeaders(), absl::StrCat("{\"rule\":", RuleJson(*info), "}"));
  }
  if (verb.empty() && req.method == "DELETE") {
    absl::Status s = engine_->DeleteRule(name);
    report(absl::StrCat("delete rule ", ClientText(name)), s);
    if (!s.ok()) return http::SendError(w, s);
    json j;
    j["deleted"] = name;
    return Send(w, 200, j);
  }
  if ((verb == "pause" || verb == "resume") && req.method == "POST") {
    auto info = engine_->SetPaused(name, verb == "pause");
    report(absl::StrCat(verb, " rule ", ClientText(name)), info.status());
    if (!info.ok()) return http::SendError(w, info.status());
    return w.Send(200, http::JsonHeaders(), absl::StrCat("{\"rule\":", RuleJson(*info), "}"));
  }
  http::SendError(w, absl::NotFoundError(absl::StrCat("no such endpoint: ", req.method, " ",
                                                      ClientText(req.path))));
}

void AlertHttp::Targets(const http::Request& req, http::ResponseWriter& w,
                        const auth::Identity& who) {
  std::string name = req.path.substr(std::string("/api/v1/notify-targets").size());
  if (!name.empty()) name = name.substr(1);
  Notifier* n = engine_->notifier();
  if (name.empty() && req.method == "GET") {
    json j;
    j["targets"] = json::array();
    for (const TargetInfo& t : n->ListTargets()) j["targets"].push_back(TargetJson(t));
    return Send(w, 200, j);
  }
  if (name.empty() && req.method == "POST") {
    auto body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("name") ||
        !body["name"].is_string() || !body.contains("url") || !body["url"].is_string() ||
        (body.contains("secret") && !body["secret"].is_string())) {
      return http::SendError(
          w, absl::InvalidArgumentError("expected {\"name\": \"...\", \"url\": \"http(s)://...\"[, "
                                        "\"secret\": \"...\"]}"));
    }
    const std::string tname = body["name"].get<std::string>();
    auto secret =
        n->CreateTarget(tname, body["url"].get<std::string>(), body.value("secret", ""), who.name);
    if (on_action)
      on_action(who.name, absl::StrCat("create notify target ", ClientText(tname)),
                secret.status());
    if (!secret.ok()) return http::SendError(w, secret.status());
    json j;
    for (const TargetInfo& t : n->ListTargets()) {
      if (t.name == tname) j["target"] = TargetJson(t);
    }
    j["secret"] = *secret;
    return Send(w, 201, j);
  }
  if (!name.empty() && req.method == "DELETE") {
    absl::Status s = engine_->DeleteTarget(name);
    if (on_action) on_action(who.name, absl::StrCat("delete notify target ", ClientText(name)), s);
    if (!s.ok()) return http::SendError(w, s);
    json j;
    j["deleted"] = name;
    return Send(w, 200, j);
  }
  http::SendError(w, absl::NotFoundError(absl::StrCat("no such endpoint: ", req.method, " ",
                                                      ClientText(req.path))));
}

void AlertHttp::Alerts(const http::Request& req, http::ResponseWriter& w,
                       const auth::Identity& who) {
  auto f = MakeWatchFilter(who, ParamList(req, "rule"), ParamList(req, "state"));
  if (!f.ok()) return http::SendError(w, f.status());
  AlertFilter af;
  af.rules = f->rules;
  af.states = f->states;
  af.may_read = f->may_read;
  json j;
  j["alerts"] = json::array();
  for (const AlertInfo& a : engine_->ListAlerts(af)) j["alerts"].push_back(AlertJson(a));
  Send(w, 200, j);
}

void AlertHttp::Watch(const http::Request& req, http::ResponseWriter& w, const auth::Identity& who,
                      const auth::Credentials& creds) {
  auto f = MakeWatchFilter(who, ParamList(req, "rule"), ParamList(req, "state"));
  if (!f.ok()) return http::SendError(w, f.status());
  if (streams_.fetch_add(1) >= max_streams_) {
    streams_--;
    return http::SendError(w, absl::ResourceExhaustedError(absl::StrCat(
                                  "too many HTTP event streams (", max_streams_, "); retry")));
  }
  struct Release {
    std::atomic<size_t>* n;
    ~Release() { (*n)--; }
  } release{&streams_};
  std::vector<AlertEvent> current;
  if (req.Param("current") == "true") {
    AlertFilter af;
    af.rules = f->rules;
    af.may_read = f->may_read;
    current = engine_->CurrentEvents(af);
  }
  AlertWatcher watcher(*std::move(f), 1 << 20, live_->budget());
  bus_->Add(&watcher);
  struct Unregister {
    AlertBus* bus;
    AlertWatcher* w;
    ~Unregister() { bus->Remove(w); }
  } unregister{bus_, &watcher};
  if (!w.Start(200, query::EventStreamHeaders())) return;
  std::string chunk;
  for (const AlertEvent& e : current) chunk += query::SseEvent("alert", e.ToJson());
  if (req.Param("current") == "true") chunk += query::SseEvent("current_done", "{}");
  if (!chunk.empty() && !w.Write(chunk)) return;
  const absl::Duration heartbeat = live_->options().heartbeat;
  absl::Time last_write = absl::Now(), last_check = absl::Now();
  while (true) {
    watcher.Wait(std::min(heartbeat, absl::Seconds(1)));
    std::vector<AlertEvent> events;
    uint64_t dropped = 0;
    chunk.clear();
    if (watcher.Take(&events, &dropped)) {
      if (dropped > 0)
        chunk += query::SseEvent("overflow", absl::StrCat("{\"dropped_events\":", dropped, "}"));
      for (const AlertEvent& e : events) chunk += query::SseEvent("alert", e.ToJson());
    }
    if (!chunk.empty()) {
      if (!w.Write(chunk)) return;
      last_write = absl::Now();
      continue;
    }
    absl::Status ended = watcher.ended();
    if (ended.ok() && absl::Now() - last_check >= heartbeat) {
      last_check = absl::Now();
      ended = auth_->Authenticate(creds).status();
    }
    if (!ended.ok()) {
      json e;
      e["error"] = std::string(ended.message());
      e["code"] = http::HttpCode(ended);
      (void)w.Write(query::SseEvent("end", Dump(e)));
      return;
    }
    if (absl::Now() - last_write >= heartbeat) {
      if (!w.Write(query::SseComment("heartbeat"))) return;
      last_write = absl::Now();
    }
  }
}

}  // namespace telemdb::alert
