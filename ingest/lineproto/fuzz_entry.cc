#include "ingest/lineproto/fuzz_entry.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ingest/lineproto/columnar_batcher.h"
#include "ingest/lineproto/format.h"
#include "ingest/lineproto/parser.h"

namespace telemdb::lineproto {
namespace {

[[noreturn]] void Die(const char* what, std::string_view detail) {
  std::fprintf(stderr, "lineproto fuzz invariant broken: %s: %.*s\n", what,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

bool SameValue(const FieldValue& a, const FieldValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case storage::ValueType::kFloat:
      return std::memcmp(&a.f, &b.f, sizeof a.f) == 0 || (a.f != a.f && b.f != b.f);
    case storage::ValueType::kInt:
    case storage::ValueType::kBool:
      return a.i == b.i;
    case storage::ValueType::kString:
      return a.s == b.s;
  }
  return false;
}

bool SamePoint(const Point& a, const Point& b) {
  if (a.measurement != b.measurement || a.series_key != b.series_key ||
      a.timestamp_ns != b.timestamp_ns || a.tags.size() != b.tags.size() ||
      a.fields.size() != b.fields.size()) {
    return false;
  }
  for (size_t i = 0; i < a.tags.size(); ++i) {
    if (a.tags[i].key != b.tags[i].key || a.tags[i].value != b.tags[i].value) return false;
  }
  for (size_t i = 0; i < a.fields.size(); ++i) {
    if (a.fields[i].key != b.fields[i].key) return false;
    if (!SameValue(a.fields[i].value, b.fields[i].value)) return false;
  }
  return true;
}

void CheckBatches(const std::vector<storage::SeriesBatch>& batches) {
  for (const storage::SeriesBatch& b : batches) {
    for (const storage::FieldColumn& c : b.fields) {
      if (c.size() != b.timestamps.size()) Die("column length", c.name);
      if (!c.valid.empty() && c.valid.size() != b.timestamps.size()) Die("validity", c.name);
    }
  }
}

}  // namespace

void FuzzLineProtocol(std::string_view data) {
  ParseOptions options;
  options.on_error = OnError::kSkip;
  options.allow_non_finite = true;
  options.now_ns = 42;
  ColumnarBatcher batcher(BatcherOptions{.max_values = 64});
  Parser parser(options);
  Parser reparser(options);
  std::string line;
  int64_t errors = 0;
  absl::Status s = parser.Parse(
      data,
      [&](const Point& p) -> absl::Status {
        if (p.measurement.empty() || p.fields.empty()) Die("empty point", p.series_key);
        line.clear();
        AppendPoint(p, &line);
        int seen = 0;
        absl::Status again = reparser.Parse(line, [&](const Point& q) {
          ++seen;
          if (!SamePoint(p, q)) Die("round trip differs", line);
          return absl::OkStatus();
        });
        if (!again.ok() || seen != 1) Die("round trip failed", line);
        absl::Status added = batcher.Add(p);  // type conflicts are fine; crashes are not
        (void)added;
        if (batcher.full()) CheckBatches(batcher.Take());
        return absl::OkStatus();
      },
      [&](const LineError& e) {
        ++errors;
        if (e.column < 1 || e.column > static_cast<int64_t>(e.line.size()) + 1) {
          Die("error column", e.reason);
        }
        if (e.line_number < 1 || e.line_number > parser.stats().lines) Die("line", e.reason);
      });
  if (!s.ok()) Die("skip mode failed", std::string(s.message()));
  CheckBatches(batcher.Take());
  if (parser.stats().bad_lines != errors) Die("error count", "");
}

}  // namespace telemdb::lineproto
