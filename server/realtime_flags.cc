// telemdbd's flags of the live half (realtime_options.h). CLI11 reports errors with
// exceptions; they are caught by the caller (flags.cc), never escape.
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "query/lang/time_literal.h"
#include "server/realtime_options.h"

namespace telemdb::server {
namespace {

absl::Duration Duration(const std::string& text, const char* flag, bool zero_ok) {
  if (text == "0" && zero_ok) return absl::ZeroDuration();
  auto d = query::lang::ParseDuration(text);
  if (!d.ok()) throw CLI::ValidationError(flag, std::string(d.status().message()));
  if (*d <= 0 && !zero_ok) throw CLI::ValidationError(flag, "must be positive");
  return absl::Nanoseconds(*d);
}

uint64_t Bytes(const std::string& text, const char* flag) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') digits++;
  uint64_t v = 0;
  if (digits == 0 || !absl::SimpleAtoi(text.substr(0, digits), &v)) {
    throw CLI::ValidationError(flag, "expected a size such as 4MiB, 64MiB or 1000000");
  }
  const std::string unit = text.substr(digits);
  uint64_t mult = 1;
  if (unit == "KiB" || unit == "K") {
    mult = 1ull << 10;
  } else if (unit == "MiB" || unit == "M") {
    mult = 1ull << 20;
  } else if (unit == "GiB" || unit == "G") {
    mult = 1ull << 30;
  } else if (!unit.empty() && unit != "B") {
    throw CLI::ValidationError(flag, "unknown size unit \"" + unit + "\" (use B, KiB, MiB, GiB)");
  }
  return v * mult;
}

}  // namespace

void AddRealtimeFlags(CLI::App* app, RealtimeFlags* f) {
  RealtimeOptions* o = f->out;
  app->add_option("--max-subscriptions", o->max_subscriptions,
                  "live subscriptions open at once (gRPC and HTTP)")
      ->capture_default_str();
  app->add_option("--subscription-buffer", f->subscription_buffer,
                  "bytes one live subscriber may have waiting; past it, points are dropped and "
                  "it gets an overflow message")
      ->capture_default_str();
  app->add_option("--live-memory", f->live_memory,
                  "bytes of all live buffers and the hub's queue (0: --memory-budget / 16)")
      ->capture_default_str();
  app->add_option("--live-heartbeat", f->heartbeat,
                  "heartbeat (and token re-check) of idle live streams")
      ->capture_default_str();
  app->add_option("--alerts", f->alerts, "evaluate alert rules: on or off")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  app->add_option("--alert-memory", f->alert_memory,
                  "bytes of alert instances, windows and queued points (0: --memory-budget / 16)")
      ->capture_default_str();
  app->add_option("--notify-queue", o->notify_queue, "notifications waiting for delivery")
      ->capture_default_str();
  app->add_option("--notify-timeout", f->notify_timeout, "one webhook delivery attempt")
      ->capture_default_str();
  app->add_option("--notify-backoff-min", f->notify_backoff_min,
                  "first wait before retrying a failed delivery")
      ->capture_default_str();
  app->add_option("--notify-backoff-max", f->notify_backoff_max,
                  "longest wait between delivery retries")
      ->capture_default_str();
}

void FinishRealtimeFlags(const RealtimeFlags& f) {
  RealtimeOptions* o = f.out;
  o->subscription_buffer = Bytes(f.subscription_buffer, "--subscription-buffer");
  if (o->subscription_buffer < 4096) {
    throw CLI::ValidationError("--subscription-buffer", "must be at least 4KiB");
  }
  o->live_memory = Bytes(f.live_memory, "--live-memory");
  o->alert_memory = Bytes(f.alert_memory, "--alert-memory");
  o->heartbeat = Duration(f.heartbeat, "--live-heartbeat", false);
  o->alerts = f.alerts == "on";
  o->notify_timeout = Duration(f.notify_timeout, "--notify-timeout", false);
  o->notify_backoff_min = Duration(f.notify_backoff_min, "--notify-backoff-min", false);
  o->notify_backoff_max = Duration(f.notify_backoff_max, "--notify-backoff-max", false);
  if (o->notify_backoff_max < o->notify_backoff_min) {
    throw CLI::ValidationError("--notify-backoff-max", "must be at least --notify-backoff-min");
  }
  if (o->max_subscriptions < 1 || o->notify_queue < 1) {
    throw CLI::ValidationError("--max-subscriptions/--notify-queue", "must be at least 1");
  }
}

}  // namespace telemdb::server
