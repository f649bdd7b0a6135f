#include "rpc/grpc_auth.h"

#include <optional>

#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"

namespace telemdb::rpc {
namespace {

// The identity of a verified client certificate, if the call has one.
std::optional<std::string> CertificateName(const grpc::ServerContextBase& ctx) {
  auto auth = ctx.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return std::nullopt;
  for (const auto& v : auth->FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME)) {
    if (!v.empty()) return std::string(v.data(), v.size());
  }
  for (const auto& v : auth->FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME)) {
    if (!v.empty()) return std::string(v.data(), v.size());
  }
  return std::nullopt;
}

}  // namespace

std::string PeerAddress(const std::string& peer) {
  size_t colon = peer.rfind(':');
  return colon == std::string::npos ? peer : peer.substr(0, colon);
}

auth::Credentials CredentialsOf(const grpc::ServerContextBase& ctx) {
  auth::Credentials c;
  c.transport = "grpc";
  c.peer = PeerAddress(ctx.peer());
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  if (it != md.end()) {
    std::string_view value(it->second.data(), it->second.size());
    constexpr std::string_view kBearer = "Bearer ";
    if (value.size() <= kBearer.size() || value.substr(0, kBearer.size()) != kBearer) {
      c.malformed = "malformed authorization metadata: expected `Bearer <token>`";
    } else {
      c.token = std::string(value.substr(kBearer.size()));
    }
    return c;
  }
  c.certificate_name = CertificateName(ctx);
  return c;
}

absl::StatusOr<auth::Identity> Authenticate(const auth::Authenticator& a,
                                            const grpc::ServerContextBase& ctx) {
  return a.Authenticate(CredentialsOf(ctx));
}

}  // namespace telemdb::rpc
