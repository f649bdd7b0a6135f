// Writes points back as line protocol, in the canonical spelling the Parser reads back to the
// same point: every element escaped per docs/line-protocol.md (backslashes doubled), floats in
// the shortest form that round-trips, `i` integers, `t`/`f` booleans, ns timestamps.
// Used by tests, the fuzzer's round-trip check and tools that re-emit points.
// Pure functions; thread-safe.
#ifndef TELEMDB_INGEST_LINEPROTO_FORMAT_H_
#define TELEMDB_INGEST_LINEPROTO_FORMAT_H_

#include <string>
#include <string_view>

#include "ingest/lineproto/point.h"

namespace telemdb::lineproto {

// Appends `point` as one line without the trailing '\n'. Always writes the timestamp (ns).
// NaN and infinities are written as `NaN`, `Inf`, `-Inf` (readable only with
// ParseOptions::allow_non_finite). REQUIRES: no '\n' in any name or string value (the Parser
// never produces one).
void AppendPoint(const Point& point, std::string* out);

// Appends `s` escaped as a measurement / a tag key, tag value or field key / the inside of a
// string field value.
void AppendEscapedMeasurement(std::string_view s, std::string* out);
void AppendEscapedKey(std::string_view s, std::string* out);
void AppendEscapedString(std::string_view s, std::string* out);

}  // namespace telemdb::lineproto

#endif  // TELEMDB_INGEST_LINEPROTO_FORMAT_H_
