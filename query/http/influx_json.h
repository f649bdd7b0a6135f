// InfluxResponse: writes query results in the shapes InfluxDB 1.x clients parse (the 1.8 HTTP
// API reference: "/query" responses):
//
//   JSON     {"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},
//             "columns":["time","mean"],"values":[["2026-01-01T00:00:00Z",1.5]]}]}]}
//   chunked  one such document per line, each with at most `chunk_size` rows; a series
//            continued in the next document carries "partial":true, and so does every
//            statement result but its last document
//   CSV      name,tags,time,<columns> with one row per value row (Accept: application/csv)
//
// Times are RFC 3339 with nanoseconds (trailing zeros cut, as Go prints them) by default,
// or integers in the `epoch` unit. The text streams to `out` as it is produced.
//
// Thread safety: not thread-safe; one per request.
#ifndef TELEMDB_QUERY_HTTP_INFLUX_JSON_H_
#define TELEMDB_QUERY_HTTP_INFLUX_JSON_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "query/engine/result.h"

namespace telemdb::query {

enum class Format { kJson, kJsonChunked, kCsv };

struct ResponseOptions {
  Format format = Format::kJson;
  // epoch=: ns per unit of the integer times; nullopt: RFC 3339 strings (CSV: ns).
  std::optional<int64_t> epoch_unit_ns;
  size_t chunk_size = 10'000;  // rows per chunked document
};

// One InfluxDB series, built as it streams.
struct SeriesHeader {
  std::string name;  // may be empty (SHOW SERIES)
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<std::string> columns;  // "time" first when the rows have times
};

class InfluxResponse {
 public:
  // `out` receives the text in pieces (false: the client is gone; stop).
  InfluxResponse(ResponseOptions options, std::function<bool(std::string_view)> out);

  // Statement i: then series and rows, then EndStatement (optionally with an error).
  void BeginStatement(int id);
  void BeginSeries(const SeriesHeader& header);
  // One row: its time (when the series has a time column) and one value per column of
  // `frame` at `row`.
  void Row(const std::optional<int64_t>& time, const std::vector<Column>& columns, size_t row);
  // A row of strings (SHOW results).
  void TextRow(const std::vector<std::string>& values);
  void EndSeries();
  void EndStatement(const std::string& error = "");
  // Ends the response (the JSON document's closing brackets).
  void Finish();

  bool ok() const { return ok_; }

 private:
  void Emit(std::string_view text);
  void Flush(bool force);
  void OpenDocument();
  void CloseDocument(bool partial);
  void OpenSeriesJson(bool partial_continuation);
  void AppendTime(int64_t ns, std::string* out) const;

  ResponseOptions o_;
  std::function<bool(std::string_view)> out_;
  std::string buf_;
  bool ok_ = true;
  int statement_ = 0;
  bool statement_has_series_ = false;
  bool in_series_ = false;
  bool series_has_rows_ = false;
  bool first_statement_ = true;
  bool doc_open_ = false;
  size_t rows_in_doc_ = 0;
  SeriesHeader series_;
};

// JSON string literal of `s` (quotes included); invalid UTF-8 becomes U+FFFD.
void AppendJsonString(std::string_view s, std::string* out);
// Go's RFC 3339 with nanoseconds and trailing zeros cut: 2026-01-01T00:00:00.5Z.
void AppendRfc3339Nano(int64_t ns, std::string* out);

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_HTTP_INFLUX_JSON_H_
