#include "ingest/mqtt/consumer.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "auth/audit_log.h"
#include "auth/token_store.h"
#include "ingest/mqtt/outcome.h"
#include "nlohmann/json.hpp"
#include "util/absl_compat.h"
#include "util/client_text.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::ingest::mqtt {
namespace {

constexpr absl::Duration kPoll = absl::Milliseconds(250);
constexpr absl::Duration kMaxWriteBackoff = absl::Seconds(5);
// Payload bytes one batch may gather (besides the in-flight window).
constexpr size_t kMaxBatchBytes = 16 << 20;
// Bytes of an oversized packet beyond max_message_bytes the client still reads whole (topic,
// properties); past that it skips the packet.
constexpr size_t kPacketOverhead = 68 << 10;

uint64_t MessageHash(const Incoming& m) {
  const uint64_t a = std::hash<std::string_view>()(m.topic);
  const uint64_t b = std::hash<std::string_view>()(m.payload);
  return a * 0x9E3779B97F4A7C15ULL ^ b;
}

std::string DeadLetter(const SubscriptionConfig& c, const Incoming& m, Rejection why,
                       const std::string& error, int64_t now) {
  nlohmann::json j;
  j["subscription"] = c.name;
  j["topic"] = m.topic;
  j["reason"] = RejectionName(why);
  j["error"] = error;
  j["received_ns"] = now;
  j["payload_bytes"] = m.too_large ? m.wire_bytes : m.payload.size();
  if (!m.too_large) {
    if (IsValidUtf8(m.payload)) {
      j["payload"] = m.payload;
    } else {
      j["payload_base64"] = absl::Base64Escape(m.payload);
    }
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Consumer::Consumer(Subscription* sub, int index, const ConsumerContext* ctx)
    : sub_(sub), index_(index), ctx_(ctx), rng_(std::random_device()() ^ (uint64_t{1} << index)) {}

Consumer::~Consumer() { Join(); }

void Consumer::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Consumer::Join() {
  if (thread_.joinable()) thread_.join();
}

std::string Consumer::ClientId() const {
  return absl::StrCat(sub_->broker().client_id, "-", sub_->config().name, "-", index_);
}

absl::StatusOr<auth::Identity> Consumer::Authenticate() const {
  auth::Credentials cr;
  cr.transport = "mqtt";
  cr.peer = sub_->broker().url;
  if (!sub_->config().token.empty()) cr.token = sub_->config().token;
  ASSIGN_OR_RETURN(auth::Identity id, ctx_->auth->Authenticate(cr));
  if (!id.CanWriteSomething()) {
    return absl::PermissionDeniedError(
        absl::StrCat("identity \"", id.name, "\" has no write right"));
  }
  return id;
}

void Consumer::Pause(const absl::Status& why) {
  paused_ = true;
  SetState(ConnState::kUnauthorized);
  const SubscriptionConfig& c = sub_->config();
  sub_->SetLastError(absl::StrCat("paused: ", why.message()));
  if (!sub_->FirstPause()) return;
  Log(LogLevel::kError, "mqtt.subscription_paused",
      {{"subscription", c.name},
       {"broker", sub_->broker().url},
       {"reason", StdSv(why.message())},
       {"note",
        "nothing is acknowledged (the broker keeps the messages); give the "
        "subscription a valid token and reload (SIGHUP)"}});
  if (ctx_->audit != nullptr) {
    std::string id, secret;
    const std::string who = auth::ParseToken(c.token, &id, &secret) ? id : "mqtt:" + c.name;
    ctx_->audit->Record(
        "mqtt.subscription_paused", who, std::string(why.message()),
        {{"subscription", c.name}, {"broker", sub_->broker().url}, {"transport", "mqtt"}});
  }
}

void Consumer::Run() {
  const BrokerConfig& b = sub_->broker();
  bool subscribed_before = false;
  absl::Duration backoff = b.reconnect_min;
  SetState(ConnState::kStarting);
  while (!ctx_->stop->stopped()) {
    connected_ = false;
    absl::Status s = Session(&subscribed_before);
    if (ctx_->stop->stopped()) break;
    if (paused_) {
      while (ctx_->stop->SleepFor(absl::Hours(1))) {
      }
      break;
    }
    sub_->SetLastError(std::string(s.message()));
    SetState(ConnState::kBackoff);
    if (connected_) backoff = b.reconnect_min;  // a lost connection starts the backoff over
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    const absl::Duration wait = backoff * jitter(rng_);
    backoff = std::min(backoff * 2, b.reconnect_max);
    if (!ctx_->stop->SleepFor(wait)) break;
  }
  SetState(ConnState::kStopped);
}

absl::Status Consumer::Session(bool* subscribed_before) {
  const SubscriptionConfig& sc = sub_->config();
  const BrokerConfig& b = sub_->broker();
  if (auto who = Authenticate(); !who.ok()) {
    Pause(who.status());
    return who.status();
  }
  SetState(ConnState::kConnecting);
  ClientOptions co;
  co.connect.version = b.version;
  co.connect.client_id = ClientId();
  co.connect.clean_start = false;
  co.connect.keep_alive_s = static_cast<uint16_t>(absl::ToInt64Seconds(b.keep_alive));
  co.connect.session_expiry_s = static_cast<uint32_t>(absl::ToInt64Seconds(b.session_expiry));
  co.connect.receive_maximum = static_cast<uint16_t>(sc.receive_maximum);
  co.connect.username = b.username;
  co.connect.password = b.password;
  co.max_packet_bytes = sc.max_message_bytes + kPacketOverhead;
  co.io_timeout = b.connect_timeout;
  auto c = Client::Connect(b, sub_->tls(), co, ctx_->stop->flag());
  if (!c.ok()) {
    sub_->counters().connection_failures++;
    if (!absl::IsCancelled(c.status())) {
      Log(LogLevel::kWarning, "mqtt.connect_failed",
          {{"subscription", sc.name},
           {"connection", index_},
           {"broker", b.url},
           {"error", StdSv(c.status().message())}});
    }
    return c.status();
  }
  // A broker that kept our session kept the subscription too; one that lost it (or a
  // first connection of this process, whose filter may have changed) gets it again.
  if (!(*c)->session_present() || !*subscribed_before) {
    SubscribeFilter f;
    f.filter = sc.topic;
    f.qos = sc.qos;
    f.retain_handling = 1;  // MQTT 5: retained messages only for a new subscription
    if (absl::Status s = (*c)->Subscribe({f}); !s.ok()) {
      Log(LogLevel::kWarning, "mqtt.subscribe_failed",
          {{"subscription", sc.name}, {"broker", b.url}, {"error", StdSv(s.message())}});
      (*c)->Disconnect();
      return s;
    }
  }
  if (*subscribed_before) sub_->counters().reconnects++;
  *subscribed_before = true;
  connected_ = true;
  SetState(ConnState::kConnected);
  sub_->SetLastError("");
  Log(LogLevel::kInfo, "mqtt.connected",
      {{"subscription", sc.name},
       {"connection", index_},
       {"broker", b.url},
       {"client_id", ClientId()},
       {"session_present", (*c)->session_present()}});
  std::vector<Incoming> batch;
  while (!ctx_->stop->stopped()) {
    batch.clear();
    absl::Status s =
        (*c)->Receive(kPoll, static_cast<size_t>(sc.receive_maximum), kMaxBatchBytes, &batch);
    if (!s.ok()) {
      Log(LogLevel::kWarning, "mqtt.connection_lost",
          {{"subscription", sc.name}, {"connection", index_}, {"error", StdSv(s.message())}});
      return s;
    }
    if (batch.empty()) continue;
    s = HandleBatch(**c, batch);
    if (absl::IsCancelled(s)) break;  // stopping while a write was retried: nothing acked
    if (!s.ok()) {
      (*c)->Disconnect();
      return s;
    }
  }
  (*c)->Disconnect();
  return absl::OkStatus();
}

absl::Status Consumer::HandleBatch(Client& c, std::vector<Incoming>& batch) {
  SubscriptionCounters& k = sub_->counters();
  const int64_t now = ctx_->now();
  k.received += batch.size();
  for (const Incoming& m : batch) {
    if (m.dup) k.redelivered++;
  }
  k.last_message_ns.store(now);
  // The token is checked for every batch: a revoked or expired one stops the
  // acknowledgements at once.
  auto who = Authenticate();
  if (!who.ok()) {
    Pause(who.status());
    return who.status();
  }
  std::vector<Item> items(batch.size());
  std::vector<size_t> all(batch.size());
  for (size_t i = 0; i < batch.size(); i++) {
    DecodeOne(batch[i], now, &items[i]);
    all[i] = i;
  }
  RETURN_IF_ERROR(WriteItems(c, *who, batch, items, all));
  uint64_t acks = 0;
  for (size_t i = 0; i < batch.size(); i++) {
    if (items[i].ok) {
      c.QueueAck(batch[i], kReasonSuccess);
    } else {
      Reject(c, batch[i], items[i]);
    }
    if (batch[i].qos > 0) acks++;
  }
  if (ctx_->after_durable) ctx_->after_durable(batch);
  RETURN_IF_ERROR(c.Flush());
  k.acknowledged += acks;
  return absl::OkStatus();
}

void Consumer::DecodeOne(const Incoming& m, int64_t now, Item* item) {
  if (m.too_large) {
    item->why = Rejection::kTooLarge;
    item->error = absl::StrCat("message of ", m.wire_bytes, " bytes is over max_message_bytes (",
                               sub_->config().max_message_bytes, ")");
    return;
  }
  if (!m.error.empty()) {
    item->why = m.topic.empty() ? Rejection::kTopic : Rejection::kPayload;
    item->error = m.error;
    return;
  }
  uint64_t hash = 0;
  int64_t base = now;
  bool known = false;
  if (m.qos > 0) {
    hash = MessageHash(m);
    auto it = given_.find(m.packet_id);
    if (m.dup && it != given_.end() && it->second.hash == hash) {
      base = it->second.ns;
      known = true;
    }
  }
  const Decoder& d = sub_->decoder();
  absl::Status s = d.Decode(m.topic, m.payload, base, &item->decoded, &item->why);
  if (s.ok() && item->decoded.used_receive_time && !known) {
    const int64_t start = sub_->ReserveReceiveTime(now, item->decoded.receive_span);
    if (start != base) {
      item->decoded = Decoded();
      s = d.Decode(m.topic, m.payload, start, &item->decoded, &item->why);
    }
    if (m.qos > 0) given_[m.packet_id] = Given{hash, start};
  }
  if (!s.ok()) {
    item->decoded = Decoded();
    item->error = std::string(s.message());
    return;
  }
  item->ok = true;
}

absl::Status Consumer::WriteItems(Client& c, const auth::Identity& who,
                                  const std::vector<Incoming>& batch, std::vector<Item>& items,
                                  const std::vector<size_t>& which) {
  std::vector<size_t> good;
  for (size_t i : which) {
    if (items[i].ok) good.push_back(i);
  }
  if (good.empty()) return absl::OkStatus();
  std::vector<storage::SeriesBatch> groups;
  uint64_t bytes = 0;
  for (size_t i : good) {
    for (const storage::SeriesBatch& g : items[i].decoded.groups) groups.push_back(g);
    bytes += batch[i].wire_bytes;
  }
  SubscriptionCounters& k = sub_->counters();
  const Origin origin{FrontDoor::kMqtt, sub_->broker().url, bytes};
  absl::Duration backoff = absl::Milliseconds(50);
  while (true) {
    k.writes++;
    auto r = ctx_->writes->Write(who, &groups, storage::WriteOptions(), origin);
    const Outcome o = OutcomeOf(r.status());
    switch (o.disposition) {
      case Disposition::kStored:
        k.points += r->points;
        k.stored += good.size();
        SetState(ConnState::kConnected);
        return absl::OkStatus();
      case Disposition::kReject:
        if (good.size() == 1) {
          items[good[0]].ok = false;
          items[good[0]].why = o.rejection;
          items[good[0]].error = std::string(r.status().message());
          return absl::OkStatus();
        }
        // One message spoils the batch: find it (and any other) by writing one at a time.
        for (size_t i : good) RETURN_IF_ERROR(WriteItems(c, who, batch, items, {i}));
        return absl::OkStatus();
      case Disposition::kPause:
        Pause(r.status());
        return r.status();
      case Disposition::kRetry:
        break;
    }
    k.write_retries++;
    SetState(ConnState::kRetrying);
    uint64_t suppressed = 0;
    if (sub_->AllowLog(&suppressed)) {
      Log(LogLevel::kWarning, "mqtt.write_retry",
          {{"subscription", sub_->config().name},
           {"messages", good.size()},
           {"error", StdSv(r.status().message())},
           {"note", "not acknowledged until stored"}});
    }
    absl::Duration wait = std::min(std::max(o.retry_after, backoff), kMaxWriteBackoff);
    backoff = std::min(backoff * 2, kMaxWriteBackoff);
    while (wait > absl::ZeroDuration()) {
      const absl::Duration slice = std::min(wait, absl::Seconds(1));
      if (!ctx_->stop->SleepFor(slice)) return absl::CancelledError("stopping");
      wait -= slice;
      RETURN_IF_ERROR(c.KeepAlive());
    }
  }
}

void Consumer::Reject(Client& c, const Incoming& m, const Item& item) {
  const SubscriptionConfig& sc = sub_->config();
  sub_->counters().rejected[static_cast<int>(item.why)]++;
  uint64_t suppressed = 0;
  if (sub_->AllowLog(&suppressed)) {
    Log(LogLevel::kWarning, "mqtt.message_rejected",
        {{"subscription", sc.name},
         {"reason", RejectionName(item.why)},
         {"error", ClientText(item.error)},
         {"topic", ClientText(m.topic, 128)},
         {"payload", ClientText(m.payload, 64)},
         {"dup", m.dup},
         {"suppressed_before", suppressed}});
  }
  if (!sc.dead_letter_topic.empty()) {
    c.QueuePublish(sc.dead_letter_topic, DeadLetter(sc, m, item.why, item.error, ctx_->now()));
    sub_->counters().dead_letters++;
  }
  c.QueueAck(m, ReasonCodeOf(item.why));
}

}  // namespace telemdb::ingest::mqtt
