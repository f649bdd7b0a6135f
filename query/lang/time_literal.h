// Text forms of durations and instants used by the query language.
//
//   durations: one or more <digits><unit> groups, e.g. 15m, 1h30m, 250ms, 10us / 10µs;
//              units ns, us (or µs), ms, s, m, h, d (24h), w (7d); lower case only.
//   instants:  RFC 3339, e.g. 2026-01-01T00:00:00Z, 2026-01-01T00:00:00.123456789+02:00;
//              also a space instead of T, no zone (UTC), or a bare date (midnight UTC).
//
// Values are int64 nanoseconds (instants since the Unix epoch, UTC), so representable instants
// run from 1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z.
//
// Errors: the parsers return InvalidArgument with a message that has no position (callers add
// it). Thread safety: pure functions.
#ifndef TELEMDB_QUERY_LANG_TIME_LITERAL_H_
#define TELEMDB_QUERY_LANG_TIME_LITERAL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace telemdb::query::lang {

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;

// Parses an unsigned duration such as "1h30m". Errors: unknown unit, missing digits,
// overflow of int64 nanoseconds.
absl::StatusOr<int64_t> ParseDuration(std::string_view text);

// Canonical form, largest units first: 5400000000000 -> "1h30m", 0 -> "0s", negative values
// get a leading '-'. ParseDuration inverts it for non-negative values.
std::string FormatDuration(int64_t ns);

// Parses an RFC 3339 instant (see the file comment for accepted variants). Errors: malformed
// text, out-of-range fields (month 13, Feb 30, hour 24, ...), more than 9 fractional digits,
// an instant outside the int64 nanosecond range.
absl::StatusOr<int64_t> ParseRfc3339(std::string_view text);

// Formats as UTC RFC 3339 with as many fractional digits as needed (none, or up to 9):
// "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5Z". ParseRfc3339 inverts it.
std::string FormatRfc3339(int64_t ns);

}  // namespace telemdb::query::lang

#endif  // TELEMDB_QUERY_LANG_TIME_LITERAL_H_
