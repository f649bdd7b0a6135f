#include "server/realtime.h"

#include "alert/alert_bus.h"
#include "alert/engine.h"
#include "alert/notifier.h"
#include "alert/service/alert_http.h"
#include "alert/service/alert_service.h"
#include "auth/audit_log.h"
#include "grpcpp/grpcpp.h"
#include "query/live/live_hub.h"
#include "query/live/live_registry.h"
#include "query/live/subscribe_http.h"
#include "query/live/subscribe_service.h"
#include "server/version.h"
#include "storage/db.h"
#include "telemdb/v1/admin.pb.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::server {

struct Realtime::Rep {
  RealtimeDeps deps;
  std::unique_ptr<query::LiveHub> hub;
  std::unique_ptr<query::LiveRegistry> live;
  std::unique_ptr<query::SubscribeService> subscribe;
  std::unique_ptr<query::SubscribeHttp> subscribe_http;
  alert::AlertBus bus;
  std::unique_ptr<alert::Notifier> notifier;
  std::unique_ptr<alert::AlertEngine> engine;
  std::unique_ptr<alert::AlertService> alert_service;
  std::unique_ptr<alert::AlertHttp> alert_http;
  bool stopped = false;
};

Realtime::Realtime(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Realtime::~Realtime() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Realtime>> Realtime::Start(const RealtimeDeps& deps,
                                                          const RealtimeOptions& o) {
  auto rep = std::make_unique<Rep>();
  rep->deps = deps;
  const uint64_t live_memory = o.live_memory > 0 ? o.live_memory : deps.memory_budget / 16;
  const uint64_t alert_memory = o.alert_memory > 0 ? o.alert_memory : deps.memory_budget / 16;
  query::LiveHubOptions ho;
  ho.max_queue_bytes = live_memory / 4;
  rep->hub = std::make_unique<query::LiveHub>(ho);
  query::LiveOptions lo;
  lo.max_subscriptions = o.max_subscriptions;
  lo.memory_bytes = live_memory - ho.max_queue_bytes;
  lo.heartbeat = o.heartbeat;
  lo.subscription.buffer_bytes = o.subscription_buffer;
  rep->live = std::make_unique<query::LiveRegistry>(deps.db, rep->hub.get(), lo);
  rep->subscribe =
      std::make_unique<query::SubscribeService>(rep->live.get(), deps.auth, deps.calls);
  const size_t max_streams = static_cast<size_t>(std::max(1, deps.http_workers / 2));
  rep->subscribe_http =
      std::make_unique<query::SubscribeHttp>(rep->live.get(), deps.auth, max_streams);
  auth::AuditLog* audit = deps.audit;
  auto record = [audit](const std::string& transport) {
    return [audit, transport](const std::string& who, const std::string& action,
                              const absl::Status& s) {
      if (audit == nullptr) return;
      if (s.ok()) {
        (void)audit->RecordDurable("admin.action", who, "ok",
                                   {{"action", action}, {"transport", transport}});
      } else if (absl::IsPermissionDenied(s)) {
        audit->RecordRepeated("permission.denied", who, std::string(s.message()),
                              {{"action", action}, {"transport", transport}});
      } else {
        audit->Record("admin.action", who, s.ToString(),
                      {{"action", action}, {"transport", transport}});
      }
    };
  };
  rep->subscribe->on_action = record("grpc");
  if (o.alerts) {
    alert::NotifierOptions no;
    no.max_queued = o.notify_queue;
    no.timeout = o.notify_timeout;
    no.backoff_min = o.notify_backoff_min;
    no.backoff_max = o.notify_backoff_max;
    no.user_agent = std::string("telemdb/") + kVersion;
    ASSIGN_OR_RETURN(rep->notifier, alert::Notifier::Open(deps.db, no, audit));
    alert::AlertEngineOptions eo;
    eo.max_queue_bytes = alert_memory / 4;
    eo.max_state_bytes = alert_memory - eo.max_queue_bytes;
    ASSIGN_OR_RETURN(rep->engine,
                     alert::AlertEngine::Open(deps.db, rep->hub.get(), rep->notifier.get(),
                                              &rep->bus, audit, eo));
    rep->alert_service = std::make_unique<alert::AlertService>(
        rep->engine.get(), &rep->bus, rep->live.get(), deps.auth, deps.calls);
    rep->alert_http = std::make_unique<alert::AlertHttp>(rep->engine.get(), &rep->bus,
                                                         rep->live.get(), deps.auth, max_streams);
    rep->alert_http->on_action = record("http");
  }
  // Last: from here on every applied write reaches the hub.
  deps.db->SetApplyObserver(rep->hub.get());
  return std::unique_ptr<Realtime>(new Realtime(std::move(rep)));
}

void Realtime::Register(grpc::ServerBuilder* builder) {
  builder->RegisterService(rep_->subscribe.get());
  if (rep_->alert_service) builder->RegisterService(rep_->alert_service.get());
}

bool Realtime::ServesHttp(const std::string& path) const {
  return path == "/api/v1/subscribe" || alert::AlertHttp::Serves(path);
}

void Realtime::HandleHttp(const http::Request& req, http::ResponseWriter& w) {
  if (req.path == "/api/v1/subscribe") return rep_->subscribe_http->Handle(req, w);
  if (rep_->alert_http) return rep_->alert_http->Handle(req, w);
  http::Headers h;
  h.Add("Content-Type", "application/json");
  w.Send(404, std::move(h), "{\"error\":\"alerts are off on this server (--alerts=off)\"}");
}

alert::AlertEngine* Realtime::engine() const { return rep_->engine.get(); }

void Realtime::AddStats(v1::StatsResponse* resp) const {
  const query::LiveCounters lc = rep_->live->counters();
  const query::LiveHubCounters hc = rep_->hub->counters();
  resp->set_subscriptions(lc.active);
  resp->set_subscriptions_started(lc.started);
  resp->set_subscriptions_refused(lc.refused);
  resp->set_live_memory_bytes(lc.memory_bytes + hc.queue_bytes);
  resp->set_live_dropped_values(hc.dropped_values);
  if (rep_->engine) {
    const alert::EngineCounters ec = rep_->engine->counters();
    resp->set_alert_rules(ec.rules);
    resp->set_alert_instances(ec.instances);
    resp->set_alert_transitions(ec.transitions);
    resp->set_alert_state_bytes(ec.state_bytes);
    resp->set_notifications_queued(rep_->notifier->queued());
  }
}

void Realtime::Shutdown() {
  Rep& r = *rep_;
  if (r.stopped) return;
  r.stopped = true;
  const absl::Status down = absl::UnavailableError("server is shutting down");
  r.live->CloseAll(down);
  r.bus.CloseAll(down);
  r.deps.db->SetApplyObserver(nullptr);
  // No background work touches the database after this; rule calls still in flight keep
  // working on the stopped engine until the server has drained them.
  if (r.engine) r.engine->Stop();
  if (r.notifier) r.notifier->Stop();  // what is queued stays in the database
}

}  // namespace telemdb::server
