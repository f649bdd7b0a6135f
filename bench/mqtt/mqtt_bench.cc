// telemdb-mqtt-bench: MQTT ingest through a real mosquitto on loopback (bench/mqtt/README.md).
//
// For each connection count (default 1, 4, 16; MQTT 5 shared subscriptions), one publisher
// sends QoS 1 JSON messages of ~10 fields as fast as its window allows, and these consumers
// take them from the broker:
//   broker    subscribers that only count and acknowledge at once: mosquitto's own ceiling
//   telemdb   the bridge (ingest/mqtt/bridge.h) over a real database: acknowledged after the
//             write path's fsync (group commit)
//   paho      Paho C MQTTAsync clients whose message callback writes through the same write
//             path and returns when the write is durable (the packaged-library alternative)
// and prints messages/s, values/s, messages per fsync, and the publish-to-durable latency
// (p50/p99), once at saturation and once with the publisher paced at --paced-fraction of the
// saturated rate. Figures, never a test.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "MQTTAsync.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "auth/authenticator.h"
#include "ingest/mqtt/bridge.h"
#include "ingest/mqtt/client.h"
#include "ingest/mqtt/decoder.h"
#include "ingest/write_path.h"
#include "storage/db.h"
#include "tests/mosquitto_harness.h"
#include "util/temp_dir.h"

namespace telemdb::bench {
namespace {

namespace mq = ingest::mqtt;

int64_t MonoNs() { return absl::GetCurrentTimeNanos(); }

// Publish times by sequence number, and the latencies seen when messages became durable.
class Tracker {
 public:
  explicit Tracker(size_t n) : sent_(n, 0) {}
  void Sent(size_t seq) { sent_[seq] = MonoNs(); }
  // `payload` holds "seq": N.
  void Durable(std::string_view payload) {
    size_t at = payload.find("\"seq\": ");
    if (at == std::string_view::npos) return;
    size_t seq = std::strtoull(payload.data() + at + 7, nullptr, 10);
    const int64_t now = MonoNs();
    absl::MutexLock l(&mu_);
    if (seq < sent_.size() && sent_[seq] != 0) lat_.push_back(now - sent_[seq]);
    last_ns_ = now;
    done_++;
  }
  uint64_t done() const {
    absl::MutexLock l(&mu_);
    return done_;
  }
  int64_t last_ns() const {
    absl::MutexLock l(&mu_);
    return last_ns_;
  }
  double Percentile(double p) {
    absl::MutexLock l(&mu_);
    if (lat_.empty()) return 0;
    std::sort(lat_.begin(), lat_.end());
    return static_cast<double>(lat_[std::min(lat_.size() - 1, size_t(p * lat_.size()))]) / 1e6;
  }

