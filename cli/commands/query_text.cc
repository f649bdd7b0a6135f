#include "cli/commands/query_text.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "util/absl_compat.h"

namespace telemdb::cli {

std::string QuoteName(std::string_view name) {
  static const char* kReserved[] = {"select", "from", "where",  "and",   "or",     "group",
                                    "by",     "fill", "order",  "limit", "slimit", "as",
                                    "asc",    "desc", "delete", "show"};
  bool bare = !name.empty() && (absl::ascii_isalpha(name[0]) || name[0] == '_');
  for (char c : name) bare = bare && (absl::ascii_isalnum(c) || c == '_');
  if (bare) {
    std::string lower = absl::AsciiStrToLower(Sv(name));
    for (const char* r : kReserved) bare = bare && lower != r;
  }
  if (bare) return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string WhereClause(const std::vector<std::string>& conditions) {
  std::string out;
  for (const auto& c : conditions) {
    out += out.empty() ? " WHERE (" : " AND (";
    out += c;
    out += ")";
  }
  return out;
}

std::string SeriesKey(std::string_view measurement,
                      std::vector<std::pair<std::string, std::string>> tags) {
  std::sort(tags.begin(), tags.end());
  std::string out(measurement);
  for (const auto& [k, v] : tags) {
    if (v.empty()) continue;
    out += "," + k + "=" + v;
  }
  return out;
}

}  // namespace telemdb::cli
