#include "ingest/mqtt/subscription.h"

#include <algorithm>

namespace telemdb::ingest::mqtt {

void StopSignal::Stop() {
  absl::MutexLock l(&mu_);
  flag_.store(true);
}

bool StopSignal::SleepFor(absl::Duration d) {
  absl::MutexLock l(&mu_);
  auto stopped = [this] { return flag_.load(); };
  mu_.AwaitWithTimeout(absl::Condition(&stopped), d);
  return !flag_.load();
}

Subscription::Subscription(SubscriptionConfig config, BrokerConfig broker,
                           std::shared_ptr<TlsContext> tls,
                           std::shared_ptr<SubscriptionCounters> counters)
    : config_(std::move(config)),
      broker_(std::move(broker)),
      tls_(std::move(tls)),
      decoder_(config_),
      counters_(std::move(counters)),
      states_(new std::atomic<int>[config_.connections]) {
  for (int i = 0; i < config_.connections; i++) states_[i].store(0);
}

int64_t Subscription::ReserveReceiveTime(int64_t now_ns, int64_t span) {
  absl::MutexLock l(&mu_);
  const int64_t start = std::max(now_ns, next_receive_ns_);
  next_receive_ns_ = start + std::max<int64_t>(span, 1);
  return start;
}

void Subscription::SetLastError(std::string e) {
  absl::MutexLock l(&mu_);
  last_error_ = std::move(e);
}

bool Subscription::AllowLog(uint64_t* suppressed) {
  constexpr absl::Duration kWindow = absl::Seconds(10);
  constexpr int kPerWindow = 10;
  absl::MutexLock l(&mu_);
  const absl::Time now = absl::Now();
  if (now - log_window_ >= kWindow) {
    log_window_ = now;
    logged_in_window_ = 0;
  }
  if (logged_in_window_ >= kPerWindow) {
    suppressed_++;
    return false;
  }
  logged_in_window_++;
  *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

SubscriptionSnapshot Subscription::Snapshot() const {
  SubscriptionSnapshot s;
  s.name = config_.name;
  s.broker = broker_.url;
  s.topic = config_.topic;
  s.format = PayloadFormatName(config_.format);
  s.connections = config_.connections;
  // The state shown is the most pressing of the connections' states.
  static constexpr ConnState kOrder[] = {
      ConnState::kUnauthorized, ConnState::kBackoff,   ConnState::kConnecting, ConnState::kStarting,
      ConnState::kRetrying,     ConnState::kConnected, ConnState::kStopped};
  int best = static_cast<int>(std::size(kOrder)) - 1;
  for (int i = 0; i < config_.connections; i++) {
    const auto st = static_cast<ConnState>(states_[i].load());
    if (st == ConnState::kConnected || st == ConnState::kRetrying) s.connected++;
    for (int k = 0; k < best; k++) {
      if (kOrder[k] == st) best = k;
    }
  }
  s.state = ConnStateName(kOrder[best]);
  const SubscriptionCounters& c = *counters_;
  s.received = c.received.load();
  s.acknowledged = c.acknowledged.load();
  s.stored = c.stored.load();
  s.points = c.points.load();
  s.redelivered = c.redelivered.load();
  s.writes = c.writes.load();
  s.write_retries = c.write_retries.load();
  s.dead_letters = c.dead_letters.load();
  s.reconnects = c.reconnects.load();
  s.connection_failures = c.connection_failures.load();
  s.last_message_ns = c.last_message_ns.load();
  for (int r = 0; r < kRejections; r++) s.rejected[r] = c.rejected[r].load();
  absl::MutexLock l(&mu_);
  s.last_error = last_error_;
  return s;
}

}  // namespace telemdb::ingest::mqtt
