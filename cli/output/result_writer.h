// ResultWriter: prints a tabular result (query results, schema listings, admin stats) in one
// of the CLI's output formats. A result is a list of columns, then rows of cells:
//
//   writer->Begin(columns);            // once
//   writer->Row(cells);                // per row; cells.size() == columns.size()
//   writer->End();                     // once; flushes
//
// Columns are the time column (printed per OutputOptions::epoch), GROUP BY tag columns and
// value columns. A cell carries its own kind, so a column may mix kinds (`telemdb last`).
// Cells view strings owned by the caller and are valid only during Row().
//
// Formats (docs/cli.md): table (aligned, for terminals), csv (RFC 4180, one header row), json
// (one document: {"columns":[...],"rows":[[...],...]}), jsonl (one object per row). --plot
// draws a chart instead (plot_writer.h).
//
// Thread safety: a writer is used by one thread.
#ifndef TELEMDB_CLI_OUTPUT_RESULT_WRITER_H_
#define TELEMDB_CLI_OUTPUT_RESULT_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/output/value_format.h"

namespace telemdb::cli {

enum class CellKind : uint8_t { kNull, kTime, kFloat, kInt, kBool, kString };

struct Cell {
  CellKind kind = CellKind::kNull;
  int64_t i = 0;       // kTime (ns since the epoch), kInt, kBool (0 or 1)
  double f = 0;        // kFloat
  std::string_view s;  // kString

  static Cell Null() { return Cell(); }
  static Cell Time(int64_t ns) { return Cell{CellKind::kTime, ns, 0, {}}; }
  static Cell Float(double v) { return Cell{CellKind::kFloat, 0, v, {}}; }
  static Cell Int(int64_t v) { return Cell{CellKind::kInt, v, 0, {}}; }
  static Cell Bool(bool v) { return Cell{CellKind::kBool, v ? 1 : 0, 0, {}}; }
  static Cell String(std::string_view v) { return Cell{CellKind::kString, 0, 0, v}; }
  bool numeric() const { return kind == CellKind::kFloat || kind == CellKind::kInt; }
};

enum class ColumnRole : uint8_t { kTime, kTag, kValue };

struct ColumnSpec {
  std::string name;
  ColumnRole role = ColumnRole::kValue;
};

enum class OutputFormat : uint8_t { kTable = 0, kCsv = 1, kJson = 2, kJsonl = 3 };

// "table", "csv", "json", "jsonl". Errors: InvalidArgument naming the choices.
absl::StatusOr<OutputFormat> ParseOutputFormat(std::string_view s);
const char* OutputFormatName(OutputFormat f);

struct OutputOptions {
  // Default: table when stdout is a terminal, else csv (the caller decides).
  OutputFormat format = OutputFormat::kCsv;
  // How time cells print. Default: RFC 3339.
  TimeUnit epoch = TimeUnit::kRfc3339;
  // Draw a chart instead of printing rows. Default: false.
  bool plot = false;
  // Chart with ASCII characters instead of Unicode braille. Default: false.
  bool plot_ascii = false;
  // ANSI colours (charts only). Default: false.
  bool color = false;
  // Chart size in character cells. Default: 80 x 20.
  int width = 80;
  int height = 20;
};

// Buffered output to a stdio stream; flushes at 64 KiB and on Flush().
class OutputBuffer {
 public:
  explicit OutputBuffer(FILE* f) : file_(f) {}
  ~OutputBuffer() { (void)Flush(); }
  std::string* buf() { return &buf_; }
  // Errors: Unavailable("output closed") on EPIPE; Internal for other write errors.
  absl::Status MaybeFlush() { return buf_.size() >= (64 << 10) ? Flush() : absl::OkStatus(); }
  absl::Status Flush();

 private:
  FILE* file_;
  std::string buf_;
};

class ResultWriter {
 public:
  virtual ~ResultWriter() = default;
  virtual absl::Status Begin(const std::vector<ColumnSpec>& columns) = 0;
  virtual absl::Status Row(std::span<const Cell> cells) = 0;
  virtual absl::Status End() = 0;
  // Rows written so far.
  int64_t rows() const { return rows_; }

 protected:
  int64_t rows_ = 0;
};

// A writer for `options` (a chart when options.plot) printing to `out`, which must outlive it.
std::unique_ptr<ResultWriter> MakeResultWriter(const OutputOptions& options, OutputBuffer* out);

// Individual formats (result_writer.cc, table_writer.cc, plot_writer.cc).
std::unique_ptr<ResultWriter> MakeCsvWriter(const OutputOptions& options, OutputBuffer* out);
std::unique_ptr<ResultWriter> MakeJsonWriter(const OutputOptions& options, OutputBuffer* out);
std::unique_ptr<ResultWriter> MakeJsonlWriter(const OutputOptions& options, OutputBuffer* out);
std::unique_ptr<ResultWriter> MakeTableWriter(const OutputOptions& options, OutputBuffer* out);
std::unique_ptr<ResultWriter> MakePlotWriter(const OutputOptions& options, OutputBuffer* out);

// The text of a cell as csv and table print it ("" for null).
void AppendCellText(const Cell& c, TimeUnit epoch, std::string* out);

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_OUTPUT_RESULT_WRITER_H_
