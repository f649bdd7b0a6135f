// FakeBroker: a scripted MQTT broker for the bridge's tests, on a free loopback port. It
// accepts one client at a time, answers CONNECT (session present as configured) and
// SUBSCRIBE, sends the PUBLISH packets a test asks for, and records every PUBACK, PUBREC,
// PUBCOMP and PUBLISH the client sends, in order. A hook runs on its thread when an
// acknowledgement arrives (before it is recorded), so a test can check what was durable at
// that moment. Tests only: it trusts its client.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_INGEST_MQTT_FAKE_BROKER_H_
#define TELEMDB_INGEST_MQTT_FAKE_BROKER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ingest/mqtt/codec.h"

namespace telemdb::ingest::mqtt {

class FakeBroker {
 public:
  struct Seen {
    PacketType type;
    uint16_t packet_id = 0;
    uint8_t reason = 0;
    std::string topic;  // PUBLISH from the client (dead letters)
    std::string payload;
  };

  FakeBroker();
  ~FakeBroker();
  int port() const { return port_; }

  // CONNACK's session-present flag for the next connections. Default: false.
  void set_session_present(bool v) { session_present_ = v; }
  // Sends PUBLISH packets to the connected client (waits until one is connected).
  void Publish(const std::string& topic, const std::string& payload, uint8_t qos,
               uint16_t packet_id, bool dup = false);
  // Sends raw bytes to the connected client.
  void SendRaw(const std::string& bytes);
  // Closes the client's connection.
  void DropConnection();

  // Waits until `n` packets of `type` were seen (from the start). False on timeout.
  bool WaitFor(PacketType type, size_t n, absl::Duration timeout);
  // Waits until `n` connections subscribed in total.
  bool WaitSubscribed(int n, absl::Duration timeout);
  std::vector<Seen> seen() const;
  std::vector<Seen> seen(PacketType type) const;
  int connections() const;
  int subscriptions() const;
  Version client_version() const;

  // Runs on the broker's thread for each PUBACK/PUBREC from the client, before it is
  // recorded. Set before the client connects.
  std::function<void(const Seen&)> on_ack;

 private:
  void Loop();
  bool HandlePacket(const FixedHeader& h, std::string_view body);
  void Send(const std::string& bytes);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> session_present_{false};
  std::thread thread_;
  mutable absl::Mutex mu_;
  int client_fd_ ABSL_GUARDED_BY(mu_) = -1;
  Version version_ ABSL_GUARDED_BY(mu_) = Version::k311;
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
  int connections_ ABSL_GUARDED_BY(mu_) = 0;
  int subscriptions_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Mutex write_mu_;
};

}  // namespace telemdb::ingest::mqtt

#endif  // TELEMDB_INGEST_MQTT_FAKE_BROKER_H_
