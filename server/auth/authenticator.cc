#include "server/auth/authenticator.h"

#include <string>

namespace telemdb::auth {

absl::StatusOr<Identity> Authenticator::Authenticate(const grpc::ServerContextBase& ctx) const {
  if (disabled_) return Identity::Superuser("anonymous");
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    return absl::UnauthenticatedError(
        "no credential: send `authorization: Bearer <token>` metadata");
  }
  std::string value(it->second.data(), it->second.size());
  constexpr char kBearer[] = "Bearer ";
  if (value.size() <= sizeof(kBearer) - 1 || value.compare(0, sizeof(kBearer) - 1, kBearer) != 0) {
    return absl::UnauthenticatedError(
        "malformed authorization metadata: expected `Bearer <token>`");
  }
  return tokens_->Authenticate(std::string_view(value).substr(sizeof(kBearer) - 1));
}

}  // namespace telemdb::auth
