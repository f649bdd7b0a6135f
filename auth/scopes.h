// Rights of an identity (a token or a client certificate), and the checks that enforce them.
//
// Scope syntax (docs/security.md):
//   admin                    operator actions (AdminService, DELETE, token management)
//   read                     every query
//   read:<measurement glob>  queries of matching measurements
//   write:*                  writes of any series
//   write:<tag>=<glob>       writes of series whose tag <tag> matches <glob> (fnmatch(3))
//
// Thread safety: values; const methods are thread-safe.
#ifndef TELEMDB_AUTH_SCOPES_H_
#define TELEMDB_AUTH_SCOPES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/types.h"

namespace telemdb::auth {

struct Scope {
  enum class Kind { kAdmin, kRead, kWrite };
  Kind kind = Kind::kRead;
  std::string tag;   // kWrite with a pattern: the tag key; empty: any series
  std::string glob;  // kWrite: pattern of the tag's value; kRead: of the measurement ("" = all)

  std::string ToString() const;
  bool operator==(const Scope&) const = default;
};

// Errors: InvalidArgument naming the scope and what is wrong.
absl::StatusOr<Scope> ParseScope(std::string_view text);
absl::StatusOr<std::vector<Scope>> ParseScopes(const std::vector<std::string>& texts);

// `value` with fnmatch(3)'s special characters (`*`, `?`, `[`, `]`, `\\`) escaped, so that
// as a glob it matches exactly `value` (certificate names, scope suggestions).
std::string EscapeGlob(std::string_view value);

// Who is calling, and what they may do.
struct Identity {
  enum class Kind { kToken, kCertificate, kAnonymous };
  // Token id, "cert:<certificate name>", or "anonymous" (--auth=none). It keys everything
  // kept per identity: idempotency windows, write statistics, the audit trail.
  std::string name;
  Kind kind = Kind::kToken;
  std::vector<Scope> scopes;

  bool IsAdmin() const;
  // Any read right at all.
  bool CanReadSomething() const;
  bool CanRead(std::string_view measurement) const;
  bool CanWriteSomething() const;
  // PermissionDenied naming the first series of `groups` outside the write scopes.
  absl::Status CheckWrite(const std::vector<storage::SeriesBatch>& groups) const;

  // Every right (the first-start token, --auth=none).
  static Identity Superuser(std::string name);
};

}  // namespace telemdb::auth

#endif  // TELEMDB_AUTH_SCOPES_H_
