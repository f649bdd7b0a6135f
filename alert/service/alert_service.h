// AlertService: the gRPC adapter of alert listings and live alert events
// (telemdb.v1.AlertService). Both need a read right and show only the rules over
// measurements the identity may read (auth/reserved.h). WatchAlerts streams through a
// LiveStreamReactor: an AlertWatcher on the AlertBus, bounded like subscriptions (an
// Overflow says how many events were lost), heartbeats, the token re-checked.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_ALERT_SERVICE_ALERT_SERVICE_H_
#define TELEMDB_ALERT_SERVICE_ALERT_SERVICE_H_

#include "alert/alert_bus.h"
#include "alert/engine.h"
#include "auth/authenticator.h"
#include "query/live/live_registry.h"
#include "rpc/call_tracker.h"
#include "telemdb/v1/realtime.grpc.pb.h"

namespace telemdb::alert {

// Parses WatchAlerts/ListAlerts filters and the caller's read rights. Errors:
// InvalidArgument for an unknown state.
absl::StatusOr<WatchFilter> MakeWatchFilter(const auth::Identity& who,
                                            const std::vector<std::string>& rules,
                                            const std::vector<std::string>& states);

class AlertService final : public v1::AlertService::CallbackService {
 public:
  // `live` supplies the shared budget and heartbeat of live streams.
  AlertService(AlertEngine* engine, AlertBus* bus, query::LiveRegistry* live,
               const auth::Authenticator* auth, rpc::CallTracker* calls)
      : engine_(engine), bus_(bus), live_(live), auth_(auth), calls_(calls) {}

  grpc::ServerWriteReactor<v1::WatchAlertsResponse>* WatchAlerts(
      grpc::CallbackServerContext* ctx, const v1::WatchAlertsRequest* req) override;
  grpc::ServerUnaryReactor* ListAlerts(grpc::CallbackServerContext* ctx,
                                       const v1::ListAlertsRequest* req,
                                       v1::ListAlertsResponse* resp) override;

 private:
  AlertEngine* engine_;
  AlertBus* bus_;
  query::LiveRegistry* live_;
  const auth::Authenticator* auth_;
  rpc::CallTracker* calls_;
};

}  // namespace telemdb::alert

#endif  // TELEMDB_ALERT_SERVICE_ALERT_SERVICE_H_
