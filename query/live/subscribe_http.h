// The HTTP adapter of live subscriptions: GET /api/v1/subscribe streams server-sent events
// (docs/http.md#live-subscriptions).
//
//   GET /api/v1/subscribe?measurement=readings&field=velocity&field=fuel_state
//       &where=fleet%3D%27East%27&since=5m&epoch=ms
//
// Events: `started` (the selector, the buffer), `points` (one frame: a series group's rows,
// FrameJson), `overflow` ({"dropped_points","dropped_values"}: the reader was too slow),
// `caught_up` (history done, live from here), heartbeat comments when idle, and `end`
// ({"error": ...}) when the server ends the stream (shutdown, the token stopped working,
// the history failed). Errors before the stream starts are ordinary JSON answers (400, 401,
// 403, 503). Browsers read the stream with fetch() (EventSource cannot send the
// Authorization header).
//
// A stream holds an HTTP worker thread while it lasts, so at most `max_streams` run at once
// (503 past it), besides the registry's --max-subscriptions.
//
// Thread safety: Handle() is thread-safe.
#ifndef TELEMDB_QUERY_LIVE_SUBSCRIBE_HTTP_H_
#define TELEMDB_QUERY_LIVE_SUBSCRIBE_HTTP_H_

#include <atomic>
#include <cstddef>

#include "auth/authenticator.h"
#include "http/message.h"
#include "query/live/live_registry.h"

namespace telemdb::query {

class SubscribeHttp {
 public:
  SubscribeHttp(LiveRegistry* registry, const auth::Authenticator* auth, size_t max_streams)
      : registry_(registry), auth_(auth), max_streams_(max_streams) {}

  void Handle(const http::Request& req, http::ResponseWriter& w);

 private:
  LiveRegistry* registry_;
  const auth::Authenticator* auth_;
  const size_t max_streams_;
  std::atomic<size_t> streams_{0};
};

// Headers of an event stream: text/event-stream, no caching, no proxy buffering.
http::Headers EventStreamHeaders();

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_LIVE_SUBSCRIBE_HTTP_H_
