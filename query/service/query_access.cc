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
  if (m.empty() ? !who.CanReadSomething() : !auth::MayReadMeasurement(who, m)) {
    return absl::PermissionDeniedError(
        m.empty() ? std::string("this identity has no read right")
                  : absl::StrCat("no read right on measurement \"", ClientText(m), "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SeriesId>> ScopedQuerier::Select(
    const storage::SeriesSelector& selector) {
  if (!Allowed(selector.measurement)) return std::vector<SeriesId>();
  auto ids = base_->Select(selector);
  if (!ids.ok() || !RowFiltered(selector.measurement)) return ids;
  std::vector<SeriesId> out;
  for (SeriesId id : *ids) {
    auto meta = base_->Describe(id);
    if (meta.ok() && auth::MayReadSeries(*who_, selector.measurement, meta->key.tags)) {
      out.push_back(id);
    }
  }
  return out;
}

std::vector<SeriesId> ScopedQuerier::VisibleAlertSeries() {
  storage::SeriesSelector sel;
  sel.measurement = auth::kAlertsMeasurement;
  auto ids = Select(sel);
  return ids.ok() ? *ids : std::vector<SeriesId>();
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
  if (RowFiltered(measurement)) {
    std::set<std::string> keys;
    for (SeriesId id : VisibleAlertSeries()) {
      auto meta = base_->Describe(id);
      if (!meta.ok()) continue;
      for (const auto& [k, v] : meta->key.tags) keys.insert(k);
    }
    return {keys.begin(), keys.end()};
  }
  if (!measurement.empty())
    return Allowed(measurement) ? base_->TagKeys(measurement) : std::vector<std::string>();
  std::set<std::string> keys;
  for (const std::string& m : Measurements()) {
    for (auto& k : TagKeys(m)) keys.insert(std::move(k));
  }
  return {keys.begin(), keys.end()};
}

std::vector<std::string> ScopedQuerier::TagValues(std::string_view key,
                                                  std::string_view measurement, size_t limit) {
  if (all_) return base_->TagValues(key, measurement, limit);
  if (RowFiltered(measurement)) {
    std::set<std::string> values;
    for (SeriesId id : VisibleAlertSeries()) {
      auto meta = base_->Describe(id);
      if (!meta.ok()) continue;
      for (const auto& [k, v] : meta->key.tags) {
        if (k == key) values.insert(v);
      }
    }
    std::vector<std::string> out(values.begin(), values.end());
    if (out.size() > limit) out.resize(limit);
    return out;
  }
  if (!measurement.empty()) {
    return Allowed(measurement) ? base_->TagValues(key, measurement, limit)
                                : std::vector<std::string>();
  }
  std::set<std::string> values;
  for (const std::string& m : Measurements()) {
    for (auto& v : TagValues(key, m, limit)) values.insert(std::move(v));
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