 private:
  std::vector<int64_t> sent_;  // written by the publisher before the message exists
  mutable absl::Mutex mu_;
  std::vector<int64_t> lat_ ABSL_GUARDED_BY(mu_);
  int64_t last_ns_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t done_ ABSL_GUARDED_BY(mu_) = 0;
};

std::string Payload(size_t seq, int fields) {
  std::string p = absl::StrCat("{\"ts\": ", 1'700'000'000'000 + seq, ", \"seq\": ", seq);
  for (int f = 0; f < fields - 1; f++) {
    absl::StrAppend(&p, ", \"f", f, "\": ", 20 + (seq * 7 + f) % 1000 / 10.0);
  }
  return p + "}";
}

mq::BrokerConfig Broker(int port) {
  mq::BrokerConfig b;
  b.url = absl::StrCat("tcp://127.0.0.1:", port);
  b.host = "127.0.0.1";
  b.port = port;
  b.version = mq::Version::k5;
  return b;
}

// Publishes `n` QoS 1 messages to topic_prefix/d<seq % 100>; a window of 1,000 in flight.
// `rate` > 0 paces it (messages/s). Returns the time of the first send.
int64_t Publish(int port, const std::string& prefix, size_t n, int fields, double rate,
                Tracker* tracker) {
  mq::ClientOptions o;
  o.connect.version = mq::Version::k5;
  o.connect.client_id = "bench-publisher";
  o.connect.clean_start = true;
  auto c = mq::Client::Connect(Broker(port), nullptr, o, nullptr);
  if (!c.ok()) {
    std::fprintf(stderr, "publisher: %s\n", c.status().ToString().c_str());
    std::exit(1);
  }
  const int64_t start = MonoNs();
  std::vector<mq::Incoming> none;
  for (size_t seq = 0; seq < n; seq++) {
    if (rate > 0) {
      const int64_t due = start + static_cast<int64_t>(seq / rate * 1e9);
      while (MonoNs() < due) absl::SleepFor(absl::Microseconds(200));
    }
    while (seq - (*c)->publishes_acknowledged() >= 1000) {
      (void)(*c)->Receive(absl::Milliseconds(1), 1, 1, &none);
    }
    tracker->Sent(seq);
    (*c)->QueuePublish(absl::StrCat(prefix, "/d", seq % 100), Payload(seq, fields));
    if (seq % 32 == 31 || rate > 0) (void)(*c)->Flush();
  }
  (void)(*c)->Flush();
  while ((*c)->publishes_acknowledged() < n) {
    (void)(*c)->Receive(absl::Milliseconds(5), 1, 1, &none);
  }
  (*c)->Disconnect();
  return start;
}

struct Row {
  std::string consumer;
  int connections = 0;
  std::string mode;
  double msgs_per_s = 0, values_per_s = 0, msgs_per_fsync = 0, p50_ms = 0, p99_ms = 0;
};

void Print(const Row& r) {
  std::printf("%-8s %5d  %-9s %10.0f %12.0f %10s %9.2f %9.2f\n", r.consumer.c_str(), r.connections,
              r.mode.c_str(), r.msgs_per_s, r.values_per_s,
              r.msgs_per_fsync > 0
                  ? absl::StrCat(static_cast<int>(r.msgs_per_fsync * 10) / 10.0).c_str()
                  : "-",
              r.p50_ms, r.p99_ms);
  std::fflush(stdout);
}

// Counting subscribers: acknowledge at once.
class Counters {
 public:
  Counters(int port, int connections, const std::string& filter, Tracker* t) {
    for (int i = 0; i < connections; i++) {
      threads_.emplace_back([=, this] {
        mq::ClientOptions o;
        o.connect.version = mq::Version::k5;
        o.connect.client_id = absl::StrCat("bench-count-", i);
        o.connect.clean_start = true;
        o.connect.receive_maximum = 256;
        auto c = mq::Client::Connect(Broker(port), nullptr, o, nullptr);
        if (!c.ok() || !(*c)->Subscribe({{filter, 1, 0}}).ok()) std::exit(1);
        ready_++;
        std::vector<mq::Incoming> batch;
        while (!stop_) {
          batch.clear();
          if (!(*c)->Receive(absl::Milliseconds(50), 256, 16 << 20, &batch).ok()) break;
          for (const auto& m : batch) {
            (*c)->QueueAck(m, 0);
            t->Durable(m.payload);
          }
          (void)(*c)->Flush();
        }
        (*c)->Disconnect();
      });
    }
    while (ready_ < connections) absl::SleepFor(absl::Milliseconds(5));
  }
  ~Counters() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> ready_{0};
  std::vector<std::thread> threads_;
};

// A database and write path in a fresh directory.
struct Store {
  TempDir dir;
  std::unique_ptr<storage::Db> db;
  std::unique_ptr<auth::Authenticator> auth;
  std::unique_ptr<ingest::WritePath> writes;
  Store() {
    storage::Options o;
    o.dir = dir.Sub("db");
    db = *storage::Db::Open(o);
    auth::AuthenticatorOptions ao;
    ao.disabled = true;
    auth = std::make_unique<auth::Authenticator>(nullptr, ao);
    writes = std::make_unique<ingest::WritePath>(db.get(), nullptr, nullptr);
  }
  ~Store() { (void)db->Close(); }
  uint64_t fsyncs() { return db->Metrics().wal_fsync_seconds.count; }
};

mq::SubscriptionConfig Subscription(const std::string& prefix, int connections) {
  mq::SubscriptionConfig s;
  s.name = "bench";
  s.broker = "default";
  s.topic = absl::StrCat("$share/telemdb/", prefix, "/+");
  s.topic_template = *mq::TopicTemplate::Parse(prefix + "/{device}");
  s.measurement = "bench";
  s.connections = connections;
  s.receive_maximum = 256;
  s.json.timestamp_format = mq::TimeFormat::kMillis;
  return s;
}

// Paho MQTTAsync consumers whose callback writes and returns when the write is durable.
class PahoConsumers {
 public:
  PahoConsumers(int port, int connections, const std::string& prefix, Store* store, Tracker* t)
      : decoder_(Subscription(prefix, connections)), store_(store), tracker_(t) {
    const std::string url = absl::StrCat("tcp://127.0.0.1:", port);
    filter_ = absl::StrCat("$share/paho/", prefix, "/+");
    for (int i = 0; i < connections; i++) {
      MQTTAsync c;
      MQTTAsync_create(&c, url.c_str(), absl::StrCat("bench-paho-", prefix, "-", i).c_str(),
                       MQTTCLIENT_PERSISTENCE_NONE, nullptr);
      MQTTAsync_setCallbacks(c, this, nullptr, &PahoConsumers::Arrived, nullptr);
      clients_.push_back(c);
      MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
      co.cleansession = 0;
      co.keepAliveInterval = 30;
      co.onSuccess = &PahoConsumers::Connected;
      co.context = new std::pair<PahoConsumers*, MQTTAsync>(this, c);
      MQTTAsync_connect(c, &co);
    }
    while (subscribed_ < connections) absl::SleepFor(absl::Milliseconds(5));
  }
  ~PahoConsumers() {
    for (MQTTAsync c : clients_) {
      MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
      MQTTAsync_disconnect(c, &d);
    }
    absl::SleepFor(absl::Milliseconds(200));
    for (MQTTAsync c : clients_) MQTTAsync_destroy(&c);
  }

