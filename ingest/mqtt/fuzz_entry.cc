#include "ingest/mqtt/fuzz_entry.h"

#include <cstdio>
#include <cstdlib>

#include "ingest/mqtt/codec.h"
#include "ingest/mqtt/config.h"
#include "ingest/mqtt/decoder.h"
#include "util/client_text.h"

namespace telemdb::ingest::mqtt {
namespace {

// Aborts naming the broken invariant.
#define CHECK_INVARIANT(cond)                                                    \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::fprintf(stderr, "invariant broken: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                              \
    }                                                                            \
  } while (0)

void Packets(std::string_view d) {
  if (d.empty()) return;
  const uint8_t flags = static_cast<uint8_t>(d[0]) & 0x0f;
  const Version v = (d[0] & 0x10) ? Version::k5 : Version::k311;
  d.remove_prefix(1);
  auto h = ParseFixedHeader(d);
  if (h.ok() && h->has_value()) CHECK_INVARIANT((*h)->header_bytes >= 2 && (*h)->header_bytes <= 5);
  for (bool truncated : {false, true}) {
    auto p = DecodePublish(v, flags, d, truncated);
    if (p.ok()) {
      CHECK_INVARIANT(p->topic.size() + p->payload.size() <= d.size());
      CHECK_INVARIANT(p->qos <= 2);
      CHECK_INVARIANT(p->qos == 0 || p->packet_id != 0);
    }
  }
  (void)DecodeConnack(v, d);
  (void)DecodeSuback(v, d);
  (void)DecodeAck(v, d);
  (void)DecodeDisconnect(v, d);
}

void Payloads(std::string_view d, PayloadFormat format) {
  SubscriptionConfig c;
  c.topic = "f/+/+";
  c.format = format;
  c.measurement = "m";
  c.topic_template = *TopicTemplate::Parse(format == PayloadFormat::kValue ? "f/{device}/{field}"
                                                                           : "f/{device}/_");
  c.json.tags = {"site", "a.b"};
  c.json.types = {{"n", storage::ValueType::kInt}, {"s", storage::ValueType::kString}};
  c.max_values_per_message = 1000;
  // The topic is the input's first line, the payload the rest.
  size_t nl = d.find('\n');
  std::string_view topic = nl == std::string_view::npos ? "f/d1/x" : d.substr(0, nl);
  std::string_view payload = nl == std::string_view::npos ? d : d.substr(nl + 1);
  Decoder dec(c);
  Decoded out;
  Rejection why;
  absl::Status s = dec.Decode(topic, payload, 1'000'000'000'000'000'000, &out, &why);
  if (s.ok()) {
    CHECK_INVARIANT(!out.groups.empty());
    size_t values = 0;
    for (const auto& g : out.groups) {
      CHECK_INVARIANT(!g.timestamps.empty());
      for (const auto& f : g.fields) {
        CHECK_INVARIANT(f.size() == g.timestamps.size());
        for (size_t r = 0; r < f.size(); r++) values += f.IsValid(r) ? 1 : 0;
      }
      for (const auto& t : g.tags)
        CHECK_INVARIANT(IsValidUtf8(t.first) || format == PayloadFormat::kLineProtocol);
    }
    CHECK_INVARIANT(values == out.values);
  } else {
    CHECK_INVARIANT(out.groups.empty());
    CHECK_INVARIANT(s.message().size() < 4096);
  }
}

}  // namespace

void FuzzMqtt(std::string_view data) {
  if (data.empty()) return;
  const uint8_t which = static_cast<uint8_t>(data[0]) % 6;
  data.remove_prefix(1);
  switch (which) {
    case 0:
      Packets(data);
      break;
    case 1:
      Payloads(data, PayloadFormat::kJson);
      break;
    case 2:
      Payloads(data, PayloadFormat::kLineProtocol);
      break;
    case 3:
      Payloads(data, PayloadFormat::kValue);
      break;
    case 4: {
      auto t = TopicTemplate::Parse(data.substr(0, data.find('\n')));
      if (t.ok() && data.find('\n') != std::string_view::npos) {
        (void)t->Match(data.substr(data.find('\n') + 1));
        (void)t->CheckAgainstFilter(data.substr(data.find('\n') + 1));
      }
      (void)ValidateFilter(data);
      (void)ValidateTopic(data);
      break;
    }
    case 5: {
      LoadOptions o;
      o.auth_disabled = true;  // no secret files are read
      auto c = ParseMqttConfig(data, "fuzz.toml", "/nonexistent", o);
      if (!c.ok()) CHECK_INVARIANT(c.status().message().size() < 8192);
      break;
    }
  }
}

}  // namespace telemdb::ingest::mqtt
