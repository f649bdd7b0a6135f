// The one place where the client library turns gRPC statuses into absl::Status.
//
// The code is kept (UNAUTHENTICATED stays kUnauthenticated, and so on) and the message is the
// server's, which names what is wrong (e.g. "line 1, column 23: expected FROM ..."). A failure
// to reach the server (UNAVAILABLE before any response) keeps kUnavailable.
//
// Thread safety: pure functions.
#ifndef TELEMDB_CLI_CLIENT_RPC_STATUS_H_
#define TELEMDB_CLI_CLIENT_RPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace telemdb::client {

absl::Status FromGrpcStatus(const grpc::Status& s);

// A status carried inside a response (telemdb.v1.Status fields: code and message).
absl::Status FromStatusFields(int code, const std::string& message);

}  // namespace telemdb::client

#endif  // TELEMDB_CLI_CLIENT_RPC_STATUS_H_
