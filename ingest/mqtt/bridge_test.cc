// The bridge against a scripted broker (fake_broker.h), a real database and the real write
// path and authenticator: acknowledgements follow durability in receive order, bad
// messages are acknowledged and counted, a revoked token stops the acknowledgements until
// a reload, reconnects resubscribe when the broker lost the session, redeliveries do not
// duplicate, and a write the storage refuses for now is retried without acknowledging.
#include "ingest/mqtt/bridge.h"

#include <sys/stat.h>

#include <atomic>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/authenticator.h"
#include "auth/token_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest/mqtt/fake_broker.h"
#include "ingest/write_path.h"
#include "storage/codec/chunk.h"
#include "storage/db.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::ingest::mqtt {
namespace {

using ::telemdb::testing::IsOk;
using ::testing::ElementsAre;

constexpr int64_t kT0 = 1'700'000'000'000;  // ms

class BridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::Options o;
    o.dir = dir_.Sub("db");
    o.background = false;
    o.head_memory_budget = head_budget_;
    db_ = *storage::Db::Open(o);
    tokens_ = std::make_unique<auth::TokenStore>(db_.get());
    ASSERT_THAT(tokens_->Load(), IsOk());
    auth_ = std::make_unique<auth::Authenticator>(tokens_.get(), auth::AuthenticatorOptions());
    writes_ = std::make_unique<WritePath>(db_.get(), nullptr, nullptr);
    NewToken();
  }
  void TearDown() override {
    bridge_.reset();
    ASSERT_THAT(db_->Close(), IsOk());
  }

  // A token of scope write:device=a* in the token file.
  void NewToken() {
    auto t = tokens_->Create({"write:device=a*"}, "bridge", absl::ZeroDuration());
    ASSERT_THAT(t, IsOk());
    token_id_ = t->info.id;
    const std::string path = dir_.Sub("token");
    std::ofstream(path, std::ios::trunc) << t->token << "\n";
    ::chmod(path.c_str(), 0600);
  }

  // Starts the bridge on `extra` subscription settings.
  void Start(const std::string& extra = "", const std::string& protocol = "3.1.1") {
    const std::string text = absl::StrCat(
        "[[broker]]\nurl = \"tcp://127.0.0.1:", broker_.port(), "\"\nprotocol = \"", protocol,
        "\"\nreconnect_min = \"20ms\"\nreconnect_max = \"100ms\"\n\n[[subscription]]\n"
        "name = \"dev\"\ntopic = \"d/+\"\nmeasurement = \"m\"\ntopic_template = \"d/{device}\"\n"
        "token_file = \"token\"\n",
        extra);
    std::ofstream(dir_.Sub("mqtt.toml"), std::ios::trunc) << text;
    auto config = LoadMqttConfig(dir_.Sub("mqtt.toml"));
    ASSERT_THAT(config, IsOk());
    BridgeOptions bo;
    bo.writes = writes_.get();
    bo.auth = auth_.get();
    auto b = Bridge::Start(*config, bo);
    ASSERT_THAT(b, IsOk());
    bridge_ = *std::move(b);
    ASSERT_TRUE(broker_.WaitSubscribed(1, absl::Seconds(10)));
  }

  // Timestamps (ns) of m,device=<device> field `field`.
  std::vector<int64_t> Points(const std::string& device, const std::string& field = "v") {
    storage::SeriesSelector sel;
    sel.measurement = "m";
    sel.fields = {field};
    storage::TagMatcher t;
    t.key = "device";
    t.value = device;
    sel.matchers.push_back(t);
    std::vector<int64_t> out;
    for (storage::SeriesId id : db_->index().Select(sel)) {
      auto c = db_->Read(id, INT64_MIN, INT64_MAX);
      if (!c.ok()) continue;
      storage::codec::Columns cols;
      if ((*c)->ReadAll(&cols).ok()) out.insert(out.end(), cols.ts.begin(), cols.ts.end());
    }
    return out;
  }

  SubscriptionSnapshot Snap() { return bridge_->Snapshot().at(0); }

  static std::string Reading(int64_t i) {
    return absl::StrCat("{\"ts\": ", kT0 + i, ", \"v\": ", i, "}");
  }

  TempDir dir_;
  uint64_t head_budget_ = 512ull << 20;
  std::unique_ptr<storage::Db> db_;
  std::unique_ptr<auth::TokenStore> tokens_;
  std::unique_ptr<auth::Authenticator> auth_;
  std::unique_ptr<WritePath> writes_;
  std::string token_id_;
  FakeBroker broker_;
  std::unique_ptr<Bridge> bridge_;
};

