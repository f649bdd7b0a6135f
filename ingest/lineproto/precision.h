// Timestamp precision of line-protocol input: the unit of the trailing integer timestamp.
// Pure functions; thread-safe.
#ifndef TELEMDB_INGEST_LINEPROTO_PRECISION_H_
#define TELEMDB_INGEST_LINEPROTO_PRECISION_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"

namespace telemdb::lineproto {

enum class Precision : uint8_t {
  kNanoseconds = 0,
  kMicroseconds = 1,
  kMilliseconds = 2,
  kSeconds = 3,
  kMinutes = 4,  // InfluxDB 1.x /write?precision=m
  kHours = 5,    // ... and h
};

// Parses "ns", "us", "ms", "s", "m" or "h", and InfluxDB 1.x's "n" and "u". Errors:
// InvalidArgument naming the accepted spellings.
absl::StatusOr<Precision> ParsePrecision(std::string_view name);

// "ns", "us", "ms", "s", "m" or "h".
const char* PrecisionName(Precision p);

// Nanoseconds per unit: 1, 1000, 1000000 or 1000000000.
int64_t NanosPerUnit(Precision p);

// `value` units of `p` in nanoseconds, or nullopt when that overflows int64.
std::optional<int64_t> ScaleToNanos(int64_t value, Precision p);

}  // namespace telemdb::lineproto

#endif  // TELEMDB_INGEST_LINEPROTO_PRECISION_H_
