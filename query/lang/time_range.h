// Splits a WHERE clause into the time range it implies and the remaining conditions.
//
//   WHERE device = 'p1' AND time >= '2026-01-01T00:00:00Z' AND time < now()
//     -> range [2026-01-01T00:00:00Z, now), rest: device = 'p1'
//
// Only time conditions ANDed at the top level are taken (conjunctions nested in conjunctions
// count as top level); a time condition anywhere under an OR is an error, since the engine reads
// one contiguous range per query. The parser already rejects such trees with a position, so
// the error only reaches callers who build trees themselves.
//
// Thread safety: pure function.
#ifndef TELEMDB_QUERY_LANG_TIME_RANGE_H_
#define TELEMDB_QUERY_LANG_TIME_RANGE_H_

#include <cstdint>
#include <limits>
#include <optional>

#include "absl/status/statusor.h"
#include "query/lang/ast.h"

namespace telemdb::query::lang {

// Half-open [start, end) in ns since the Unix epoch. Unbounded sides are the int64 extremes,
// so a point at exactly INT64_MAX is never in range.
struct TimeRange {
  int64_t start = std::numeric_limits<int64_t>::min();
  int64_t end = std::numeric_limits<int64_t>::max();

  // True if no instant is in range (e.g. time > now() AND time < now() - 1h).
  bool empty() const { return start >= end; }
  bool operator==(const TimeRange&) const = default;
};

struct SplitWhere {
  TimeRange range;                // the intersection of all time conditions; all time if none
  std::optional<Condition> rest;  // the WHERE without its time conditions; nullopt if nothing
};

// Errors: InvalidArgument "time conditions must be ANDed with the rest of the WHERE clause" if
// a time condition sits under an OR.
absl::StatusOr<SplitWhere> SplitTimeRange(const std::optional<Condition>& where);

}  // namespace telemdb::query::lang

#endif  // TELEMDB_QUERY_LANG_TIME_RANGE_H_
