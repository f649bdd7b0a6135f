// TLS for telemdbd's listener: server certificate and key, optional client certificates
// (mTLS) verified against a CA. gRPC allows TLS 1.2 and 1.3 only. The files are watched and
// re-read when they change (checked every second, and on SIGHUP), so certificates rotate
// without a restart.
//
// Thread safety: pure functions.
#ifndef TELEMDB_SERVER_TLS_H_
#define TELEMDB_SERVER_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace telemdb::server {

struct TlsOptions {
  std::string cert;       // --tls-cert: PEM certificate chain
  std::string key;        // --tls-key: PEM private key
  std::string client_ca;  // --tls-client-ca: PEM CA bundle for client certificates
  // --tls-client-auth: "none" (no client certificate asked), "request" (verified when sent),
  // "require" (a verified certificate is mandatory). Default: "none", or "request" when a
  // client CA is given.
  std::string client_auth;
  bool enabled() const { return !cert.empty() || !key.empty(); }
};

// Errors: InvalidArgument for inconsistent flags (a cert without a key, client auth without
// a CA); NotFound/PermissionDenied naming an unreadable file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsOptions& options);

}  // namespace telemdb::server

#endif  // TELEMDB_SERVER_TLS_H_
