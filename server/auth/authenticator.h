// Authenticator: who is calling, from a gRPC call: a bearer token (`authorization: Bearer
// <token>` metadata) or, without one, a verified TLS client certificate, whose subject CN
// (or first URI SAN) names the device. A certificate identity gets `write:device=<name>`
// unless the identity map (--tls-identity-map) grants other scopes. With authentication
// disabled (--auth=none, loopback only) every caller is a superuser.
//
// Failed authentication is slowed per peer address: after a burst of failures from one
// address, answers to its further failures are held back (growing to 10 s), so guessing
// stays slow. A valid credential is checked first and never waits, whoever else failed.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_SERVER_AUTH_AUTHENTICATOR_H_
#define TELEMDB_SERVER_AUTH_AUTHENTICATOR_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "server/auth/scopes.h"
#include "server/auth/token_store.h"

namespace telemdb::auth {

// Scopes of certificate identities, from a file of lines `<name> <scope> [<scope>...]`
// (`#` starts a comment). Thread safety: thread-safe; Load() replaces the map.
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

struct AuthenticatorOptions {
  bool disabled = false;  // --auth=none
  const IdentityMap* identity_map = nullptr;
  // Failures per address answered at once before answers are held back. Default: 10.
  int failure_burst = 10;
  // Failures per second an address may make without being held back. Default: 1.
  double failure_rate = 1.0;
  // Longest hold. Default: 10 s.
  absl::Duration max_delay = absl::Seconds(10);
};

class Authenticator {
 public:
  // `tokens` may be null only when disabled.
  Authenticator(TokenStore* tokens, AuthenticatorOptions options);
  ~Authenticator();

  // Errors: Unauthenticated (no credential, malformed header, bad/expired/revoked token, an
  // unverified certificate).
  absl::StatusOr<Identity> Authenticate(const grpc::ServerContextBase& ctx) const;

  // Answers a failed authentication: runs `finish` now, or later when the peer has failed
  // too often (`finish` must stay valid until then).
  void Reject(const grpc::ServerContextBase& ctx, std::function<void()> finish) const;

  bool disabled() const { return options_.disabled; }

 private:
  struct Peer {
    double tokens;
    absl::Time updated;
    int excess = 0;
  };
  absl::Duration RecordFailure(const std::string& peer) const;
  void DelayLoop();

  TokenStore* tokens_;
  AuthenticatorOptions options_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, Peer> peers_ ABSL_GUARDED_BY(mu_);
  mutable std::multimap<absl::Time, std::function<void()>> delayed_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread delay_thread_;
};

// The address part of grpc's peer string ("ipv4:127.0.0.1:5000" -> "ipv4:127.0.0.1").
std::string PeerAddress(const std::string& peer);

}  // namespace telemdb::auth

#endif  // TELEMDB_SERVER_AUTH_AUTHENTICATOR_H_
