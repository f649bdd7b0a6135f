#include "query/http/influx_json.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "util/client_text.h"

namespace telemdb::query {
namespace {

constexpr size_t kFlushBytes = 64 << 10;

void AppendDouble(double v, std::string* out) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

void AppendCsvField(std::string_view s, std::string* out) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
      p++;
    } else if (c < 0x20) {
      static const char kHex[] = "0123456789abcdef";
      switch (c) {
        case '\n':
          out->append("\\n");
          break;
        case '\t':
          out->append("\\t");
          break;
        case '\r':
          out->append("\\r");
          break;
        default:
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
      }
      p++;
    } else if (c < 0x80) {
      out->push_back(static_cast<char>(c));
      p++;
    } else {
      // Copy a whole valid sequence, or write U+FFFD for a bad byte.
      size_t n = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
      if (n > 0 && static_cast<size_t>(end - p) >= n &&
          IsValidUtf8(std::string_view(reinterpret_cast<const char*>(p), n))) {
        out->append(reinterpret_cast<const char*>(p), n);
        p += n;
      } else {
        out->append("\xef\xbf\xbd");
        p++;
      }
    }
  }
  out->push_back('"');
}

void AppendRfc3339Nano(int64_t ns, std::string* out) {
  out->append(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::FromUnixNanos(ns), absl::UTCTimeZone()));
}

InfluxResponse::InfluxResponse(ResponseOptions options, std::function<bool(std::string_view)> out)
    : o_(options), out_(std::move(out)) {
  if (o_.chunk_size == 0) o_.chunk_size = 10'000;
}

void InfluxResponse::Emit(std::string_view text) {
  buf_.append(text);
  Flush(false);
}

void InfluxResponse::Flush(bool force) {
  if (!ok_ || buf_.empty() || (!force && buf_.size() < kFlushBytes)) return;
  ok_ = out_(buf_);
  buf_.clear();
}

void InfluxResponse::AppendTime(int64_t ns, std::string* out) const {
  if (o_.epoch_unit_ns) {
    absl::StrAppend(out, ns / *o_.epoch_unit_ns);
  } else if (o_.format == Format::kCsv) {
    absl::StrAppend(out, ns);
  } else {
    out->push_back('"');
    AppendRfc3339Nano(ns, out);
    out->push_back('"');
  }
}

void InfluxResponse::BeginStatement(int id) {
  statement_ = id;
  statement_has_series_ = false;
  if (o_.format == Format::kJson) {
    std::string s = first_statement_ ? "{\"results\":[" : ",";
    absl::StrAppend(&s, "{\"statement_id\":", id);
    Emit(s);
  }
  first_statement_ = false;
}

void InfluxResponse::OpenDocument() {
  Emit(absl::StrCat("{\"results\":[{\"statement_id\":", statement_, ",\"series\":["));
  doc_open_ = true;
  rows_in_doc_ = 0;
}

void InfluxResponse::CloseDocument(bool partial) {
  Emit(partial ? "],\"partial\":true}]}\n" : "]}]}\n");
  doc_open_ = false;
}

void InfluxResponse::OpenSeriesJson(bool continuation) {
  std::string s = continuation ? "" : "";
  s.push_back('{');
  bool comma = false;
  if (!series_.name.empty()) {
    s.append("\"name\":");
    AppendJsonString(series_.name, &s);
    comma = true;
  }
  if (!series_.tags.empty()) {
    s.append(comma ? ",\"tags\":{" : "\"tags\":{");
    for (size_t i = 0; i < series_.tags.size(); i++) {
      if (i > 0) s.push_back(',');
      AppendJsonString(series_.tags[i].first, &s);
      s.push_back(':');
      AppendJsonString(series_.tags[i].second, &s);
    }
    s.push_back('}');
    comma = true;
  }
  s.append(comma ? ",\"columns\":[" : "\"columns\":[");
  for (size_t i = 0; i < series_.columns.size(); i++) {
    if (i > 0) s.push_back(',');
    AppendJsonString(series_.columns[i], &s);
  }
  s.append("],\"values\":[");
  Emit(s);
}

void InfluxResponse::BeginSeries(const SeriesHeader& header) {
  series_ = header;
  in_series_ = true;
  series_has_rows_ = false;
  switch (o_.format) {
    case Format::kJson:
      Emit(statement_has_series_ ? "," : ",\"series\":[");
      OpenSeriesJson(false);
      break;
    case Format::kJsonChunked:
      if (!doc_open_) {
        OpenDocument();
      } else {
        Emit(",");
      }
      OpenSeriesJson(false);
      break;
    case Format::kCsv: {
      std::string s = "name,tags";
      for (const auto& c : series_.columns) {
        s.push_back(',');
        AppendCsvField(c, &s);
      }
      s.push_back('\n');
      Emit(s);
      break;
    }
  }
  statement_has_series_ = true;
}

