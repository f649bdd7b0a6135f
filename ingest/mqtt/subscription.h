// Subscription: what the connections of one configured subscription share: its settings and
// decoder, the TLS context of its broker, its counters, its connections' states, the clock
// that gives messages without a timestamp distinct receive times, and the rate limit of its
// log lines about rejected messages.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_INGEST_MQTT_SUBSCRIPTION_H_
#define TELEMDB_INGEST_MQTT_SUBSCRIPTION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ingest/mqtt/config.h"
#include "ingest/mqtt/decoder.h"
#include "ingest/mqtt/stats.h"
#include "ingest/mqtt/transport.h"

namespace telemdb::ingest::mqtt {

// Set once to stop every connection of a bridge generation; sleeps end early when it is.
class StopSignal {
 public:
  void Stop();
  bool stopped() const { return flag_.load(); }
  // Sleeps for `d` unless stopped first. Returns false when stopped.
  bool SleepFor(absl::Duration d);
  const std::atomic<bool>* flag() const { return &flag_; }

 private:
  std::atomic<bool> flag_{false};
  absl::Mutex mu_;
};

class Subscription {
 public:
  Subscription(SubscriptionConfig config, BrokerConfig broker, std::shared_ptr<TlsContext> tls,
               std::shared_ptr<SubscriptionCounters> counters);

  const SubscriptionConfig& config() const { return config_; }
  const BrokerConfig& broker() const { return broker_; }
  const std::shared_ptr<TlsContext>& tls() const { return tls_; }
  const Decoder& decoder() const { return decoder_; }
  SubscriptionCounters& counters() { return *counters_; }

  // Reserves `span` distinct nanoseconds at or after `now_ns` for points without a
  // timestamp: consecutive reservations never overlap, whichever connection asks.
  int64_t ReserveReceiveTime(int64_t now_ns, int64_t span);

  void SetState(int connection, ConnState s) { states_[connection].store(static_cast<int>(s)); }
  void SetLastError(std::string e);
  // True the first time it is called after construction: the pause is reported once.
  bool FirstPause() { return !pause_reported_.exchange(true); }
  // True when a line about a rejected message may be logged now (at most 10 per 10 s);
  // `suppressed` gets how many were skipped since the last one logged.
  bool AllowLog(uint64_t* suppressed);

  SubscriptionSnapshot Snapshot() const;

 private:
  const SubscriptionConfig config_;
  const BrokerConfig broker_;
  const std::shared_ptr<TlsContext> tls_;
  const Decoder decoder_;
  const std::shared_ptr<SubscriptionCounters> counters_;
  std::unique_ptr<std::atomic<int>[]> states_;
  std::atomic<bool> pause_reported_{false};
  mutable absl::Mutex mu_;
  int64_t next_receive_ns_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  absl::Time log_window_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int logged_in_window_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace telemdb::ingest::mqtt

#endif  // TELEMDB_INGEST_MQTT_SUBSCRIPTION_H_
