#include "server/tls.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace telemdb::server {
namespace {

absl::Status CheckReadable(const std::string& path, const char* flag) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(flag, ": cannot read ", path));
  }
  std::string first;
  std::getline(in, first);
  if (first.find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", path, " is not a PEM file"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsOptions& o) {
  if (o.cert.empty() != o.key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  std::string auth =
      o.client_auth.empty() ? (o.client_ca.empty() ? "none" : "request") : o.client_auth;
  if (auth != "none" && auth != "request" && auth != "require") {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-client-auth must be request or require, got ", auth));
  }
  if (auth != "none" && o.client_ca.empty()) {
    return absl::InvalidArgumentError("--tls-client-auth needs --tls-client-ca");
  }
  if (!o.client_ca.empty() && !o.enabled()) {
    return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  }
  if (auto s = CheckReadable(o.cert, "--tls-cert"); !s.ok()) return s;
  if (auto s = CheckReadable(o.key, "--tls-key"); !s.ok()) return s;
  if (!o.client_ca.empty()) {
    if (auto s = CheckReadable(o.client_ca, "--tls-client-ca"); !s.ok()) return s;
  }
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      o.key, o.cert, o.client_ca, /*refresh_interval_sec=*/1);
  grpc::experimental::TlsServerCredentialsOptions opts(provider);
  opts.watch_identity_key_cert_pairs();
  if (!o.client_ca.empty()) opts.watch_root_certs();
  if (auth == "request") {
    opts.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  } else if (auth == "require") {
    opts.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    opts.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  auto creds = grpc::experimental::TlsServerCredentials(opts);
  if (creds == nullptr) return absl::InvalidArgumentError("cannot build TLS credentials");
  return creds;
}

}  // namespace telemdb::server
