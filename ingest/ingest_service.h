// IngestService: the gRPC adapter of the write path (telemdb.v1.IngestService). A thin layer:
// authenticate -> convert and check the request's shape -> check write scopes -> Db::Write.
// Writes block until durable, so they run on a worker pool, never on gRPC's threads.
//
// WriteStream keeps up to `max_in_flight_per_stream` requests of one stream in flight or
// waiting for the client to take their responses, and stops reading beyond that (flow
// control: a client that never reads holds bounded memory); every request gets its own
// response. A revoked
// token stops working at the stream's next request: each request is re-authenticated.
//
// Thread safety: thread-safe; one instance serves every call.
#ifndef TELEMDB_INGEST_INGEST_SERVICE_H_
#define TELEMDB_INGEST_INGEST_SERVICE_H_

#include <atomic>
#include <functional>

#include "server/auth/authenticator.h"
#include "server/common/call_tracker.h"
#include "storage/db.h"
#include "telemdb/v1/ingest.grpc.pb.h"
#include "util/thread_pool.h"

namespace telemdb::ingest {

struct IngestOptions {
  // Requests of one stream being written at once, or answered but not yet taken by the
  // client. Eight keep one stream's group commits full (requests arrive while others wait
  // for their fsync) without parking many requests in memory. Default: 8.
  int max_in_flight_per_stream = 8;
};

struct IngestCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> points{0};
};

class IngestService final : public v1::IngestService::CallbackService {
 public:
  // `on_audit` (optional) is told about denials.
  IngestService(storage::Db* db, const auth::Authenticator* auth, ThreadPool* pool,
                rpc::CallTracker* calls, IngestOptions options);

  grpc::ServerUnaryReactor* Write(grpc::CallbackServerContext* ctx, const v1::WriteRequest* req,
                                  v1::WriteResponse* resp) override;
  grpc::ServerBidiReactor<v1::WriteRequest, v1::WriteResponse>* WriteStream(
      grpc::CallbackServerContext* ctx) override;

  // The transport-independent core: one request by one identity.
  absl::Status Handle(const auth::Identity& who, const v1::WriteRequest& req,
                      v1::WriteResponse* resp);
  // Handle in two steps, so that a caller can free the request between them (its parsed
  // form is several times the size of the converted groups): Convert, then Commit with the
  // conversion's status.
  struct Converted {
    absl::Status status;
    std::vector<storage::SeriesBatch> groups;
    storage::WriteOptions options;
  };
  Converted Convert(const v1::WriteRequest& req, v1::WriteResponse* resp);
  absl::Status Commit(const auth::Identity& who, Converted* c, v1::WriteResponse* resp);

  const IngestCounters& counters() const { return counters_; }
  // Called with (identity name, status) whenever a request is refused for lack of rights or
  // identity. Default: none. Set before serving.
  std::function<void(const std::string&, const absl::Status&)> on_denied;

 private:
  class StreamReactor;
  storage::Db* db_;
  const auth::Authenticator* auth_;
  ThreadPool* pool_;
  rpc::CallTracker* calls_;
  IngestOptions options_;
  IngestCounters counters_;
};

}  // namespace telemdb::ingest

#endif  // TELEMDB_INGEST_INGEST_SERVICE_H_
