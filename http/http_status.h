// The one place an absl::Status becomes an HTTP answer (status code, JSON error body,
// Retry-After), for every HTTP handler. InfluxDB 1.x clients expect `{"error":"..."}`
// bodies; retryable conditions are 5xx (503 with Retry-After), never 429, because Telegraf
// drops every 4xx and Prometheus retries 429 only with an experimental option.
//
//   InvalidArgument, OutOfRange, FailedPrecondition  400
//   Unauthenticated                                 401 {"error":"authorization failed"}
//   PermissionDenied                                403
//   NotFound                                        404
//   ResourceExhausted, Unavailable                  503 + Retry-After (seconds)
//   DeadlineExceeded                                504
//   Cancelled                                       499 (the client went away; nobody reads it)
//   anything else                                   500
//
// Thread safety: pure functions.
#ifndef TELEMDB_HTTP_HTTP_STATUS_H_
#define TELEMDB_HTTP_HTTP_STATUS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "http/message.h"

namespace telemdb::http {

int HttpCode(const absl::Status& s);
// {"error":"<message>"}, the message escaped (and client text in it already capped).
std::string ErrorJson(std::string_view message);
// The answer to `s` (not OK): the code, JSON headers (Retry-After for 503) and body.
struct ErrorAnswer {
  int code = 500;
  Headers headers;
  std::string body;
};
ErrorAnswer AnswerFor(const absl::Status& s);
// Answers `s` (not OK) through `w` with the code, a JSON body and, for 503, Retry-After.
// Unauthenticated gets the fixed body {"error":"authorization failed"} and no
// WWW-Authenticate challenge (a browser would cache Basic credentials and send them
// cross-site).
void SendError(ResponseWriter& w, const absl::Status& s);
// Headers every answer carries: JSON content type, nosniff, version.
Headers JsonHeaders();

}  // namespace telemdb::http

#endif  // TELEMDB_HTTP_HTTP_STATUS_H_
