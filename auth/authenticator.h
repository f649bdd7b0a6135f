// Authenticator: who is calling, from the credentials a front door extracted from its
// transport (rpc/grpc_auth.h for gRPC metadata and TLS peers, the HTTP adapter for headers,
// the MQTT bridge for its configured token). No transport types appear here: every front
// door calls the same Authenticate, and the identities' scopes are checked by the same
// Identity::CheckWrite / CanRead.
//
// A credential is a bearer token or, without one, a verified TLS client certificate, whose
// subject CN (or first URI SAN) names the device. A certificate identity gets
// `write:device=<name>` (the name escaped, so a CN like `*` or `truck_[0-9]*` matches only
// itself) unless the identity map (--tls-identity-map) grants other scopes. With
// authentication disabled (--auth=none, loopback only) every caller is a superuser.
//
// Failed authentication is audited (aggregated per address: auth/audit_log.h) and slowed per
// address (auth/failure_throttle.h): after a burst of failures, answers to an address's
// further failures are held back (growing to 10 s), so guessing stays slow. A valid
// credential is checked first and never waits, whoever else failed.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_AUTH_AUTHENTICATOR_H_
#define TELEMDB_AUTH_AUTHENTICATOR_H_

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/failure_throttle.h"
#include "auth/identity_map.h"
#include "auth/scopes.h"
#include "auth/token_store.h"

namespace telemdb::auth {

class AuditLog;

// What a front door found in its transport.
struct Credentials {
  // "grpc", "http", "mqtt": named in audit records and statistics.
  std::string transport;
  // The client's address without its port ("ipv4:127.0.0.1", "127.0.0.1"): the unit of
  // failure throttling.
  std::string peer;
  // The token presented (after its scheme, e.g. "Bearer "), if any.
  std::optional<std::string> token;
  // Non-empty when a credential was presented but is unusable (a malformed header): why.
  std::string malformed;
  // The name in a verified TLS client certificate (CN, else the first URI SAN), if any.
  std::optional<std::string> certificate_name;
};

struct AuthenticatorOptions {
  bool disabled = false;  // --auth=none
  const IdentityMap* identity_map = nullptr;
  FailureThrottleOptions throttle;
  // The cluster's node credential (cluster::LoadNodeToken, docs/cluster.md "Node
  // credential"): a bearer token equal to it is the identity `cluster-node` with the admin
  // scope. Default: empty (none).
  std::string node_token;
};

class Authenticator {
 public:
  // `tokens` may be null only when disabled; `audit` may be null (no audit log).
  Authenticator(TokenStore* tokens, AuthenticatorOptions options, AuditLog* audit = nullptr);
  ~Authenticator();

  // Errors: Unauthenticated (no credential, malformed header, bad/expired/revoked token, an
  // unverified certificate). Failures are audited as `auth.failure`.
  absl::StatusOr<Identity> Authenticate(const Credentials& credentials) const;

  // Answers a failed authentication from `peer`: runs `finish` now, or later when the peer
  // has failed too often (`finish` must stay valid until then).
  void Reject(std::string_view peer, std::function<void()> finish) const;

  bool disabled() const { return options_.disabled; }
  AuditLog* audit() const { return audit_; }
  // Failed authentications since start, by transport ("grpc", "http", "mqtt", other).
  uint64_t failures(std::string_view transport) const;

 private:
  void DelayLoop();

  TokenStore* tokens_;
  AuthenticatorOptions options_;
  AuditLog* audit_;
  mutable FailureThrottle throttle_;
  const std::array<unsigned char, 32> node_token_sha256_;
  mutable std::atomic<uint64_t> failures_[4] = {};
  mutable absl::Mutex mu_;
  mutable std::multimap<absl::Time, std::function<void()>> delayed_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread delay_thread_;
};

}  // namespace telemdb::auth

#endif  // TELEMDB_AUTH_AUTHENTICATOR_H_
