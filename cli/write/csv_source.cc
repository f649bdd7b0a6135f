// LoadCsv: CSV rows as points. The header names the columns; the time column and the tag
// columns are named by flags, every other column is a field whose type is inferred from all
// of its non-empty cells: integer if each parses as an int64, else float if each is a number
// (NaN and Inf included), else boolean if each is true or false (any case), else string.
// Empty cells are missing values; a column with no value at all is ignored; a row without any
// field value is ignored. A bad row (wrong number of cells, bad quoting, bad or empty time)
// is reported as "line N: reason".
#include <algorithm>
#include <charconv>
#include <cstring>
#include <numeric>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/app/exit_codes.h"
#include "cli/write/csv_table.h"
#include "cli/write/sources.h"
#include "ingest/lineproto/format.h"
#include "util/absl_compat.h"

namespace telemdb::cli {
namespace {

bool ParseInt(std::string_view s, int64_t* v) {
  const char* b = s.data();
  const char* e = b + s.size();
  if (b != e && *b == '+') b++;
  auto r = std::from_chars(b, e, *v);
  return r.ec == std::errc() && r.ptr == e && b != e;
}

bool ParseFloat(std::string_view s, double* v) {
  const char* b = s.data();
  const char* e = b + s.size();
  if (b != e && *b == '+') b++;
  auto r = std::from_chars(b, e, *v);
  return r.ec == std::errc() && r.ptr == e && b != e;
}

bool ParseBool(std::string_view s, bool* v) {
  if (absl::EqualsIgnoreCase(Sv(s), "true")) return *v = true, true;
  if (absl::EqualsIgnoreCase(Sv(s), "false")) return *v = false, true;
  return false;
}

// Parses a time cell per --time-format. Returns an error text, empty on success.
class TimeParser {
 public:
  explicit TimeParser(std::string format) : format_(std::move(format)) {
    if (format_ == "ns") scale_ = 1;
    if (format_ == "us") scale_ = 1000;
    if (format_ == "ms") scale_ = 1000000;
    if (format_ == "s") scale_ = 1000000000;
  }

  std::string Parse(std::string_view s, int64_t* ns) const {
    if (s.empty()) return "empty time";
    if (scale_ > 0) return ParseEpoch(s, ns);
    absl::Time t;
    std::string err;
    absl::TimeZone utc = absl::UTCTimeZone();
    bool ok;
    if (format_ == "rfc3339") {
      ok = absl::ParseTime(absl::RFC3339_full, Sv(s), utc, &t, &err) ||
           absl::ParseTime("%Y-%m-%d %H:%M:%E*S%Ez", Sv(s), utc, &t, &err) ||
           absl::ParseTime("%Y-%m-%dT%H:%M:%E*S", Sv(s), utc, &t, &err) ||
           absl::ParseTime("%Y-%m-%d %H:%M:%E*S", Sv(s), utc, &t, &err) ||
           absl::ParseTime("%Y-%m-%d", Sv(s), utc, &t, &err);
    } else {
      ok = absl::ParseTime(format_, Sv(s), utc, &t, &err);
    }
    if (!ok) return absl::StrCat("cannot parse time \"", Sv(s), "\" as ", format_);
    *ns = absl::ToUnixNanos(t);
    return "";
  }

 private:
  // An integer, or a decimal for units above ns: "1767225600.25" with --time-format s.
  std::string ParseEpoch(std::string_view s, int64_t* ns) const {
    std::string_view whole = s, frac;
    if (size_t dot = s.find('.'); dot != std::string_view::npos) {
      whole = s.substr(0, dot);
      frac = s.substr(dot + 1);
    }
    int64_t w = 0;
    bool neg = !whole.empty() && whole[0] == '-';
    bool ok = ParseInt(whole, &w) || (whole == "-" || whole.empty());
    if (ok && !frac.empty()) {
      ok = scale_ > 1 && frac.size() <= 9 &&
           std::all_of(frac.begin(), frac.end(), [](char c) { return c >= '0' && c <= '9'; });
    }
    if (!ok) return absl::StrCat("cannot parse time \"", Sv(s), "\" as ", format_);
    int64_t out;
    if (__builtin_mul_overflow(w, scale_, &out)) {
      return absl::StrCat("time \"", Sv(s), "\" out of range");
    }
    if (!frac.empty()) {
      int64_t f = 0, unit = scale_;
      for (char c : frac) {
        unit /= 10;
        f += (c - '0') * unit;
      }
      if (__builtin_add_overflow(out, neg ? -f : f, &out)) {
        return absl::StrCat("time \"", Sv(s), "\" out of range");
      }
    }
    *ns = out;
    return "";
  }

