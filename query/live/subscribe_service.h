// SubscribeService: the gRPC adapter of live subscriptions (telemdb.v1.SubscribeService).
// It authenticates the caller, turns the request into a selector, asks the LiveRegistry
// for a subscription (rights, limits), and streams what the subscription has through a
// LiveStreamReactor (rpc/live_stream_reactor.h): SubscribeStarted, then frames, overflow
// notices and the caught-up marker in order, heartbeats when idle. The caller's token is
// checked again at every heartbeat interval; a revoked or expired token ends the stream.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_QUERY_LIVE_SUBSCRIBE_SERVICE_H_
#define TELEMDB_QUERY_LIVE_SUBSCRIBE_SERVICE_H_

#include <functional>
#include <string>

#include "auth/authenticator.h"
#include "query/live/live_registry.h"
#include "rpc/call_tracker.h"
#include "telemdb/v1/realtime.grpc.pb.h"
#include "util/thread_pool.h"

namespace telemdb::query {

class SubscribeService final : public v1::SubscribeService::CallbackService {
 public:
  SubscribeService(LiveRegistry* registry, const auth::Authenticator* auth, rpc::CallTracker* calls)
      : registry_(registry), auth_(auth), calls_(calls), senders_(2) {}

  grpc::ServerWriteReactor<v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* ctx, const v1::SubscribeRequest* req) override;

  // Told about refusals of authenticated callers (identity, action, status). Default: none.
  std::function<void(const std::string&, const std::string&, const absl::Status&)> on_action;

 private:
  LiveRegistry* registry_;
  const auth::Authenticator* auth_;
  rpc::CallTracker* calls_;
  // Encode and send for the streams, off the live hub's thread.
  ThreadPool senders_;
};

// The wire form of a live message (frames, overflow or caught-up).
void ToProto(LiveMessage&& msg, v1::SubscribeResponse* out);
// storage semantics (see LiveSelector). Errors: InvalidArgument (no operator, bad regex).
absl::StatusOr<storage::TagMatcher> MatcherFromProto(const v1::TagMatcher& m);

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_LIVE_SUBSCRIBE_SERVICE_H_
