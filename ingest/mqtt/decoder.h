// Decoder: one MQTT message (topic + payload) -> the storage batches it stands for, by the
// subscription's payload format and mapping (docs/mqtt.md, "Payloads"):
//
//   json       an object, or an array of objects, each one point: a timestamp field, tag
//              keys, declared field types; nested objects flatten to dotted paths
//   lineproto  InfluxDB line protocol, our parser (ingest/lineproto/)
//   value      the payload is one number; measurement, tags and field come from the topic
//
// Tags from the topic template are added to every point; a payload tag that contradicts the
// topic is an error. Points without a timestamp get the receive time (plus their index in
// the message, so the points of one message never collide), unless the subscription says
// missing_timestamp = "reject". Nothing here checks names against storage limits or scopes:
// the write path does that for every front door.
//
// Thread safety: Decode() is const and thread-safe.
#ifndef TELEMDB_INGEST_MQTT_DECODER_H_
#define TELEMDB_INGEST_MQTT_DECODER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ingest/mqtt/config.h"
#include "ingest/mqtt/stats.h"
#include "storage/types.h"

namespace telemdb::ingest::mqtt {

struct Decoded {
  std::vector<storage::SeriesBatch> groups;
  size_t values = 0;
  // Some point got the receive time (its timestamp is not in the message).
  bool used_receive_time = false;
  // Nanoseconds from the receive time the points without a timestamp use: they get
  // receive_ns + 0 ... receive_ns + receive_span - 1 (json: one per point; the other
  // formats: 1).
  int64_t receive_span = 0;
};

class Decoder {
 public:
  // REQUIRES: `config` passed LoadMqttConfig's checks.
  explicit Decoder(const SubscriptionConfig& config);

  // Appends the points of one message to `out`. `receive_ns` is the timestamp given to
  // points without one. On error nothing is appended, `why` says which rejection counter it
  // belongs to, and the status (InvalidArgument) says what is wrong, quoting at most a few
  // dozen bytes of the message.
  absl::Status Decode(std::string_view topic, std::string_view payload, int64_t receive_ns,
                      Decoded* out, Rejection* why) const;

 private:
  absl::Status DecodeJson(std::string_view payload, const TopicValues& tv, int64_t receive_ns,
                          Decoded* out, Rejection* why) const;
  absl::Status DecodeValue(std::string_view payload, const TopicValues& tv, int64_t receive_ns,
                           Decoded* out) const;
  absl::Status DecodeLineProtocol(std::string_view payload, const TopicValues& tv,
                                  int64_t receive_ns, Decoded* out, Rejection* why) const;

  const SubscriptionConfig config_;
};

// Adds `topic_tags` to `group`'s tags; a key already there with another value is an error.
absl::Status MergeTopicTags(const storage::TagSet& topic_tags, storage::SeriesBatch* group);

}  // namespace telemdb::ingest::mqtt

#endif  // TELEMDB_INGEST_MQTT_DECODER_H_
