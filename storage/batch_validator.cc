#include "storage/batch_validator.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "storage/write_error.h"
#include "util/absl_compat.h"

namespace telemdb::storage {

std::string DescribeGroup(const SeriesBatch& g) {
  std::string out = g.measurement;
  for (const auto& [k, v] : g.tags) {
    if (out.size() > kClientTextMax) break;
    absl::StrAppend(&out, ",", k, "=", v);
  }
  return ClientText(out);
}

namespace {

// True for the common case: a non-empty, short, printable ASCII name.
inline bool PlainName(std::string_view name, size_t max_bytes) {
  if (name.empty() || name.size() > max_bytes) return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// Why a name is unusable, or empty when it is fine. `what` names it in the message.
template <typename What>
std::string CheckName(const What& what, std::string_view name, size_t max_bytes) {
  if (PlainName(name, max_bytes)) return "";
  if (name.empty()) return absl::StrCat(what(), " is empty");
  if (name.size() > max_bytes) {
    return absl::StrCat(what(), " is ", name.size(), " bytes long; the limit is ", max_bytes);
  }
  if (!IsValidUtf8(name)) return absl::StrCat(what(), " is not valid UTF-8");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return absl::StrFormat("%s contains the control character 0x%02x, which is reserved", what(),
                             c);
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<uint64_t> ValidateBatch(std::vector<SeriesBatch>* groups,
                                       const ValidationContext& ctx) {
  const Limits& lim = *ctx.limits;
  if (groups->empty()) {
    return absl::InvalidArgumentError("empty write: the request holds no series");
  }
  const int64_t max_ts = ctx.now_ns + std::min<int64_t>(absl::ToInt64Nanoseconds(lim.max_future),
                                                        INT64_MAX - ctx.now_ns);
  uint64_t points = 0;
  for (size_t gi = 0; gi < groups->size(); gi++) {
    SeriesBatch& g = (*groups)[gi];
    // Where an error is; built only when there is one (this loop is on the write path).
    BatchError where{static_cast<int64_t>(gi), "", "", -1};
    const std::string* field_name = nullptr;
    auto fail = [&](const std::string& msg) {
      where.series = DescribeGroup(g);
      if (field_name != nullptr) where.field = ClientText(*field_name);
      std::string prefix = absl::StrCat("series ", gi, " (", where.series, ")");
      if (!where.field.empty()) absl::StrAppend(&prefix, " field \"", where.field, "\"");
      if (where.row >= 0) absl::StrAppend(&prefix, " row ", where.row);
      return MakeBatchError(absl::StatusCode::kInvalidArgument, where,
                            absl::StrCat(prefix, ": ", msg));
    };
    if (std::string why = CheckName([] { return std::string("measurement name"); }, g.measurement,
                                    lim.max_name_bytes);
        !why.empty()) {
      return fail(why);
    }
    if (g.tags.size() > lim.max_tags) {
      return fail(absl::StrCat("has ", g.tags.size(), " tags; the limit is ", lim.max_tags));
    }
    std::sort(g.tags.begin(), g.tags.end(),
              [](const Tag& a, const Tag& b) { return a.first < b.first; });
    for (size_t t = 0; t < g.tags.size(); t++) {
      const std::string& k = g.tags[t].first;
      const std::string& v = g.tags[t].second;
      if (std::string why =
              CheckName([&k] { return absl::StrCat("tag key \"", ClientText(k), "\""); }, k,
                        lim.max_name_bytes);
          !why.empty()) {
        return fail(why);
      }
      if (k == "time") return fail("\"time\" cannot be a tag key (it names the timestamp)");
      if (t > 0 && g.tags[t - 1].first == k) {
        return fail(absl::StrCat("tag key \"", ClientText(k), "\" appears twice"));
      }
      if (std::string why =
              CheckName([&k] { return absl::StrCat("value of tag \"", ClientText(k), "\""); }, v,
                        lim.max_tag_value_bytes);
          !why.empty()) {
        return fail(why);
      }
    }
    const size_t rows = g.timestamps.size();
    if (rows == 0) return fail("has no rows (the timestamp column is empty)");
    if (g.fields.empty()) return fail("has no fields");
    for (size_t r = 0; r < rows; r++) {
      int64_t t = g.timestamps[r];
      if (t >= lim.min_timestamp && t <= max_ts && t >= ctx.retention_cutoff_ns) continue;
      where.row = static_cast<int64_t>(r);
      if (t < lim.min_timestamp) {
        return fail(absl::StrCat("timestamp ", t, " is before the earliest accepted time ",
                                 lim.min_timestamp, " (",
                                 absl::FormatTime(absl::FromUnixNanos(lim.min_timestamp)), ")"));
      }
      if (t > max_ts) {
        return fail(absl::StrCat("timestamp ", t, " (", absl::FormatTime(absl::FromUnixNanos(t)),
                                 ") is more than ", absl::FormatDuration(lim.max_future),
                                 " ahead of the server clock"));
      }
      return fail(absl::StrCat("timestamp ", t, " (", absl::FormatTime(absl::FromUnixNanos(t)),
                               ") is older than the retention period"));
    }
    for (size_t fi = 0; fi < g.fields.size(); fi++) {
      const FieldColumn& f = g.fields[fi];
      field_name = &f.name;
      where.row = -1;
      if (std::string why =
              CheckName([] { return std::string("field name"); }, f.name, lim.max_name_bytes);
          !why.empty()) {
        return fail(why);
      }
      if (f.name == "time") return fail("\"time\" cannot be a field name (it names the timestamp)");
      for (size_t other = 0; other < fi; other++) {  // few fields: a scan beats hashing
        if (g.fields[other].name == f.name) return fail("field appears twice in the same series");
      }
      if (!IsValidValueType(static_cast<uint8_t>(f.type))) return fail("unknown value type");
      if (f.size() != rows) {
        return fail(
            absl::StrCat("has ", f.size(), " values but the series has ", rows, " timestamps"));
      }
      if (!f.valid.empty() && f.valid.size() != rows) {
        return fail(absl::StrCat("validity has ", f.valid.size(), " entries but the series has ",
                                 rows, " timestamps"));
      }
      for (size_t r = 0; r < rows; r++) {
        if (!f.IsValid(r)) continue;
        points++;
        if (f.type == ValueType::kFloat && lim.reject_nan && std::isnan(f.floats[r])) {
          where.row = static_cast<int64_t>(r);
          return fail("NaN values are rejected by this server (--reject-nan)");
        }
        if (f.type == ValueType::kString) {
          const std::string& s = f.strings[r];
          where.row = static_cast<int64_t>(r);
          if (s.size() > lim.max_string_bytes) {
            return fail(absl::StrCat("string value is ", s.size(), " bytes; the limit is ",
                                     lim.max_string_bytes));
          }
          if (!IsValidUtf8(s)) return fail("string value is not valid UTF-8");
          where.row = -1;
        }
      }
    }
  }
  if (points > lim.max_points_per_write) {
    return MakeBatchError(
        absl::StatusCode::kInvalidArgument, BatchError{},
        absl::StrCat("write holds ", points, " points; the limit is ", lim.max_points_per_write));
  }
  if (points == 0)
    return absl::InvalidArgumentError("write holds no values (every field is missing)");
  return points;
}

}  // namespace telemdb::storage
