// telemdbd's flags (CLI11). CLI11 reports errors with exceptions; they are caught here, at
// the boundary, and never escape.
#include <arpa/inet.h>

#include <cstdio>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "query/lang/time_literal.h"
#include "server/realtime_options.h"
#include "server/server_options.h"
#include "server/version.h"
#include "util/absl_compat.h"
#include "util/log.h"

namespace telemdb::server {
namespace {

// CLI11 validator for duration flags ("30d", "1h30m", "0" = off).
int64_t DurationFlag(const std::string& text, const char* flag) {
  if (text == "0") return 0;
  auto d = query::lang::ParseDuration(text);
  if (!d.ok()) {
    throw CLI::ValidationError(flag, std::string(d.status().message()));
  }
  return *d;
}

uint64_t BytesFlag(const std::string& text, const char* flag) {
  size_t pos = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(text, &pos);
  } catch (...) {
    throw CLI::ValidationError(flag, "expected a size such as 512MiB, 2GiB or 1000000");
  }
  std::string unit = text.substr(pos);
  uint64_t mult = 1;
  if (unit == "" || unit == "B") {
    mult = 1;
  } else if (unit == "KiB" || unit == "K") {
    mult = 1ull << 10;
  } else if (unit == "MiB" || unit == "M") {
    mult = 1ull << 20;
  } else if (unit == "GiB" || unit == "G") {
    mult = 1ull << 30;
  } else {
    throw CLI::ValidationError(flag, "unknown size unit \"" + unit + "\" (use B, KiB, MiB, GiB)");
  }
  return v * mult;
}

}  // namespace

bool IsLoopbackListen(const std::string& listen) {
  std::string host = listen;
  size_t colon = listen.rfind(':');
  if (colon != std::string::npos) host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost" || host == "::1") return true;
  in_addr a4;
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1) {
    return (ntohl(a4.s_addr) >> 24) == 127;
  }
  return false;
}

