// InfluxQueryHandler: GET|POST /query, the InfluxDB 1.x query API over telemdb's query
// language (docs/http.md). A thin adapter over the same engine, rights and limits as the
// gRPC QueryService:
//
//   q=            one or more statements separated by ';' (each gets its own result)
//   db=, rp=      accepted; one database per server (SHOW DATABASES lists the names used)
//   epoch=        ns|n|u|us|µ|ms|s|m|h: integer times in that unit (default RFC 3339)
//   chunked=true  newline-delimited documents of at most chunk_size= rows (default 10,000)
//   Accept: application/csv   CSV instead of JSON (any other Accept gets JSON)
//
// Parse errors of any statement: 400 {"error":"error parsing query: ..."} and nothing runs.
// A statement that fails while running gets {"statement_id":i,"error":"..."} in its result
// (the answer stays 200), as InfluxDB does. CREATE DATABASE succeeds as a no-op (it records
// the name), SHOW DATABASES and SHOW RETENTION POLICIES answer what Telegraf and Grafana
// expect. SHOW results use InfluxDB's column names (tagKey, fieldKey/fieldType, key/value).
//
// Thread safety: thread-safe; one instance serves every request.
#ifndef TELEMDB_QUERY_HTTP_INFLUX_QUERY_H_
#define TELEMDB_QUERY_HTTP_INFLUX_QUERY_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "auth/authenticator.h"
#include "http/message.h"
#include "query/engine/exec_options.h"
#include "query/engine/backend.h"
#include "query/engine/querier.h"
#include "query/service/query_metrics.h"

namespace telemdb::query {

struct InfluxQueryOptions {
  // Limits of every statement; now_ns is set per request. Default: ExecOptions().
  ExecOptions exec;
  // Where statements run instead of the querier (a cluster node's coordinator,
  // query/engine/backend.h). Default: none (this node's querier).
  QueryBackend* backend = nullptr;
  // Deadline of a request. Default: 60 s.
  absl::Duration timeout = absl::Seconds(60);
  // Longest q=. Default: 1 MiB.
  size_t max_query_bytes = 1 << 20;
  // Database names clients used (SHOW DATABASES) and recording a new one (CREATE DATABASE).
  // Default: none (SHOW DATABASES lists only "telemdb").
  std::function<std::vector<std::string>()> databases;
  std::function<void(std::string_view)> note_database;
  // Told about denials and DELETE statements (identity, action, status). Default: none.
  std::function<void(const std::string&, const std::string&, const absl::Status&)> on_action;
  QueryMetrics* metrics = nullptr;
  // ns since the epoch (now()). Default: the real clock.
  std::function<int64_t()> now;
};

class InfluxQueryHandler {
 public:
  InfluxQueryHandler(Querier* querier, const auth::Authenticator* auth, InfluxQueryOptions options)
      : querier_(querier), auth_(auth), options_(std::move(options)) {}

  void Handle(const http::Request& req, http::ResponseWriter& w) const;

 private:
  Querier* querier_;
  const auth::Authenticator* auth_;
  InfluxQueryOptions options_;
};

// Splits `q` at the ';' between statements (not those inside strings, quoted names or
// regexes), trimming blanks and dropping empty statements. Errors: InvalidArgument from the
// lexer (an unterminated string, ...).
absl::StatusOr<std::vector<std::string>> SplitStatements(std::string_view q);

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_HTTP_INFLUX_QUERY_H_
