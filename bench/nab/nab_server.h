// ServerScorer: scores NAB files through a real telemdbd, the way a user would: a fresh server
// per file (own data directory, 127.0.0.1, a free port), the file written through the ingest
// API (IngestService.Write, SYNC acks), the query run through the query API (QueryService).
//
// Each file becomes series `nab` field `value` (no tags). A point's stored timestamp is its
// source timestamp, or 1 ns after the previous row's stored timestamp when the source repeats
// or goes back (NAB files do both), so every source row is one point, in file order; the
// query's rows map back to the source rows by position.
//
// Thread safety: not thread-safe; one file at a time.
#ifndef TELEMDB_BENCH_NAB_NAB_SERVER_H_
#define TELEMDB_BENCH_NAB_NAB_SERVER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/nab/nab_corpus.h"

namespace telemdb::nab {

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
