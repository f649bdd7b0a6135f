// The server side of the NAB benchmarks: a fresh telemdbd (own data directory, 127.0.0.1, a
// free port), written through the ingest API (IngestService.Write, SYNC acks) and queried
// through the query API (QueryService), the way a user would.
//
// ScoreThroughServer loads one NAB file as series `nab` field `value` (no tags). A point's
// stored timestamp is its source timestamp, or 1 ns after the previous row's stored timestamp
// when the source repeats or goes back (NAB files do both), so every source row is one point,
// in file order; the query's rows map back to the source rows by position.
//
// Thread safety: not thread-safe; one server and one call at a time.
#ifndef TELEMDB_BENCH_NAB_NAB_SERVER_H_
#define TELEMDB_BENCH_NAB_NAB_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/nab/nab_corpus.h"

namespace telemdb::nab {

// A query's result, every column as doubles (null -> NaN), groups concatenated.
struct QueryRows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> group_values;  // per row
  std::vector<int64_t> time;
  std::vector<std::vector<double>> values;  // [column][row]
  int64_t server_elapsed_ns = 0;
};

class NabServer {
 public:
  // Starts telemdbd from `binary_dir`/server/telemdbd with a fresh data directory under
  // `work_dir`. Errors: it did not start (with its log).
  static absl::StatusOr<std::unique_ptr<NabServer>> Start(const std::string& binary_dir,
                                                          const std::string& work_dir,
                                                          const std::string& name);
  ~NabServer();  // stops the server, removes its data

  // Writes one float series (measurement, one tag or none, field `value`). Errors: the
  // server's.
  absl::Status Write(const std::string& measurement, const std::string& tag_key,
                     const std::string& tag_value, const std::vector<int64_t>& ts,
                     const std::vector<double>& values);
  absl::StatusOr<QueryRows> Query(const std::string& text);

 private:
  struct Impl;
  explicit NabServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct ServerScorerOptions {
  // Where server/telemdbd is. Default: "build".
  std::string binary_dir = "build";
  // Parent of the per-file data directories (removed afterwards). Default: /tmp.
  std::string work_dir = "/tmp";
  // The query; its single column must be the score. Default: the call.
  std::string query = "SELECT anomaly_score(value) FROM nab";
};

struct ServerRun {
  std::vector<double> scores;  // one per source row, file order (null -> NaN)
  double write_seconds = 0, query_seconds = 0;
  int64_t server_elapsed_ns = 0;  // the query's own time, from its stats
};

// The stored timestamps of `file`'s rows (strictly increasing, see above).
std::vector<int64_t> StoredTimestamps(const NabFile& file);

// Starts a fresh telemdbd, loads `file`, runs the query, stops the server.
// Errors: the server's (start, write, query), or a row count that does not match.
absl::StatusOr<ServerRun> ScoreThroughServer(const NabFile& file, const ServerScorerOptions& o);

}  // namespace telemdb::nab

#endif  // TELEMDB_BENCH_NAB_NAB_SERVER_H_
