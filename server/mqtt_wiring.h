// The MQTT bridge (ingest/mqtt/bridge.h) in telemdbd: started from --mqtt-config, its
// figures in `admin stats`. Kept apart from server.cc so that the server's wiring needs one
// call per lifecycle step.
//
// Thread safety: StartMqttBridge from Server::Start; AddMqttStats from any thread.
#ifndef TELEMDB_SERVER_MQTT_WIRING_H_
#define TELEMDB_SERVER_MQTT_WIRING_H_

#include <memory>

#include "absl/status/statusor.h"
#include "ingest/mqtt/bridge.h"
#include "server/server_options.h"

namespace telemdb::v1 {
class StatsResponse;
}

namespace telemdb::server {

// Starts the bridge when --mqtt-config is set; null otherwise. Errors: the file cannot be
// read or is invalid, a secret file is readable by others, a TLS file is refused
// (telemdbd refuses to start).
absl::StatusOr<std::unique_ptr<ingest::mqtt::Bridge>> StartMqttBridge(
    const ServerOptions& options, ingest::WritePath* writes, const auth::Authenticator* auth,
    auth::AuditLog* audit);

// Adds one MqttSubscription per subscription (nothing when `bridge` is null).
void AddMqttStats(const ingest::mqtt::Bridge* bridge, v1::StatsResponse* resp);

}  // namespace telemdb::server

#endif  // TELEMDB_SERVER_MQTT_WIRING_H_
