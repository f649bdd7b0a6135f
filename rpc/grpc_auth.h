// The gRPC adapter of the shared authentication (auth/authenticator.h): what a call
// presents (the `authorization: Bearer <token>` metadata, a verified TLS client
// certificate, the peer address), as transport-free Credentials.
//
// Thread safety: pure functions.
#ifndef TELEMDB_RPC_GRPC_AUTH_H_
#define TELEMDB_RPC_GRPC_AUTH_H_

#include <string>

#include "auth/authenticator.h"
#include "grpcpp/server_context.h"

namespace telemdb::rpc {

auth::Credentials CredentialsOf(const grpc::ServerContextBase& ctx);

// Authenticate(CredentialsOf(ctx)).
absl::StatusOr<auth::Identity> Authenticate(const auth::Authenticator& a,
                                            const grpc::ServerContextBase& ctx);

// The address part of grpc's peer string ("ipv4:127.0.0.1:5000" -> "ipv4:127.0.0.1").
std::string PeerAddress(const std::string& peer);

}  // namespace telemdb::rpc

#endif  // TELEMDB_RPC_GRPC_AUTH_H_
