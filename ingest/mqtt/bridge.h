// Bridge: telemdb's MQTT front door. Consumes the subscriptions of an MQTT configuration
// (config.h) from their brokers and writes the readings through the write path every front
// door shares (ingest/write_path.h), acknowledging each message to the broker only after it
// is durable (consumer.h). docs/mqtt.md is the user's guide.
//
//   auto bridge = Bridge::Start(config, {.writes = &writes, .auth = &auth, .audit = audit});
//   ...
//   bridge->Reload();   // SIGHUP: re-read the file; new tokens, certificates, subscriptions
//   bridge->Stop();     // before the database closes
//
// Reload() re-reads the configuration file; when it is valid, every connection finishes
// the batch it holds, disconnects (the broker keeps the sessions), and the new
// configuration starts. An invalid file changes nothing (the error is returned). Counters
// continue across reloads for subscriptions that keep their name.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_INGEST_MQTT_BRIDGE_H_
#define TELEMDB_INGEST_MQTT_BRIDGE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ingest/mqtt/client.h"
#include "ingest/mqtt/config.h"
#include "ingest/mqtt/stats.h"

namespace telemdb::auth {
class AuditLog;
class Authenticator;
}  // namespace telemdb::auth

namespace telemdb::ingest {
class WritePath;
}

namespace telemdb::ingest::mqtt {

struct BridgeOptions {
  WritePath* writes = nullptr;                // required
  const auth::Authenticator* auth = nullptr;  // required
  auth::AuditLog* audit = nullptr;            // may be null
  // How Reload() reads the file again. Default: tokens required.
  LoadOptions load;
  // Wall clock in ns since the epoch. Default: the real clock.
  std::function<int64_t()> now;
  // Called on a connection's thread after a batch's points are durable and before its
  // acknowledgements are sent (benchmarks measure publish-to-durable latency with it).
  // Default: none.
  std::function<void(const std::vector<Incoming>&)> after_durable;
};

class Bridge {
 public:
  // Starts one thread per connection of every subscription. Errors: InvalidArgument for a
  // TLS setting OpenSSL refuses (bad CA, certificate or key file).
  static absl::StatusOr<std::unique_ptr<Bridge>> Start(const MqttConfig& config,
                                                       BridgeOptions options);
  ~Bridge();  // Stop()

  // Stops every connection (each finishes the batch it is writing) and waits. Idempotent.
  void Stop();
  // Errors: those of LoadMqttConfig and Start (the running configuration stays).
  absl::Status Reload();

  std::vector<SubscriptionSnapshot> Snapshot() const;

 private:
  struct Generation;
  explicit Bridge(BridgeOptions options);
  absl::StatusOr<std::unique_ptr<Generation>> Build(const MqttConfig& config);

  BridgeOptions options_;
  std::string path_;
  absl::Mutex reload_mu_;  // serializes Reload and Stop
  mutable absl::Mutex mu_;
  std::unique_ptr<Generation> current_ ABSL_GUARDED_BY(mu_);
  // By subscription name, kept across reloads.
  std::map<std::string, std::shared_ptr<SubscriptionCounters>> counters_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(reload_mu_) = false;
};

}  // namespace telemdb::ingest::mqtt

#endif  // TELEMDB_INGEST_MQTT_BRIDGE_H_
