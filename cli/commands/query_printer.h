// QueryPrinter: feeds a streamed query result (header, frames) into a ResultWriter, row by
// row: the time column (when the result has one), then one column per GROUP BY tag (named by
// its key, in GROUP BY order), then one per select item, as named by the server.
//
// RunAndPrint() is what `telemdb query` and the shell do with a statement.
//
// Thread safety: one printer per query, used by the query's thread.
#ifndef TELEMDB_CLI_COMMANDS_QUERY_PRINTER_H_
#define TELEMDB_CLI_COMMANDS_QUERY_PRINTER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/client/query_client.h"
#include "cli/output/result_writer.h"

namespace telemdb::cli {

class QueryPrinter : public client::QueryResultHandler {
 public:
  explicit QueryPrinter(ResultWriter* writer) : writer_(writer) {}

  absl::Status OnHeader(const v1::ResultHeader& header) override;
  absl::Status OnFrame(const v1::ResultFrame& frame) override;
  // Ends the output (an empty document when no header came).
  absl::Status Finish();

 private:
  ResultWriter* writer_;
  bool began_ = false;
  bool has_time_ = true;
  size_t ncols_ = 0;
  std::vector<Cell> cells_;
};

// The cells of one frame row (time, tags, values). `cells` has room for them all.
void FrameRowCells(const v1::ResultFrame& frame, bool has_time, size_t row, Cell* cells);
size_t FrameRows(const v1::ResultFrame& frame, bool has_time);

struct RunOptions {
  OutputOptions output;
  // Print elapsed time and the server's query statistics on stderr. Default: false.
  bool timing = false;
  // Deadline of the query in milliseconds; 0: none. Default: 0.
  int64_t timeout_ms = 0;
  client::Canceller* canceller = nullptr;
};

// Runs `text` and prints its result to stdout. Returns the number of rows printed.
// Errors: the server's (bad query: InvalidArgument "line L, column C: ..."), output errors.
absl::StatusOr<int64_t> RunAndPrint(const client::Connection& conn, const std::string& text,
                                    const RunOptions& options);

// Prints a result built in memory (schema listings, `last`, admin stats) to stdout. Cells
// may view strings the caller keeps alive until the call returns.
absl::Status PrintResult(const std::vector<ColumnSpec>& columns,
                         const std::vector<std::vector<Cell>>& rows, const OutputOptions& output);

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_COMMANDS_QUERY_PRINTER_H_
