// The HTTP adapter of alert rules, notification targets and alerts (docs/http.md#alerts),
// the same operations as the gRPC AdminService rule calls and AlertService, with the same
// rights and audit:
//
//   GET    /api/v1/rules                    admin   {"rules":[...]}
//   POST   /api/v1/rules                    admin   JSON rule -> 201 {"rule":{...}}
//   GET    /api/v1/rules/NAME               admin   {"rule":{...}}
//   DELETE /api/v1/rules/NAME               admin   {"deleted":"NAME"}
//   POST   /api/v1/rules/NAME/pause|resume  admin   {"rule":{...}}
//   GET    /api/v1/notify-targets           admin   {"targets":[...]} (never secrets)
//   POST   /api/v1/notify-targets           admin   {"name","url"[,"secret"]} -> 201
//                                                   {"target":{...},"secret":"..."} (once)
//   DELETE /api/v1/notify-targets/NAME      admin
//   GET    /api/v1/alerts[?state=&rule=]    read    {"alerts":[...]} (rules the token may read)
//   GET    /api/v1/alerts/watch[?state=&rule=&current=true]  read   server-sent events
//
// Rules as JSON: {"name","query","condition"} required; "for", "every", "repeat" as
// durations ("2m") or "for_ns", "every_ns", "repeat_ns" as integers; "clear", "labels"
// (object), "notify" (array of target names), "expect" (array of "k=v" groups).
//
// Thread safety: Handle() is thread-safe.
#ifndef TELEMDB_ALERT_SERVICE_ALERT_HTTP_H_
#define TELEMDB_ALERT_SERVICE_ALERT_HTTP_H_

#include <atomic>
#include <functional>
#include <string>

#include "alert/alert_bus.h"
#include "alert/engine.h"
#include "auth/authenticator.h"
#include "http/message.h"
#include "query/live/live_registry.h"

namespace telemdb::alert {

class AlertHttp {
 public:
  AlertHttp(AlertEngine* engine, AlertBus* bus, query::LiveRegistry* live,
            const auth::Authenticator* auth, size_t max_streams)
      : engine_(engine), bus_(bus), live_(live), auth_(auth), max_streams_(max_streams) {}

  // True for the paths above.
  static bool Serves(const std::string& path);
  void Handle(const http::Request& req, http::ResponseWriter& w);

  // Told about every admin action and denial (identity, action, status), as the gRPC
  // AdminService's on_action. Default: none.
  std::function<void(const std::string&, const std::string&, const absl::Status&)> on_action;

 private:
  void Rules(const http::Request& req, http::ResponseWriter& w, const auth::Identity& who);
  void Targets(const http::Request& req, http::ResponseWriter& w, const auth::Identity& who);
  void Alerts(const http::Request& req, http::ResponseWriter& w, const auth::Identity& who);
  void Watch(const http::Request& req, http::ResponseWriter& w, const auth::Identity& who,
             const auth::Credentials& creds);

  AlertEngine* engine_;
  AlertBus* bus_;
  query::LiveRegistry* live_;
  const auth::Authenticator* auth_;
  const size_t max_streams_;
  std::atomic<size_t> streams_{0};
};

// JSON forms (shared with tests).
std::string RuleJson(const RuleInfo& info);
absl::StatusOr<RuleSpec> RuleSpecFromBody(std::string_view body);

}  // namespace telemdb::alert

#endif  // TELEMDB_ALERT_SERVICE_ALERT_HTTP_H_
