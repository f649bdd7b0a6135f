#include "ingest/mqtt/bridge.h"

#include "absl/time/clock.h"
#include "auth/audit_log.h"
#include "ingest/mqtt/consumer.h"
#include "ingest/mqtt/subscription.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::ingest::mqtt {

// The subscriptions and connections of one configuration.
struct Bridge::Generation {
  StopSignal stop;
  ConsumerContext ctx;
  std::vector<std::unique_ptr<Subscription>> subs;
  std::vector<std::unique_ptr<Consumer>> consumers;

  void Start() {
    for (auto& c : consumers) c->Start();
  }
  void StopAndJoin() {
    stop.Stop();
    for (auto& c : consumers) c->Join();
  }
};

Bridge::Bridge(BridgeOptions options) : options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return absl::GetCurrentTimeNanos(); };
}

Bridge::~Bridge() { Stop(); }

absl::StatusOr<std::unique_ptr<Bridge::Generation>> Bridge::Build(const MqttConfig& config) {
  auto g = std::make_unique<Generation>();
  g->ctx.writes = options_.writes;
  g->ctx.auth = options_.auth;
  g->ctx.audit = options_.audit;
  g->ctx.now = options_.now;
  g->ctx.after_durable = options_.after_durable;
  g->ctx.stop = &g->stop;
  std::map<std::string, std::shared_ptr<TlsContext>> tls;
  for (const BrokerConfig& b : config.brokers) {
    if (!b.tls) continue;
    ASSIGN_OR_RETURN(tls[b.name], TlsContext::Create(b));
  }
  absl::MutexLock l(&mu_);
  for (const SubscriptionConfig& s : config.subscriptions) {
    const BrokerConfig* b = config.FindBroker(s.broker);
    if (b == nullptr) return absl::InvalidArgumentError("subscription names an unknown broker");
    std::shared_ptr<SubscriptionCounters>& counters = counters_[s.name];
    if (!counters) counters = std::make_shared<SubscriptionCounters>();
    g->subs.push_back(std::make_unique<Subscription>(s, *b, tls[b->name], counters));
    for (int i = 0; i < s.connections; i++) {
      g->consumers.push_back(std::make_unique<Consumer>(g->subs.back().get(), i, &g->ctx));
    }
  }
  return g;
}

absl::StatusOr<std::unique_ptr<Bridge>> Bridge::Start(const MqttConfig& config,
                                                      BridgeOptions options) {
  std::unique_ptr<Bridge> bridge(new Bridge(std::move(options)));
  bridge->path_ = config.path;
  ASSIGN_OR_RETURN(auto g, bridge->Build(config));
  for (const SubscriptionConfig& s : config.subscriptions) {
    Log(LogLevel::kInfo, "mqtt.subscription",
        {{"subscription", s.name},
         {"broker", config.FindBroker(s.broker)->url},
         {"topic", s.topic},
         {"qos", static_cast<int>(s.qos)},
         {"format", PayloadFormatName(s.format)},
         {"connections", s.connections}});
  }
  g->Start();
  absl::MutexLock l(&bridge->mu_);
  bridge->current_ = std::move(g);
  return bridge;
}

void Bridge::Stop() {
  absl::MutexLock r(&reload_mu_);
  if (stopped_) return;
  stopped_ = true;
  Generation* g;
  {
    absl::MutexLock l(&mu_);
    g = current_.get();
  }
  if (g != nullptr) g->StopAndJoin();
  Log(LogLevel::kInfo, "mqtt.stopped", {});
}

absl::Status Bridge::Reload() {
  absl::MutexLock r(&reload_mu_);
  if (stopped_) return absl::FailedPreconditionError("the MQTT bridge is stopped");
  ASSIGN_OR_RETURN(MqttConfig config, LoadMqttConfig(path_, options_.load));
  ASSIGN_OR_RETURN(auto next, Build(config));
  Generation* old;
  {
    absl::MutexLock l(&mu_);
    old = current_.get();
  }
  // The old connections finish and disconnect before the new ones (same client ids)
  // connect; the broker keeps the sessions in between.
  if (old != nullptr) old->StopAndJoin();
  std::unique_ptr<Generation> retired;
  {
    absl::MutexLock l(&mu_);
    retired = std::move(current_);
    current_ = std::move(next);
    current_->Start();
  }
  Log(LogLevel::kInfo, "mqtt.reloaded",
      {{"path", path_}, {"subscriptions", static_cast<uint64_t>(config.subscriptions.size())}});
  if (options_.audit != nullptr) {
    options_.audit->Record("mqtt.reload", "SIGHUP", "ok", {{"path", path_}});
  }
  return absl::OkStatus();
}

std::vector<SubscriptionSnapshot> Bridge::Snapshot() const {
  std::vector<SubscriptionSnapshot> out;
  absl::MutexLock l(&mu_);
  if (current_ == nullptr) return out;
  for (const auto& s : current_->subs) out.push_back(s->Snapshot());
  return out;
}

}  // namespace telemdb::ingest::mqtt
