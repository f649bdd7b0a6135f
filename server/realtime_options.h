// Settings of telemdbd's live half (server/realtime.h): subscriptions, alerts,
// notifications. Every setting has a documented default (docs/server.md).
#ifndef TELEMDB_SERVER_REALTIME_OPTIONS_H_
#define TELEMDB_SERVER_REALTIME_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace CLI {
class App;
}

namespace telemdb::server {

// Flags (realtime_flags.cc, docs/server.md).
struct RealtimeOptions {
  // --max-subscriptions: live subscriptions at once (gRPC and HTTP). Default: 256.
  size_t max_subscriptions = 256;
  // --subscription-buffer: bytes one subscriber may have waiting. Default: 4 MiB.
  uint64_t subscription_buffer = 4ull << 20;
  // --live-memory: all live buffers and the hub's queue. Default: 0 (--memory-budget / 16).
  uint64_t live_memory = 0;
  // --live-heartbeat: heartbeat and credential re-check of idle streams. Default: 15 s.
  absl::Duration heartbeat = absl::Seconds(15);
  // --alerts on|off. Default: on.
  bool alerts = true;
  // --alert-memory: alert instances, windows and queued points. Default: 0
  // (--memory-budget / 16).
  uint64_t alert_memory = 0;
  // --notify-queue: notifications waiting for delivery. Default: 10,000.
  size_t notify_queue = 10'000;
  // --notify-timeout: one webhook attempt. Default: 10 s.
  absl::Duration notify_timeout = absl::Seconds(10);
  // --notify-backoff-min / --notify-backoff-max: retry waits. Default: 1 s / 5 min.
  absl::Duration notify_backoff_min = absl::Seconds(1);
  absl::Duration notify_backoff_max = absl::Minutes(5);
};

// The flags above (realtime_flags.cc): Add before parsing, Finish after (it throws
// CLI::ValidationError for bad values, inside the caller's CLI11 try block).
struct RealtimeFlags {
  RealtimeOptions* out = nullptr;
  std::string subscription_buffer = "4MiB";
  std::string live_memory = "0";
  std::string alert_memory = "0";
  std::string heartbeat = "15s";
  std::string alerts = "on";
  std::string notify_timeout = "10s";
  std::string notify_backoff_min = "1s";
  std::string notify_backoff_max = "5m";
};
void AddRealtimeFlags(CLI::App* app, RealtimeFlags* flags);
void FinishRealtimeFlags(const RealtimeFlags& flags);

}  // namespace telemdb::server

#endif  // TELEMDB_SERVER_REALTIME_OPTIONS_H_
