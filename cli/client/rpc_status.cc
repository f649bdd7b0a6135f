#include "cli/client/rpc_status.h"

namespace telemdb::client {

absl::Status FromStatusFields(int code, const std::string& message) {
  if (code == 0) return absl::OkStatus();
  if (code < 0 || code > 16) code = static_cast<int>(absl::StatusCode::kUnknown);
  std::string m = message.empty() ? "error without a message from the server" : message;
  return absl::Status(static_cast<absl::StatusCode>(code), m);
}

absl::Status FromGrpcStatus(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return FromStatusFields(static_cast<int>(s.error_code()), s.error_message());
}

}  // namespace telemdb::client
