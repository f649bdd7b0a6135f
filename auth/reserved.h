// Reserved measurements: names starting with '_' belong to the server. No client identity
// may write them (the write path refuses a batch holding one, whatever its scopes); the
// server writes them itself.
//
// `_alerts` holds alert events (docs/alerts.md). Each of its series carries the tag
// `measurement`, the measurement of the rule that raised it, and a reader sees an `_alerts`
// series only when it may read that measurement: any read right opens `_alerts` itself, and
// `read:<glob>` shows the alerts of the rules over matching measurements only.
//
// Thread safety: pure functions.
#ifndef TELEMDB_AUTH_RESERVED_H_
#define TELEMDB_AUTH_RESERVED_H_

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "auth/scopes.h"
#include "storage/types.h"

namespace telemdb::auth {

inline constexpr char kAlertsMeasurement[] = "_alerts";

inline bool IsReservedMeasurement(std::string_view m) { return !m.empty() && m[0] == '_'; }

// PermissionDenied naming the first group of a reserved measurement (a client's write).
absl::Status CheckNotReserved(const std::vector<storage::SeriesBatch>& groups);

// Whether `who` may read measurement `m` at all (for `_alerts`: any read right).
bool MayReadMeasurement(const Identity& who, std::string_view m);
// Whether `who` may read the series of `m` with `tags` (row-level for `_alerts`).
bool MayReadSeries(const Identity& who, std::string_view m, const storage::TagSet& tags);

}  // namespace telemdb::auth

#endif  // TELEMDB_AUTH_RESERVED_H_
