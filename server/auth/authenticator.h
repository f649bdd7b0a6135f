// Authenticator: who is calling, from a gRPC call's metadata (`authorization: Bearer <token>`).
// With authentication disabled (--auth=none, loopback only) every caller is a superuser.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_SERVER_AUTH_AUTHENTICATOR_H_
#define TELEMDB_SERVER_AUTH_AUTHENTICATOR_H_

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"
#include "server/auth/scopes.h"
#include "server/auth/token_store.h"

namespace telemdb::auth {

class Authenticator {
 public:
  // `tokens` may be null only when `disabled`.
  Authenticator(TokenStore* tokens, bool disabled) : tokens_(tokens), disabled_(disabled) {}

  // Errors: Unauthenticated (no credential, malformed header, bad/expired/revoked token).
  absl::StatusOr<Identity> Authenticate(const grpc::ServerContextBase& ctx) const;

  bool disabled() const { return disabled_; }

 private:
  TokenStore* tokens_;
  bool disabled_;
};

}  // namespace telemdb::auth

#endif  // TELEMDB_SERVER_AUTH_AUTHENTICATOR_H_
