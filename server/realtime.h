// Realtime: telemdbd's live half, wired in one place so that server.cc only starts and stops
// it: the LiveHub on the storage's applied writes; subscriptions (gRPC SubscribeService,
// GET /api/v1/subscribe); the alert engine with its notifier and the AlertBus; the gRPC
// AlertService; the HTTP rule, target and alert endpoints. The AdminService rule calls use
// engine().
//
// Memory: `live_memory` (subscription and alert-watch buffers, 3/4, and the hub's queue,
// 1/4) and `alert_memory` (alert instances and windows, 3/4, and the engine's queue, 1/4),
// each 1/16 of --memory-budget unless set, are carved out of it (server.cc gives gRPC's
// resource quota 1/8 instead of 1/4 for that).
//
// Thread safety: Start, Register and Shutdown from one thread; the rest is thread-safe.
#ifndef TELEMDB_SERVER_REALTIME_H_
#define TELEMDB_SERVER_REALTIME_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "http/message.h"
#include "server/realtime_options.h"

namespace grpc {
class ServerBuilder;
}
namespace telemdb::auth {
class AuditLog;
class Authenticator;
}  // namespace telemdb::auth
namespace telemdb::rpc {
class CallTracker;
}
namespace telemdb::storage {
class Db;
}
namespace telemdb::alert {
class AlertEngine;
}
namespace telemdb::v1 {
class StatsResponse;
}

namespace telemdb::server {

struct RealtimeDeps {
  storage::Db* db = nullptr;
  const auth::Authenticator* auth = nullptr;
  auth::AuditLog* audit = nullptr;  // may be null
  rpc::CallTracker* calls = nullptr;
  uint64_t memory_budget = 0;
  int http_workers = 4;  // HTTP event streams hold a worker: at most half of them stream
};

class Realtime {
 public:
  // Hooks the hub to `deps.db` and starts the alert engine (loading its rules).
  // Errors: the database fails.
  static absl::StatusOr<std::unique_ptr<Realtime>> Start(const RealtimeDeps& deps,
                                                         const RealtimeOptions& options);
  ~Realtime();

  // Registers SubscribeService and AlertService.
  void Register(grpc::ServerBuilder* builder);
  // True for the HTTP paths this serves (/api/v1/subscribe, rules, targets, alerts).
  bool ServesHttp(const std::string& path) const;
  void HandleHttp(const http::Request& req, http::ResponseWriter& w);
  // The alert engine (null with --alerts=off).
  alert::AlertEngine* engine() const;
  // Adds the live and alert figures to an admin Stats answer.
  void AddStats(v1::StatsResponse* resp) const;
  // Ends every stream (UNAVAILABLE), stops the engine and the notifier, unhooks the hub.
  // Before the server drains its calls. Idempotent.
  void Shutdown();

  struct Rep;

 private:
  explicit Realtime(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace telemdb::server

#endif  // TELEMDB_SERVER_REALTIME_H_
