#include "ingest/lineproto/parser.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ingest/lineproto/values.h"

namespace telemdb::lineproto {
namespace {

using internal::ParsedTimestamp;
using internal::ParsedValue;
using internal::TimestampError;
using internal::ValueError;

// Which characters a backslash escapes, per element (docs/line-protocol.md). A backslash before
// any other character is a literal backslash.
enum class Element { kMeasurement, kKey, kString };

inline bool Escapable(Element e, char c) {
  switch (e) {
    case Element::kMeasurement:
      return c == ',' || c == ' ' || c == '\\';
    case Element::kKey:
      return c == ',' || c == '=' || c == ' ' || c == '\\';
    case Element::kString:
      return c == '"' || c == '\\';
  }
  return false;
}

// Canonical (series key) escaping: every separator and the backslash itself.
inline bool NeedsCanonicalEscape(char c) { return c == ',' || c == '=' || c == ' ' || c == '\\'; }

void AppendCanonical(std::string* out, std::string_view s) {
  for (char c : s) {
    if (NeedsCanonicalEscape(c)) out->push_back('\\');
    out->push_back(c);
  }
}

// Debian's abseil has its own string_view type, hence the explicit conversion.
// A token quoted in an error: escaped, and at most kQuoteMax bytes of it, so a device's
// 6 KB timestamp or megabyte key never comes back whole inside an error message or a log line.
constexpr size_t kQuoteMax = 64;
std::string Quote(std::string_view s) {
  const std::string_view kept = s.substr(0, kQuoteMax);
  std::string out =
      absl::StrCat("\"", absl::CHexEscape(absl::string_view(kept.data(), kept.size())), "\"");
  if (s.size() > kept.size()) absl::StrAppend(&out, "...[", s.size() - kept.size(), " more bytes]");
  return out;
}

bool HasHighByte(std::string_view s) {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    acc |= w;
  }
  for (; i < s.size(); ++i) acc |= static_cast<uint8_t>(s[i]);
  return (acc & 0x8080808080808080ull) != 0;
}

inline const char* SkipBlanks(const char* p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
  return p;
}

// A set of bytes as a lookup table: one load per byte in the scanning loops.
struct ByteSet {
  bool has[256] = {};
};
constexpr ByteSet MakeByteSet(std::string_view bytes) {
  ByteSet set;
  for (char c : bytes) set.has[static_cast<uint8_t>(c)] = true;
  return set;
}
// Bytes that end (or escape within) a measurement, and a tag key, tag value or field key.
constexpr ByteSet kMeasurementStops = MakeByteSet(", \\");
constexpr ByteSet kNameStops = MakeByteSet(",= \\");

// Scans a measurement, tag key/value or field key starting at `p`; stops at an unescaped byte
// of `stops` (or the end). Sets *backslash when the token holds any backslash.
inline const char* ScanName(const char* p, const char* end, const ByteSet& stops, Element e,
                            bool* backslash) {
  while (p < end) {
    if (!stops.has[static_cast<uint8_t>(*p)]) {
      ++p;
      continue;
    }
    if (*p != '\\') break;
    *backslash = true;
    if (p + 1 < end && Escapable(e, p[1])) ++p;
    ++p;
  }
  return p;
}

// Three-way key comparison; most tag keys differ in their first byte, so that is tried inline.
inline int CompareKeys(std::string_view a, std::string_view b) {
  if (!a.empty() && !b.empty() && a[0] != b[0]) {
    return static_cast<uint8_t>(a[0]) < static_cast<uint8_t>(b[0]) ? -1 : 1;
  }
  return a.compare(b);
}

}  // namespace

absl::Status LineError::ToStatus() const {
  return absl::InvalidArgumentError(
      absl::StrCat("line ", line_number, ", column ", column, ": ", reason));
}

Parser::Parser(const ParseOptions& options) : options_(options) {}

bool Parser::Fail(const char* at, std::string reason) {
  error_column_ = (at - line_.data()) + 1;
  error_reason_ = std::move(reason);
  return false;
}

