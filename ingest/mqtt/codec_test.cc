#include "ingest/mqtt/codec.h"

#include <random>

#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::ingest::mqtt {
namespace {

using ::telemdb::testing::IsOk;
using ::telemdb::testing::StatusIs;

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

// Splits an encoded packet into header and body.
std::pair<FixedHeader, std::string> Split(const std::string& packet) {
  auto h = ParseFixedHeader(packet);
  EXPECT_TRUE(h.ok() && h->has_value());
  FixedHeader fh = **h;
  EXPECT_EQ(packet.size(), fh.header_bytes + fh.remaining);
  return {fh, packet.substr(fh.header_bytes)};
}

TEST(CodecTest, VarIntBoundaries) {
  for (uint32_t v : {0u, 127u, 128u, 16383u, 16384u, 2097151u, 2097152u, kMaxRemainingLength}) {
    std::string s = "\x30";
    AppendVarInt(v, &s);
    auto h = ParseFixedHeader(s);
    ASSERT_THAT(h, IsOk());
    ASSERT_TRUE(h->has_value()) << v;
    EXPECT_EQ((*h)->remaining, v);
    EXPECT_EQ((*h)->header_bytes, s.size());
  }
}

TEST(CodecTest, FixedHeaderNeedsMoreOrRejects) {
  EXPECT_FALSE(ParseFixedHeader("")->has_value());
  EXPECT_FALSE(ParseFixedHeader("\x30")->has_value());
  EXPECT_FALSE(ParseFixedHeader(Bytes({0x30, 0x80, 0x80}))->has_value());
  EXPECT_THAT(ParseFixedHeader(Bytes({0x30, 0x80, 0x80, 0x80, 0x80, 0x01})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseFixedHeader(Bytes({0x00, 0x00})), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CodecTest, Connect311) {
  ConnectOptions o;
  o.client_id = "telemdb-fleet-0";
  o.keep_alive_s = 30;
  o.username = "u";
  o.password = "p";
  auto [h, body] = Split(EncodeConnect(o));
  EXPECT_EQ(h.type, PacketType::kConnect);
  // "MQTT", level 4, flags user+password (clean session off), keep-alive 30.
  EXPECT_EQ(body.substr(0, 10), Bytes({0, 4, 'M', 'Q', 'T', 'T', 4, 0xC0, 0, 30}));
  EXPECT_EQ(body.substr(10), Bytes({0, 15}) + "telemdb-fleet-0" + Bytes({0, 1, 'u', 0, 1, 'p'}));
}

TEST(CodecTest, Connect5CarriesSessionExpiryAndReceiveMaximum) {
  ConnectOptions o;
  o.version = Version::k5;
  o.client_id = "c";
  o.session_expiry_s = 604800;
  o.receive_maximum = 256;
  auto [h, body] = Split(EncodeConnect(o));
  EXPECT_EQ(body[6], 5);
  EXPECT_EQ(static_cast<uint8_t>(body[7]), 0);  // clean start off, no credentials
  // properties: length 8: 0x11 + 4 bytes, 0x21 + 2 bytes
  EXPECT_EQ(body.substr(10, 9), Bytes({8, 0x11, 0x00, 0x09, 0x3A, 0x80, 0x21, 0x01, 0x00}));
}

TEST(CodecTest, ConnackBothVersions) {
  auto a = DecodeConnack(Version::k311, Bytes({1, 0}));
  ASSERT_THAT(a, IsOk());
  EXPECT_TRUE(a->session_present);
  EXPECT_EQ(a->code, 0);
  // MQTT 5 with server keep alive 20 and a reason string.
  auto b = DecodeConnack(Version::k5, Bytes({0, 0x87, 9, 0x13, 0, 20, 0x1F, 0, 3, 'n', 'o', 'p'}));
  ASSERT_THAT(b, IsOk());
  EXPECT_FALSE(b->session_present);
  EXPECT_EQ(b->code, 0x87);
  EXPECT_TRUE(b->has_server_keep_alive);
  EXPECT_EQ(b->server_keep_alive_s, 20);
  EXPECT_EQ(b->reason_string, "nop");
  EXPECT_THAT(DecodeConnack(Version::k311, Bytes({0})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeConnack(Version::k5, Bytes({0, 0, 5, 0x13})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ConnackCodeText(Version::k311, 5), "not authorized (5)");
}

TEST(CodecTest, SubscribeAndSuback) {
  auto [h, body] =
      Split(EncodeSubscribe(Version::k5, 7, {{"$share/g/fleet/#", 1, 1}, {"a/+", 2, 0}}));
  EXPECT_EQ(h.type, PacketType::kSubscribe);
  EXPECT_EQ(h.flags, 0x02);
  EXPECT_EQ(body.substr(0, 3), Bytes({0, 7, 0}));
  EXPECT_EQ(body.substr(3, 2 + 16 + 1), Bytes({0, 16}) + "$share/g/fleet/#" + Bytes({0x11}));
  auto s = DecodeSuback(Version::k311, Bytes({0, 7, 1, 0x80}));
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->packet_id, 7);
  EXPECT_EQ(s->codes, (std::vector<uint8_t>{1, 0x80}));
  EXPECT_THAT(DecodeSuback(Version::k311, Bytes({0, 7})),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CodecTest, PublishRoundTrip) {
  for (Version v : {Version::k311, Version::k5}) {
    for (uint8_t qos : {0, 1, 2}) {
      std::string packet = EncodePublish(v, "fleet/a/b", "{\"x\":1}", qos, 513, true);
      auto [h, body] = Split(packet);
      ASSERT_EQ(h.type, PacketType::kPublish);
      auto p = DecodePublish(v, h.flags, body);
      ASSERT_THAT(p, IsOk());
      EXPECT_EQ(p->topic, "fleet/a/b");
      EXPECT_EQ(p->payload, "{\"x\":1}");
      EXPECT_EQ(p->qos, qos);
      EXPECT_EQ(p->packet_id, qos == 0 ? 0 : 513);
      EXPECT_TRUE(p->retain);
      EXPECT_FALSE(p->dup);
      EXPECT_TRUE(p->error.empty());
    }
  }
}

TEST(CodecTest, PublishWithV5PropertiesAndDup) {
  // QoS 1, DUP; properties: user property ("k","v"), message expiry, topic alias 3.
  std::string body = Bytes({0, 1, 't', 0, 9}) +
                     Bytes({15, 0x26, 0, 1, 'k', 0, 1, 'v', 0x02, 0, 0, 0, 60, 0x23, 0, 3}) + "42";
  auto p = DecodePublish(Version::k5, 0x0A, body);
  ASSERT_THAT(p, IsOk());
  EXPECT_TRUE(p->dup);
  EXPECT_EQ(p->packet_id, 9);
  EXPECT_EQ(p->topic_alias, 3);
  EXPECT_EQ(p->payload, "42");
}

TEST(CodecTest, PublishMalformedPropertiesKeepTopicAndId) {
  // Unknown property 0x7f: the message can still be acknowledged.
  std::string body = Bytes({0, 1, 't', 0, 9, 2, 0x7f, 0}) + "x";
  auto p = DecodePublish(Version::k5, 0x02, body);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->packet_id, 9);
  EXPECT_FALSE(p->error.empty());
}

TEST(CodecTest, PublishRejectsWhatCannotBeAcknowledged) {
  EXPECT_THAT(DecodePublish(Version::k311, 0x06, Bytes({0, 1, 't', 0, 1})),
              StatusIs(absl::StatusCode::kInvalidArgument));  // QoS 3
  EXPECT_THAT(DecodePublish(Version::k311, 0x02, Bytes({0, 5, 't'})),
              StatusIs(absl::StatusCode::kInvalidArgument));  // topic longer than the body
  EXPECT_THAT(DecodePublish(Version::k311, 0x02, Bytes({0, 1, 't', 0, 0})),
              StatusIs(absl::StatusCode::kInvalidArgument));  // packet id 0
}

TEST(CodecTest, Acks) {
  std::string out;
  AppendAck(Version::k311, PacketType::kPuback, 258, 0x99, &out);  // no reason in 3.1.1
  EXPECT_EQ(out, Bytes({0x40, 2, 1, 2}));
  out.clear();
  AppendAck(Version::k5, PacketType::kPuback, 258, 0x99, &out);
  EXPECT_EQ(out, Bytes({0x40, 3, 1, 2, 0x99}));
  out.clear();
  AppendAck(Version::k5, PacketType::kPubrec, 1, 0, &out);
  EXPECT_EQ(out, Bytes({0x50, 2, 0, 1}));
  out.clear();
  AppendAck(Version::k311, PacketType::kPubcomp, 1, 0, &out);
  EXPECT_EQ(out, Bytes({0x70, 2, 0, 1}));
  auto a = DecodeAck(Version::k5, Bytes({0, 9, 0x10}));
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->packet_id, 9);
  EXPECT_EQ(a->reason, 0x10);
  EXPECT_EQ(EncodePingreq(), Bytes({0xC0, 0}));
  EXPECT_EQ(EncodeDisconnect(Version::k5), Bytes({0xE0, 0}));
  EXPECT_EQ(*DecodeDisconnect(Version::k5, Bytes({0x8E})), 0x8E);
}

// Random bytes never crash a decoder (a cheap stand-in for the fuzz target).
TEST(CodecTest, GarbageIsRejectedNotTrusted) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; i++) {
    std::string s(rng() % 64, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    const uint8_t flags = rng() & 0x0f;
    (void)ParseFixedHeader(s);
    (void)DecodeConnack(Version::k5, s);
    (void)DecodeSuback(Version::k5, s);
    (void)DecodeAck(Version::k5, s);
    auto p = DecodePublish(Version::k5, flags, s);
    if (p.ok()) {
      EXPECT_LE(p->topic.size() + p->payload.size(), s.size());
    }
    (void)DecodePublish(Version::k311, flags, s, true);
  }
}

}  // namespace
}  // namespace telemdb::ingest::mqtt
