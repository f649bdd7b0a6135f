#include "ingest/lineproto/format.h"

#include <charconv>
#include <cmath>

namespace telemdb::lineproto {
namespace {

template <typename Pred>
void AppendEscaped(std::string_view s, Pred needs_escape, std::string* out) {
  for (char c : s) {
    if (needs_escape(c)) out->push_back('\\');
    out->push_back(c);
  }
}

void AppendDouble(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v < 0 ? "-Inf" : "Inf");
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  out->append(buf, r.ptr - buf);
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr - buf);
}

}  // namespace

void AppendEscapedMeasurement(std::string_view s, std::string* out) {
  // A leading '#' or blank would read as a comment or be skipped; measurements from the Parser
  // cannot start with either unescaped, and "\#" keeps a literal backslash, so none is added.
  AppendEscaped(
      s, [](char c) { return c == ',' || c == ' ' || c == '\\'; }, out);
}

void AppendEscapedKey(std::string_view s, std::string* out) {
  AppendEscaped(
      s, [](char c) { return c == ',' || c == '=' || c == ' ' || c == '\\'; }, out);
}

void AppendEscapedString(std::string_view s, std::string* out) {
  AppendEscaped(
      s, [](char c) { return c == '"' || c == '\\'; }, out);
}

void AppendPoint(const Point& point, std::string* out) {
  AppendEscapedMeasurement(point.measurement, out);
  for (const Tag& t : point.tags) {
    out->push_back(',');
    AppendEscapedKey(t.key, out);
    out->push_back('=');
    AppendEscapedKey(t.value, out);
  }
  char sep = ' ';
  for (const Field& f : point.fields) {
    out->push_back(sep);
    sep = ',';
    AppendEscapedKey(f.key, out);
    out->push_back('=');
    switch (f.value.type) {
      case storage::ValueType::kFloat:
        AppendDouble(f.value.f, out);
        break;
      case storage::ValueType::kInt:
        AppendInt(f.value.i, out);
        out->push_back('i');
        break;
      case storage::ValueType::kBool:
        out->push_back(f.value.i != 0 ? 't' : 'f');
        break;
      case storage::ValueType::kString:
        out->push_back('"');
        AppendEscapedString(f.value.s, out);
        out->push_back('"');
        break;
    }
  }
  out->push_back(' ');
  AppendInt(point.timestamp_ns, out);
}

}  // namespace telemdb::lineproto