 private:
  static void Connected(void* ctx, MQTTAsync_successData*) {
    auto* p = static_cast<std::pair<PahoConsumers*, MQTTAsync>*>(ctx);
    MQTTAsync_responseOptions o = MQTTAsync_responseOptions_initializer;
    o.onSuccess = [](void* self, MQTTAsync_successData*) {
      static_cast<PahoConsumers*>(self)->subscribed_++;
    };
    o.context = p->first;
    MQTTAsync_subscribe(p->second, p->first->filter_.c_str(), 1, &o);
    delete p;
  }
  static int Arrived(void* ctx, char* topic, int len, MQTTAsync_message* m) {
    auto* self = static_cast<PahoConsumers*>(ctx);
    std::string_view payload(static_cast<const char*>(m->payload), m->payloadlen);
    mq::Decoded d;
    mq::Rejection why;
    if (self->decoder_
            .Decode(std::string_view(topic, len > 0 ? len : strlen(topic)), payload, MonoNs(), &d,
                    &why)
            .ok()) {
      // Returns once the write is durable (SYNC): only then may Paho send the PUBACK.
      auto r = self->store_->writes->Write(auth::Identity::Superuser("bench"), &d.groups, {},
                                           {ingest::FrontDoor::kMqtt, "paho", 0});
      if (r.ok()) self->tracker_->Durable(payload);
    }
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
  }

