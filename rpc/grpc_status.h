// The one place absl::Status becomes grpc::Status (and a telemdb.v1.Status for stream
// responses). Structured details travel along: where in a batch an error is
// (BatchErrorDetail) and when to retry (RetryInfo, plus `retry-after-ms` trailing metadata).
//
// Thread safety: pure functions.
#ifndef TELEMDB_RPC_GRPC_STATUS_H_
#define TELEMDB_RPC_GRPC_STATUS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"

namespace telemdb::v1 {
class Status;
}

namespace telemdb::rpc {

// The retry hint of an over-budget error, parsed from "retry after <n>ms"; 0 if none.
int64_t RetryAfterMs(const absl::Status& s);

void ToProtoStatus(const absl::Status& s, v1::Status* out);
grpc::Status ToGrpcStatus(const absl::Status& s);
// Also adds `retry-after-ms` trailing metadata for RESOURCE_EXHAUSTED.
grpc::Status ToGrpcStatus(const absl::Status& s, grpc::ServerContextBase* ctx);

// "peer ipv4:127.0.0.1:5000", for logs and the audit trail of calls without an identity.
std::string PeerOf(const grpc::ServerContextBase& ctx);

}  // namespace telemdb::rpc

#endif  // TELEMDB_RPC_GRPC_STATUS_H_
