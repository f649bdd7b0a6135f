#include "rpc/grpc_status.h"

#include <string>

#include "re2/re2.h"
#include "storage/write_error.h"
#include "telemdb/v1/common.pb.h"

namespace telemdb::rpc {

int64_t RetryAfterMs(const absl::Status& s) {
  if (s.code() != absl::StatusCode::kResourceExhausted) return 0;
  static const LazyRE2 kRe = {"retry after (\\d+)ms"};
  int64_t ms = 0;
  std::string msg(s.message());
  if (RE2::PartialMatch(msg, *kRe, &ms)) return ms;
  return 1000;  // over some limit with no hint: back off a second
}

void ToProtoStatus(const absl::Status& s, v1::Status* out) {
  out->set_code(static_cast<int32_t>(s.code()));
  out->set_message(std::string(s.message()));
  if (auto where = storage::GetBatchError(s)) {
    v1::BatchErrorDetail d;
    d.set_series_index(where->group);
    d.set_series(where->series);
    d.set_field(where->field);
    d.set_row(where->row);
    out->add_details()->PackFrom(d);
  }
  if (int64_t ms = RetryAfterMs(s); ms > 0) {
    v1::RetryInfo r;
    r.set_retry_after_ms(ms);
    out->add_details()->PackFrom(r);
  }
}

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  v1::Status proto;
  ToProtoStatus(s, &proto);
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()),
                      proto.SerializeAsString());
}

grpc::Status ToGrpcStatus(const absl::Status& s, grpc::ServerContextBase* ctx) {
  if (int64_t ms = RetryAfterMs(s); ms > 0 && ctx != nullptr) {
    ctx->AddTrailingMetadata("retry-after-ms", std::to_string(ms));
  }
  return ToGrpcStatus(s);
}

std::string PeerOf(const grpc::ServerContextBase& ctx) { return "peer " + ctx.peer(); }

}  // namespace telemdb::rpc