  mq::Decoder decoder_;
  Store* store_;
  Tracker* tracker_;
  std::string filter_;
  std::vector<MQTTAsync> clients_;
  std::atomic<int> subscribed_{0};
};

// One measurement: consumers of `kind` with `connections`, `n` messages, at `rate` (0: as
// fast as possible).
Row Measure(const std::string& kind, int port, int connections, size_t n, int fields, double rate,
            int run) {
  const std::string prefix = absl::StrCat("bench/r", run);
  Tracker tracker(n);
  std::unique_ptr<Store> store;
  std::unique_ptr<Counters> counters;
  std::unique_ptr<PahoConsumers> paho;
  std::unique_ptr<mq::Bridge> bridge;
  if (kind == "broker") {
    counters = std::make_unique<Counters>(port, connections,
                                          absl::StrCat("$share/count/", prefix, "/+"), &tracker);
  } else {
    store = std::make_unique<Store>();
  }
  if (kind == "paho") {
    paho = std::make_unique<PahoConsumers>(port, connections, prefix, store.get(), &tracker);
  }
  if (kind == "telemdb") {
    mq::MqttConfig cfg;
    cfg.brokers.push_back(Broker(port));
    cfg.brokers[0].client_id = absl::StrCat("bench-", run);
    cfg.subscriptions.push_back(Subscription(prefix, connections));
    mq::BridgeOptions bo;
    bo.writes = store->writes.get();
    bo.auth = store->auth.get();
    bo.after_durable = [&tracker](const std::vector<mq::Incoming>& batch) {
      for (const auto& m : batch) tracker.Durable(m.payload);
    };
    bridge = *mq::Bridge::Start(cfg, bo);
    while (bridge->Snapshot()[0].connected < connections) absl::SleepFor(absl::Milliseconds(5));
  }
  const uint64_t fsyncs_before = store ? store->fsyncs() : 0;
  const int64_t start = Publish(port, prefix, n, fields, rate, &tracker);
  const absl::Time give_up = absl::Now() + absl::Minutes(10);
  while (tracker.done() < n && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  Row r;
  r.consumer = kind;
  r.connections = connections;
  r.mode = rate > 0 ? "paced" : "saturated";
  const double seconds = static_cast<double>(tracker.last_ns() - start) / 1e9;
  r.msgs_per_s = static_cast<double>(tracker.done()) / seconds;
  r.values_per_s = r.msgs_per_s * fields;
  if (store) {
    const uint64_t fsyncs = store->fsyncs() - fsyncs_before;
    r.msgs_per_fsync = fsyncs > 0 ? static_cast<double>(tracker.done()) / fsyncs : 0;
  }
  r.p50_ms = tracker.Percentile(0.50);
  r.p99_ms = tracker.Percentile(0.99);
  if (tracker.done() < n) r.mode += absl::StrCat(" (", tracker.done(), "/", n, ")");
  return r;
}

}  // namespace
}  // namespace telemdb::bench

int main(int argc, char** argv) {
  using namespace telemdb::bench;
  signal(SIGPIPE, SIG_IGN);
  CLI::App app{"telemdb-mqtt-bench: MQTT ingest through mosquitto on loopback"};
  size_t messages = 100'000;
  int fields = 10;
  std::vector<int> connections = {1, 4, 16};
  std::vector<std::string> consumers = {"broker", "telemdb", "paho"};
  double paced_fraction = 0.7;
  double paced_seconds = 5;
  app.add_option("--messages", messages, "messages per saturated run")->capture_default_str();
  app.add_option("--fields", fields, "fields per message (ts and seq included)")
      ->capture_default_str();
  app.add_option("--connections", connections, "connection counts")->capture_default_str();
  app.add_option("--consumers", consumers, "broker, telemdb, paho")->capture_default_str();
  app.add_option("--paced-fraction", paced_fraction,
                 "paced run: this fraction of the saturated rate (0: no paced run)")
      ->capture_default_str();
  app.add_option("--paced-seconds", paced_seconds, "length of a paced run")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  telemdb::TempDir broker_dir;
  auto broker = telemdb::tests::Mosquitto::Start(broker_dir.path());
  if (!broker.ok()) {
    std::fprintf(stderr, "%s\n", broker.status().ToString().c_str());
    return 1;
  }
  std::printf("mosquitto on 127.0.0.1:%d; %zu messages of %d fields (QoS 1, MQTT 5)\n",
              (*broker)->port(), messages, fields);
  std::printf("%-8s %5s  %-9s %10s %12s %10s %9s %9s\n", "consumer", "conns", "mode", "msgs/s",
              "values/s", "msgs/fsync", "p50_ms", "p99_ms");
  int run = 0;
  for (int c : connections) {
    for (const std::string& kind : consumers) {
      Row r = Measure(kind, (*broker)->port(), c, messages, fields, 0, ++run);
      Print(r);
      if (paced_fraction > 0 && r.msgs_per_s > 0) {
        const double rate = r.msgs_per_s * paced_fraction;
        const size_t n = static_cast<size_t>(rate * paced_seconds);
        Print(Measure(kind, (*broker)->port(), c, std::max<size_t>(n, 100), fields, rate, ++run));
      }
    }
  }
  return 0;
}
