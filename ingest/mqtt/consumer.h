// Consumer: one connection (one MQTT session) of a subscription, on its own thread:
//
//   authenticate the subscription's token -> connect (persistent session) -> subscribe when
//   the broker has no session for us -> loop { receive a batch of messages (whatever has
//   arrived, up to the in-flight window) -> decode each -> write the good ones in one call
//   through the shared write path (validation, scopes, WAL, fsync) -> acknowledge every
//   message of the batch, in receive order }
//
// Acknowledgements are sent only after the write returned: a message is acknowledged when
// its points are durable, or when it was rejected for good (bad payload, topic, scopes,
// limits: counted, logged at a bounded rate, optionally dead-lettered). A write the storage
// refuses for now (memory budget, full disk, failed WAL) is retried in place with backoff,
// keeping the session alive, and nothing is acknowledged meanwhile. The token is checked
// for every batch: when it is revoked or expired, the consumer disconnects without
// acknowledging what it holds (the broker keeps it) and stays paused until the bridge is
// reloaded. A lost connection is re-established with exponential backoff and jitter.
//
// A message redelivered (DUP) whose points had no timestamp of their own gets the same
// receive time again if this consumer gave it one before (it remembers the time per packet
// id), so a redelivery over a new connection does not add a second point.
//
// Thread safety: Start/RequestStop/Join from the bridge; the rest runs on the thread.
#ifndef TELEMDB_INGEST_MQTT_CONSUMER_H_
#define TELEMDB_INGEST_MQTT_CONSUMER_H_

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "auth/authenticator.h"
#include "ingest/mqtt/client.h"
#include "ingest/mqtt/decoder.h"
#include "ingest/mqtt/subscription.h"
#include "ingest/write_path.h"

namespace telemdb::ingest::mqtt {

// What the consumers of a bridge share.
struct ConsumerContext {
  WritePath* writes = nullptr;
  const auth::Authenticator* auth = nullptr;
  auth::AuditLog* audit = nullptr;                                  // may be null
  std::function<int64_t()> now;                                     // wall clock, ns
  std::function<void(const std::vector<Incoming>&)> after_durable;  // may be empty
  StopSignal* stop = nullptr;
};

class Consumer {
 public:
  Consumer(Subscription* sub, int index, const ConsumerContext* ctx);
  ~Consumer();
  void Start();
  void Join();

 private:
  // A decoded message of the batch being handled.
  struct Item {
    Decoded decoded;
    bool ok = false;
    Rejection why = Rejection::kPayload;
    std::string error;
  };

  void Run();
  // Connects and consumes until the connection fails or the bridge stops. Returns the
  // status that ended it (Unauthenticated: pause).
  absl::Status Session(bool* subscribed_before);
  absl::Status HandleBatch(Client& c, std::vector<Incoming>& batch);
  void DecodeOne(const Incoming& m, int64_t now, Item* item);
  // Writes the good items among `which` (splitting the batch when one is refused).
  // Errors: Cancelled (stopping while a write was being retried).
  absl::Status WriteItems(Client& c, const auth::Identity& who, const std::vector<Incoming>& batch,
                          std::vector<Item>& items, const std::vector<size_t>& which);
  void Reject(Client& c, const Incoming& m, const Item& item);
  absl::StatusOr<auth::Identity> Authenticate() const;
  void Pause(const absl::Status& why);
  void SetState(ConnState s) { sub_->SetState(index_, s); }
  std::string ClientId() const;

  Subscription* sub_;
  const int index_;
  const ConsumerContext* ctx_;
  std::thread thread_;
  std::mt19937_64 rng_;
  bool paused_ = false;
  bool connected_ = false;  // the current session got connected
  // Receive times given to messages with packet id: {hash of topic and payload, time}.
  struct Given {
    uint64_t hash;
    int64_t ns;
  };
  absl::flat_hash_map<uint16_t, Given> given_;
};

}  // namespace telemdb::ingest::mqtt

#endif  // TELEMDB_INGEST_MQTT_CONSUMER_H_
