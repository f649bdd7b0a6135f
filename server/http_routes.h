// HttpRoutes: the HTTP listener's dispatch table (docs/http.md). The front doors' handlers
// live with their front doors (ingest/http/, query/http/); this file only wires paths to
// them and owns the server's own endpoints: /ping, /health, /ready, /metrics, and the web
// console's files (GET /, /console/*: server/console_http.h). Every answer carries
// X-Influxdb-Version (clients check it), X-Telemdb-Version, nosniff and, unless the handler
// set its own, `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`; none
// carries a CORS header or a WWW-Authenticate challenge. Requests are logged at debug level with
// secrets redacted from their targets.
//
// Thread safety: Handle() is thread-safe.
#ifndef TELEMDB_SERVER_HTTP_ROUTES_H_
#define TELEMDB_SERVER_HTTP_ROUTES_H_

#include <functional>

#include "auth/authenticator.h"
#include "http/message.h"
#include "server/metrics.h"

namespace telemdb::server {

struct HttpRoutes {
  // POST /write and /api/v2/write; POST /api/v1/write; GET|POST /query. REQUIRED.
  http::Handler line_protocol;
  http::Handler remote_write;
  http::Handler query;
  const auth::Authenticator* auth = nullptr;
  // /metrics without a token (--metrics-public); otherwise it needs a read right.
  bool metrics_public = false;
  MetricsSources metrics;
  // OK while the database accepts writes.
  std::function<absl::Status()> health;
  // Live subscriptions, rules and alerts (server/realtime.h): answers and returns true for
  // the paths it serves. Default: none.
  std::function<bool(const http::Request&, http::ResponseWriter&)> realtime;
  // /api/v1/whoami and /api/v1/admin/* (server/admin_http.h): answers and returns true for
  // the paths it serves. Default: none.
  std::function<bool(const http::Request&, http::ResponseWriter&)> admin;
  // Serve the web console at GET /. Default: on (--http-console).
  bool console = true;

  void Handle(const http::Request& req, http::ResponseWriter& w) const;
};

// The InfluxDB version telemdb's /ping and every answer report (X-Influxdb-Version): the
// 1.x API it implements.
inline constexpr char kInfluxCompatVersion[] = "1.8.10";

}  // namespace telemdb::server

#endif  // TELEMDB_SERVER_HTTP_ROUTES_H_
