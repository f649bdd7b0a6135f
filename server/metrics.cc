#include "server/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <sstream>
#include <vector>

#include "auth/audit_log.h"
#include "auth/authenticator.h"
#include "auth/identity_stats.h"
#include "http/server.h"
#include "ingest/mqtt/bridge.h"
#include "ingest/write_path.h"
#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"
#include "query/service/query_metrics.h"
#include "storage/db.h"
#include "util/histogram.h"

namespace telemdb::server {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

using Labels = std::vector<ClientMetric::Label>;

class Families {
 public:
  MetricFamily& Family(const std::string& name, const std::string& help, MetricType type) {
    families_.push_back({name, help, type, {}});
    return families_.back();
  }
  void Counter(const std::string& name, const std::string& help, double v, Labels l = {}) {
    Add(Family(name, help, MetricType::Counter), v, std::move(l), true);
  }
  void Gauge(const std::string& name, const std::string& help, double v, Labels l = {}) {
    Add(Family(name, help, MetricType::Gauge), v, std::move(l), false);
  }
  static void Add(MetricFamily& f, double v, Labels l, bool counter) {
    ClientMetric m;
    m.label = std::move(l);
    if (counter) {
      m.counter.value = v;
    } else {
      m.gauge.value = v;
    }
    f.metric.push_back(std::move(m));
  }
  static void AddHistogram(MetricFamily& f, const Histogram::Snapshot& h, Labels l) {
    ClientMetric m;
    m.label = std::move(l);
    m.histogram.sample_count = h.count;
    m.histogram.sample_sum = h.sum;
    uint64_t cum = 0;
    for (size_t i = 0; i < h.bounds.size(); i++) {
      cum += h.counts[i];
      m.histogram.bucket.push_back({cum, h.bounds[i]});
    }
    cum += h.counts.back();
    m.histogram.bucket.push_back({cum, std::numeric_limits<double>::infinity()});
    f.metric.push_back(std::move(m));
  }
  std::vector<MetricFamily> all() const { return {families_.begin(), families_.end()}; }