  std::string format_;
  int64_t scale_ = 0;
};

storage::ValueType InferType(const CsvTable& t, size_t col, size_t ncols, bool* any) {
  bool all_int = true, all_num = true, all_bool = true;
  *any = false;
  const auto& recs = t.records();
  for (size_t ri = 1; ri < recs.size(); ri++) {
    const auto& r = recs[ri];
    if (!r.error.empty() || r.count != ncols) continue;
    std::string_view s = t.cells(r)[col];
    if (s.empty()) continue;
    *any = true;
    int64_t i;
    double d;
    bool b;
    if (all_int && !ParseInt(s, &i)) all_int = false;
    if (all_num && !all_int && !ParseFloat(s, &d)) all_num = false;
    if (all_bool && !ParseBool(s, &b)) all_bool = false;
    if (!all_int && !all_num && !all_bool) break;
  }
  if (all_int) return storage::ValueType::kInt;
  if (all_num) return storage::ValueType::kFloat;
  if (all_bool) return storage::ValueType::kBool;
  return storage::ValueType::kString;
}

}  // namespace

SourceResult LoadCsv(int fd, const CsvOptions& options, WritePipeline* pipe,
                     std::atomic<int64_t>* bytes_read, Progress* progress) {
  SourceResult result;
  std::string text;
  result.read = ReadAll(fd, &text, bytes_read);
  if (!result.read.ok()) return result;
  std::string_view body = text;
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);  // a UTF-8 byte order mark
  CsvTable table = CsvTable::Parse(body);
  if (table.records().empty()) {
    result.read = UsageError("the CSV input is empty: it needs a header row");
    return result;
  }
  const CsvTable::Record& header_rec = table.records()[0];
  if (!header_rec.error.empty()) {
    result.read = UsageError(absl::StrCat("line ", header_rec.line, ": ", header_rec.error));
    return result;
  }
  std::vector<std::string> header;
  for (std::string_view c : table.cells(header_rec)) {
    header.emplace_back(absl::StripAsciiWhitespace(Sv(c)));
  }
  const size_t ncols = header.size();
  auto find = [&](const std::string& name) -> int {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  for (size_t i = 0; i < ncols; i++) {
    if (header[i].empty()) {
      result.read = UsageError(absl::StrCat("CSV column ", i + 1, " has no name in the header"));
      return result;
    }
    if (std::find(header.begin(), header.begin() + static_cast<long>(i), header[i]) !=
        header.begin() + static_cast<long>(i)) {
      result.read = UsageError(absl::StrCat("CSV column \"", header[i], "\" appears twice"));
      return result;
    }
  }
  int time_col = find(options.time_column);
  if (time_col < 0) {
    result.read = UsageError(
        absl::StrCat("--time-column \"", options.time_column, "\" is not in the CSV header"));
    return result;
  }
  // Tag columns, in key order (points carry tags sorted).
  std::vector<std::pair<std::string, int>> tags;
  for (const auto& t : options.tag_columns) {
    int c = find(t);
    if (c < 0 || c == time_col) {
      result.read = UsageError(absl::StrCat("--tag-columns: \"", t,
                                            "\" is not a column of the "
                                            "CSV header (or is the time column)"));
      return result;
    }
    tags.emplace_back(t, c);
  }
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  struct FieldCol {
    int col;
    storage::ValueType type;
  };
  std::vector<FieldCol> fields;
  for (size_t c = 0; c < ncols; c++) {
    int ci = static_cast<int>(c);
    if (ci == time_col ||
        std::any_of(tags.begin(), tags.end(), [&](const auto& t) { return t.second == ci; })) {
      continue;
    }
    bool any;
    storage::ValueType type = InferType(table, c, ncols, &any);
    if (any) fields.push_back({ci, type});
  }

  TimeParser time_parser(options.time_format);
  const bool stop = options.on_error == lineproto::OnError::kStop;
  std::string series_key;
  std::vector<lineproto::Tag> point_tags;
  std::vector<lineproto::Field> point_fields;
  auto bad = [&](int64_t line, const std::string& why) {
    result.bad_lines++;
    progress->Message(absl::StrCat("line ", line, ": ", why));
    if (stop) result.stopped_line = line;
    return stop;
  };
  const auto& recs = table.records();
  for (size_t ri = 1; ri < recs.size(); ri++) {
    const auto& r = recs[ri];
    if (!r.error.empty()) {
      if (bad(r.line, r.error)) break;
      continue;
    }
    if (r.count != ncols) {
      if (bad(r.line, absl::StrCat("expected ", ncols, " cells, found ", r.count))) break;
      continue;
    }
    auto cells = table.cells(r);
    lineproto::Point p;
    p.line_number = r.line;
    p.measurement = options.measurement;
    p.has_timestamp = true;
    if (std::string why = time_parser.Parse(cells[static_cast<size_t>(time_col)], &p.timestamp_ns);
        !why.empty()) {
      if (bad(r.line, why)) break;
      continue;
    }
    series_key.clear();
    lineproto::AppendEscapedMeasurement(options.measurement, &series_key);
    point_tags.clear();
    for (const auto& [key, col] : tags) {
      std::string_view v = cells[static_cast<size_t>(col)];
      if (v.empty()) continue;
      point_tags.push_back({key, v});
      series_key.push_back(',');
      lineproto::AppendEscapedKey(key, &series_key);
      series_key.push_back('=');
      lineproto::AppendEscapedKey(v, &series_key);
    }
    point_fields.clear();
    for (const auto& f : fields) {
      std::string_view v = cells[static_cast<size_t>(f.col)];
      if (v.empty()) continue;
      lineproto::Field pf;
      pf.key = header[static_cast<size_t>(f.col)];
      pf.value.type = f.type;
      bool b = false;
      switch (f.type) {
        case storage::ValueType::kInt:
          ParseInt(v, &pf.value.i);
          break;
        case storage::ValueType::kFloat:
          ParseFloat(v, &pf.value.f);
          break;
        case storage::ValueType::kBool:
          ParseBool(v, &b), pf.value.i = b ? 1 : 0;
          break;
        case storage::ValueType::kString:
          pf.value.s = v;
          break;
      }
      point_fields.push_back(pf);
    }
    if (point_fields.empty()) continue;
    p.series_key = series_key;
    p.tags = point_tags;
    p.fields = point_fields;
    absl::Status s = pipe->Add(p);
    if (!s.ok()) {
      result.pipeline = s;
      break;
    }
  }
  return result;
}

}  // namespace telemdb::cli
