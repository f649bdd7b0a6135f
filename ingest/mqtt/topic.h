// Topic filters and topic templates of the MQTT bridge (docs/mqtt.md, "Topics").
//
// A *filter* is what the bridge subscribes to: levels separated by `/`, `+` for one level,
// `#` (last) for the rest, optionally inside an MQTT 5 shared subscription
// `$share/<group>/<filter>` (mosquitto also offers these to 3.1.1 clients).
//
// A *template* maps a topic's levels to the series: `fleet/{fleet}/{name}/telemetry` gives
// tags fleet and name; `_` skips a level; `{measurement}` and `{field}` take the measurement
// or (payload format `value`) the field name from a level; other text must match the level
// exactly; a last `#` accepts any further levels.
//
// Thread safety: values; const methods are thread-safe.
#ifndef TELEMDB_INGEST_MQTT_TOPIC_H_
#define TELEMDB_INGEST_MQTT_TOPIC_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/types.h"

namespace telemdb::ingest::mqtt {

// Largest topic the bridge accepts in a message (MQTT allows 65,535 bytes). Longer topics are
// rejected as messages, never as connections.
inline constexpr size_t kMaxTopicBytes = 1024;

// Checks a subscription filter (wildcards in place, UTF-8, no NUL, not empty; a shared
// subscription has a group name and a filter). Errors: InvalidArgument saying what is wrong.
absl::Status ValidateFilter(std::string_view filter);
// The filter without a `$share/<group>/` prefix.
std::string_view UnsharedFilter(std::string_view filter);
bool IsSharedFilter(std::string_view filter);

// Checks a topic a message arrived on: non-empty, at most kMaxTopicBytes, valid UTF-8, no NUL
// and no wildcard characters. Errors: InvalidArgument.
absl::Status ValidateTopic(std::string_view topic);

// What a template takes from one topic.
struct TopicValues {
  storage::TagSet tags;     // in template order
  std::string measurement;  // empty unless the template has {measurement}
  std::string field;        // empty unless the template has {field}
};

class TopicTemplate {
 public:
  TopicTemplate() = default;
  // Errors: InvalidArgument (an empty level, `{}` or a bad tag name, a tag named twice,
  // `#` not last, `+` in a template).
  static absl::StatusOr<TopicTemplate> Parse(std::string_view text);

  bool empty() const { return levels_.empty(); }
  const std::string& text() const { return text_; }
  bool has_measurement() const;
  bool has_field() const;
  // Tag names the template produces.
  std::vector<std::string> TagNames() const;

  // Errors: InvalidArgument when the template cannot match topics of `filter` (e.g. a
  // different number of levels, or a literal level the filter excludes).
  absl::Status CheckAgainstFilter(std::string_view filter) const;

  // Errors: InvalidArgument naming the level that does not fit (wrong literal, fewer or
  // more levels, an empty level where a tag or name is taken).
  absl::StatusOr<TopicValues> Match(std::string_view topic) const;

 private:
  enum class Kind { kLiteral, kSkip, kTag, kMeasurement, kField, kRest };
  struct Level {
    Kind kind;
    std::string text;  // literal text or tag name
  };
  std::string text_;
  std::vector<Level> levels_;
};

// Splits a topic or filter on `/` (an empty string is one empty level).
std::vector<std::string_view> SplitLevels(std::string_view topic);

}  // namespace telemdb::ingest::mqtt

#endif  // TELEMDB_INGEST_MQTT_TOPIC_H_
