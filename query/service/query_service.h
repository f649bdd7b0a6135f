// QueryService: the gRPC adapter of the query engine (telemdb.v1.QueryService). Query runs a
// statement (text or structured) on the query pool and streams the result: a header, frames
// group by group, then statistics. The client's deadline bounds the query (and a server-wide
// default when it sets none); cancelling the call stops the work. Frames wait in a small queue
// when the client reads slowly, so a slow reader holds a bounded amount of memory.
//
// Rights (query_access.h): the caller is authenticated and must hold some read right before
// anything it sent is parsed; then `read` (or `read:<glob>`) for the statement's
// measurement; DELETE needs `admin`. Listings without a measurement show only what the
// identity may read.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_QUERY_SERVICE_QUERY_SERVICE_H_
#define TELEMDB_QUERY_SERVICE_QUERY_SERVICE_H_

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "auth/authenticator.h"
#include "query/engine/exec_options.h"
#include "query/engine/backend.h"
#include "query/engine/querier.h"
#include "query/service/query_metrics.h"
#include "rpc/call_tracker.h"
#include "telemdb/v1/query.grpc.pb.h"
#include "util/thread_pool.h"

namespace telemdb::query {

struct QueryServiceOptions {
  // Limits of every query (ExecOptions); now_ns is set per query. Default: ExecOptions().
  ExecOptions exec;
  // Deadline of a query whose client sets none. Default: 60 s.
  absl::Duration default_timeout = absl::Seconds(60);
  // Frames waiting for a slow client before the query pauses. Default: 8.
  size_t max_queued_frames = 8;
  // Largest max_frame_rows a client may ask for. Default: 100,000.
  size_t max_client_frame_rows = 100'000;
  // Longest query text. Default: 1 MiB.
  size_t max_query_bytes = 1 << 20;
};

class QueryService final : public v1::QueryService::CallbackService {
 public:
  QueryService(Querier* querier, const auth::Authenticator* auth, ThreadPool* pool,
               rpc::CallTracker* calls, QueryServiceOptions options);

  grpc::ServerWriteReactor<v1::QueryResponse>* Query(grpc::CallbackServerContext* ctx,
                                                     const v1::QueryRequest* req) override;
  grpc::ServerUnaryReactor* ListMeasurements(grpc::CallbackServerContext* ctx,
                                             const v1::ListMeasurementsRequest* req,
                                             v1::ListMeasurementsResponse* resp) override;
  grpc::ServerUnaryReactor* ListFields(grpc::CallbackServerContext* ctx,
                                       const v1::ListFieldsRequest* req,
                                       v1::ListFieldsResponse* resp) override;
  grpc::ServerUnaryReactor* ListSeries(grpc::CallbackServerContext* ctx,
                                       const v1::ListSeriesRequest* req,
                                       v1::ListSeriesResponse* resp) override;
  grpc::ServerUnaryReactor* TagKeys(grpc::CallbackServerContext* ctx, const v1::TagKeysRequest* req,
                                    v1::TagKeysResponse* resp) override;
  grpc::ServerUnaryReactor* TagValues(grpc::CallbackServerContext* ctx,
                                      const v1::TagValuesRequest* req,
                                      v1::TagValuesResponse* resp) override;

  // Where query counts and latencies go. Default: none. Set before serving.
  QueryMetrics* metrics = nullptr;
  // Where statements and listings run instead of the querier (a cluster node's coordinator,
  // query/engine/backend.h). Default: none (this node's querier). Set before serving.
  QueryBackend* backend = nullptr;
  // Told about denials and admin statements (identity, action, status). Default: none.
  std::function<void(const std::string&, const std::string&, const absl::Status&)> on_action;

 private:
  class QueryReactor;
  // Authenticates and checks some read right, and the read right on `measurement` when it
  // is not empty. Sets *peer to the caller's address.
  absl::StatusOr<auth::Identity> Authenticate(grpc::CallbackServerContext* ctx,
                                              const std::string& measurement, std::string* peer);
  // Reports a refusal to on_action (not failed authentication: the Authenticator audits it).
  void Denied(const std::string& peer, const absl::StatusOr<auth::Identity>& who,
              const std::string& action, const absl::Status& s);
  // Runs a listing for an authenticated reader, through its ScopedQuerier.
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, const std::string& measurement,
                                  const std::function<absl::Status(Querier&)>& fn);

  Querier* querier_;
  const auth::Authenticator* auth_;
  ThreadPool* pool_;
  rpc::CallTracker* calls_;
  QueryServiceOptions options_;
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_SERVICE_QUERY_SERVICE_H_
