#include "query/live/subscribe_http.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "http/http_auth.h"
#include "http/http_status.h"
#include "nlohmann/json.hpp"
#include "query/lang/time_literal.h"
#include "query/live/sse.h"

namespace telemdb::query {

http::Headers EventStreamHeaders() {
  http::Headers h;
  h.Add("Content-Type", "text/event-stream; charset=utf-8");
  h.Add("Cache-Control", "no-cache");
  h.Add("X-Accel-Buffering", "no");
  return h;
}

void SubscribeHttp::Handle(const http::Request& req, http::ResponseWriter& w) {
  if (req.method != "GET") {
    http::Headers h = http::JsonHeaders();
    h.Add("Allow", "GET");
    return w.Send(405, std::move(h), http::ErrorJson("use GET for /api/v1/subscribe"));
  }
  const auth::Credentials creds = http::CredentialsOf(req);
  auto who = http::AuthenticateOrAnswer(*auth_, req, w);
  if (!who.ok()) return;
  LiveSelectorSpec spec;
  spec.measurement = std::string(req.Param("measurement").value_or(""));
  for (const auto& [k, v] : req.params) {
    if (k != "field" && k != "fields") continue;
    for (absl::string_view f : absl::StrSplit(v, ',', absl::SkipEmpty())) {
      spec.fields.emplace_back(f);
    }
  }
  spec.where = std::string(req.Param("where").value_or(""));
  int64_t since = 0;
  if (auto s = req.Param("since"); s && !s->empty()) {
    auto d = lang::ParseDuration(*s);
    if (!d.ok()) {
      return http::SendError(
          w, absl::InvalidArgumentError(absl::StrCat("since: ", d.status().message())));
    }
    since = *d;
  }
  auto epoch = ParseEpoch(req.Param("epoch").value_or(""));
  if (!epoch.ok()) return http::SendError(w, epoch.status());
  if (streams_.fetch_add(1) >= max_streams_) {
    streams_--;
    return http::SendError(
        w, absl::ResourceExhaustedError(absl::StrCat("too many HTTP event streams (", max_streams_,
                                                     "); use gRPC Subscribe or retry")));
  }
  struct Release {
    std::atomic<size_t>* n;
    ~Release() { (*n)--; }
  } release{&streams_};
  auto sub = registry_->Subscribe(*who, std::move(spec), since, nullptr);
  if (!sub.ok()) return http::SendError(w, sub.status());
  if (!w.Start(200, EventStreamHeaders())) return;
  nlohmann::ordered_json started;
  started["selector"] = (*sub)->selector().Describe();
  started["server_time"] = lang::FormatRfc3339(absl::GetCurrentTimeNanos());
  started["buffer_bytes"] = registry_->options().subscription.buffer_bytes;
  started["history"] = since > 0;
  if (!w.Write(SseEvent("started", started.dump()))) return;
  const absl::Duration heartbeat = registry_->options().heartbeat;
  absl::Time last_write = absl::Now();
  absl::Time last_check = absl::Now();
  while (true) {
    (*sub)->Wait(std::min(heartbeat, absl::Seconds(1)));
    LiveMessage m;
    std::string chunk;
    while (chunk.size() < (256 << 10) && (*sub)->Take(256 << 10, &m)) {
      switch (m.kind) {
        case LiveMessage::Kind::kFrames:
          for (const LiveFrame& f : m.frames) chunk += SseEvent("points", FrameJson(f, *epoch));
          break;
        case LiveMessage::Kind::kOverflow: {
          nlohmann::json o;
          o["dropped_points"] = m.dropped_points;
          o["dropped_values"] = m.dropped_values;
          chunk += SseEvent("overflow", o.dump());
          break;
        }
        case LiveMessage::Kind::kCaughtUp:
          chunk += SseEvent("caught_up", "{}");
          break;
      }
    }
    if (!chunk.empty()) {
      if (!w.Write(chunk)) return;  // the client went away
      last_write = absl::Now();
      continue;
    }
    absl::Status ended = (*sub)->ended();
    if (ended.ok() && absl::Now() - last_check >= heartbeat) {
      last_check = absl::Now();
      ended = auth_->Authenticate(creds).status();  // a revoked token ends the stream
    }
    if (!ended.ok()) {
      nlohmann::json e;
      e["error"] = std::string(ended.message());
      e["code"] = http::HttpCode(ended);
      (void)w.Write(
          SseEvent("end", e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
      return;
    }
    if (absl::Now() - last_write >= heartbeat) {
      if (!w.Write(SseComment("heartbeat"))) return;
      last_write = absl::Now();
    }
  }
}

}  // namespace telemdb::query
