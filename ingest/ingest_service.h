// IngestService: the gRPC adapter of the write path (telemdb.v1.IngestService). A thin layer:
// authenticate -> convert and check the request's shape -> WritePath (validate, check write
// scopes, idempotency, WAL), shared with every other front door.
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

#include "auth/authenticator.h"
#include "ingest/write_path.h"
#include "rpc/call_tracker.h"
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

class IngestService final : public v1::IngestService::CallbackService {
 public:
  IngestService(WritePath* writes, const auth::Authenticator* auth, ThreadPool* pool,
                rpc::CallTracker* calls, IngestOptions options);

  grpc::ServerUnaryReactor* Write(grpc::CallbackServerContext* ctx, const v1::WriteRequest* req,
                                  v1::WriteResponse* resp) override;
  grpc::ServerBidiReactor<v1::WriteRequest, v1::WriteResponse>* WriteStream(
      grpc::CallbackServerContext* ctx) override;

  // One request by one identity, in two steps so that a caller can free the request between
  // them (its parsed form is several times the size of the converted groups): Convert, then
  // Commit with the conversion's status.
  struct Converted {
    absl::Status status;
    std::vector<storage::SeriesBatch> groups;
    storage::WriteOptions options;
    Origin origin;
  };
  Converted Convert(const v1::WriteRequest& req, const std::string& peer, v1::WriteResponse* resp);
  absl::Status Commit(const auth::Identity& who, Converted* c, v1::WriteResponse* resp);

  // The most requests one stream has had in flight or answered but not yet taken by its
  // client, over every stream since start (bounded by max_in_flight_per_stream).
  int stream_in_flight_high_water() const { return stream_high_water_.load(); }

 private:
  class StreamReactor;
  void NoteInFlight(int n) {
    int cur = stream_high_water_.load();
    while (n > cur && !stream_high_water_.compare_exchange_weak(cur, n)) {
    }
  }
  WritePath* writes_;
  const auth::Authenticator* auth_;
  ThreadPool* pool_;
  rpc::CallTracker* calls_;
  IngestOptions options_;
  std::atomic<int> stream_high_water_{0};
};

}  // namespace telemdb::ingest

#endif  // TELEMDB_INGEST_INGEST_SERVICE_H_
