// Client: one MQTT session to a broker, as the bridge needs it: connect (persistent session),
// subscribe, receive PUBLISH packets in batches, and acknowledge them only when told to.
// Nothing is acknowledged behind the caller's back: a QoS 1 message gets its PUBACK (QoS 2:
// its PUBREC) from QueueAck() + Flush(), which the bridge calls after the message is durable,
// in receive order. A PUBREL (QoS 2, second step) is answered with PUBCOMP at once: its
// PUBREC, sent after the write, already promised the message is stored.
//
// Why not a packaged client library: libmosquitto acknowledges before its callback runs;
// Paho C's MQTTAsync acknowledges after its callback returns but runs the callbacks of every
// client of the process on one thread, so a callback that waits for an fsync serializes all
// connections (tests/mqtt_paho_ack_test.cc shows both; docs/mqtt.md has the figures).
//
// Oversized messages (over `max_packet_bytes`) are not buffered: their first bytes are kept
// (enough for the topic and packet id) and the rest is read and dropped, so they can be
// acknowledged and rejected with bounded memory.
//
// Keep-alive: a PINGREQ goes out when nothing was sent for the keep-alive interval; a broker
// that has not answered a PINGREQ within the interval is considered gone.
//
// Thread safety: one thread uses a Client.
#ifndef TELEMDB_INGEST_MQTT_CLIENT_H_
#define TELEMDB_INGEST_MQTT_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ingest/mqtt/codec.h"
#include "ingest/mqtt/config.h"
#include "ingest/mqtt/transport.h"

namespace telemdb::ingest::mqtt {

// A received PUBLISH.
struct Incoming {
  std::string topic;
  std::string payload;  // empty when too_large
  uint16_t packet_id = 0;
  uint8_t qos = 0;
  bool dup = false;
  bool retain = false;
  size_t wire_bytes = 0;  // the whole packet
  bool too_large = false;
  std::string error;  // the packet's properties were malformed (MQTT 5)
};

struct ClientOptions {
  ConnectOptions connect;
  // Larger PUBLISH packets are skipped (delivered with too_large). Default: 1 MiB.
  size_t max_packet_bytes = 1 << 20;
  // Deadline of the connection, the handshake and each write. Default: 10 s.
  absl::Duration io_timeout = absl::Seconds(10);
};

class Client {
 public:
  // Connects and completes CONNECT / CONNACK. Errors: those of Transport::Connect;
  // PermissionDenied when the broker refuses the credentials; FailedPrecondition for other
  // refusals (naming the CONNACK code); Unavailable for a broken handshake.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(const BrokerConfig& broker,
                                                         std::shared_ptr<TlsContext> tls,
                                                         const ClientOptions& options,
                                                         const std::atomic<bool>* cancel);

  bool session_present() const { return session_present_; }
  Version version() const { return version_; }

  // Subscribes and waits for the SUBACK; messages arriving meanwhile are kept for Receive().
  // Errors: FailedPrecondition when the broker refuses a filter; connection errors.
  absl::Status Subscribe(const std::vector<SubscribeFilter>& filters);

  // Waits at most `timeout` for messages and appends what arrived (up to `max_messages`, or
  // about `max_bytes` of payload) to `out`; returns early once something arrived and no
  // more is waiting. Errors: Unavailable (connection lost, keep-alive timeout, the broker
  // disconnected), InvalidArgument (a malformed packet).
  absl::Status Receive(absl::Duration timeout, size_t max_messages, size_t max_bytes,
                       std::vector<Incoming>* out);

  // Queues the acknowledgement of `m` (PUBACK for QoS 1, PUBREC for QoS 2; nothing for
  // QoS 0); `reason` is sent to MQTT 5 brokers. Flush() sends what is queued.
  void QueueAck(const Incoming& m, uint8_t reason);
  // Queues a QoS 1 PUBLISH of ours (dead letters); its PUBACK is read and dropped.
  void QueuePublish(std::string_view topic, std::string_view payload);
  absl::Status Flush();
  // Sends a PINGREQ when one is due (for callers busy elsewhere, e.g. retrying a write).
  absl::Status KeepAlive();
  // Sends DISCONNECT (the session stays on the broker) and closes.
  void Disconnect();
  // PUBACKs received for QueuePublish() messages so far.
  uint64_t publishes_acknowledged() const { return publishes_acknowledged_; }

 private:
  Client(std::unique_ptr<Transport> t, Version v, absl::Duration keep_alive, const ClientOptions& o)
      : transport_(std::move(t)), version_(v), keep_alive_(keep_alive), options_(o) {}
  // Reads more bytes (waiting at most `timeout`). Returns false on timeout.
  absl::StatusOr<bool> Fill(absl::Duration timeout);
  // Handles every whole packet in the buffer; PUBLISH packets go to `out` (or pending_).
  absl::Status Drain(std::vector<Incoming>* out, size_t max_messages);
  absl::Status HandlePacket(const FixedHeader& h, std::string_view body,
                            std::vector<Incoming>* out);
  void Compact();

  std::unique_ptr<Transport> transport_;
  Version version_;
  absl::Duration keep_alive_;
  ClientOptions options_;
  bool session_present_ = false;
  std::string in_;  // received, not yet handled
  size_t in_pos_ = 0;
  std::string out_;  // queued for Flush()
  // An oversized PUBLISH being skipped.
  struct Skip {
    bool active = false;
    uint8_t flags = 0;
    uint32_t total = 0;  // remaining length of the packet
    uint32_t seen = 0;   // bytes of it consumed so far
    std::string prefix;  // its first bytes
  } skip_;
  std::vector<Incoming> pending_;  // arrived during Subscribe()
  uint16_t next_packet_id_ = 1;
  uint16_t suback_wanted_ = 0;
  bool suback_seen_ = false;
  std::vector<uint8_t> suback_codes_;
  absl::Time last_sent_ = absl::Now();
  absl::Time ping_sent_ = absl::InfinitePast();  // outstanding PINGREQ, if any
  bool ping_outstanding_ = false;
  uint64_t publishes_acknowledged_ = 0;
};

}  // namespace telemdb::ingest::mqtt

#endif  // TELEMDB_INGEST_MQTT_CLIENT_H_