TEST_F(BridgeTest, AcksFollowDurabilityInReceiveOrder) {
  std::atomic<int> not_durable{0};
  broker_.on_ack = [&](const FakeBroker::Seen& s) {
    // When the broker sees the acknowledgement, the point is already in the database.
    std::vector<int64_t> ts = Points("a1");
    const int64_t want = (kT0 + s.packet_id) * 1'000'000;
    if (std::find(ts.begin(), ts.end(), want) == ts.end()) not_durable++;
  };
  Start();
  constexpr int kN = 300;
  for (int i = 1; i <= kN; i++) broker_.Publish("d/a1", Reading(i), 1, static_cast<uint16_t>(i));
  ASSERT_TRUE(broker_.WaitFor(PacketType::kPuback, kN, absl::Seconds(20)));
  std::vector<FakeBroker::Seen> acks = broker_.seen(PacketType::kPuback);
  for (int i = 0; i < kN; i++) EXPECT_EQ(acks[i].packet_id, i + 1);
  EXPECT_EQ(not_durable.load(), 0);
  std::vector<int64_t> stored = Points("a1");
  std::string missing;
  for (int i = 1; i <= kN; i++) {
    if (std::find(stored.begin(), stored.end(), (kT0 + i) * 1'000'000) == stored.end()) {
      absl::StrAppend(&missing, " ", i);
    }
  }
  EXPECT_EQ(stored.size(), static_cast<size_t>(kN)) << "missing:" << missing;
  // The bridge counts acknowledgements once it has sent them, so the broker can see the last
  // PUBACK a moment before the counter moves: wait for it (bounded).
  SubscriptionSnapshot s = Snap();
  for (absl::Time until = absl::Now() + absl::Seconds(5);
       s.acknowledged < static_cast<uint64_t>(kN) && absl::Now() < until; s = Snap()) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(s.received, static_cast<uint64_t>(kN));
  EXPECT_EQ(s.acknowledged, static_cast<uint64_t>(kN));
  EXPECT_EQ(s.stored, static_cast<uint64_t>(kN));
  EXPECT_EQ(s.points, static_cast<uint64_t>(kN));
  EXPECT_EQ(s.state, "connected");
  // Batches: fewer writes than messages whenever several were waiting.
  EXPECT_LE(s.writes, static_cast<uint64_t>(kN));
}

TEST_F(BridgeTest, QosTwoRecAfterWriteThenComp) {
  Start("qos = 2\n");
  broker_.Publish("d/a1", Reading(1), 2, 9);
  ASSERT_TRUE(broker_.WaitFor(PacketType::kPubcomp, 1, absl::Seconds(10)));
  auto rec = broker_.seen(PacketType::kPubrec);
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].packet_id, 9);
  EXPECT_EQ(Points("a1").size(), 1u);
  // QoS 0: stored, nothing to acknowledge.
  broker_.Publish("d/a2", Reading(2), 0, 0);
  for (int i = 0; i < 100 && Points("a2").empty(); i++) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(Points("a2").size(), 1u);
}

