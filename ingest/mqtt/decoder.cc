// Decoder dispatch, the `value` and `lineproto` formats, and topic tags. JSON is in
// decoder_json.cc.
#include "ingest/mqtt/decoder.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ingest/lineproto/columnar_batcher.h"
#include "ingest/lineproto/parser.h"
#include "ingest/lineproto/precision.h"
#include "util/absl_compat.h"
#include "util/client_text.h"
#include "util/status_macros.h"

namespace telemdb::ingest::mqtt {

const char* RejectionName(Rejection r) {
  switch (r) {
    case Rejection::kPayload:
      return "payload";
    case Rejection::kTimestamp:
      return "timestamp";
    case Rejection::kTopic:
      return "topic";
    case Rejection::kTooLarge:
      return "too_large";
    case Rejection::kInvalid:
      return "invalid";
    case Rejection::kDenied:
      return "denied";
    case Rejection::kLimits:
      return "limits";
  }
  return "payload";
}

const char* ConnStateName(ConnState s) {
  switch (s) {
    case ConnState::kStarting:
      return "starting";
    case ConnState::kConnecting:
      return "connecting";
    case ConnState::kConnected:
      return "connected";
    case ConnState::kBackoff:
      return "backoff";
    case ConnState::kUnauthorized:
      return "unauthorized";
    case ConnState::kRetrying:
      return "retrying";
    case ConnState::kStopped:
      return "stopped";
  }
  return "starting";
}

absl::Status MergeTopicTags(const storage::TagSet& topic_tags, storage::SeriesBatch* group) {
  for (const storage::Tag& t : topic_tags) {
    bool present = false;
    for (const storage::Tag& have : group->tags) {
      if (have.first != t.first) continue;
      if (have.second != t.second) {
        return absl::InvalidArgumentError(absl::StrCat(
            "tag \"", ClientText(t.first, 64), "\" is \"", ClientText(t.second, 64),
            "\" in the topic but \"", ClientText(have.second, 64), "\" in the payload"));
      }
      present = true;
    }
    if (!present) group->tags.push_back(t);
  }
  return absl::OkStatus();
}

Decoder::Decoder(const SubscriptionConfig& config) : config_(config) {}

absl::Status Decoder::Decode(std::string_view topic, std::string_view payload, int64_t receive_ns,
                             Decoded* out, Rejection* why) const {
  *why = Rejection::kTopic;
  RETURN_IF_ERROR(ValidateTopic(topic));
  ASSIGN_OR_RETURN(TopicValues tv, config_.topic_template.Match(topic));
  *why = Rejection::kTooLarge;
  if (payload.size() > config_.max_message_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("message of ", payload.size(),
                                                   " bytes is over max_message_bytes (",
                                                   config_.max_message_bytes, ")"));
  }
  *why = Rejection::kPayload;
  Decoded mine;
  absl::Status s;
  switch (config_.format) {
    case PayloadFormat::kJson:
      s = DecodeJson(payload, tv, receive_ns, &mine, why);
      break;
    case PayloadFormat::kValue:
      s = DecodeValue(payload, tv, receive_ns, &mine);
      break;
    case PayloadFormat::kLineProtocol:
      s = DecodeLineProtocol(payload, tv, receive_ns, &mine, why);
      break;
  }
  if (!s.ok()) return s;
  if (mine.values > config_.max_values_per_message) {
    *why = Rejection::kTooLarge;
    return absl::InvalidArgumentError(absl::StrCat("message holds ", mine.values,
                                                   " field values; max_values_per_message is ",
                                                   config_.max_values_per_message));
  }
  if (mine.used_receive_time && config_.missing_timestamp == MissingTimestamp::kReject) {
    *why = Rejection::kTimestamp;
    return absl::InvalidArgumentError("message has no timestamp (missing_timestamp = \"reject\")");
  }
  for (auto& g : mine.groups) out->groups.push_back(std::move(g));
  out->values += mine.values;
  out->used_receive_time |= mine.used_receive_time;
  if (mine.used_receive_time) out->receive_span = std::max(out->receive_span, mine.receive_span);
  return absl::OkStatus();
}

absl::Status Decoder::DecodeValue(std::string_view payload, const TopicValues& tv,
                                  int64_t receive_ns, Decoded* out) const {
  std::string_view text = payload;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  storage::FieldColumn col;
  col.name = tv.field.empty() ? config_.field : tv.field;
  col.type = config_.value_type;
  if (config_.value_type == storage::ValueType::kInt) {
    int64_t v = 0;
    if (text.empty() || !absl::SimpleAtoi(Sv(text), &v)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "payload \"", ClientText(payload, 64), "\" is not an integer (value_type = \"int\")"));
    }
    col.ints.push_back(v);
  } else {
    double v = 0;
    const bool plain =
        !text.empty() && text.find_first_not_of("0123456789+-.eE") == std::string_view::npos;
    if (!plain || !absl::SimpleAtod(Sv(text), &v) || !std::isfinite(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("payload \"", ClientText(payload, 64), "\" is not a finite number"));
    }
    col.floats.push_back(v);
  }
  storage::SeriesBatch g;
  g.measurement = tv.measurement.empty() ? config_.measurement : tv.measurement;
  g.tags = tv.tags;
  g.timestamps.push_back(receive_ns);
  g.fields.push_back(std::move(col));
  out->groups.push_back(std::move(g));
  out->values = 1;
  out->used_receive_time = true;
  out->receive_span = 1;
  return absl::OkStatus();
}

absl::Status Decoder::DecodeLineProtocol(std::string_view payload, const TopicValues& tv,
                                         int64_t receive_ns, Decoded* out, Rejection* why) const {
  lineproto::ParseOptions po;
  po.now_ns = receive_ns;
  ASSIGN_OR_RETURN(po.precision, lineproto::ParsePrecision(config_.precision));
  lineproto::Parser parser(po);
  lineproto::BatcherOptions bo;
  bo.max_values = SIZE_MAX;
  lineproto::ColumnarBatcher batcher(bo);
  std::string error;
  bool receive_time = false;
  const size_t limit = config_.max_values_per_message;
  absl::Status s = parser.Parse(
      payload,
      [&](const lineproto::Point& p) -> absl::Status {
        if (!p.has_timestamp) receive_time = true;
        RETURN_IF_ERROR(batcher.Add(p));
        if (batcher.values() > limit) {
          *why = Rejection::kTooLarge;
          return absl::InvalidArgumentError(absl::StrCat("message holds more than ", limit,
                                                         " field values (max_values_per_message)"));
        }
        return absl::OkStatus();
      },
      [&](const lineproto::LineError& e) {
        // The parser's reason can quote a whole token (an invalid timestamp of kilobytes):
        // capped like every other piece of client text.
        error = absl::StrCat("line ", e.line_number, ": ", ClientText(e.reason, 200), " (\"",
                             ClientText(e.line, 64), "\")");
      });
  if (!s.ok()) {
    return error.empty() ? s : absl::InvalidArgumentError(error);
  }
  if (batcher.empty()) return absl::InvalidArgumentError("message holds no line-protocol point");
  out->values = batcher.values();
  out->groups = batcher.Take();
  out->used_receive_time = receive_time;
  out->receive_span = receive_time ? 1 : 0;
  for (storage::SeriesBatch& g : out->groups) {
    if (absl::Status m = MergeTopicTags(tv.tags, &g); !m.ok()) {
      out->groups.clear();
      return m;
    }
  }
  return absl::OkStatus();
}

}  // namespace telemdb::ingest::mqtt
