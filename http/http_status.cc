#include "http/http_status.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "util/absl_compat.h"

namespace telemdb::http {

int HttpCode(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kCancelled:
      return 499;
    default:
      return 500;
  }
}

std::string ErrorJson(std::string_view message) {
  nlohmann::json j = {{"error", std::string(message)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Headers JsonHeaders() {
  Headers h;
  h.Add("Content-Type", "application/json");
  h.Add("X-Content-Type-Options", "nosniff");
  return h;
}

ErrorAnswer AnswerFor(const absl::Status& s) {
  ErrorAnswer a;
  a.headers = JsonHeaders();
  a.code = HttpCode(s);
  if (a.code == 503) {
    // The storage layer's hint is "retry after <n>ms"; HTTP says whole seconds.
    int64_t ms = 1000;
    std::string msg(s.message());
    size_t at = msg.find("retry after ");
    if (at != std::string::npos) ms = std::max<int64_t>(1, std::atoll(msg.c_str() + at + 12));
    a.headers.Add("Retry-After", std::to_string(std::max<int64_t>(1, (ms + 999) / 1000)));
  }
  a.body = a.code == 401 ? ErrorJson("authorization failed") : ErrorJson(StdSv(s.message()));
  return a;
}

void SendError(ResponseWriter& w, const absl::Status& s) {
  ErrorAnswer a = AnswerFor(s);
  w.Send(a.code, std::move(a.headers), std::move(a.body));
}

}  // namespace telemdb::http