TEST_F(BridgeTest, BadMessagesAreAcknowledgedCountedAndNeverStall) {
  Start("max_message_bytes = 2048\ndead_letter_topic = \"dead\"\n", "5");
  int id = 0;
  auto pub = [&](const std::string& topic, const std::string& payload) {
    broker_.Publish(topic, payload, 1, static_cast<uint16_t>(++id));
  };
  pub("d/a1", Reading(1));                                       // 1 stored
  pub("d/a1", "{\"ts\": ");                                      // 2 payload
  pub("x/a1", Reading(3));                                       // 3 topic (template)
  pub("d/b1", Reading(4));                                       // 4 denied (scope a*)
  pub("d/a1", std::string(4000, ' ') + Reading(5));              // 5 too large (decoder)
  pub("d/a1", "{\"v\": \"" + std::string(300000, 'x') + "\"}");  // 6 too large (skipped)
  pub("d/a\xff", Reading(7));                                    // 7 topic (UTF-8)
  pub("d/a1", "{\"ts\": \"then\", \"v\": 1}");                   // 8 timestamp
  pub("d/a1", Reading(9));                                       // 9 stored
  pub("d/a1", "{\"ts\": 1, \"v\": \"text\"}");                   // 10 invalid (type conflict)
  ASSERT_TRUE(broker_.WaitFor(PacketType::kPuback, 10, absl::Seconds(20)));
  std::vector<FakeBroker::Seen> acks = broker_.seen(PacketType::kPuback);
  std::vector<uint8_t> reasons;
  for (int i = 0; i < 10; i++) {
    EXPECT_EQ(acks[i].packet_id, i + 1);
    reasons.push_back(acks[i].reason);
  }
  EXPECT_THAT(reasons, ElementsAre(0, 0x99, 0x90, 0x87, 0x95, 0x95, 0x90, 0x99, 0, 0x83));
  EXPECT_EQ(Points("a1").size(), 2u);
  EXPECT_TRUE(Points("b1").empty());
  SubscriptionSnapshot s = Snap();
  EXPECT_EQ(s.stored, 2u);
  EXPECT_EQ(s.rejected[static_cast<int>(Rejection::kPayload)], 1u);
  EXPECT_EQ(s.rejected[static_cast<int>(Rejection::kTopic)], 2u);
  EXPECT_EQ(s.rejected[static_cast<int>(Rejection::kDenied)], 1u);
  EXPECT_EQ(s.rejected[static_cast<int>(Rejection::kTooLarge)], 2u);
  EXPECT_EQ(s.rejected[static_cast<int>(Rejection::kTimestamp)], 1u);
  EXPECT_EQ(s.rejected[static_cast<int>(Rejection::kInvalid)], 1u);
  // Dead letters: one per rejected message, naming the reason.
  ASSERT_TRUE(broker_.WaitFor(PacketType::kPublish, 8, absl::Seconds(10)));
  std::vector<FakeBroker::Seen> dead = broker_.seen(PacketType::kPublish);
  EXPECT_EQ(dead[0].topic, "dead");
  EXPECT_THAT(dead[0].payload, ::testing::HasSubstr("\"reason\":\"payload\""));
  EXPECT_EQ(s.dead_letters, 8u);
}

TEST_F(BridgeTest, RevokedTokenStopsAcknowledgingUntilReload) {
  Start();
  broker_.Publish("d/a1", Reading(1), 1, 1);
  ASSERT_TRUE(broker_.WaitFor(PacketType::kPuback, 1, absl::Seconds(10)));
  ASSERT_THAT(tokens_->Revoke(token_id_), IsOk());
  broker_.Publish("d/a1", Reading(2), 1, 2);
  for (int i = 0; i < 500 && Snap().state != "unauthorized"; i++) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(broker_.seen(PacketType::kPuback).size(), 1u);  // not acknowledged
  EXPECT_EQ(Points("a1").size(), 1u);
  SubscriptionSnapshot s = Snap();
  EXPECT_EQ(s.state, "unauthorized");
  EXPECT_THAT(s.last_error, ::testing::HasSubstr("revoked"));
  const int connections = broker_.connections();
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(broker_.connections(), connections);  // paused: no reconnect attempts
  // A valid token in the file and a reload: the subscription resumes; the broker
  // redelivers what was not acknowledged.
  NewToken();
  broker_.set_session_present(true);
  ASSERT_THAT(bridge_->Reload(), IsOk());
  for (int i = 0; i < 200 && broker_.connections() == connections; i++) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  broker_.Publish("d/a1", Reading(2), 1, 2, /*dup=*/true);
  ASSERT_TRUE(broker_.WaitFor(PacketType::kPuback, 2, absl::Seconds(10)));
  EXPECT_EQ(Points("a1").size(), 2u);
  EXPECT_EQ(Snap().state, "connected");
  EXPECT_EQ(Snap().redelivered, 1u);
}

