// IdentityMap: the scopes of certificate identities, from a file of lines
// `<name> <scope> [<scope>...]` (`#` starts a comment; --tls-identity-map).
//
// Thread safety: thread-safe; Load() replaces the map.
#ifndef TELEMDB_AUTH_IDENTITY_MAP_H_
#define TELEMDB_AUTH_IDENTITY_MAP_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "auth/scopes.h"

namespace telemdb::auth {

class IdentityMap {
 public:
  // Errors: NotFound for an unreadable file; InvalidArgument naming the line of a bad scope.
  absl::Status Load(const std::string& path);
  // Scopes for `name`; nullopt when the map has no entry.
  std::optional<std::vector<Scope>> Lookup(const std::string& name) const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::vector<Scope>> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace telemdb::auth

#endif  // TELEMDB_AUTH_IDENTITY_MAP_H_
