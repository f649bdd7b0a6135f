// One unary AdminService call with the token and a deadline, for the admin commands.
#ifndef TELEMDB_CLI_COMMANDS_ADMIN_CALL_H_
#define TELEMDB_CLI_COMMANDS_ADMIN_CALL_H_

#include <chrono>

#include "absl/status/statusor.h"
#include "cli/client/connection.h"
#include "cli/client/rpc_status.h"
#include "telemdb/v1/admin.grpc.pb.h"

namespace telemdb::cli {

template <typename Req, typename Resp>
absl::StatusOr<Resp> AdminCall(const client::Connection& conn, const Req& req,
                               grpc::Status (v1::AdminService::Stub::*method)(grpc::ClientContext*,
                                                                              const Req&, Resp*),
                               double timeout_s) {
  auto stub = v1::AdminService::NewStub(conn.channel());
  grpc::ClientContext ctx;
  conn.Prepare(&ctx);
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000)));
  Resp resp;
  absl::Status s = client::FromGrpcStatus(((*stub).*method)(&ctx, req, &resp));
  if (!s.ok()) return s;
  return resp;
}

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_COMMANDS_ADMIN_CALL_H_
