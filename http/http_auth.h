// The HTTP adapter of the shared authentication (auth/authenticator.h): what a request
// presents, as transport-free Credentials. Accepted, in this order:
//   Authorization: Bearer <token>        (telemdb, Prometheus)
//   Authorization: Token <token>         (InfluxDB 2.x clients)
//   Authorization: Basic base64(user:token)   (Grafana, Telegraf, the influx shell: the
//                                        password is the token; the user name is ignored)
//   ?u=<user>&p=<token> (query or form)  (InfluxDB 1.x clients)
//   a verified TLS client certificate    (mutual TLS)
// Any other Authorization scheme, or a Basic value that does not decode, is a malformed
// credential (401, never a challenge).
//
// Thread safety: pure functions.
#ifndef TELEMDB_HTTP_HTTP_AUTH_H_
#define TELEMDB_HTTP_HTTP_AUTH_H_

#include "auth/authenticator.h"
#include "http/message.h"

namespace telemdb::http {

auth::Credentials CredentialsOf(const Request& req);

// Authenticates `req`. On failure answers it with 401 {"error":"authorization failed"} —
// held back without holding the worker when the peer keeps failing (the Authenticator's
// throttle) — and returns the error; the caller just returns.
absl::StatusOr<auth::Identity> AuthenticateOrAnswer(const auth::Authenticator& a,
                                                    const Request& req, ResponseWriter& w);

}  // namespace telemdb::http

#endif  // TELEMDB_HTTP_HTTP_AUTH_H_
