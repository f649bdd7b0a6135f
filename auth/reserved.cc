#include "auth/reserved.h"

#include "absl/strings/str_cat.h"
#include "util/client_text.h"

namespace telemdb::auth {

absl::Status CheckNotReserved(const std::vector<storage::SeriesBatch>& groups) {
  for (size_t g = 0; g < groups.size(); g++) {
    if (IsReservedMeasurement(groups[g].measurement)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "series ", g, ": measurement \"", ClientText(groups[g].measurement),
          "\" is reserved for the server (names starting with '_' cannot be written)"));
    }
  }
  return absl::OkStatus();
}

bool MayReadMeasurement(const Identity& who, std::string_view m) {
  if (m == kAlertsMeasurement) return who.CanReadSomething();
  return who.CanRead(m);
}

bool MayReadSeries(const Identity& who, std::string_view m, const storage::TagSet& tags) {
  if (m != kAlertsMeasurement) return who.CanRead(m);
  for (const auto& [k, v] : tags) {
    if (k == "measurement") return who.CanRead(v);
  }
  return who.CanRead(m);  // an `_alerts` series without the tag: only unrestricted readers
}

}  // namespace telemdb::auth
