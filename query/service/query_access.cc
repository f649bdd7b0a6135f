#include "query/service/query_access.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "query/engine/engine.h"
#include "util/client_text.h"

namespace telemdb::query {

bool ReadsEverything(const auth::Identity& who) {
  for (const auto& s : who.scopes) {
    if (s.kind == auth::Scope::Kind::kRead && s.glob.empty()) return true;
  }
  return false;
}

std::string StatementMeasurement(const lang::Statement& st) {
  return std::visit(
      [](const auto& s) -> std::string {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, lang::SelectStatement> ||
                      std::is_same_v<T, lang::DeleteStatement>) {
          return s.measurement;
        } else if constexpr (std::is_same_v<T, lang::ShowMeasurementsStatement>) {
          return "";
        } else {
          return s.measurement.value_or("");
        }
      },
      st);
}

absl::Status AuthorizeStatement(const auth::Identity& who, const lang::Statement& st) {
  if (IsWriteStatement(st) && !who.IsAdmin()) {
    return absl::PermissionDeniedError("DELETE needs the admin right");
  }
  const std::string m = StatementMeasurement(st);
  if (m.empty() ? !who.CanReadSomething() : !who.CanRead(m)) {
    return absl::PermissionDeniedError(
        m.empty() ? std::string("this identity has no read right")
                  : absl::StrCat("no read right on measurement \"", ClientText(m), "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SeriesId>> ScopedQuerier::Select(
    const storage::SeriesSelector& selector) {
  if (!Allowed(selector.measurement)) return std::vector<SeriesId>();
  return base_->Select(selector);
}

std::vector<std::string> ScopedQuerier::Measurements() {
  std::vector<std::string> all = base_->Measurements();
  if (all_) return all;
  all.erase(
      std::remove_if(all.begin(), all.end(), [this](const std::string& m) { return !Allowed(m); }),
      all.end());
  return all;
}

std::vector<std::pair<std::string, ValueType>> ScopedQuerier::Fields(std::string_view measurement) {
  if (!Allowed(measurement)) return {};
  return base_->Fields(measurement);
}

std::vector<std::string> ScopedQuerier::TagKeys(std::string_view measurement) {
  if (all_) return base_->TagKeys(measurement);
  if (!measurement.empty())
    return Allowed(measurement) ? base_->TagKeys(measurement) : std::vector<std::string>();
  std::set<std::string> keys;
  for (const std::string& m : Measurements()) {
    for (auto& k : base_->TagKeys(m)) keys.insert(std::move(k));
  }
  return {keys.begin(), keys.end()};
}

std::vector<std::string> ScopedQuerier::TagValues(std::string_view key,
                                                  std::string_view measurement, size_t limit) {
  if (all_) return base_->TagValues(key, measurement, limit);
  if (!measurement.empty()) {
    return Allowed(measurement) ? base_->TagValues(key, measurement, limit)
                                : std::vector<std::string>();
  }
  std::set<std::string> values;
  for (const std::string& m : Measurements()) {
    for (auto& v : base_->TagValues(key, m, limit)) values.insert(std::move(v));
  }
  std::vector<std::string> out(values.begin(), values.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

absl::StatusOr<uint64_t> ScopedQuerier::Delete(const DeleteRequest& request) {
  if (!Allowed(request.measurement)) {
    return absl::PermissionDeniedError(
        absl::StrCat("no read right on measurement \"", ClientText(request.measurement), "\""));
  }
  return base_->Delete(request);
}

}  // namespace telemdb::query
