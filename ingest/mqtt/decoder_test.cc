#include "ingest/mqtt/decoder.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::ingest::mqtt {
namespace {

using ::telemdb::testing::IsOk;
using ::telemdb::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1'800'000'000'000'000'000;

SubscriptionConfig Json(const std::string& tmpl = "fleet/{fleet}/{name}/telemetry") {
  SubscriptionConfig c;
  c.topic = "fleet/+/+/telemetry";
  c.format = PayloadFormat::kJson;
  c.measurement = "telemetry";
  c.topic_template = *TopicTemplate::Parse(tmpl);
  return c;
}

struct Result {
  absl::Status status;
  Decoded d;
  Rejection why = Rejection::kPayload;
};

Result DecodeWith(const SubscriptionConfig& c, std::string_view payload,
                  std::string_view topic = "fleet/east/truck_17/telemetry") {
  Result r;
  r.status = Decoder(c).Decode(topic, payload, kNow, &r.d, &r.why);
  return r;
}

const storage::FieldColumn* FieldNamed(const storage::SeriesBatch& g, const std::string& name) {
  for (const auto& f : g.fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(DecoderTest, TheExamplePayload) {
  SubscriptionConfig c = Json();
  c.json.timestamp_format = TimeFormat::kMillis;
  Result r = DecodeWith(c, R"({"ts": 1700000000123, "temp": 21.5, "door_open": false})");
  ASSERT_THAT(r.status, IsOk());
  ASSERT_EQ(r.d.groups.size(), 1u);
  const storage::SeriesBatch& g = r.d.groups[0];
  EXPECT_EQ(g.measurement, "telemetry");
  EXPECT_THAT(g.tags, ElementsAre(storage::Tag{"fleet", "east"}, storage::Tag{"name", "truck_17"}));
  EXPECT_THAT(g.timestamps, ElementsAre(1700000000123000000));
  ASSERT_EQ(g.fields.size(), 2u);
  EXPECT_EQ(FieldNamed(g, "temp")->type, storage::ValueType::kFloat);
  EXPECT_THAT(FieldNamed(g, "temp")->floats, ElementsAre(21.5));
  EXPECT_EQ(FieldNamed(g, "door_open")->type, storage::ValueType::kBool);
  EXPECT_THAT(FieldNamed(g, "door_open")->bools, ElementsAre(0));
  EXPECT_EQ(r.d.values, 2u);
  EXPECT_FALSE(r.d.used_receive_time);
}

TEST(DecoderTest, NestedPathsTagsTypesIgnoreAndArrays) {
  SubscriptionConfig c = Json();
  c.json.timestamp_field = "meta.time";
  c.json.tags = {"meta.site", "unit"};
  c.json.types = {{"engine.rpm", storage::ValueType::kInt}, {"code", storage::ValueType::kString}};
  c.json.ignore = {"debug"};
  Result r = DecodeWith(c, R"({"meta": {"time": "2026-01-02T03:04:05.5Z", "site": "s1"}, "unit": 7,
      "engine": {"rpm": 1200, "temp": 80}, "code": "E1", "debug": {"x": 1}, "n": null,
      "vib": [0.1, 0.2]})");
  ASSERT_THAT(r.status, IsOk());
  const storage::SeriesBatch& g = r.d.groups[0];
  EXPECT_THAT(g.tags, ElementsAre(storage::Tag{"meta.site", "s1"}, storage::Tag{"unit", "7"},
                                  storage::Tag{"fleet", "east"}, storage::Tag{"name", "truck_17"}));
  EXPECT_EQ(g.timestamps[0], absl::ToUnixNanos(absl::FromCivil(
                                 absl::CivilSecond(2026, 1, 2, 3, 4, 5), absl::UTCTimeZone())) +
                                 500'000'000);
  EXPECT_THAT(FieldNamed(g, "engine.rpm")->ints, ElementsAre(1200));
  EXPECT_THAT(FieldNamed(g, "engine.temp")->floats, ElementsAre(80.0));
  EXPECT_THAT(FieldNamed(g, "code")->strings, ElementsAre("E1"));
  EXPECT_THAT(FieldNamed(g, "vib.0")->floats, ElementsAre(0.1));
  EXPECT_THAT(FieldNamed(g, "vib.1")->floats, ElementsAre(0.2));
  EXPECT_EQ(FieldNamed(g, "debug.x"), nullptr);
  EXPECT_EQ(FieldNamed(g, "n"), nullptr);
}

TEST(DecoderTest, ArrayOfPointsAndTimestampFormats) {
  SubscriptionConfig c = Json();
  Result r = DecodeWith(c, R"([{"ts": 1700000000, "v": 1}, {"ts": 1700000000123, "v": 2},
                       {"ts": 1700000000123456, "v": 3}, {"ts": 1700000000123456789, "v": 4},
                       {"ts": 1700000000.25, "v": 5}, {"ts": "1700000000123", "v": 6}])");
  ASSERT_THAT(r.status, IsOk());
  ASSERT_EQ(r.d.groups.size(), 6u);
  EXPECT_EQ(r.d.groups[0].timestamps[0], 1700000000000000000);
  EXPECT_EQ(r.d.groups[1].timestamps[0], 1700000000123000000);
  EXPECT_EQ(r.d.groups[2].timestamps[0], 1700000000123456000);
  EXPECT_EQ(r.d.groups[3].timestamps[0], 1700000000123456789);
  EXPECT_EQ(r.d.groups[4].timestamps[0], 1700000000250000000);
  EXPECT_EQ(r.d.groups[5].timestamps[0], 1700000000123000000);
  c.json.timestamp_format = TimeFormat::kSeconds;
  EXPECT_EQ(DecodeWith(c, R"({"ts": 2, "v": 1})").d.groups[0].timestamps[0], 2'000'000'000);
  c.json.timestamp_format = TimeFormat::kMicros;
  EXPECT_EQ(DecodeWith(c, R"({"ts": 2, "v": 1})").d.groups[0].timestamps[0], 2'000);
}

TEST(DecoderTest, MissingTimestampGetsDistinctReceiveTimes) {
  SubscriptionConfig c = Json();
  Result r = DecodeWith(c, R"([{"v": 1}, {"v": 2}, {"ts": 5, "v": 3}])");
  ASSERT_THAT(r.status, IsOk());
  EXPECT_TRUE(r.d.used_receive_time);
  EXPECT_EQ(r.d.groups[0].timestamps[0], kNow);
  EXPECT_EQ(r.d.groups[1].timestamps[0], kNow + 1);
  EXPECT_EQ(r.d.receive_span, 2);
  c.missing_timestamp = MissingTimestamp::kReject;
  r = DecodeWith(c, R"({"v": 1})");
  EXPECT_THAT(r.status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no timestamp")));
  EXPECT_EQ(r.why, Rejection::kTimestamp);
}

TEST(DecoderTest, MeasurementFromFieldOrTemplate) {
  SubscriptionConfig c = Json("plant/{measurement}");
  c.topic = "plant/+";
  c.measurement.clear();
  Result r = DecodeWith(c, R"({"v": 1})", "plant/vibration");
  ASSERT_THAT(r.status, IsOk());
  EXPECT_EQ(r.d.groups[0].measurement, "vibration");
  c = Json("");
  c.measurement.clear();
  c.json.measurement_field = "kind";
  r = DecodeWith(c, R"({"kind": "engine", "v": 1})");
  ASSERT_THAT(r.status, IsOk());
  EXPECT_EQ(r.d.groups[0].measurement, "engine");
  EXPECT_EQ(FieldNamed(r.d.groups[0], "kind"), nullptr);
  EXPECT_THAT(DecodeWith(c, R"({"v": 1})").status, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DecoderTest, JsonRejections) {
  SubscriptionConfig c = Json();
  c.json.types = {{"n", storage::ValueType::kInt}, {"b", storage::ValueType::kBool}};
  c.json.tags = {"name"};
  struct Case {
    std::string payload;
    Rejection why;
    std::string message;
  };
  std::vector<Case> cases = {
      {"{\"v\": ", Rejection::kPayload, "invalid JSON"},
      {"{\"v\": 1} x", Rejection::kPayload, "invalid JSON"},
      {"42", Rejection::kPayload, "JSON scalar"},
      {"[1, 2]", Rejection::kPayload, "objects only"},
      {"[[{\"v\": 1}]]", Rejection::kPayload, "objects only"},
      {"[]", Rejection::kPayload, "no points"},
      {"{}", Rejection::kPayload, "no fields"},
      {"{\"n\": 1.5}", Rejection::kPayload, "declared int"},
      {"{\"n\": \"7\"}", Rejection::kPayload, "declared int"},
      {"{\"b\": 1}", Rejection::kPayload, "declared bool"},
      {"{\"v\": 1, \"v\": 2}", Rejection::kPayload, "appears twice"},
      {"{\"ts\": \"yesterday\", \"v\": 1}", Rejection::kTimestamp, "RFC 3339"},
      {"{\"ts\": 1e300, \"v\": 1}", Rejection::kTimestamp, "out of range"},
      {"{\"ts\": true, \"v\": 1}", Rejection::kTimestamp, "RFC 3339"},
      {"{\"name\": \"truck_2\", \"v\": 1}", Rejection::kPayload, "in the topic but"},
      {"{\"s\": \"\xff\"}", Rejection::kPayload, "invalid JSON"},
      {std::string(40, '[') + std::string(40, ']'), Rejection::kPayload, "objects only"},
      {"{" + std::string(40, ' ') + std::string(), Rejection::kPayload, "invalid JSON"},
  };
  std::string deep = "{\"a\":";
  for (int i = 0; i < 40; i++) deep += "{\"a\":";
  deep += "1" + std::string(41, '}') + "}";
  cases.push_back({deep, Rejection::kPayload, "nested deeper than 32"});
  for (const Case& k : cases) {
    Result r = DecodeWith(c, k.payload);
    EXPECT_THAT(r.status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(k.message)))
        << k.payload;
    EXPECT_EQ(r.why, k.why) << k.payload;
    EXPECT_TRUE(r.d.groups.empty());
    EXPECT_LT(r.status.message().size(), 600u);
  }
}

TEST(DecoderTest, TopicAndSizeRejections) {
  SubscriptionConfig c = Json();
  c.max_message_bytes = 1024;
  c.max_values_per_message = 3;
  Result r = DecodeWith(c, "{\"v\": 1}", "fleet/east/truck_17/status");
  EXPECT_EQ(r.why, Rejection::kTopic);
  r = DecodeWith(c, "{\"v\": 1}", "fleet/\xff/truck_17/telemetry");
  EXPECT_EQ(r.why, Rejection::kTopic);
  r = DecodeWith(c, "{\"v\": \"" + std::string(2000, 'x') + "\"}");
  EXPECT_THAT(r.status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_message")));
  EXPECT_EQ(r.why, Rejection::kTooLarge);
  r = DecodeWith(c, R"({"a": 1, "b": 2, "c": 3, "d": 4})");
  EXPECT_EQ(r.why, Rejection::kTooLarge);
  r = DecodeWith(c, R"([{"a": 1, "b": 2}, {"a": 1, "b": 2}])");
  EXPECT_EQ(r.why, Rejection::kTooLarge);
}

TEST(DecoderTest, ValueFormat) {
  SubscriptionConfig c;
  c.topic = "sensors/+/+";
  c.format = PayloadFormat::kValue;
  c.topic_template = *TopicTemplate::Parse("sensors/{device}/{field}");
  c.measurement = "sensors";
  Result r = DecodeWith(c, " 21.5\n", "sensors/d1/temp");
  ASSERT_THAT(r.status, IsOk());
  const storage::SeriesBatch& g = r.d.groups[0];
  EXPECT_EQ(g.measurement, "sensors");
  EXPECT_THAT(g.tags, ElementsAre(storage::Tag{"device", "d1"}));
  EXPECT_THAT(FieldNamed(g, "temp")->floats, ElementsAre(21.5));
  EXPECT_THAT(g.timestamps, ElementsAre(kNow));
  EXPECT_TRUE(r.d.used_receive_time);
  for (const char* bad : {"", "abc", "nan", "inf", "1.5.5", "0x10", "1e999", "{\"v\":1}"}) {
    r = DecodeWith(c, bad, "sensors/d1/temp");
    EXPECT_THAT(r.status, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_EQ(r.why, Rejection::kPayload);
  }
  c.value_type = storage::ValueType::kInt;
  r = DecodeWith(c, "-42", "sensors/d1/count");
  ASSERT_THAT(r.status, IsOk());
  EXPECT_THAT(FieldNamed(r.d.groups[0], "count")->ints, ElementsAre(-42));
  EXPECT_THAT(DecodeWith(c, "4.2", "sensors/d1/count").status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an integer")));
}

TEST(DecoderTest, LineProtocolFormat) {
  SubscriptionConfig c;
  c.topic = "lp/+";
  c.format = PayloadFormat::kLineProtocol;
  c.topic_template = *TopicTemplate::Parse("lp/{gateway}");
  c.precision = "ms";
  Result r = DecodeWith(c, "cpu,host=a usage=1.5 1700000000123\ncpu,host=b usage=2\n", "lp/gw1");
  ASSERT_THAT(r.status, IsOk());
  ASSERT_EQ(r.d.groups.size(), 2u);
  EXPECT_EQ(r.d.groups[0].timestamps[0], 1700000000123000000);
  EXPECT_EQ(r.d.groups[1].timestamps[0], kNow);
  EXPECT_TRUE(r.d.used_receive_time);
  EXPECT_THAT(r.d.groups[0].tags,
              ElementsAre(storage::Tag{"host", "a"}, storage::Tag{"gateway", "gw1"}));
  r = DecodeWith(c, "cpu,host=a usage=1.5\ncpu usage=\n", "lp/gw1");
  EXPECT_THAT(r.status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
  EXPECT_TRUE(r.d.groups.empty());
  r = DecodeWith(c, "cpu,gateway=gw9 usage=1 1\n", "lp/gw1");
  EXPECT_THAT(r.status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("in the topic")));
  // A kilobyte-long invalid timestamp: the error quotes a capped part of it (a fuzz find:
  // the parser's reason quotes the whole token).
  r = DecodeWith(c, "cpu usage=1 ," + std::string(6000, 'x') + "\n", "lp/gw1");
  EXPECT_THAT(r.status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
  EXPECT_LT(r.status.message().size(), 700u);
  EXPECT_THAT(DecodeWith(c, "\n# nothing\n", "lp/gw1").status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no line-protocol")));
}

}  // namespace
}  // namespace telemdb::ingest::mqtt
