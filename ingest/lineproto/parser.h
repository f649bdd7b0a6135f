// The Influx line-protocol parser: turns text such as
//
//   readings,fleet=East,name=truck_7 latitude=52.1,velocity=54,status=3i 1767225600000000000
//
// into zero-copy Point views, one callback per point. The dialect (escaping, types, precision,
// NaN/Inf, error messages) is specified in docs/line-protocol.md.
//
// Streaming: Parse() takes any number of whole lines; line numbers continue across calls, so a
// caller reading a file in chunks passes CompleteLines(buffer) and keeps the remainder.
//
// Bad lines: every bad line is reported to the optional error callback as a LineError (line,
// column, reason). With OnError::kStop, Parse() then returns that error as InvalidArgument
// ("line 12, column 34: expected '=' after field key \"temp\""); points of earlier lines have
// already been delivered. With OnError::kSkip the line is dropped and parsing continues.
//
// Thread safety: a Parser is not thread-safe; use one per thread. Pure functions are safe.
#ifndef TELEMDB_INGEST_LINEPROTO_PARSER_H_
#define TELEMDB_INGEST_LINEPROTO_PARSER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ingest/lineproto/point.h"
#include "ingest/lineproto/precision.h"

namespace telemdb::lineproto {

enum class OnError : uint8_t {
  kStop = 0,  // the first bad line ends Parse() with its error
  kSkip = 1,  // bad lines are reported and dropped; parsing continues
};

struct ParseOptions {
  // Unit of the timestamps in the text. Default: kNanoseconds.
  Precision precision = Precision::kNanoseconds;
  // Timestamp (ns since the Unix epoch) given to lines without one: the caller's clock, read
  // once per request as InfluxDB does. Default: 0 (callers should set it).
  int64_t now_ns = 0;
  // What a bad line does. Default: kStop.
  OnError on_error = OnError::kStop;
  // Accept `NaN`, `Inf`, `-Inf`, `Infinity` (any case) as float values. InfluxDB rejects
  // them and so do we unless asked: the server's NaN policy decides what is storable.
  // Default: false.
  bool allow_non_finite = false;
};

// One rejected line. `line` views the caller's text and is valid during the error callback.
struct LineError {
  int64_t line_number = 0;  // 1-based
  int64_t column = 0;       // 1-based byte offset in the line
  std::string reason;       // e.g. `expected '=' after field key "temp"`
  std::string_view line;    // the offending line, without its terminator

  // InvalidArgument("line N, column C: reason").
  absl::Status ToStatus() const;
};

struct ParseStats {
  int64_t lines = 0;         // lines read, including blank and comment lines
  int64_t points = 0;        // points handed to the point callback
  int64_t field_values = 0;  // fields of those points
  int64_t bad_lines = 0;     // lines rejected (at most 1 with OnError::kStop)
};

// Receives each point; a non-OK return stops parsing and is returned by Parse() unchanged.
using PointCallback = absl::FunctionRef<absl::Status(const Point&)>;
// Receives each bad line (both modes).
using ErrorCallback = absl::FunctionRef<void(const LineError&)>;

class Parser {
 public:
  explicit Parser(const ParseOptions& options);

  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Parses every line of `text` ('\n'-separated; a trailing "\r" is dropped; the last line
  // needs no terminator). Blank lines and lines whose first non-blank byte is '#' are skipped.
  // Errors: InvalidArgument for the first bad line (kStop); whatever `on_point` returns.
  absl::Status Parse(std::string_view text, PointCallback on_point, ErrorCallback on_error);
  absl::Status Parse(std::string_view text, PointCallback on_point);

  // Changes the timestamp given to lines without one, for long-lived streams.
  void set_now_ns(int64_t now_ns) { options_.now_ns = now_ns; }
  const ParseOptions& options() const { return options_; }
  // Totals over every Parse() call so far.
  const ParseStats& stats() const { return stats_; }

 private:
  enum class LineKind { kPoint, kSkip, kError };
  struct TagEntry {
    Tag tag;
    uint32_t column;
  };

  // Parses `line` (no terminator). kPoint fills point_; kError fills error_column_/reason_.
  LineKind ParseLine(std::string_view line);
  bool ParseTags(const char*& p, bool* sorted, bool* series_backslash);
  bool ParseFields(const char*& p);
  bool ParseTimestamp(const char* p);
  bool CheckDuplicateFields();
  // Sorts tags if needed, rejects duplicates, and sets point_.series_key: `raw_series` itself
  // unless the tags were unsorted or `rebuild_key` (escapes, or '=' in the measurement).
  bool FinishTags(bool sorted, bool rebuild_key, std::string_view raw_series);

  // Records an error at `at` (a pointer into the current line); returns false.
  bool Fail(const char* at, std::string reason);
  // Unescapes [begin, end) into scratch_ when it had a backslash; views the input otherwise.
  std::string_view Unescape(const char* begin, const char* end, bool has_backslash,
                            bool string_value) {
    if (!has_backslash) return std::string_view(begin, end - begin);
    return UnescapeSlow(begin, end, string_value);
  }
  std::string_view UnescapeSlow(const char* begin, const char* end, bool string_value);

  ParseOptions options_;
  ParseStats stats_;
  std::string_view line_;  // the line being parsed
  Point point_;
  std::vector<TagEntry> tag_entries_;
  std::vector<Tag> tags_;
  std::vector<Field> fields_;
  std::vector<uint32_t> field_columns_;
  std::string scratch_;  // reserved per line so views into it never move
  int64_t error_column_ = 0;
  std::string error_reason_;
};

// Convenience: a fresh Parser over `text`. Returns the stats, or Parse()'s error.
absl::StatusOr<ParseStats> ParseLines(std::string_view text, const ParseOptions& options,
                                      PointCallback on_point, ErrorCallback on_error);
absl::StatusOr<ParseStats> ParseLines(std::string_view text, const ParseOptions& options,
                                      PointCallback on_point);

// The longest prefix of `buffer` that ends with '\n' (empty if there is none): what a chunked
// reader may hand to Parse() while keeping the rest for the next read.
std::string_view CompleteLines(std::string_view buffer);

}  // namespace telemdb::lineproto

#endif  // TELEMDB_INGEST_LINEPROTO_PARSER_H_
