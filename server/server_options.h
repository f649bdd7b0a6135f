// Settings of telemdbd. Every flag has a documented default (docs/server.md).
#ifndef TELEMDB_SERVER_SERVER_OPTIONS_H_
#define TELEMDB_SERVER_SERVER_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/realtime_options.h"
#include "server/tls.h"
#include "storage/options.h"

namespace telemdb::server {

struct ServerOptions {
  // --data-dir. Default: ./telemdb-data
  std::string data_dir = "./telemdb-data";
  // --encryption-key-file: 32 random bytes, mode 0600 (or 0400), outside the data directory;
  // everything in the data directory is encrypted with it (docs/security.md). Default: none.
  std::string encryption_key_file;
  // --encryption-old-key-file (repeatable): earlier keys, only read, until a rekey has moved
  // the data to the active key. Default: none.
  std::vector<std::string> encryption_old_key_files;
  // --listen host:port. Default: 127.0.0.1:7700. Port 0 picks a free port (see port_file).
  std::string listen = "127.0.0.1:7700";
  // --port-file: after listening, write the bound port here. Default: none.
  std::string port_file;
  // --http-listen host:port: the HTTP API (InfluxDB 1.x /write and /query, Prometheus
  // remote_write, /metrics, /health); "none" turns it off. Port 0 picks a free port (see
  // http_port_file). Default: 127.0.0.1:7701.
  std::string http_listen = "127.0.0.1:7701";
  // --http-port-file: after listening, write the HTTP port here. Default: none.
  std::string http_port_file;
  // --http-max-body: largest HTTP request body, as sent and after gzip. Default: the same as
  // --max-request-bytes.
  uint64_t http_max_body = 0;
  // --http-max-connections: open HTTP connections; one more gets 503. Default: 512.
  uint64_t http_max_connections = 512;
  // --metrics-public: GET /metrics without a token. Default: false (a read right is needed).
  bool metrics_public = false;
  // --http-console: serve the web console at GET / (docs/console.md). Default: true.
  bool http_console = true;
  // --mqtt-config: TOML file of the MQTT brokers and subscriptions to consume (docs/mqtt.md);
  // SIGHUP re-reads it. Default: none (no MQTT bridge).
  std::string mqtt_config;
  // --cluster: TOML file making this server a node of a cluster over NATS JetStream
  // (docs/cluster.md). Default: none (a single node).
  std::string cluster_config;
  // --remote-write-measurement: the measurement of Prometheus samples; empty: the metric
  // name. Default: empty.
  std::string remote_write_measurement;
  // --auth token|none. `none` is accepted only on loopback listeners. Default: token.
  std::string auth = "token";
  // TLS (--tls-cert, --tls-key, --tls-client-ca, --tls-client-auth). Default: off.
  TlsOptions tls;
  // --tls-identity-map: scopes of client-certificate identities. Default: none (a verified
  // certificate gets write:device=<its CN>).
  std::string identity_map;
  // --audit-log: the audit trail (JSON lines, HMAC-chained); "none" turns it off.
  // Default: <data-dir>/audit.log.
  std::string audit_log;
  // --insecure: allow a non-loopback listener without TLS. Default: false.
  bool insecure = false;
  // --memory-budget bytes: head (50%), RocksDB memtables (12.5%) and block cache (12.5%),
  // and gRPC's resource quota (25%). Default: 1 GiB.
  uint64_t memory_budget = 1ull << 30;
  // --max-request-bytes: largest accepted request message. Default: 64 MiB.
  uint64_t max_request_bytes = 64ull << 20;
  // --worker-threads: threads that run blocking writes and admin work. Default: 32.
  int worker_threads = 32;
  // --query-threads (query service). Default: 8.
  int query_threads = 8;
  // --query-timeout: deadline of a query whose client sets none. Default: 60 s.
  absl::Duration query_timeout = absl::Seconds(60);
  // --query-max-series: series one query may select. Default: 100,000.
  uint64_t query_max_series = 100'000;
  // --query-max-points: points one query may read. Default: 2,000,000,000.
  uint64_t query_max_points = 2'000'000'000;
  // --token-idle-expiry: tokens unused for this long stop working (audited as
  // token.expired_idle). Zero: off. Default: off.
  absl::Duration token_idle_expiry = absl::ZeroDuration();
  // --token-idle-expiry-admin: apply it to admin tokens too. Default: false.
  bool token_idle_expiry_admin = false;
  // --identity-anomaly: audit identity.anomaly when an identity writes measurements or tag
  // values it never wrote, or at many times its usual rate (auth/identity_stats.h).
  // Default: false.
  bool identity_anomaly = false;
  // --identity-anomaly-learning: an identity's baseline period after its first write.
  // Default: 1 h.
  absl::Duration identity_anomaly_learning = absl::Hours(1);
  // --identity-anomaly-rate-factor: a minute above this many times the usual rate is an
  // anomaly (0: rate not checked). Default: 10.
  double identity_anomaly_rate_factor = 10;
  // --reflection: gRPC server reflection, "off" or "public". gRPC's reflection service
  // cannot sit behind telemdb's authentication, so it is off unless made public (it then
  // lists the services and messages, never data, to anyone who connects). Default: off.
  std::string reflection = "off";
  // Storage settings from flags (--ack-mode, --retention, limits, ...).
  storage::Options storage;
  // Live subscriptions, alerts and notifications (--max-subscriptions, --alerts, ...).
  RealtimeOptions realtime;
};

// Parses argv (and a --config TOML file; flags win). Returns the options, or an error
// explaining the bad flag; `exit_code` is set for --help/--version (print and exit 0).
struct ParsedFlags {
  ServerOptions options;
  bool exit_now = false;
  int exit_code = 0;
};
ParsedFlags ParseServerFlags(int argc, char** argv);

// True when `listen` (host:port) binds only loopback addresses.
bool IsLoopbackListen(const std::string& listen);

}  // namespace telemdb::server

#endif  // TELEMDB_SERVER_SERVER_OPTIONS_H_