std::string_view Parser::UnescapeSlow(const char* begin, const char* end, bool string_value) {
  Element e = string_value ? Element::kString : Element::kKey;
  size_t start = scratch_.size();
  for (const char* p = begin; p < end; ++p) {
    if (*p == '\\' && p + 1 < end && Escapable(e, p[1])) ++p;
    scratch_.push_back(*p);
  }
  return std::string_view(scratch_.data() + start, scratch_.size() - start);
}

Parser::LineKind Parser::ParseLine(std::string_view line) {
  line_ = line;
  const char* end = line.data() + line.size();
  const char* p = SkipBlanks(line.data(), end);
  if (p == end || *p == '#') return LineKind::kSkip;

  if (HasHighByte(line)) {
    size_t bad = internal::FirstInvalidUtf8(line);
    if (bad != line.size()) {
      Fail(line.data() + bad, "invalid UTF-8");
      return LineKind::kError;
    }
  }
  // Unescaped tokens take at most line.size() bytes, a rebuilt series key at most twice that:
  // with this reserve, views into scratch_ never move while the line is parsed.
  size_t need = line.size() * 3 + 16;
  scratch_.clear();
  if (scratch_.capacity() < need) scratch_.reserve(need);
  tag_entries_.clear();
  tags_.clear();
  fields_.clear();
  field_columns_.clear();

  const char* series_begin = p;
  bool series_backslash = false;
  p = ScanName(p, end, kMeasurementStops, Element::kMeasurement, &series_backslash);
  if (p == series_begin) {
    Fail(p, "missing measurement");
    return LineKind::kError;
  }
  bool measurement_has_equals = std::memchr(series_begin, '=', p - series_begin) != nullptr;
  if (series_backslash) {
    // Measurement escapes differ from key escapes ("\=" stays literal), so unescape here.
    size_t start = scratch_.size();
    for (const char* q = series_begin; q < p; ++q) {
      if (*q == '\\' && q + 1 < p && Escapable(Element::kMeasurement, q[1])) ++q;
      scratch_.push_back(*q);
    }
    point_.measurement = std::string_view(scratch_.data() + start, scratch_.size() - start);
  } else {
    point_.measurement = std::string_view(series_begin, p - series_begin);
  }

  bool sorted = true;
  if (p < end && *p == ',') {
    ++p;
    if (!ParseTags(p, &sorted, &series_backslash)) return LineKind::kError;
  }
  const char* series_end = p;
  while (p < end && *p == ' ') ++p;
  if (p == end) {
    Fail(p, "missing fields");
    return LineKind::kError;
  }
  if (!ParseFields(p)) return LineKind::kError;
  if (!ParseTimestamp(p)) return LineKind::kError;
  if (!FinishTags(sorted, series_backslash || measurement_has_equals,
                  std::string_view(series_begin, series_end - series_begin))) {
    return LineKind::kError;
  }
  point_.tags = tags_;
  point_.fields = fields_;
  return LineKind::kPoint;
}

bool Parser::ParseTags(const char*& p, bool* sorted, bool* series_backslash) {
  const char* end = line_.data() + line_.size();
  for (;;) {
    const char* key_begin = p;
    bool key_backslash = false;
    p = ScanName(p, end, kNameStops, Element::kKey, &key_backslash);
    if (p == key_begin) return Fail(p, "missing tag key");
    std::string_view key = Unescape(key_begin, p, key_backslash, false);
    if (p == end || *p != '=') {
      return Fail(p, absl::StrCat("expected '=' after tag key ", Quote(key)));
    }
    ++p;
    const char* value_begin = p;
    bool value_backslash = false;
    p = ScanName(p, end, kNameStops, Element::kKey, &value_backslash);
    if (p < end && *p == '=') {
      return Fail(p, absl::StrCat("unescaped '=' in the value of tag key ", Quote(key)));
    }
    if (p == value_begin) return Fail(p, absl::StrCat("missing value for tag key ", Quote(key)));
    std::string_view value = Unescape(value_begin, p, value_backslash, false);
    *series_backslash = *series_backslash || key_backslash || value_backslash;
    if (!tag_entries_.empty()) {
      int cmp = CompareKeys(tag_entries_.back().tag.key, key);
      if (cmp == 0) return Fail(key_begin, absl::StrCat("duplicate tag key ", Quote(key)));
      if (cmp > 0) *sorted = false;
    }
    tag_entries_.push_back(
        TagEntry{Tag{key, value}, static_cast<uint32_t>(key_begin - line_.data())});
    if (p < end && *p == ',') {
      ++p;
      continue;
    }
    return true;  // at ' ' or the end
  }
}

