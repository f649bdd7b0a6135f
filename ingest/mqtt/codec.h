// The MQTT 3.1.1 / 5.0 packets a subscribing client needs, as pure encode and decode
// functions over bytes: CONNECT, CONNACK, SUBSCRIBE, SUBACK, PUBLISH (both directions),
// PUBACK, PUBREC, PUBREL, PUBCOMP, PINGREQ, PINGRESP, DISCONNECT. No I/O here (client.h
// owns the socket).
//
// Decoders never trust lengths: every read is bounds-checked and a malformed packet is an
// InvalidArgument naming what is wrong. A PUBLISH whose MQTT 5 properties are malformed but
// whose topic and packet id are readable decodes with `error` set, so the caller can still
// acknowledge (and reject) that one message instead of dropping the connection.
//
// Thread safety: pure functions.
#ifndef TELEMDB_INGEST_MQTT_CODEC_H_
#define TELEMDB_INGEST_MQTT_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace telemdb::ingest::mqtt {

// Wire values (MQTT 3.1.1 section 2.2.1).
enum class PacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

// The protocol level byte of CONNECT.
enum class Version : uint8_t { k311 = 4, k5 = 5 };

// Largest remaining length MQTT can express (4 bytes of variable-length integer).
inline constexpr uint32_t kMaxRemainingLength = 268'435'455;

struct FixedHeader {
  PacketType type = PacketType::kConnect;
  uint8_t flags = 0;          // low nibble of the first byte
  uint32_t remaining = 0;     // bytes after the fixed header
  uint32_t header_bytes = 0;  // 2 to 5
};

// The fixed header at the start of `buf`; nullopt when `buf` is too short to hold it.
// Errors: InvalidArgument (packet type 0, a length of more than 4 bytes).
absl::StatusOr<std::optional<FixedHeader>> ParseFixedHeader(std::string_view buf);

// Appends `v` as a variable-length integer. REQUIRES: v <= kMaxRemainingLength.
void AppendVarInt(uint32_t v, std::string* out);

struct ConnectOptions {
  Version version = Version::k311;
  std::string client_id;
  // Clean session (3.1.1) / clean start (5). The bridge keeps sessions: false.
  bool clean_start = false;
  uint16_t keep_alive_s = 30;
  // MQTT 5 only: how long the broker keeps the session after a disconnect.
  uint32_t session_expiry_s = 0;
  // MQTT 5 only: QoS 1/2 messages the broker may have in flight to us (0: not sent).
  uint16_t receive_maximum = 0;
  std::optional<std::string> username;
  std::optional<std::string> password;
};
std::string EncodeConnect(const ConnectOptions& o);

struct Connack {
  bool session_present = false;
  uint8_t code = 0;  // 0: accepted (3.1.1 return code or 5.0 reason code)
  // MQTT 5 properties (0 / empty when absent).
  uint16_t server_keep_alive_s = 0;
  bool has_server_keep_alive = false;
  uint16_t receive_maximum = 0;
  std::string reason_string;
  std::string assigned_client_id;
};
// Errors: InvalidArgument.
absl::StatusOr<Connack> DecodeConnack(Version v, std::string_view body);
// What a CONNACK code means, for logs ("not authorized (5)").
std::string ConnackCodeText(Version v, uint8_t code);

struct SubscribeFilter {
  std::string filter;
  uint8_t qos = 1;
  // MQTT 5 retain handling: 0 send retained messages at subscribe, 1 only if the
  // subscription is new, 2 never.
  uint8_t retain_handling = 0;
};
std::string EncodeSubscribe(Version v, uint16_t packet_id, const std::vector<SubscribeFilter>& f);

struct Suback {
  uint16_t packet_id = 0;
  std::vector<uint8_t> codes;  // granted QoS (0-2) or a failure code (>= 0x80)
};
absl::StatusOr<Suback> DecodeSuback(Version v, std::string_view body);

// An incoming PUBLISH. Views point into the decoded body.
struct Publish {
  std::string_view topic;
  std::string_view payload;
  uint16_t packet_id = 0;  // 0 for QoS 0
  uint8_t qos = 0;
  bool dup = false;
  bool retain = false;
  uint16_t topic_alias = 0;  // MQTT 5; the bridge allows none
  // Non-empty when the topic and packet id were read but the rest is malformed (MQTT 5
  // properties): the message can be acknowledged and rejected.
  std::string error;
};
// `flags` is the fixed header's low nibble. With `truncated`, `body` is only the first bytes
// of a longer packet (an oversized message the caller skipped): the payload is then partial.
// Errors: InvalidArgument when not even the topic and packet id can be read, or QoS 3.
absl::StatusOr<Publish> DecodePublish(Version v, uint8_t flags, std::string_view body,
                                      bool truncated = false);
std::string EncodePublish(Version v, std::string_view topic, std::string_view payload, uint8_t qos,
                          uint16_t packet_id, bool retain = false);

// PUBACK, PUBREC, PUBREL or PUBCOMP for `packet_id`. `reason` (MQTT 5 only; 0 = success)
// is sent when non-zero.
void AppendAck(Version v, PacketType type, uint16_t packet_id, uint8_t reason, std::string* out);

struct Ack {
  uint16_t packet_id = 0;
  uint8_t reason = 0;
};
absl::StatusOr<Ack> DecodeAck(Version v, std::string_view body);

std::string EncodePingreq();
// MQTT 5: reason 0 (normal disconnection; the session is kept for its expiry interval).
std::string EncodeDisconnect(Version v);
// The reason code of a DISCONNECT from the broker (MQTT 5; 0 for 3.1.1 or none given).
absl::StatusOr<uint8_t> DecodeDisconnect(Version v, std::string_view body);

// MQTT 5 reason codes the bridge sends in PUBACK/PUBREC.
inline constexpr uint8_t kReasonSuccess = 0x00;
inline constexpr uint8_t kReasonUnspecified = 0x80;
inline constexpr uint8_t kReasonNotAuthorized = 0x87;
inline constexpr uint8_t kReasonTopicNameInvalid = 0x90;
inline constexpr uint8_t kReasonPacketTooLarge = 0x95;
inline constexpr uint8_t kReasonPayloadFormatInvalid = 0x99;

}  // namespace telemdb::ingest::mqtt

#endif  // TELEMDB_INGEST_MQTT_CODEC_H_
