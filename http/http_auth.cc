#include "http/http_auth.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "http/http_status.h"
#include "util/absl_compat.h"

namespace telemdb::http {
namespace {

// `value` after `scheme ` (case-insensitive scheme), or nullopt.
std::optional<std::string_view> AfterScheme(std::string_view value, std::string_view scheme) {
  if (value.size() <= scheme.size() + 1) return std::nullopt;
  if (!absl::StartsWithIgnoreCase(Sv(value), Sv(scheme)) || value[scheme.size()] != ' ') {
    return std::nullopt;
  }
  std::string_view rest = value.substr(scheme.size() + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  return rest;
}

}  // namespace

auth::Credentials CredentialsOf(const Request& req) {
  auth::Credentials c;
  c.transport = "http";
  c.peer = req.peer;
  if (auto h = req.headers.Get("Authorization")) {
    if (auto t = AfterScheme(*h, "Bearer")) {
      c.token = std::string(*t);
    } else if (auto t = AfterScheme(*h, "Token")) {
      c.token = std::string(*t);
    } else if (auto b = AfterScheme(*h, "Basic")) {
      std::string decoded;
      size_t colon = std::string::npos;
      if (absl::Base64Unescape(Sv(*b), &decoded)) colon = decoded.find(':');
      if (colon == std::string::npos) {
        c.malformed = "malformed Basic authorization: expected base64 of user:token";
      } else {
        c.token = decoded.substr(colon + 1);
      }
    } else {
      c.malformed = "unsupported Authorization scheme: use Bearer <token>, Token <token> or Basic";
    }
    return c;
  }
  if (auto p = req.Param("p")) {
    c.token = std::string(*p);
    return c;
  }
  c.certificate_name = req.certificate_name;
  return c;
}

absl::StatusOr<auth::Identity> AuthenticateOrAnswer(const auth::Authenticator& a,
                                                    const Request& req, ResponseWriter& w) {
  const auth::Credentials creds = CredentialsOf(req);
  auto who = a.Authenticate(creds);
  if (who.ok()) return who;
  auto send = w.Defer();
  auto answer = std::make_shared<ErrorAnswer>(AnswerFor(who.status()));
  a.Reject(creds.peer, [send, answer] {
    send(answer->code, std::move(answer->headers), std::move(answer->body));
  });
  return who.status();
}

}  // namespace telemdb::http
