#include "cli/client/query_client.h"

#include <chrono>

#include "cli/client/rpc_status.h"
#include "telemdb/v1/query.grpc.pb.h"

namespace telemdb::client {

// Attaches a call's context to a Canceller for the duration of the call.
class CallScope {
 public:
  CallScope(Canceller* c, grpc::ClientContext* ctx) : c_(c) {
    if (c_ == nullptr) return;
    std::lock_guard<std::mutex> l(c_->mu_);
    c_->ctx_ = ctx;
    if (c_->cancelled_) ctx->TryCancel();
  }
  ~CallScope() {
    if (c_ == nullptr) return;
    std::lock_guard<std::mutex> l(c_->mu_);
    c_->ctx_ = nullptr;
  }

 private:
  Canceller* c_;
};

void Canceller::Cancel() {
  std::lock_guard<std::mutex> l(mu_);
  cancelled_ = true;
  if (ctx_ != nullptr) ctx_->TryCancel();
}

void Canceller::Reset() {
  std::lock_guard<std::mutex> l(mu_);
  cancelled_ = false;
}

bool Canceller::cancelled() const {
  std::lock_guard<std::mutex> l(mu_);
  return cancelled_;
}

absl::StatusOr<v1::QueryStats> RunQuery(const Connection& conn, const v1::QueryRequest& request,
                                        QueryResultHandler* handler,
                                        const QueryCallOptions& options) {
  auto stub = v1::QueryService::NewStub(conn.channel());
  grpc::ClientContext ctx;
  conn.Prepare(&ctx);
  if (options.timeout_ms > 0) {
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(options.timeout_ms));
  }
  CallScope scope(options.canceller, &ctx);
  auto reader = stub->Query(&ctx, request);
  v1::QueryResponse resp;
  v1::QueryStats stats;
  absl::Status handler_status;
  while (handler_status.ok() && reader->Read(&resp)) {
    switch (resp.payload_case()) {
      case v1::QueryResponse::kHeader:
        handler_status = handler->OnHeader(resp.header());
        break;
      case v1::QueryResponse::kFrame:
        handler_status = handler->OnFrame(resp.frame());
        break;
      case v1::QueryResponse::kFrames:
        for (const auto& f : resp.frames().frames()) {
          handler_status = handler->OnFrame(f);
          if (!handler_status.ok()) break;
        }
        break;
      case v1::QueryResponse::kStats:
        stats = resp.stats();
        break;
      default:
        break;
    }
  }
  if (!handler_status.ok()) {
    ctx.TryCancel();
    while (reader->Read(&resp)) {
    }
    (void)reader->Finish();
    return handler_status;
  }
  absl::Status s = FromGrpcStatus(reader->Finish());
  if (!s.ok()) return s;
  return stats;
}

namespace {

template <typename Req, typename Resp, typename Method>
absl::StatusOr<Resp> Unary(const Connection& conn, const Req& req, Method method) {
  auto stub = v1::QueryService::NewStub(conn.channel());
  grpc::ClientContext ctx;
  conn.Prepare(&ctx);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  Resp resp;
  absl::Status s = FromGrpcStatus(((*stub).*method)(&ctx, req, &resp));
  if (!s.ok()) return s;
  return resp;
}

}  // namespace

absl::StatusOr<v1::ListMeasurementsResponse> ListMeasurements(const Connection& conn) {
  return Unary<v1::ListMeasurementsRequest, v1::ListMeasurementsResponse>(
      conn, v1::ListMeasurementsRequest(), &v1::QueryService::Stub::ListMeasurements);
}

absl::StatusOr<v1::ListFieldsResponse> ListFields(const Connection& conn,
                                                  const std::string& measurement) {
  v1::ListFieldsRequest req;
  req.set_measurement(measurement);
  return Unary<v1::ListFieldsRequest, v1::ListFieldsResponse>(conn, req,
                                                              &v1::QueryService::Stub::ListFields);
}

absl::StatusOr<v1::TagKeysResponse> TagKeys(const Connection& conn,
                                            const std::string& measurement) {
  v1::TagKeysRequest req;
  req.set_measurement(measurement);
  return Unary<v1::TagKeysRequest, v1::TagKeysResponse>(conn, req,
                                                        &v1::QueryService::Stub::TagKeys);
}

absl::StatusOr<v1::TagValuesResponse> TagValues(const Connection& conn,
                                                const v1::TagValuesRequest& request) {
  return Unary<v1::TagValuesRequest, v1::TagValuesResponse>(conn, request,
                                                            &v1::QueryService::Stub::TagValues);
}

}  // namespace telemdb::client
