// Webhooks: the URL of a notification target, the signature of a delivery and one HTTP POST.
//
// The client is Boost.Beast, already telemdb's HTTP stack (http/server.h): no new library,
// asynchronous operations under one deadline for the whole exchange (resolve, connect, TLS
// handshake, write, read), TLS through Asio's OpenSSL binding with the system's CA store,
// SNI and host-name verification. Redirects are not followed: a 3xx is a failed delivery,
// like any answer outside 2xx.
//
// Signature (docs/alerts.md): X-Telemdb-Timestamp: <unix seconds>, and
// X-Telemdb-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>; a receiver
// recomputes it with the target's secret and may refuse old timestamps (replays).
//
// Thread safety: pure functions; PostWebhook runs its own I/O context per call.
#ifndef TELEMDB_ALERT_WEBHOOK_H_
#define TELEMDB_ALERT_WEBHOOK_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace telemdb::alert {

struct WebhookUrl {
  bool tls = false;
  std::string host;  // a name or an IP address (IPv6 without brackets)
  uint16_t port = 0;
  std::string target;  // path and query, at least "/"
  std::string text;    // as given
};

// Accepts http:// and https:// URLs with a host, an optional port and path/query. Errors:
// InvalidArgument naming what is wrong (scheme, user info, fragment, bad port, control
// characters or spaces, longer than 2048 bytes, no host).
absl::StatusOr<WebhookUrl> ParseWebhookUrl(std::string_view url);

// "sha256=" + lower-case hex of HMAC-SHA256(secret, "<unix_seconds>.<body>").
std::string WebhookSignature(std::string_view secret, int64_t unix_seconds, std::string_view body);

struct WebhookResponse {
  int status = 0;
  std::string body;  // the first 1 KiB
};

// POSTs `body` (application/json) with `headers`. Returns the receiver's status code (any),
// or Unavailable naming the stage that failed (resolve, connect, TLS, send, read) or
// DeadlineExceeded after `timeout`.
absl::StatusOr<WebhookResponse> PostWebhook(
    const WebhookUrl& url, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers, absl::Duration timeout);

}  // namespace telemdb::alert

#endif  // TELEMDB_ALERT_WEBHOOK_H_