void InfluxResponse::Row(const std::optional<int64_t>& time, const std::vector<Column>& columns,
                         size_t row) {
  std::string s;
  if (o_.format == Format::kCsv) {
    AppendCsvField(series_.name, &s);
    s.push_back(',');
    std::string tags;
    for (size_t i = 0; i < series_.tags.size(); i++) {
      if (i > 0) tags.push_back(',');
      absl::StrAppend(&tags, series_.tags[i].first, "=", series_.tags[i].second);
    }
    AppendCsvField(tags, &s);
    if (time) {
      s.push_back(',');
      AppendTime(*time, &s);
    }
    for (const Column& c : columns) {
      s.push_back(',');
      if (c.IsNull(row)) continue;
      switch (c.type) {
        case storage::ValueType::kFloat:
          AppendDouble(c.floats[row], &s);
          break;
        case storage::ValueType::kInt:
          absl::StrAppend(&s, c.ints[row]);
          break;
        case storage::ValueType::kBool:
          s.append(c.ints[row] ? "true" : "false");
          break;
        case storage::ValueType::kString:
          AppendCsvField(c.strings[row], &s);
          break;
      }
    }
    s.push_back('\n');
    Emit(s);
    return;
  }
  if (o_.format == Format::kJsonChunked && rows_in_doc_ >= o_.chunk_size) {
    Emit("],\"partial\":true}");  // this series goes on in the next document
    CloseDocument(/*partial=*/true);
    OpenDocument();
    OpenSeriesJson(true);
    series_has_rows_ = false;
  }
  if (series_has_rows_) s.push_back(',');
  s.push_back('[');
  bool first = true;
  if (time) {
    AppendTime(*time, &s);
    first = false;
  }
  for (const Column& c : columns) {
    if (!first) s.push_back(',');
    first = false;
    if (c.IsNull(row)) {
      s.append("null");
      continue;
    }
    switch (c.type) {
      case storage::ValueType::kFloat:
        AppendDouble(c.floats[row], &s);
        break;
      case storage::ValueType::kInt:
        absl::StrAppend(&s, c.ints[row]);
        break;
      case storage::ValueType::kBool:
        s.append(c.ints[row] ? "true" : "false");
        break;
      case storage::ValueType::kString:
        AppendJsonString(c.strings[row], &s);
        break;
    }
  }
  s.push_back(']');
  Emit(s);
  series_has_rows_ = true;
  rows_in_doc_++;
}

void InfluxResponse::TextRow(const std::vector<std::string>& values) {
  std::vector<Column> cols(values.size());
  for (size_t i = 0; i < values.size(); i++) {
    cols[i].type = storage::ValueType::kString;
    cols[i].AppendString(values[i]);
  }
  Row(std::nullopt, cols, 0);
}

void InfluxResponse::EndSeries() {
  if (!in_series_) return;
  in_series_ = false;
  if (o_.format != Format::kCsv) Emit("]}");
}

void InfluxResponse::EndStatement(const std::string& error) {
  EndSeries();
  switch (o_.format) {
    case Format::kJson: {
      std::string s = statement_has_series_ ? "]" : "";
      if (!error.empty()) {
        s.append(",\"error\":");
        AppendJsonString(error, &s);
      }
      s.push_back('}');
      Emit(s);
      break;
    }
    case Format::kJsonChunked: {
      if (doc_open_) {
        std::string s = "]";
        if (!error.empty()) {
          s.append(",\"error\":");
          AppendJsonString(error, &s);
        }
        s.append("}]}\n");
        Emit(s);
        doc_open_ = false;
      } else {
        std::string s = absl::StrCat("{\"results\":[{\"statement_id\":", statement_);
        if (!error.empty()) {
          s.append(",\"error\":");
          AppendJsonString(error, &s);
        }
        s.append("}]}\n");
        Emit(s);
      }
      break;
    }
    case Format::kCsv:
      if (!error.empty()) {
        std::string s = "statement_id,error\n";
        absl::StrAppend(&s, statement_, ",");
        AppendCsvField(error, &s);
        s.push_back('\n');
        Emit(s);
      }
      break;
  }
}

void InfluxResponse::Finish() {
  if (o_.format == Format::kJson) Emit(first_statement_ ? "{\"results\":[]}\n" : "]}\n");
  Flush(true);
}

}  // namespace telemdb::query
