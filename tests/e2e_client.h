// Small gRPC client helpers for the end-to-end suites: a channel to a ServerProcess, one
// write, token creation, counting a device's points. Each call has a deadline.
#ifndef TELEMDB_TESTS_E2E_CLIENT_H_
#define TELEMDB_TESTS_E2E_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "telemdb/v1/admin.grpc.pb.h"
#include "telemdb/v1/ingest.grpc.pb.h"
#include "telemdb/v1/query.grpc.pb.h"

namespace telemdb::tests {

inline constexpr int64_t kE2eT0 = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z

// A plaintext channel of its own (no shared subchannel) to `addr`.
std::shared_ptr<grpc::Channel> PlainChannel(const std::string& addr);

// One point {device=<device>} v=<value> at `t` in measurement `m`.
v1::WriteRequest OnePoint(const std::string& m, const std::string& device, int64_t t,
                          double value = 1.5);

grpc::Status WriteAs(const std::shared_ptr<grpc::Channel>& ch, const std::string& token,
                     const v1::WriteRequest& req, v1::WriteResponse* resp = nullptr);

absl::StatusOr<v1::CreateTokenResponse> CreateTokenAs(const std::shared_ptr<grpc::Channel>& ch,
                                                      const std::string& admin_token,
                                                      const std::vector<std::string>& scopes,
                                                      int64_t expires_in_ns = 0);

// count(v) of measurement `m` where device = `device`, as `token`; -1 on an error.
int64_t CountPoints(const std::shared_ptr<grpc::Channel>& ch, const std::string& token,
                    const std::string& m, const std::string& device);

// Runs `text` as `token`: the frames, and the status.
struct QueryResult {
  grpc::Status status;
  std::vector<v1::QueryResponse> messages;
};
QueryResult RunQuery(const std::shared_ptr<grpc::Channel>& ch, const std::string& token,
                     const std::string& text, uint32_t max_frame_rows = 0);

}  // namespace telemdb::tests

#endif  // TELEMDB_TESTS_E2E_CLIENT_H_