bool Parser::ParseFields(const char*& p) {
  const char* end = line_.data() + line_.size();
  uint64_t seen = 0;  // a 64-bit Bloom filter of field keys: most lines need no key compares
  for (;;) {
    const char* key_begin = p;
    bool key_backslash = false;
    p = ScanName(p, end, kNameStops, Element::kKey, &key_backslash);
    if (p == key_begin) return Fail(p, "missing field key");
    Field field;
    field.key = Unescape(key_begin, p, key_backslash, false);
    if (p == end || *p != '=') {
      return Fail(p, absl::StrCat("expected '=' after field key ", Quote(field.key)));
    }
    ++p;
    if (p < end && *p == '"') {
      const char* open = p++;
      const char* s_begin = p;
      bool s_backslash = false;
      while (p < end && *p != '"') {
        if (*p == '\\') {
          s_backslash = true;
          if (p + 1 < end && Escapable(Element::kString, p[1])) ++p;
        }
        ++p;
      }
      if (p == end) {
        return Fail(open,
                    absl::StrCat("unterminated string value for field key ", Quote(field.key)));
      }
      field.value.type = storage::ValueType::kString;
      field.value.s = Unescape(s_begin, p, s_backslash, true);
      ++p;
      if (p < end && *p != ',' && *p != ' ') {
        return Fail(p, absl::StrCat("expected ',' or ' ' after the string value of field key ",
                                    Quote(field.key)));
      }
    } else {
      const char* v_begin = p;
      while (p < end && *p != ',' && *p != ' ') ++p;
      if (p == v_begin) {
        return Fail(p, absl::StrCat("missing value for field key ", Quote(field.key)));
      }
      std::string_view token(v_begin, p - v_begin);
      if (!internal::ParseSimpleDecimal(token, &field.value.f)) {  // inline common case
        ParsedValue parsed = internal::ParseUnquotedValue(token, options_.allow_non_finite);
        if (parsed.error != ValueError::kNone) {
          return Fail(v_begin, absl::StrCat("invalid value ", Quote(token), " for field key ",
                                            Quote(field.key), ": ",
                                            internal::ValueErrorReason(parsed.error)));
        }
        field.value = parsed.value;
      }
    }
    if (fields_.size() < 64) {
      const std::string_view k = field.key;
      uint64_t bit = uint64_t{1} << ((k.size() * 7 + static_cast<uint8_t>(k[0]) * 3 +
                                      static_cast<uint8_t>(k.back())) &
                                     63);
      if (seen & bit) {
        for (const Field& f : fields_) {
          if (f.key == k) return Fail(key_begin, absl::StrCat("duplicate field key ", Quote(k)));
        }
      }
      seen |= bit;
    }
    fields_.push_back(field);
    field_columns_.push_back(static_cast<uint32_t>(key_begin - line_.data()));
    if (p < end && *p == ',') {
      ++p;
      continue;
    }
    return fields_.size() <= 64 || CheckDuplicateFields();
  }
}

bool Parser::CheckDuplicateFields() {
  // Many fields: sort (key, column) pairs instead of comparing all pairs.
  std::vector<std::pair<std::string_view, uint32_t>> keys;
  keys.reserve(fields_.size());
  for (size_t i = 0; i < fields_.size(); ++i) keys.emplace_back(fields_[i].key, field_columns_[i]);
  std::sort(keys.begin(), keys.end());
  for (size_t i = 1; i < keys.size(); ++i) {
    if (keys[i].first == keys[i - 1].first) {
      return Fail(line_.data() + keys[i].second,
                  absl::StrCat("duplicate field key ", Quote(keys[i].first)));
    }
  }
  return true;
}