TEST_F(BridgeTest, ReconnectsAndResubscribesOnlyWhenTheSessionIsGone) {
  Start();
  EXPECT_EQ(broker_.subscriptions(), 1);
  broker_.DropConnection();
  ASSERT_TRUE(broker_.WaitSubscribed(2, absl::Seconds(10)));  // session_present = false
  broker_.set_session_present(true);
  broker_.DropConnection();
  for (int i = 0; i < 200 && broker_.connections() < 3; i++) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(broker_.connections(), 3);
  broker_.Publish("d/a1", Reading(1), 1, 1);
  ASSERT_TRUE(broker_.WaitFor(PacketType::kPuback, 1, absl::Seconds(10)));
  EXPECT_EQ(broker_.subscriptions(), 2);  // the kept session kept the subscription
  EXPECT_GE(Snap().reconnects, 2u);
}

TEST_F(BridgeTest, RedeliveryOfATimestamplessMessageKeepsItsTime) {
  Start("format = \"value\"\n");
  broker_.Publish("d/a1", "21.5", 1, 7);
  ASSERT_TRUE(broker_.WaitFor(PacketType::kPuback, 1, absl::Seconds(10)));
  broker_.DropConnection();
  broker_.set_session_present(true);
  for (int i = 0; i < 200 && broker_.connections() < 2; i++) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  broker_.Publish("d/a1", "21.5", 1, 7, /*dup=*/true);  // a redelivery: same point
  ASSERT_TRUE(broker_.WaitFor(PacketType::kPuback, 2, absl::Seconds(10)));
  EXPECT_EQ(Points("a1", "value").size(), 1u);
  broker_.Publish("d/a1", "21.5", 1, 7);  // a new reading that happens to look the same
  ASSERT_TRUE(broker_.WaitFor(PacketType::kPuback, 3, absl::Seconds(10)));
  EXPECT_EQ(Points("a1", "value").size(), 2u);
  // Readings without timestamps arriving together still get distinct times.
  for (int i = 10; i < 30; i++) broker_.Publish("d/a1", "1", 1, static_cast<uint16_t>(i));
  ASSERT_TRUE(broker_.WaitFor(PacketType::kPuback, 23, absl::Seconds(10)));
  EXPECT_EQ(Points("a1", "value").size(), 22u);
}

class BridgeRetryTest : public BridgeTest {
 protected:
  BridgeRetryTest() { head_budget_ = 1; }
};

TEST_F(BridgeRetryTest, StorageRefusingForNowIsRetriedWithoutAcknowledging) {
  // Something in the head: every write is over the 1-byte budget until it is sealed.
  std::vector<storage::SeriesBatch> g(1);
  g[0].measurement = "other";
  g[0].timestamps = {kT0 * 1'000'000};
  g[0].fields.push_back(storage::FieldColumn{"v", storage::ValueType::kFloat, {1.0}});
  ASSERT_THAT(db_->Write(&g, storage::WriteOptions()).status(), IsOk());
  Start();
  broker_.Publish("d/a1", Reading(1), 1, 1);
  for (int i = 0; i < 500 && Snap().write_retries < 2; i++) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(broker_.seen(PacketType::kPuback).empty());
  SubscriptionSnapshot s = Snap();
  EXPECT_GT(s.write_retries, 0u);
  EXPECT_EQ(s.state, "retrying");
  ASSERT_THAT(db_->Flush(), IsOk());  // seals the head: memory is free again
  ASSERT_TRUE(broker_.WaitFor(PacketType::kPuback, 1, absl::Seconds(10)));
  EXPECT_EQ(Points("a1").size(), 1u);
  EXPECT_EQ(Snap().rejected[static_cast<int>(Rejection::kInvalid)], 0u);
}

TEST_F(BridgeRetryTest, StopWhileRetryingAcknowledgesNothing) {
  std::vector<storage::SeriesBatch> g(1);
  g[0].measurement = "other";
  g[0].timestamps = {kT0 * 1'000'000};
  g[0].fields.push_back(storage::FieldColumn{"v", storage::ValueType::kFloat, {1.0}});
  ASSERT_THAT(db_->Write(&g, storage::WriteOptions()).status(), IsOk());
  Start();
  broker_.Publish("d/a1", Reading(1), 1, 1);
  absl::SleepFor(absl::Milliseconds(500));
  const absl::Time t = absl::Now();
  bridge_->Stop();
  EXPECT_LT(absl::Now() - t, absl::Seconds(3));
  EXPECT_TRUE(broker_.seen(PacketType::kPuback).empty());
}

}  // namespace
}  // namespace telemdb::ingest::mqtt
