// Metrics: telemdbd's own figures in the Prometheus text format (GET /metrics), rendered by
// prometheus-cpp's serializer from what the components already count: the write path per
// front door, authentication failures, the WAL (bytes, segments, fsync latency), the head,
// sealing, merging and compaction, RocksDB sizes, queries by front door and kind, the HTTP
// listener, the audit log, identities, the MQTT bridge per subscription, live subscriptions
// and alerts, and the process
// (RSS, CPU, open files, threads).
// docs/http.md lists every metric.
//
// Thread safety: Render() is thread-safe (every source is).
#ifndef TELEMDB_SERVER_METRICS_H_
#define TELEMDB_SERVER_METRICS_H_

#include <cstdint>
#include <functional>
#include <string>

namespace telemdb {
namespace storage {
class Db;
}
namespace auth {
class Authenticator;
class AuditLog;
class IdentityStats;
}  // namespace auth
namespace ingest {
class WritePath;
namespace mqtt {
class Bridge;
}
}  // namespace ingest
namespace query {
class QueryMetrics;
}
namespace http {
class Server;
}
}  // namespace telemdb

namespace telemdb::server {

// Live subscriptions and alerts (server/realtime.h), read at scrape time.
struct RealtimeFigures {
  uint64_t subscriptions = 0, subscriptions_started = 0, subscriptions_refused = 0;
  uint64_t live_memory_bytes = 0, live_dropped_values = 0;
  uint64_t alert_rules = 0, alert_instances = 0, alert_transitions = 0, alert_state_bytes = 0;
  uint64_t notifications_queued = 0;
};

// Cluster mode (cluster/node.h), read at scrape time.
struct ClusterFigures {
  uint64_t owned_shards = 0, messages_applied = 0, messages_rejected = 0;
  uint64_t parts_published = 0, parts_duplicate = 0;
};

struct MetricsSources {
  storage::Db* db = nullptr;
  ingest::WritePath* writes = nullptr;
  const auth::Authenticator* auth = nullptr;
  auth::AuditLog* audit = nullptr;            // may be null
  auth::IdentityStats* identities = nullptr;  // may be null
  const query::QueryMetrics* queries = nullptr;
  const http::Server* http = nullptr;          // may be null
  const ingest::mqtt::Bridge* mqtt = nullptr;  // may be null
  std::function<RealtimeFigures()> realtime;   // may be empty
  std::function<ClusterFigures()> cluster;     // may be empty (not in cluster mode)
};

// The text exposition (version 0.0.4).
std::string RenderMetrics(const MetricsSources& sources);

}  // namespace telemdb::server

#endif  // TELEMDB_SERVER_METRICS_H_
