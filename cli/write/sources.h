// The inputs of `telemdb write`: Influx line protocol (through the one parser in
// ingest/lineproto/) and CSV (csv_source.cc), both turned into points for a WritePipeline.
//
// Bad input follows OnError: kStop ends reading at the first bad line (everything before it
// is still sent), kSkip drops the line and goes on. Either way each bad line is reported
// through Progress::Message as "line N, column C: reason" (LP) or "line N: reason" (CSV).
//
// Thread safety: each call runs on the caller's thread.
#ifndef TELEMDB_CLI_WRITE_SOURCES_H_
#define TELEMDB_CLI_WRITE_SOURCES_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/write/progress.h"
#include "cli/write/write_pipeline.h"
#include "ingest/lineproto/parser.h"

namespace telemdb::cli {

struct SourceResult {
  int64_t bad_lines = 0;     // reported and not sent
  int64_t stopped_line = 0;  // kStop: the line that ended reading; 0 otherwise
  absl::Status pipeline;     // non-OK (Aborted) when the stream stopped taking points
  absl::Status read;         // non-OK when reading the input failed
};

struct LineProtocolOptions {
  // Unit of the timestamps in the text. Default: ns.
  lineproto::Precision precision = lineproto::Precision::kNanoseconds;
  lineproto::OnError on_error = lineproto::OnError::kStop;
};

// Reads `fd` to its end in chunks and writes every point. `bytes_read` counts input bytes.
SourceResult LoadLineProtocol(int fd, const LineProtocolOptions& options, WritePipeline* pipe,
                              std::atomic<int64_t>* bytes_read, Progress* progress);

struct CsvOptions {
  std::string measurement;  // required
  std::string time_column = "time";
  // rfc3339 | ns | us | ms | s | a strftime-style pattern (absl::ParseTime, UTC unless the
  // pattern has a zone). Default: rfc3339.
  std::string time_format = "rfc3339";
  std::vector<std::string> tag_columns;
  lineproto::OnError on_error = lineproto::OnError::kStop;
};

// Reads `fd` to its end (CSV needs every value of a column to infer its type), then writes
// every row. Errors that concern the whole file (no header, a named column missing from it,
// a repeated column) come back as `read` with a usage error.
SourceResult LoadCsv(int fd, const CsvOptions& options, WritePipeline* pipe,
                     std::atomic<int64_t>* bytes_read, Progress* progress);

// Reads a whole fd into memory. Errors: Internal naming errno.
absl::Status ReadAll(int fd, std::string* out, std::atomic<int64_t>* bytes_read);

int64_t NowNs();

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_WRITE_SOURCES_H_