 private:
  std::deque<MetricFamily> families_;  // references handed out stay valid
};

struct ProcessFigures {
  double rss_bytes = 0, cpu_seconds = 0, open_fds = 0, threads = 0, start_time = 0;
};

ProcessFigures ReadProcess() {
  ProcessFigures p;
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  {
    std::ifstream in("/proc/self/statm");
    double size = 0, resident = 0;
    in >> size >> resident;
    p.rss_bytes = resident * page;
  }
  {
    std::ifstream in("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    size_t close = text.rfind(')');
    if (close != std::string::npos) {
      std::istringstream rest(text.substr(close + 2));
      std::vector<std::string> f;
      for (std::string t; rest >> t;) f.push_back(t);
      // After the command: field 3 is f[0]; utime 14, stime 15, threads 20 -> f[11], f[12], f[17].
      if (f.size() > 17) {
        p.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
        p.threads = std::stod(f[17]);
      }
    }
  }
  if (DIR* d = opendir("/proc/self/fd")) {
    int n = 0;
    while (readdir(d) != nullptr) n++;
    closedir(d);
    p.open_fds = n > 2 ? n - 3 : 0;  // ".", ".." and the directory's own descriptor
  }
  return p;
}

// The MQTT bridge, labelled by subscription (docs/mqtt.md, "Monitoring").
void RenderMqtt(const ingest::mqtt::Bridge& bridge, Families& f) {
  namespace mq = ingest::mqtt;
  const std::vector<mq::SubscriptionSnapshot> subs = bridge.Snapshot();
  auto counter = [&](const char* name, const char* help, auto value) {
    auto& fam = f.Family(name, help, MetricType::Counter);
    for (const auto& s : subs) Families::Add(fam, value(s), {{"subscription", s.name}}, true);
  };
  auto gauge = [&](const char* name, const char* help, auto value) {
    auto& fam = f.Family(name, help, MetricType::Gauge);
    for (const auto& s : subs) Families::Add(fam, value(s), {{"subscription", s.name}}, false);
  };
  using Snap = mq::SubscriptionSnapshot;
  counter("telemdb_mqtt_messages_received_total", "MQTT messages received (redeliveries too).",
          [](const Snap& s) { return double(s.received); });
  counter("telemdb_mqtt_messages_acknowledged_total",
          "MQTT messages acknowledged to the broker (after their points were durable, or "
          "rejected).",
          [](const Snap& s) { return double(s.acknowledged); });
  counter("telemdb_mqtt_messages_stored_total", "MQTT messages whose points were stored.",
          [](const Snap& s) { return double(s.stored); });
  counter("telemdb_mqtt_points_stored_total", "Field values stored from MQTT messages.",
          [](const Snap& s) { return double(s.points); });
  counter("telemdb_mqtt_messages_redelivered_total", "MQTT messages received with DUP set.",
          [](const Snap& s) { return double(s.redelivered); });
  counter("telemdb_mqtt_write_retries_total",
          "Writes of MQTT messages the storage refused for now and that were retried.",
          [](const Snap& s) { return double(s.write_retries); });
  counter("telemdb_mqtt_dead_letters_total", "Rejected MQTT messages republished.",
          [](const Snap& s) { return double(s.dead_letters); });
  counter("telemdb_mqtt_reconnects_total", "MQTT connections re-established.",
          [](const Snap& s) { return double(s.reconnects); });
  counter("telemdb_mqtt_connection_failures_total", "Failed MQTT connection attempts.",
          [](const Snap& s) { return double(s.connection_failures); });
  auto& rej =
      f.Family("telemdb_mqtt_messages_rejected_total",
               "MQTT messages acknowledged without being stored, by reason.", MetricType::Counter);
  for (const auto& s : subs) {
    for (int r = 0; r < mq::kRejections; r++) {
      Families::Add(
          rej, static_cast<double>(s.rejected[r]),
          {{"subscription", s.name}, {"reason", mq::RejectionName(static_cast<mq::Rejection>(r))}},
          true);
    }
  }
  gauge("telemdb_mqtt_last_message_timestamp_seconds",
        "Wall-clock time of the last MQTT message received (0: none).",
        [](const Snap& s) { return static_cast<double>(s.last_message_ns) / 1e9; });
  gauge("telemdb_mqtt_connections", "MQTT connections configured.",
        [](const Snap& s) { return double(s.connections); });
  gauge("telemdb_mqtt_connections_up", "MQTT connections connected now.",
        [](const Snap& s) { return double(s.connected); });
  auto& state = f.Family("telemdb_mqtt_subscription_state",
                         "1 for the subscription's current state (the most pressing of its "
                         "connections').",
                         MetricType::Gauge);
  for (const auto& s : subs) {
    for (int k = 0; k <= static_cast<int>(mq::ConnState::kStopped); k++) {
      const char* name = mq::ConnStateName(static_cast<mq::ConnState>(k));
      Families::Add(state, s.state == name ? 1 : 0, {{"subscription", s.name}, {"state", name}},
                    false);
    }
  }
}

}  // namespace

std::string RenderMetrics(const MetricsSources& s) {
  Families f;
  if (s.writes != nullptr) {
    auto& req = f.Family("telemdb_ingest_requests_total", "Write requests, by front door.",
                         MetricType::Counter);
    auto& pts = f.Family("telemdb_ingest_values_total", "Field values stored, by front door.",
                         MetricType::Counter);
    auto& bytes = f.Family("telemdb_ingest_bytes_total",
                           "Write request bytes as received, by front door.", MetricType::Counter);
    auto& dup = f.Family("telemdb_ingest_duplicates_total",
                         "Idempotent retries answered again, by front door.", MetricType::Counter);
    auto& rej = f.Family("telemdb_ingest_rejected_total",
                         "Write requests refused, by front door and reason.", MetricType::Counter);
    for (int d = 0; d < ingest::kFrontDoors; d++) {
      const auto door = static_cast<ingest::FrontDoor>(d);
      const ingest::DoorCounters& c = s.writes->counters(door);
      const std::string name = ingest::FrontDoorName(door);
      Families::Add(req, c.requests.load(), {{"door", name}}, true);
      Families::Add(pts, c.points.load(), {{"door", name}}, true);
      Families::Add(bytes, c.bytes.load(), {{"door", name}}, true);
      Families::Add(dup, c.duplicates.load(), {{"door", name}}, true);
      for (int r = 0; r < ingest::kRejectReasons; r++) {
        Families::Add(rej, c.rejected[r].load(),
                      {{"door", name},
                       {"reason", ingest::RejectReasonName(static_cast<ingest::RejectReason>(r))}},
                      true);
      }
    }
    f.Counter("telemdb_remote_write_stale_markers_total",
              "Prometheus staleness markers dropped by remote_write.",
              static_cast<double>(s.writes->stale_markers()));
  }
  if (s.auth != nullptr) {
    auto& fail = f.Family("telemdb_auth_failures_total", "Failed authentications, by transport.",
                          MetricType::Counter);
    for (const char* t : {"grpc", "http", "mqtt"}) {
      Families::Add(fail, static_cast<double>(s.auth->failures(t)), {{"transport", t}}, true);
    }
  }
  if (s.db != nullptr) {
    const storage::EngineMetrics m = s.db->Metrics();
    f.Gauge("telemdb_series", "Series in the index.", m.series);
    f.Gauge("telemdb_head_points", "Points accepted and not yet sealed into chunks.",
            m.head_points);
    f.Gauge("telemdb_head_bytes", "Bytes of the open chunks in memory.", m.head_bytes);
    f.Gauge("telemdb_memory_bytes", "Head, index, RocksDB memtables and cache.", m.memory_bytes);
    f.Gauge("telemdb_wal_bytes", "Bytes of WAL segments on disk.", m.wal_bytes);
    f.Gauge("telemdb_wal_segments", "WAL segments on disk.", m.wal_segments);
    f.Counter("telemdb_wal_written_bytes_total", "Bytes appended to the WAL since start.",
              m.wal_bytes_written);
    Families::AddHistogram(
        f.Family("telemdb_wal_fsync_seconds", "Duration of WAL fsyncs.", MetricType::Histogram),
        m.wal_fsync_seconds, {});
    f.Counter("telemdb_chunks_sealed_total", "Open chunks sealed into RocksDB since start.",
              m.chunks_sealed);
    f.Counter("telemdb_partitions_merged_total",
              "Partitions whose small chunks were merged since start.", m.partitions_merged);
    f.Counter("telemdb_compactions_total", "Full compactions (admin compact) since start.",
              m.compactions);
    auto& cf = f.Family("telemdb_rocksdb_bytes", "RocksDB bytes on disk, by column family.",
                        MetricType::Gauge);
    for (const auto& [name, b] : m.cf_bytes) Families::Add(cf, b, {{"cf", name}}, false);
    f.Gauge("telemdb_up", "1 while the database accepts writes.", s.db->health().ok() ? 1 : 0);
  }
  if (s.queries != nullptr) {
    auto& lat = f.Family("telemdb_query_duration_seconds", "Query latency, by front door and kind.",
                         MetricType::Histogram);
    auto& failed = f.Family("telemdb_query_failed_total", "Queries that ended in an error.",
                            MetricType::Counter);
    for (const auto& e : s.queries->Take()) {
      Families::AddHistogram(lat, e.latency, {{"door", e.door}, {"kind", e.kind}});
      Families::Add(failed, static_cast<double>(e.failed), {{"door", e.door}, {"kind", e.kind}},
                    true);
    }
  }
  if (s.http != nullptr) {
    const http::ServerCounters c = s.http->counters();
    f.Counter("telemdb_http_requests_total", "HTTP requests read.", c.requests);
    f.Gauge("telemdb_http_connections", "Open HTTP connections.", c.open);
    auto& refused =
        f.Family("telemdb_http_refused_total", "HTTP connections or requests refused, by reason.",
                 MetricType::Counter);
    Families::Add(refused, c.refused_over_cap, {{"reason", "connection_cap"}}, true);
    Families::Add(refused, c.timed_out, {{"reason", "timeout"}}, true);
    Families::Add(refused, c.too_large, {{"reason", "too_large"}}, true);
    Families::Add(refused, c.bad_requests, {{"reason", "malformed"}}, true);
  }
  if (s.audit != nullptr) {
    const auth::AuditCounters a = s.audit->counters();
    f.Counter("telemdb_audit_records_total", "Audit records written.", a.written);
    f.Counter("telemdb_audit_dropped_total", "Audit records lost to a full queue.", a.dropped);
    f.Counter("telemdb_audit_folded_total", "Repeated audit events counted into summaries.",
              a.folded);
  }
  if (s.identities != nullptr) {
    f.Counter("telemdb_identity_anomalies_total", "identity.anomaly events.",
              static_cast<double>(s.identities->anomalies()));
  }
  if (s.mqtt != nullptr) RenderMqtt(*s.mqtt, f);
  if (s.realtime) {
    const RealtimeFigures r = s.realtime();
    auto d = [](uint64_t v) { return static_cast<double>(v); };
    f.Gauge("telemdb_subscriptions", "Live subscriptions open now (gRPC and HTTP).",
            d(r.subscriptions));
    f.Counter("telemdb_subscriptions_started_total", "Live subscriptions started.",
              d(r.subscriptions_started));
    f.Counter("telemdb_subscriptions_refused_total",
              "Live subscriptions refused (cap, memory, rights).", d(r.subscriptions_refused));
    f.Gauge("telemdb_live_memory_bytes", "Bytes held by live buffers and the hub's queue.",
            d(r.live_memory_bytes));
    f.Counter("telemdb_live_dropped_values_total",
              "Values live subscribers missed (overflow messages told them).",
              d(r.live_dropped_values));
    f.Gauge("telemdb_alert_rules", "Alert rules.", d(r.alert_rules));
    f.Gauge("telemdb_alert_instances", "Alert instances (rule x group) held.",
            d(r.alert_instances));
    f.Counter("telemdb_alert_transitions_total", "Alert state transitions since start.",
              d(r.alert_transitions));
    f.Gauge("telemdb_alert_state_bytes", "Bytes of alert state.", d(r.alert_state_bytes));
    f.Gauge("telemdb_notifications_queued", "Notifications waiting for delivery.",
            d(r.notifications_queued));
  }
  if (s.cluster) {
    const ClusterFigures c = s.cluster();
    auto d = [](uint64_t v) { return static_cast<double>(v); };
    f.Gauge("telemdb_cluster_owned_shards", "Shards this node consumes (docs/cluster.md).",
            d(c.owned_shards));
    f.Counter("telemdb_cluster_messages_applied_total",
              "Log messages of owned shards written to this node's engine.", d(c.messages_applied));
    f.Counter("telemdb_cluster_messages_rejected_total",
              "Log messages this node's engine refused (logged, terminated).",
              d(c.messages_rejected));
    f.Counter("telemdb_cluster_parts_published_total",
              "Shard parts of requests published by this node's front doors.",
              d(c.parts_published));
    f.Counter("telemdb_cluster_parts_duplicate_total",
              "Published parts JetStream answered as duplicates (retries).", d(c.parts_duplicate));
  }
  const ProcessFigures p = ReadProcess();
  f.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", p.rss_bytes);
  f.Counter("process_cpu_seconds_total", "User and system CPU time spent in seconds.",
            p.cpu_seconds);
  f.Gauge("process_open_fds", "Number of open file descriptors.", p.open_fds);
  f.Gauge("process_threads", "Number of threads.", p.threads);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, f.all());
  return out.str();
}

}  // namespace telemdb::server
