// Test helpers for ingest/lineproto: owned copies of parsed points. Test-only.
#ifndef TELEMDB_INGEST_LINEPROTO_TEST_UTIL_H_
#define TELEMDB_INGEST_LINEPROTO_TEST_UTIL_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ingest/lineproto/parser.h"
#include "storage/types.h"

namespace telemdb::lineproto::testing {

struct OwnedPoint {
  std::string measurement;
  std::string series_key;
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<std::pair<std::string, storage::Value>> fields;
  int64_t timestamp_ns = 0;
  bool has_timestamp = false;
  int64_t line_number = 0;

  // The value of field `key`; a default Value when absent.
  storage::Value field(std::string_view key) const {
    for (const auto& [k, v] : fields) {
      if (k == key) return v;
    }
    return storage::Value();
  }
};

inline storage::Value ToValue(const FieldValue& v) {
  switch (v.type) {
    case storage::ValueType::kFloat:
      return storage::Value::Float(v.f);
    case storage::ValueType::kInt:
      return storage::Value::Int(v.i);
    case storage::ValueType::kBool:
      return storage::Value::Bool(v.i != 0);
    case storage::ValueType::kString:
      return storage::Value::String(std::string(v.s));
  }
  return storage::Value();
}

inline OwnedPoint Own(const Point& p) {
  OwnedPoint o;
  o.measurement = std::string(p.measurement);
  o.series_key = std::string(p.series_key);
  for (const Tag& t : p.tags) o.tags.emplace_back(std::string(t.key), std::string(t.value));
  for (const Field& f : p.fields) o.fields.emplace_back(std::string(f.key), ToValue(f.value));
  o.timestamp_ns = p.timestamp_ns;
  o.has_timestamp = p.has_timestamp;
  o.line_number = p.line_number;
  return o;
}

// Parses `text` (kStop unless options say otherwise) and returns every point.
inline absl::StatusOr<std::vector<OwnedPoint>> ParseAll(std::string_view text,
                                                        ParseOptions options = ParseOptions()) {
  std::vector<OwnedPoint> out;
  absl::StatusOr<ParseStats> stats = ParseLines(text, options, [&](const Point& p) {
    out.push_back(Own(p));
    return absl::OkStatus();
  });
  if (!stats.ok()) return stats.status();
  return out;
}

// Parses exactly one point from `line`.
inline absl::StatusOr<OwnedPoint> ParseOne(std::string_view line,
                                           ParseOptions options = ParseOptions()) {
  absl::StatusOr<std::vector<OwnedPoint>> all = ParseAll(line, options);
  if (!all.ok()) return all.status();
  if (all->size() != 1) return absl::InternalError("expected exactly one point");
  return std::move(all->front());
}

}  // namespace telemdb::lineproto::testing

#endif  // TELEMDB_INGEST_LINEPROTO_TEST_UTIL_H_
