#include "server/mqtt_wiring.h"

#include "telemdb/v1/admin.pb.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::server {

absl::StatusOr<std::unique_ptr<ingest::mqtt::Bridge>> StartMqttBridge(
    const ServerOptions& options, ingest::WritePath* writes, const auth::Authenticator* auth,
    auth::AuditLog* audit) {
  if (options.mqtt_config.empty()) return std::unique_ptr<ingest::mqtt::Bridge>();
  ingest::mqtt::LoadOptions lo;
  lo.auth_disabled = options.auth == "none";
  ASSIGN_OR_RETURN(ingest::mqtt::MqttConfig config,
                   ingest::mqtt::LoadMqttConfig(options.mqtt_config, lo));
  ingest::mqtt::BridgeOptions bo;
  bo.writes = writes;
  bo.auth = auth;
  bo.audit = audit;
  bo.load = lo;
  return ingest::mqtt::Bridge::Start(config, std::move(bo));
}

void AddMqttStats(const ingest::mqtt::Bridge* bridge, v1::StatsResponse* resp) {
  if (bridge == nullptr) return;
  for (const ingest::mqtt::SubscriptionSnapshot& s : bridge->Snapshot()) {
    auto* m = resp->add_mqtt_subscriptions();
    m->set_name(s.name);
    m->set_broker(s.broker);
    m->set_topic(s.topic);
    m->set_format(s.format);
    m->set_state(s.state);
    m->set_connections(static_cast<uint32_t>(s.connections));
    m->set_connected(static_cast<uint32_t>(s.connected));
    m->set_messages_received(s.received);
    m->set_messages_acknowledged(s.acknowledged);
    m->set_messages_stored(s.stored);
    m->set_points_stored(s.points);
    for (int r = 0; r < ingest::mqtt::kRejections; r++) {
      (*m->mutable_rejected())[ingest::mqtt::RejectionName(
          static_cast<ingest::mqtt::Rejection>(r))] = s.rejected[r];
    }
    m->set_messages_redelivered(s.redelivered);
    m->set_writes(s.writes);
    m->set_write_retries(s.write_retries);
    m->set_dead_letters(s.dead_letters);
    m->set_reconnects(s.reconnects);
    m->set_connection_failures(s.connection_failures);
    m->set_last_message_unix_ns(s.last_message_ns);
    m->set_last_error(s.last_error);
  }
}

}  // namespace telemdb::server
