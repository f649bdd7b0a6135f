// Figures the MQTT bridge keeps per subscription, for `telemdb admin stats` and /metrics:
// messages received, acknowledged, points stored, rejections by reason, the last message's
// time, and the state of the subscription's connections.
//
// Thread safety: SubscriptionCounters is updated by the subscription's connection threads
// and read by anyone (atomics).
#ifndef TELEMDB_INGEST_MQTT_STATS_H_
#define TELEMDB_INGEST_MQTT_STATS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace telemdb::ingest::mqtt {

// Why a message was acknowledged without being stored. Values name metric labels.
enum class Rejection : int {
  kPayload = 0,    // not valid in the payload format (bad JSON, wrong types, not a number)
  kTimestamp = 1,  // no timestamp (missing_timestamp = "reject") or an unreadable one
  kTopic = 2,      // the topic does not fit the template, or is not valid UTF-8
  kTooLarge = 3,   // over max_message_bytes or max_values_per_message
  kInvalid = 4,    // refused by storage validation (names, limits, field type conflicts)
  kDenied = 5,     // outside the subscription identity's write scopes (audited)
  kLimits = 6,     // the series cardinality limit
};
inline constexpr int kRejections = 7;
const char* RejectionName(Rejection r);

// The state of one connection.
enum class ConnState : int {
  kStarting = 0,
  kConnecting = 1,
  kConnected = 2,
  kBackoff = 3,       // waiting to reconnect after a failure
  kUnauthorized = 4,  // the token is refused: nothing is acknowledged until a reload
  kRetrying = 5,      // connected, retrying a write the storage refused for now
  kStopped = 6,
};
const char* ConnStateName(ConnState s);

struct SubscriptionCounters {
  std::atomic<uint64_t> received{0};      // PUBLISH packets received (redeliveries included)
  std::atomic<uint64_t> acknowledged{0};  // PUBACK/PUBREC sent (QoS 0: handled)
  std::atomic<uint64_t> stored{0};        // messages whose points were written
  std::atomic<uint64_t> points{0};        // field values written
  std::atomic<uint64_t> redelivered{0};   // messages with the DUP flag
  std::atomic<uint64_t> writes{0};        // write calls (one per batch of messages)
  std::atomic<uint64_t> write_retries{0};
  std::atomic<uint64_t> dead_letters{0};  // rejected messages republished
  std::atomic<uint64_t> reconnects{0};
  std::atomic<uint64_t> connection_failures{0};
  std::atomic<int64_t> last_message_ns{0};  // wall clock of the last message received
  std::array<std::atomic<uint64_t>, kRejections> rejected{};
};

// A copy for reporting.
struct SubscriptionSnapshot {
  std::string name, broker, topic, format;
  std::string state;  // "connected", "connecting", "backoff", "unauthorized", ... (worst)
  int connections = 0;
  int connected = 0;
  uint64_t received = 0, acknowledged = 0, stored = 0, points = 0, redelivered = 0;
  uint64_t writes = 0, write_retries = 0, dead_letters = 0, reconnects = 0;
  uint64_t connection_failures = 0;
  int64_t last_message_ns = 0;
  std::array<uint64_t, kRejections> rejected{};
  std::string last_error;  // the last connection or authorization problem ("" if none)
};

}  // namespace telemdb::ingest::mqtt

#endif  // TELEMDB_INGEST_MQTT_STATS_H_