ParsedFlags ParseServerFlags(int argc, char** argv) {
  ParsedFlags out;
  ServerOptions& o = out.options;
  CLI::App app{"telemdbd: the telemdb server (see docs/server.md)", "telemdbd"};
  app.set_config("--config", "", "TOML file with the same settings as the flags (flags win)");
  app.set_version_flag("--version", std::string("telemdbd ") + kVersion);
  std::string ack_mode = "sync", retention = "0", max_future = "24h", head_max_age = "30m";
  std::string memory_budget = "1GiB", max_request_bytes = "64MiB", wal_max = "1GiB";
  std::string wal_recovery = "strict", log_level = "info", partition = "24h";
  std::string token_idle_expiry = "0", anomaly_learning = "1h";
  app.add_option("--data-dir", o.data_dir, "data directory")->capture_default_str();
  app.add_option("--encryption-key-file", o.encryption_key_file,
                 "32 random bytes (mode 0600, outside the data directory): encrypts everything "
                 "in the data directory");
  app.add_option("--encryption-old-key-file", o.encryption_old_key_files,
                 "an earlier key, still read until a rekey finishes (repeatable)");
  app.add_option("--listen", o.listen, "host:port to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--port-file", o.port_file, "write the bound port to this file");
  app.add_option("--http-listen", o.http_listen,
                 "host:port of the HTTP API (InfluxDB /write and /query, remote_write, /metrics); "
                 "none: off")
      ->capture_default_str();
  app.add_option("--http-port-file", o.http_port_file, "write the bound HTTP port to this file");
  std::string http_max_body;
  app.add_option(
      "--http-max-body", http_max_body,
      "largest HTTP request body, as sent and after gzip (default: --max-request-bytes)");
  app.add_option("--http-max-connections", o.http_max_connections,
                 "open HTTP connections; one more gets 503")
      ->capture_default_str();
  app.add_flag("--metrics-public", o.metrics_public, "serve /metrics without a token");
  app.add_option("--http-console", o.http_console,
                 "serve the web console at GET / on the HTTP listener (docs/console.md)")
      ->capture_default_str();
  app.add_option("--mqtt-config", o.mqtt_config,
                 "TOML file of MQTT brokers and subscriptions to consume (docs/mqtt.md)");
  app.add_option("--cluster", o.cluster_config,
                 "TOML file: run as a node of a cluster over NATS JetStream (docs/cluster.md)");
  app.add_option("--remote-write-measurement", o.remote_write_measurement,
                 "measurement of Prometheus samples (default: the metric name)");
  app.add_option("--auth", o.auth, "token (bearer tokens) or none (loopback only)")
      ->check(CLI::IsMember({"token", "none"}))
      ->capture_default_str();
  app.add_option("--tls-cert", o.tls.cert, "PEM certificate chain: enables TLS");
  app.add_option("--tls-key", o.tls.key, "PEM private key of --tls-cert");
  app.add_option("--tls-client-ca", o.tls.client_ca,
                 "PEM CA bundle that signs client certificates (mTLS)");
  app.add_option("--tls-client-auth", o.tls.client_auth,
                 "request (verify a client certificate when sent) or require")
      ->check(CLI::IsMember({"request", "require"}));
  app.add_option("--tls-identity-map", o.identity_map,
                 "file of `<certificate name> <scope>...` lines (default scope: "
                 "write:device=<name>)");
  app.add_flag("--insecure", o.insecure, "allow a non-loopback listener without TLS");
  app.add_option("--audit-log", o.audit_log,
                 "audit trail file (default <data-dir>/audit.log; \"none\": off)");
  app.add_option("--ack-mode", ack_mode, "default ack mode: sync (fsync before ack) or async")
      ->check(CLI::IsMember({"sync", "async"}))
      ->capture_default_str();
  app.add_option("--memory-budget", memory_budget,
                 "bytes for unsealed data, RocksDB memtables and cache, and gRPC buffers")
      ->capture_default_str();
  app.add_option("--max-request-bytes", max_request_bytes, "largest accepted request")
      ->capture_default_str();
  app.add_option("--max-points-per-request", o.storage.limits.max_points_per_write,
                 "largest accepted request in field values")
      ->capture_default_str();
  app.add_option("--max-series", o.storage.limits.max_series, "cardinality limit")
      ->capture_default_str();
  app.add_option("--max-tags", o.storage.limits.max_tags, "tags per series")->capture_default_str();
  app.add_option("--max-name-bytes", o.storage.limits.max_name_bytes,
                 "bytes of a measurement, tag key or field name")
      ->capture_default_str();
  app.add_option("--max-tag-value-bytes", o.storage.limits.max_tag_value_bytes,
                 "bytes of a tag value")
      ->capture_default_str();
  app.add_option("--max-string-bytes", o.storage.limits.max_string_bytes,
                 "bytes of a string field value")
      ->capture_default_str();
  app.add_option("--min-timestamp", o.storage.limits.min_timestamp,
                 "earliest accepted timestamp, ns since the epoch")
      ->capture_default_str();
  app.add_option("--max-future", max_future, "how far ahead of the clock a timestamp may be")
      ->capture_default_str();
  app.add_flag("--reject-nan", o.storage.limits.reject_nan, "reject NaN float values");
  app.add_option("--retention", retention, "drop data older than this (0: keep forever)")
      ->capture_default_str();
  app.add_option("--head-max-age", head_max_age,
                 "seal an open chunk this long after its first point")
      ->capture_default_str();
  app.add_option("--head-seal-points", o.storage.head_seal_points,
                 "seal an open chunk at this size")
      ->capture_default_str();
  std::string merge_interval = "30s";
  app.add_option("--merge-interval", merge_interval, "how often small chunks are merged")
      ->capture_default_str();
  app.add_option("--partition", partition, "time partition of stored chunks")
      ->capture_default_str();
  app.add_option("--wal-max-bytes", wal_max, "WAL size that triggers early sealing")
      ->capture_default_str();
  app.add_option("--wal-recovery", wal_recovery,
                 "strict (a corrupt WAL record followed by valid ones fails the start) or "
                 "point-in-time (truncate there, logging what is dropped)")
      ->check(CLI::IsMember({"strict", "point-in-time"}))
      ->capture_default_str();
  app.add_option("--worker-threads", o.worker_threads, "threads for blocking writes")
      ->capture_default_str();
  app.add_option("--query-threads", o.query_threads, "threads for queries")->capture_default_str();
  std::string query_timeout = "60s";
  app.add_option("--query-timeout", query_timeout, "deadline of a query whose client sets none")
      ->capture_default_str();
  app.add_option("--query-max-series", o.query_max_series, "series one query may select")
      ->capture_default_str();
  app.add_option("--query-max-points", o.query_max_points, "points one query may read")
      ->capture_default_str();
  app.add_option("--token-idle-expiry", token_idle_expiry,
                 "tokens unused for this long stop working (0: off)")
      ->capture_default_str();
  app.add_flag("--token-idle-expiry-admin", o.token_idle_expiry_admin,
               "apply --token-idle-expiry to admin tokens too");
  app.add_flag("--identity-anomaly", o.identity_anomaly,
               "audit identity.anomaly when an identity writes unlike its baseline");
  app.add_option("--identity-anomaly-learning", anomaly_learning,
                 "baseline period after an identity's first write")
      ->capture_default_str();
  app.add_option("--identity-anomaly-rate-factor", o.identity_anomaly_rate_factor,
                 "a minute above this many times the usual rate is an anomaly (0: off)")
      ->capture_default_str();
  app.add_option("--reflection", o.reflection,
                 "gRPC server reflection: off, or public (unauthenticated)")
      ->check(CLI::IsMember({"off", "public"}))
      ->capture_default_str();
  RealtimeFlags realtime_flags{&o.realtime};
  AddRealtimeFlags(&app, &realtime_flags);
  app.add_option("--log-level", log_level, "debug, info, warning or error")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
    o.storage.default_ack_mode =
        ack_mode == "sync" ? storage::AckMode::kSync : storage::AckMode::kAsync;
    o.storage.retention = absl::Nanoseconds(DurationFlag(retention, "--retention"));
    o.storage.limits.max_future = absl::Nanoseconds(DurationFlag(max_future, "--max-future"));
    o.storage.head_max_age = absl::Nanoseconds(DurationFlag(head_max_age, "--head-max-age"));
    o.storage.partition = absl::Nanoseconds(DurationFlag(partition, "--partition"));
    o.storage.merge_interval = absl::Nanoseconds(DurationFlag(merge_interval, "--merge-interval"));
    if (o.storage.partition <= absl::ZeroDuration()) {
      throw CLI::ValidationError("--partition", "must be positive");
    }
    o.query_timeout = absl::Nanoseconds(DurationFlag(query_timeout, "--query-timeout"));
    if (o.query_timeout <= absl::ZeroDuration()) {
      throw CLI::ValidationError("--query-timeout", "must be positive");
    }
    o.token_idle_expiry = absl::Nanoseconds(DurationFlag(token_idle_expiry, "--token-idle-expiry"));
    o.identity_anomaly_learning =
        absl::Nanoseconds(DurationFlag(anomaly_learning, "--identity-anomaly-learning"));
    if (o.identity_anomaly_rate_factor < 0) {
      throw CLI::ValidationError("--identity-anomaly-rate-factor", "must not be negative");
    }
    o.memory_budget = BytesFlag(memory_budget, "--memory-budget");
    o.max_request_bytes = BytesFlag(max_request_bytes, "--max-request-bytes");
    o.http_max_body =
        http_max_body.empty() ? o.max_request_bytes : BytesFlag(http_max_body, "--http-max-body");
    o.storage.wal_max_bytes = BytesFlag(wal_max, "--wal-max-bytes");
    o.storage.wal_point_in_time_recovery = wal_recovery == "point-in-time";
    FinishRealtimeFlags(realtime_flags);
    if (!o.encryption_old_key_files.empty() && o.encryption_key_file.empty()) {
      throw CLI::ValidationError("--encryption-old-key-file", "needs --encryption-key-file");
    }
    if (o.memory_budget < (16ull << 20)) {
      throw CLI::ValidationError("--memory-budget", "must be at least 16MiB");
    }
    if (o.worker_threads < 1 || o.query_threads < 1) {
      throw CLI::ValidationError("--worker-threads/--query-threads", "must be at least 1");
    }
  } catch (const CLI::ParseError& e) {
    out.exit_now = true;
    out.exit_code = app.exit(e);
    return out;
  }
  if (log_level == "debug") SetMinLogLevel(LogLevel::kDebug);
  if (log_level == "warning") SetMinLogLevel(LogLevel::kWarning);
  if (log_level == "error") SetMinLogLevel(LogLevel::kError);
  return out;
}

}  // namespace telemdb::server
