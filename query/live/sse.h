// Server-sent events (text/event-stream) for the live HTTP endpoints: the framing of one
// event, and the JSON of live frames. Times follow the HTTP API's `epoch` convention
// (docs/http.md): RFC 3339 strings by default (exact, and JavaScript numbers cannot hold
// nanoseconds), or numbers in ns, us, ms or s.
//
// Thread safety: pure functions.
#ifndef TELEMDB_QUERY_LIVE_SSE_H_
#define TELEMDB_QUERY_LIVE_SSE_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "query/live/live_frame.h"

namespace telemdb::query {

enum class Epoch { kRfc3339, kNs, kUs, kMs, kS };
// "" (RFC 3339), "ns", "u"/"us", "ms", "s". Errors: InvalidArgument naming the choices.
absl::StatusOr<Epoch> ParseEpoch(std::string_view s);

// "event: <name>\ndata: <data>\n\n" (`data` must be one line, as JSON is).
std::string SseEvent(std::string_view name, std::string_view data);
// ": <text>\n\n", a comment line that keeps the connection alive.
std::string SseComment(std::string_view text);

// {"measurement":...,"tags":{...},"time":[...],"fields":{"f":[values or null]},
//  "history":bool}
std::string FrameJson(const LiveFrame& f, Epoch epoch);

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_LIVE_SSE_H_