bool Parser::ParseTimestamp(const char* p) {
  const char* end = line_.data() + line_.size();
  p = SkipBlanks(p, end);
  if (p == end) {
    point_.timestamp_ns = options_.now_ns;
    point_.has_timestamp = false;
    return true;
  }
  const char* t_begin = p;
  while (p < end && *p != ' ' && *p != '\t') ++p;
  std::string_view token(t_begin, p - t_begin);
  ParsedTimestamp ts = internal::ParseTimestamp(token, options_.precision);
  if (ts.error == TimestampError::kInvalid) {
    return Fail(t_begin, absl::StrCat("invalid timestamp ", Quote(token)));
  }
  if (ts.error == TimestampError::kOutOfRange) {
    return Fail(t_begin, absl::StrCat("timestamp ", Quote(token), " out of range for precision ",
                                      PrecisionName(options_.precision)));
  }
  p = SkipBlanks(p, end);
  if (p != end) return Fail(p, "unexpected text after the timestamp");
  point_.timestamp_ns = ts.ns;
  point_.has_timestamp = true;
  return true;
}

bool Parser::FinishTags(bool sorted, bool rebuild_key, std::string_view raw_series) {
  if (!sorted) {
    std::sort(tag_entries_.begin(), tag_entries_.end(), [](const TagEntry& a, const TagEntry& b) {
      int cmp = a.tag.key.compare(b.tag.key);
      return cmp != 0 ? cmp < 0 : a.column < b.column;
    });
    for (size_t i = 1; i < tag_entries_.size(); ++i) {
      if (tag_entries_[i].tag.key == tag_entries_[i - 1].tag.key) {
        return Fail(line_.data() + tag_entries_[i].column,
                    absl::StrCat("duplicate tag key ", Quote(tag_entries_[i].tag.key)));
      }
    }
  }
  for (const TagEntry& e : tag_entries_) tags_.push_back(e.tag);
  if (sorted && !rebuild_key) {
    point_.series_key = raw_series;
    return true;
  }
  size_t start = scratch_.size();
  AppendCanonical(&scratch_, point_.measurement);
  for (const Tag& t : tags_) {
    scratch_.push_back(',');
    AppendCanonical(&scratch_, t.key);
    scratch_.push_back('=');
    AppendCanonical(&scratch_, t.value);
  }
  point_.series_key = std::string_view(scratch_.data() + start, scratch_.size() - start);
  return true;
}

absl::Status Parser::Parse(std::string_view text, PointCallback on_point, ErrorCallback on_error) {
  size_t pos = 0;
  while (pos < text.size()) {
    const char* nl =
        static_cast<const char*>(std::memchr(text.data() + pos, '\n', text.size() - pos));
    size_t line_end = nl ? static_cast<size_t>(nl - text.data()) : text.size();
    std::string_view line = text.substr(pos, line_end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl ? line_end + 1 : text.size();
    ++stats_.lines;
    switch (ParseLine(line)) {
      case LineKind::kSkip:
        break;
      case LineKind::kPoint: {
        point_.line_number = stats_.lines;
        ++stats_.points;
        stats_.field_values += static_cast<int64_t>(fields_.size());
        absl::Status s = on_point(point_);
        if (!s.ok()) return s;
        break;
      }
      case LineKind::kError: {
        ++stats_.bad_lines;
        LineError error{stats_.lines, error_column_, std::move(error_reason_), line};
        on_error(error);
        if (options_.on_error == OnError::kStop) return error.ToStatus();
        break;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Parser::Parse(std::string_view text, PointCallback on_point) {
  return Parse(text, on_point, [](const LineError&) {});
}

absl::StatusOr<ParseStats> ParseLines(std::string_view text, const ParseOptions& options,
                                      PointCallback on_point, ErrorCallback on_error) {
  Parser parser(options);
  absl::Status s = parser.Parse(text, on_point, on_error);
  if (!s.ok()) return s;
  return parser.stats();
}

absl::StatusOr<ParseStats> ParseLines(std::string_view text, const ParseOptions& options,
                                      PointCallback on_point) {
  return ParseLines(text, options, on_point, [](const LineError&) {});
}

std::string_view CompleteLines(std::string_view buffer) {
  size_t nl = buffer.rfind('\n');
  return nl == std::string_view::npos ? std::string_view() : buffer.substr(0, nl + 1);
}

}  // namespace telemdb::lineproto
