#include "server/http_routes.h"

#include "absl/strings/str_cat.h"
#include "http/http_auth.h"
#include "http/http_status.h"
#include "nlohmann/json.hpp"
#include "server/console_http.h"
#include "server/version.h"
#include "util/log.h"

namespace telemdb::server {
namespace {

// Adds the common headers to whatever the handler answers, and logs the outcome.
class CommonHeaders : public http::ResponseWriter {
 public:
  CommonHeaders(const http::Request& req, http::ResponseWriter* inner) : req_(req), inner_(inner) {}
  ~CommonHeaders() override {
    if (status_ != 0) {
      Log(status_ >= 500 ? LogLevel::kWarning : LogLevel::kDebug, "http.request",
          {{"method", req_.method},
           {"target", req_.RedactedTarget()},
           {"status", status_},
           {"peer", req_.peer}});
    }
  }
  void Send(int status, http::Headers headers, std::string body) override {
    status_ = status;
    inner_->Send(status, Add(std::move(headers)), std::move(body));
  }
  bool Start(int status, http::Headers headers) override {
    status_ = status;
    return inner_->Start(status, Add(std::move(headers)));
  }
  bool Write(std::string_view chunk) override { return inner_->Write(chunk); }
  void Finish() override { inner_->Finish(); }
  Deferred Defer() override {
    Deferred d = inner_->Defer();
    return [d](int status, http::Headers headers, std::string body) {
      d(status, Add(std::move(headers)), std::move(body));
    };
  }

 private:
  static http::Headers Add(http::Headers h) {
    h.Add("X-Influxdb-Version", kInfluxCompatVersion);
    h.Add("X-Telemdb-Version", kVersion);
    if (!h.Get("X-Content-Type-Options")) h.Add("X-Content-Type-Options", "nosniff");
    // API answers are data, never a page: nothing in them may run or be framed.
    if (!h.Get("Content-Security-Policy")) {
      h.Add("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    }
    return h;
  }
  const http::Request& req_;
  http::ResponseWriter* inner_;
  int status_ = 0;
};

void Json(http::ResponseWriter& w, int status, const nlohmann::json& j) {
  w.Send(status, http::JsonHeaders(), j.dump());
}

}  // namespace

namespace {

// With --auth none there are no credentials a foreign page would lack, so a page on another
// origin open in a local browser could POST to /write or /query (a "simple" cross-site request
// needs no preflight). Browsers always send Origin with such requests: refuse any that is not
// this server's own address. Non-browser clients send no Origin and are unaffected.
bool ForeignOriginWithoutAuth(const auth::Authenticator* auth, const http::Request& req) {
  if (auth == nullptr || !auth->disabled()) return false;
  if (req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS") return false;
  const auto origin = req.headers.Get("origin");
  if (!origin) return false;
  const auto host = req.headers.Get("host");
  std::string_view o = *origin;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (o.substr(0, scheme.size()) == scheme) {
      o.remove_prefix(scheme.size());
      return !host || o != *host;
    }
  }
  return true;  // "null" (a sandboxed or file:// page) or anything else
}

}  // namespace

void HttpRoutes::Handle(const http::Request& req, http::ResponseWriter& raw) const {
  CommonHeaders w(req, &raw);
  const std::string& p = req.path;
  if (ForeignOriginWithoutAuth(auth, req)) {
    return http::SendError(
        w, absl::PermissionDeniedError(
               "cross-origin request refused: with --auth none only pages served by this "
               "server may send writes and queries (docs/security.md)"));
  }
  if (p == "/write" || p == "/api/v2/write") return line_protocol(req, w);
  if (p == "/api/v1/write") return remote_write(req, w);
  if (p == "/query") return query(req, w);
  if (realtime && realtime(req, w)) return;
  if (admin && admin(req, w)) return;
  if (console && ServeConsole(req, w)) return;
  if (p == "/ping") {
    if (req.Param("verbose") == "true") return Json(w, 200, {{"version", kInfluxCompatVersion}});
    return w.Send(204, http::Headers(), "");
  }
  if (p == "/health") {
    absl::Status s = health();
    return Json(w, s.ok() ? 200 : 503,
                {{"name", "telemdb"},
                 {"status", s.ok() ? "pass" : "fail"},
                 {"message", s.ok() ? "ready for queries and writes" : std::string(s.message())},
                 {"version", kVersion},
                 {"influxdb_compat_version", kInfluxCompatVersion}});
  }
  if (p == "/ready") {
    absl::Status s = health();
    return Json(w, s.ok() ? 200 : 503, {{"status", s.ok() ? "ready" : "not ready"}});
  }
  if (p == "/metrics") {
    if (!metrics_public) {
      auto who = http::AuthenticateOrAnswer(*auth, req, w);
      if (!who.ok()) return;
      if (!who->CanReadSomething()) {
        return http::SendError(
            w, absl::PermissionDeniedError("/metrics needs a read right (or --metrics-public)"));
      }
    }
    http::Headers h;
    h.Add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return w.Send(200, std::move(h), RenderMetrics(metrics));
  }
  http::SendError(w, absl::NotFoundError(absl::StrCat("no such endpoint: ", p.substr(0, 128))));
}

}  // namespace telemdb::server
