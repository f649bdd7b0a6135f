// Text forms of result values, shared by every output format of the CLI:
//
//   floats     shortest round-trip form (std::to_chars without a precision): 53.2, 1e+21, 5;
//              NaN, Inf, -Inf for the non-finite values
//   times      RFC 3339 in UTC with the fraction trimmed (2026-01-01T00:00:00.25Z), or an
//              integer count of ns, ms or s since the epoch (rounded towards the past)
//   CSV        RFC 4180: a cell is quoted only when it holds , " CR or LF (quotes doubled)
//   JSON       strings escaped per RFC 8259 (control characters as \u00XX)
//
// Every function appends to `out`. Thread safety: pure functions.
#ifndef TELEMDB_CLI_OUTPUT_VALUE_FORMAT_H_
#define TELEMDB_CLI_OUTPUT_VALUE_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace telemdb::cli {

enum class TimeUnit : uint8_t {
  kRfc3339 = 0,
  kNanoseconds = 1,
  kMilliseconds = 2,
  kSeconds = 3,
};

// "rfc3339" (also ""), "ns", "ms", "s". Errors: InvalidArgument naming the choices.
absl::StatusOr<TimeUnit> ParseTimeUnit(std::string_view s);

void AppendDouble(double v, std::string* out);
void AppendInt(int64_t v, std::string* out);
// RFC 3339 UTC, e.g. 2026-01-01T08:30:00Z, 2026-01-01T08:30:00.123456789Z.
void AppendRfc3339(int64_t ns, std::string* out);
void AppendTime(int64_t ns, TimeUnit unit, std::string* out);
// A CSV cell: `s` as is, or in double quotes (inner quotes doubled) when it holds , " \r \n.
void AppendCsvCell(std::string_view s, std::string* out);
// A JSON string literal, with the quotes.
void AppendJsonString(std::string_view s, std::string* out);

// Parses a time given on the command line: an RFC 3339 instant ("2026-01-01T00:00:00Z",
// "2026-01-01T08:30:00.25+02:00"), a date ("2026-01-01", midnight UTC), "YYYY-MM-DD HH:MM:SS"
// (UTC), or an integer count of ns since the epoch. Errors: InvalidArgument.
absl::StatusOr<int64_t> ParseTimeArg(std::string_view s);

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_OUTPUT_VALUE_FORMAT_H_
