// Client side of telemdb.v1.QueryService: runs a query and streams its result (a header, then
// frames group after group, then stats) into a handler; thin wrappers for the schema
// listings.
//
//   QueryRequest req;
//   req.set_text("SELECT mean(temp) FROM readings GROUP BY time(1m)");
//   ASSIGN_OR_RETURN(v1::QueryStats stats, RunQuery(conn, req, &handler, {}));
//
// Thread safety: RunQuery may be called from several threads; a Canceller's Cancel() may be
// called from any thread while the query it was passed to runs.
#ifndef TELEMDB_CLI_CLIENT_QUERY_CLIENT_H_
#define TELEMDB_CLI_CLIENT_QUERY_CLIENT_H_

#include <cstdint>
#include <mutex>

#include "absl/status/statusor.h"
#include "cli/client/connection.h"
#include "telemdb/v1/query.pb.h"

namespace telemdb::client {

// Receives one query's result. A non-OK return cancels the call and is returned by RunQuery.
class QueryResultHandler {
 public:
  virtual ~QueryResultHandler() = default;
  virtual absl::Status OnHeader(const v1::ResultHeader& header) = 0;
  virtual absl::Status OnFrame(const v1::ResultFrame& frame) = 0;
};

// Cancels a running call from another thread (e.g. a Ctrl-C watcher).
class Canceller {
 public:
  void Cancel();
  void Reset();
  bool cancelled() const;

 private:
  friend class CallScope;
  mutable std::mutex mu_;
  grpc::ClientContext* ctx_ = nullptr;  // the running call, if any
  bool cancelled_ = false;
};

struct QueryCallOptions {
  // Deadline of the call in milliseconds. Default: 0 (none).
  int64_t timeout_ms = 0;
  // Lets another thread cancel the call. Default: none.
  Canceller* canceller = nullptr;
};

// Runs `request`. Errors: the server's (InvalidArgument with line and column for a bad query,
// ResourceExhausted for limits, DeadlineExceeded), Cancelled, Unavailable when the server is
// unreachable, or the handler's.
absl::StatusOr<v1::QueryStats> RunQuery(const Connection& conn, const v1::QueryRequest& request,
                                        QueryResultHandler* handler,
                                        const QueryCallOptions& options = {});

// Unary schema calls. Errors: the server's status.
absl::StatusOr<v1::ListMeasurementsResponse> ListMeasurements(const Connection& conn);
absl::StatusOr<v1::ListFieldsResponse> ListFields(const Connection& conn,
                                                  const std::string& measurement);
absl::StatusOr<v1::TagKeysResponse> TagKeys(const Connection& conn, const std::string& measurement);
absl::StatusOr<v1::TagValuesResponse> TagValues(const Connection& conn,
                                                const v1::TagValuesRequest& request);

}  // namespace telemdb::client

#endif  // TELEMDB_CLI_CLIENT_QUERY_CLIENT_H_
