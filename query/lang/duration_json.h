// DurationFromJson: a duration in a JSON request body (the HTTP admin and rule APIs), given
// either as text under `name` ("30d", "2m": the query language's duration syntax) or as
// integer nanoseconds under `ns_name`; absent, null, "" or "0" mean 0. Errors name the key.
//
// Header-only so that query/lang itself does not depend on nlohmann/json.
#ifndef TELEMDB_QUERY_LANG_DURATION_JSON_H_
#define TELEMDB_QUERY_LANG_DURATION_JSON_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "query/lang/time_literal.h"

namespace telemdb::query::lang {

inline absl::StatusOr<int64_t> DurationFromJson(const nlohmann::json& j, const char* name,
                                                const char* ns_name) {
  if (j.contains(ns_name)) {
    if (!j[ns_name].is_number_integer()) {
      return absl::InvalidArgumentError(absl::StrCat(ns_name, ": expected an integer"));
    }
    return j[ns_name].get<int64_t>();
  }
  if (!j.contains(name) || j[name].is_null()) return 0;
  if (!j[name].is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": expected a duration such as \"30s\", \"2m\" or \"30d\""));
  }
  const std::string text = j[name].get<std::string>();
  if (text.empty() || text == "0") return 0;
  auto d = ParseDuration(text);
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(name, ": ", d.status().message()));
  return *d;
}

}  // namespace telemdb::query::lang

#endif  // TELEMDB_QUERY_LANG_DURATION_JSON_H_
