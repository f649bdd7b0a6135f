// The MQTT bridge's configuration: brokers and subscriptions, read from the TOML file named
// by `telemdbd --mqtt-config FILE` (docs/mqtt.md documents every key; docs/examples/mqtt.toml
// is a working example). Loading is strict: an unknown key, a wrong type or an impossible
// combination is an error naming the key, and telemdbd refuses to start.
//
// Secrets never appear in the file itself: passwords and tokens come from files named by
// `password_file` and `token_file`, which, like `key_file`, must be regular files readable
// by their owner only (mode 0600 or 0400).
//
// Thread safety: values.
#ifndef TELEMDB_INGEST_MQTT_CONFIG_H_
#define TELEMDB_INGEST_MQTT_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ingest/mqtt/codec.h"
#include "ingest/mqtt/topic.h"
#include "storage/types.h"

namespace telemdb::ingest::mqtt {

struct BrokerConfig {
  // Referred to by subscriptions. Default: "default".
  std::string name = "default";
  // tcp://host:port or ssl://host:port (also mqtt:// and mqtts://). Required.
  std::string url;
  std::string host;  // from url
  int port = 0;      // from url; default 1883 (tcp) or 8883 (ssl)
  bool tls = false;  // ssl:// or mqtts://
  // The client identifier; connection i of subscription S uses "<client_id>-<S>-<i>". Keep
  // it stable: the broker keys the persistent session by it. Default: "telemdb".
  std::string client_id = "telemdb";
  // MQTT protocol: "3.1.1" or "5". Default: "3.1.1".
  Version version = Version::k311;
  // Default: none.
  std::optional<std::string> username;
  // Read from password_file (owner-only). Default: none.
  std::optional<std::string> password;
  // ssl://: CA bundle that signs the broker's certificate (default: the system store),
  // client certificate and key (mTLS; key owner-only), whether the broker's certificate
  // name must match the host. Defaults: none, none, none, true.
  std::string ca_file, cert_file, key_file;
  bool verify_hostname = true;
  // Default: 30 s (whole seconds, 1 to 65,535).
  absl::Duration keep_alive = absl::Seconds(30);
  // MQTT 5: how long the broker keeps the session (and queues messages) while telemdb is
  // away. Default: 7 days. MQTT 3.1.1 sessions last until the broker's own limit.
  absl::Duration session_expiry = absl::Hours(24 * 7);
  // Default: 10 s.
  absl::Duration connect_timeout = absl::Seconds(10);
  // Reconnect backoff: doubles from min to max, with up to 50 % random jitter.
  // Defaults: 100 ms, 30 s.
  absl::Duration reconnect_min = absl::Milliseconds(100);
  absl::Duration reconnect_max = absl::Seconds(30);
};

enum class PayloadFormat { kJson, kLineProtocol, kValue };
const char* PayloadFormatName(PayloadFormat f);

// How a JSON timestamp is read.
enum class TimeFormat { kAuto, kSeconds, kMillis, kMicros, kNanos, kRfc3339 };

// What a message without a timestamp gets.
enum class MissingTimestamp { kReceiveTime, kReject };

struct JsonMapping {
  // Path (dots for nested objects) of the timestamp. Default: "ts".
  std::string timestamp_field = "ts";
  // Default: auto (numbers by magnitude, strings as RFC 3339; docs/mqtt.md).
  TimeFormat timestamp_format = TimeFormat::kAuto;
  // Paths whose values become tags (numbers and booleans as their JSON text). Default: none.
  std::vector<std::string> tags;
  // Declared field types by path: "float", "int", "bool", "string". Undeclared numbers are
  // floats. Default: none.
  std::map<std::string, storage::ValueType> types;
  // Paths dropped. Default: none.
  std::vector<std::string> ignore;
  // A path whose string value names the measurement. Default: none.
  std::string measurement_field;
};

struct SubscriptionConfig {
  // Names the subscription in stats, metrics and logs. Default: "sub<N>" (1-based).
  std::string name;
  // Broker name. Default: the only broker.
  std::string broker;
  // Topic filter (+, #, $share/<group>/...). Required.
  std::string topic;
  // 0, 1 or 2. Default: 1.
  uint8_t qos = 1;
  // "json", "lineproto" or "value". Default: "json".
  PayloadFormat format = PayloadFormat::kJson;
  // File holding the telemdb token this subscription writes as (owner-only). Required
  // unless telemdbd runs with --auth=none.
  std::string token_file;
  std::string token;  // its content, trimmed
  // Default: none (tags come from the payload only).
  TopicTemplate topic_template;
  // Fixed measurement (json, value). Default: from {measurement} in the template, else
  // required.
  std::string measurement;
  // value: the field name (unless the template has {field}). Default: "value".
  std::string field = "value";
  // value: "float" or "int". Default: "float".
  storage::ValueType value_type = storage::ValueType::kFloat;
  // lineproto: unit of timestamps: ns, us, ms, s. Default: ns.
  std::string precision = "ns";
  JsonMapping json;
  MissingTimestamp missing_timestamp = MissingTimestamp::kReceiveTime;
  // Connections (sessions) consuming this subscription; more than 1 needs a shared
  // subscription. Default: 1 (at most 64).
  int connections = 1;
  // MQTT 5 Receive Maximum: QoS 1/2 messages in flight per connection (3.1.1: the broker's
  // setting, e.g. mosquitto's max_inflight_messages). Default: 256.
  int receive_maximum = 256;
  // Messages larger than this are acknowledged and rejected as too_large. Default: 256 KiB.
  size_t max_message_bytes = 256 << 10;
  // Field values one message may carry. Default: 10,000.
  size_t max_values_per_message = 10'000;
  // Rejected messages are republished here (QoS 1, best effort) as a JSON envelope.
  // Default: none.
  std::string dead_letter_topic;
};

struct MqttConfig {
  std::string path;  // the file it came from
  std::vector<BrokerConfig> brokers;
  std::vector<SubscriptionConfig> subscriptions;

  const BrokerConfig* FindBroker(std::string_view name) const;
};

struct LoadOptions {
  // Tokens are not needed (telemdbd --auth=none): token_file becomes optional.
  bool auth_disabled = false;
};

// Reads and checks the file, and the secret files it names. Relative paths in it are taken
// from the file's directory. Errors: NotFound / PermissionDenied for unreadable files;
// FailedPrecondition for a secret file readable by others; InvalidArgument naming the key
// and line for everything else.
absl::StatusOr<MqttConfig> LoadMqttConfig(const std::string& path, LoadOptions options = {});
// The same over text already read (`path` names it in errors; `base_dir` resolves relative
// paths).
absl::StatusOr<MqttConfig> ParseMqttConfig(std::string_view text, const std::string& path,
                                           const std::string& base_dir, LoadOptions options = {});

// Reads a secret file: a regular file of mode 0600 or 0400 (no bits for group or others),
// at most 64 KiB; `what` names it in errors ("token_file"). Trailing whitespace is removed.
// Errors: NotFound, PermissionDenied, FailedPrecondition (mode, not a regular file),
// InvalidArgument (empty, too large).
absl::StatusOr<std::string> ReadSecretFile(const std::string& path, std::string_view what);
// Checks only the mode of `path` as ReadSecretFile does (for key files OpenSSL reads).
absl::Status CheckOwnerOnly(const std::string& path, std::string_view what);

}  // namespace telemdb::ingest::mqtt

#endif  // TELEMDB_INGEST_MQTT_CONFIG_H_
