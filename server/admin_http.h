// AdminHttp: the HTTP adapter of the token's own identity and of the AdminService operations
// the web console needs (docs/http.md#console-and-admin-api). The operations are the gRPC
// ones (AdminService::Do*), with the same admin check (AdminService::CheckAdmin) and the same
// audit (on_action, recorded with "transport":"http"):
//
//   GET    /api/v1/whoami                      any identity  {"name","kind","scopes",...}
//   GET    /api/v1/admin/stats                 admin  StatsResponse as JSON
//   GET    /api/v1/admin/tokens                admin  {"tokens":[TokenInfo...]}
//   POST   /api/v1/admin/tokens                admin  {"scopes":[...],"description",
//                                                     "expires_in"|"expires_in_ns"} -> 201
//                                                     {"info":TokenInfo,"token":"..."} (once)
//   POST   /api/v1/admin/tokens/ID/rotate      admin  {"overlap"|"overlap_ns"} (optional)
//                                                     -> {"info","token"}
//   DELETE /api/v1/admin/tokens/ID             admin  {"revoked":"ID"} (also POST .../revoke)
//   GET    /api/v1/admin/audit/verify          admin  VerifyAuditResponse as JSON
//
// Messages become JSON with their proto field names and every field present; 64-bit
// integers are JSON numbers. Request bodies are at most 64 KiB (413) and unknown keys are
// refused (400 naming them).
//
// Thread safety: Handle() is thread-safe (AdminService is).
#ifndef TELEMDB_SERVER_ADMIN_HTTP_H_
#define TELEMDB_SERVER_ADMIN_HTTP_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "auth/authenticator.h"
#include "http/message.h"

namespace telemdb::server {

class AdminService;

class AdminHttp {
 public:
  // Neither is owned; both outlive this.
  AdminHttp(AdminService* admin, const auth::Authenticator* auth) : admin_(admin), auth_(auth) {}

  // True for the paths Handle() answers.
  static bool Serves(const std::string& path);
  void Handle(const http::Request& req, http::ResponseWriter& w) const;

  // Told about every admin action and every denial of an authenticated caller, as the gRPC
  // AdminService's on_action. Default: none.
  std::function<void(const std::string& who, const std::string& action, const absl::Status&)>
      on_action;

  // Largest request body the admin calls take.
  static constexpr size_t kMaxBody = 64 << 10;

 private:
  void Tokens(const http::Request& req, http::ResponseWriter& w, const auth::Identity& who) const;
  // Checks the admin right for `action`, reporting a denial; false when denied (answered).
  bool Admitted(const auth::Identity& who, const std::string& action,
                http::ResponseWriter& w) const;
  void Report(const auth::Identity& who, const std::string& action, const absl::Status& s) const;

  AdminService* admin_;
  const auth::Authenticator* auth_;
};

}  // namespace telemdb::server

#endif  // TELEMDB_SERVER_ADMIN_HTTP_H_
