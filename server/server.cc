#include "server/server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "auth/audit_log.h"
#include "auth/authenticator.h"
#include "auth/identity_stats.h"
#include "auth/token_store.h"
#include "cluster/config.h"
#include "cluster/node.h"
#include "server/cluster_query.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/resource_quota.h"
#include "http/server.h"
#include "ingest/http/http_write.h"
#include "ingest/ingest_service.h"
#include "ingest/write_path.h"
#include "query/engine/storage_querier.h"
#include "query/http/influx_query.h"
#include "query/service/query_service.h"
#include "rpc/call_tracker.h"
#include "server/admin_http.h"
#include "server/admin_service.h"
#include "server/http_routes.h"
#include "server/mqtt_wiring.h"
#include "server/realtime.h"
#include "server/tls.h"
#include "storage/crypto/gcm_record_cipher.h"
#include "storage/crypto/key_ring.h"
#include "storage/db.h"
#include "util/log.h"
#include "util/status_macros.h"
#include "util/thread_pool.h"

namespace telemdb::server {

struct Server::Rep {
  ServerOptions options;
  std::unique_ptr<storage::Db> db;
  // Destroyed after the authenticator (declared before it): the authenticator's held-back
  // answers still post to the stopped HTTP sessions when it goes.
  std::unique_ptr<http::Server> http;
  std::unique_ptr<ThreadPool> http_workers;
  std::unique_ptr<ingest::HttpWriteHandlers> http_writes;
  std::unique_ptr<query::InfluxQueryHandler> http_query;
  std::unique_ptr<HttpRoutes> http_routes;
  std::unique_ptr<AdminHttp> http_admin;
  query::QueryMetrics query_metrics;
  std::unique_ptr<auth::TokenStore> tokens;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<auth::AuditLog> audit;
  std::unique_ptr<auth::IdentityStats> identity_stats;
  auth::IdentityMap identity_map;
  rpc::CallTracker calls;
  std::unique_ptr<ThreadPool> workers;
  std::unique_ptr<ingest::WritePath> writes;
  // --cluster: publishes the front doors' writes, consumes owned shards into `db`. Stopped
  // after the front doors, before `db` closes.
  std::unique_ptr<cluster::Node> cluster;
  // --cluster: the sub-query service and the coordinator the front doors query through.
  std::unique_ptr<ClusterQuery> cluster_query;
  std::unique_ptr<ingest::IngestService> ingest;
  std::unique_ptr<AdminService> admin;
  std::unique_ptr<query::StorageQuerier> querier;
  std::unique_ptr<ThreadPool> query_workers;
  std::unique_ptr<query::QueryService> query;
  std::unique_ptr<Realtime> realtime;  // subscriptions, alerts, notifications
  std::unique_ptr<grpc::Server> grpc;
  std::unique_ptr<ingest::mqtt::Bridge> mqtt;  // stopped first: it writes through `writes`
  int port = 0;
  int http_port = 0;
  bool started = false;
  bool stopped = false;
};

Server::Server(ServerOptions options) : rep_(std::make_unique<Rep>()) {
  rep_->options = std::move(options);
}

Server::~Server() { (void)Shutdown(); }

int Server::port() const { return rep_->port; }
int Server::http_port() const { return rep_->http_port; }

namespace {

// Writes the first-start admin token to a new file: O_EXCL (never over an existing file)
// and O_NOFOLLOW (a symlink planted at the path is refused, not followed). The token is
// stored as issued only after this succeeded, so a failed write never locks the operator
// out: the next start tries again.
absl::Status WriteAdminToken(const std::string& path, const std::string& token) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int e = errno;
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create ", path, ": ", std::strerror(e),
        e == EEXIST ? " (a file or link is already there; remove it so the first-start token "
                      "can be written)"
                    : ""));
  }
  std::string line = token + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

// The database names HTTP clients use (db= of /write, CREATE DATABASE): one database per
// server, but SHOW DATABASES lists what clients asked for. Kept in the database, at most
// 1,000 names of at most 256 bytes.
constexpr char kDatabasePrefix[] = "http/database/";

void NoteDatabase(storage::Db* db, std::string_view name) {
  if (name.empty() || name.size() > 256) return;
  static absl::Mutex mu(absl::kConstInit);
  absl::MutexLock l(&mu);
  const std::string key = absl::StrCat(kDatabasePrefix, std::string(name));
  auto have = db->GetMeta(key);
  if (!have.ok() || have->has_value()) return;
  auto all = db->ScanMeta(kDatabasePrefix);
  if (!all.ok() || all->size() >= 1000) return;
  (void)db->PutMeta(key, "");
}

std::vector<std::string> Databases(storage::Db* db) {
  std::vector<std::string> out;
  auto all = db->ScanMeta(kDatabasePrefix);
  if (!all.ok()) return out;
  for (const auto& [key, value] : *all) out.push_back(key.substr(sizeof(kDatabasePrefix) - 1));
  return out;
}

// A builder option that removes gRPC's reflection plugin.
class WithoutReflection : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) {
                                    return p->name() == "proto_server_reflection";
                                  }),
                   plugins->end());
  }
};

}  // namespace

absl::Status Server::Start() {
  Rep& r = *rep_;
  const ServerOptions& o = r.options;
  const bool loopback = IsLoopbackListen(o.listen);
  if (o.auth != "token" && o.auth != "none") {
    return absl::InvalidArgumentError(absl::StrCat("--auth must be token or none, got ", o.auth));
  }
  if (o.auth == "none" && !loopback) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--auth=none is only accepted on a loopback listener; ", o.listen, " is not one"));
  }
  if (!o.tls.enabled() && !loopback && !o.insecure) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to listen on ", o.listen,
        " without TLS: give --tls-cert and --tls-key, or --insecure to accept plaintext"));
  }
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (o.tls.enabled()) {
    ASSIGN_OR_RETURN(creds, MakeServerCredentials(o.tls));
  }
  if (!o.identity_map.empty()) RETURN_IF_ERROR(r.identity_map.Load(o.identity_map));

  // The database first: the listener opens only after WAL replay.
  storage::Options so = o.storage;
  so.dir = o.data_dir;
  so.head_memory_budget = o.memory_budget / 2;
  so.rocksdb_memtable_bytes = std::max<uint64_t>(o.memory_budget / 8, 8 << 20);
  so.rocksdb_block_cache_bytes = std::max<uint64_t>(o.memory_budget / 8, 8 << 20);
  if (!o.encryption_key_file.empty()) {
    ASSIGN_OR_RETURN(so.encryption_keys, storage::crypto::KeyRing::LoadFiles(
                                             o.encryption_key_file, o.encryption_old_key_files));
  }
  ASSIGN_OR_RETURN(r.db, storage::Db::Open(so));

  // The audit log first: everything after it (tokens, authentication) reports to it.
  if (o.audit_log != "none") {
    std::string path = o.audit_log.empty() ? o.data_dir + "/audit.log" : o.audit_log;
    std::unique_ptr<storage::crypto::RecordCipher> cipher;
    if (so.encryption_keys) {
      ASSIGN_OR_RETURN(cipher, storage::crypto::GcmRecordCipher::Create(so.encryption_keys));
    }
    ASSIGN_OR_RETURN(r.audit, auth::AuditLog::Open(path, r.db.get(), std::move(cipher)));
    r.audit->Record(
        "server.start", "telemdbd", "ok",
        {{"listen", o.listen}, {"tls", o.tls.enabled() ? "on" : "off"}, {"auth", o.auth}});
  }
  auth::AuditLog* audit = r.audit.get();

  auth::TokenStoreOptions to;
  to.idle_expiry = o.token_idle_expiry;
  to.idle_expiry_admin = o.token_idle_expiry_admin;
  to.on_event = [audit](const std::string& event, const std::string& id,
                        const std::string& detail) {
    Log(LogLevel::kWarning, event, {{"token_id", id}, {"detail", detail}});
    if (audit != nullptr) audit->Record(event, id, "refused", {{"detail", detail}});
  };
  r.tokens = std::make_unique<auth::TokenStore>(r.db.get(), to);
  RETURN_IF_ERROR(r.tokens->Load());
  if (o.auth == "token" && r.tokens->empty()) {
    const std::string path = o.data_dir + "/admin.token";
    ASSIGN_OR_RETURN(auto created,
                     r.tokens->Create({"admin", "read", "write:*"}, "first-start admin token",
                                      absl::ZeroDuration(), [&](const auth::CreatedToken& t) {
                                        return WriteAdminToken(path, t.token);
                                      }));
    Log(LogLevel::kWarning, "auth.admin_token_created",
        {{"path", path},
         {"token_id", created.info.id},
         {"note", "collect it, then delete the file"}});
    if (audit != nullptr) {
      audit->Record("token.create", "telemdbd", "ok",
                    {{"token_id", created.info.id}, {"note", "first-start admin token"}});
    }
  }
  auth::AuthenticatorOptions ao;
  ao.disabled = o.auth == "none";
  std::optional<cluster::ClusterConfig> cluster_config;
  if (!o.cluster_config.empty()) {
    ASSIGN_OR_RETURN(cluster_config, cluster::LoadClusterConfig(o.cluster_config));
    ASSIGN_OR_RETURN(ao.node_token, cluster::LoadNodeToken(*cluster_config));
  }
  ao.identity_map = &r.identity_map;
  r.authenticator = std::make_unique<auth::Authenticator>(r.tokens.get(), ao, audit);
  if (o.auth == "none") {
    Log(LogLevel::kWarning, "auth.disabled", {{"note", "every caller has every right"}});
  }
  if (!o.tls.enabled()) {
    Log(LogLevel::kWarning, "tls.disabled",
        {{"listen", o.listen}, {"note", "traffic and tokens travel in plaintext"}});
  }
  auth::IdentityStatsOptions io;
  io.anomaly_detection = o.identity_anomaly;
  io.learning = o.identity_anomaly_learning;
  io.rate_factor = o.identity_anomaly_rate_factor;
  ASSIGN_OR_RETURN(r.identity_stats, auth::IdentityStats::Open(r.db.get(), audit, io));

  r.workers = std::make_unique<ThreadPool>(o.worker_threads);
  r.writes = std::make_unique<ingest::WritePath>(r.db.get(), audit, r.identity_stats.get());
  if (cluster_config) {
    ASSIGN_OR_RETURN(r.cluster, cluster::Node::Start(*cluster_config, r.db.get()));
    r.writes->SetForwarder(r.cluster.get());
    // Tokens are the cluster's (docs/cluster.md, "Tokens"): the bucket's records here, ours
    // (such as the first-start admin token made above) there, then every change both ways.
    if (absl::Status s = r.cluster->StartTokenSync(r.tokens.get()); !s.ok()) {
      Log(LogLevel::kWarning, "cluster.tokens_unavailable",
          {{"error", s.ToString()}, {"note", "serving with this node's own tokens; retrying"}});
    }
  }
  ASSIGN_OR_RETURN(r.mqtt, StartMqttBridge(o, r.writes.get(), r.authenticator.get(), audit));
  r.ingest = std::make_unique<ingest::IngestService>(
      r.writes.get(), r.authenticator.get(), r.workers.get(), &r.calls, ingest::IngestOptions());
  r.admin = std::make_unique<AdminService>(r.db.get(), r.authenticator.get(),
                                           o.auth == "none" ? nullptr : r.tokens.get(), audit,
                                           r.workers.get(), &r.calls);
  r.admin->identity_stats = r.identity_stats.get();
  r.admin->extra_stats = [&r](v1::StatsResponse* resp) {
    for (int d = 0; d < ingest::kFrontDoors; d++) {
      const auto door = static_cast<ingest::FrontDoor>(d);
      const ingest::DoorCounters& c = r.writes->counters(door);
      auto* f = resp->add_front_doors();
      f->set_name(ingest::FrontDoorName(door));
      f->set_requests(c.requests.load());
      f->set_points(c.points.load());
      f->set_bytes(c.bytes.load());
      f->set_duplicates(c.duplicates.load());
      for (int k = 0; k < ingest::kRejectReasons; k++) {
        (*f->mutable_rejected())[ingest::RejectReasonName(static_cast<ingest::RejectReason>(k))] =
            c.rejected[k].load();
      }
    }
    resp->set_stream_in_flight_high_water(
        static_cast<uint64_t>(r.ingest->stream_in_flight_high_water()));
    if (r.audit) {
      auto ac = r.audit->counters();
      resp->set_audit_records(ac.written);
      resp->set_audit_dropped(ac.dropped);
      resp->set_audit_folded(ac.folded);
    }
    resp->set_identity_anomalies(r.identity_stats->anomalies());
    AddMqttStats(r.mqtt.get(), resp);
    if (r.realtime) r.realtime->AddStats(resp);
  };

  r.querier = std::make_unique<query::StorageQuerier>(r.db.get());
  r.query_workers = std::make_unique<ThreadPool>(o.query_threads);
  query::QueryServiceOptions qo;
  qo.default_timeout = o.query_timeout;
  qo.exec.max_series = o.query_max_series;
  qo.exec.max_points_scanned = o.query_max_points;
  r.query = std::make_unique<query::QueryService>(r.querier.get(), r.authenticator.get(),
                                                  r.query_workers.get(), &r.calls, qo);
  r.query->metrics = &r.query_metrics;
  if (r.cluster) {
    ASSIGN_OR_RETURN(r.cluster_query,
                     MakeClusterQuery(r.cluster.get(), ao.node_token, o.tls, r.querier.get(),
                                      r.authenticator.get(), std::max(2, o.query_threads)));
    r.query->backend = r.cluster_query->coordinator.get();
    r.admin->verify_cluster_audit = [&r](v1::VerifyAuditResponse* resp) {
      return VerifyClusterAudit(
          *r.cluster, *r.cluster_query,
          [&r](v1::VerifyAuditResponse* mine) { return r.admin->DoVerifyAudit(mine); },
          absl::Seconds(30), resp);
    };
  }
  ASSIGN_OR_RETURN(r.realtime, Realtime::Start({r.db.get(), r.authenticator.get(), audit, &r.calls,
                                                o.memory_budget, std::max(4, o.worker_threads / 2)},
                                               o.realtime));
  r.admin->alerts = r.realtime->engine();

  grpc::EnableDefaultHealthCheckService(true);
  // Reflection is unauthenticated by nature (gRPC's plugin cannot sit behind our
  // authentication): it describes the API, never data. Off unless asked for
  // (docs/security.md). Linking the plugin registers it for every server builder, so
  // "off" takes it out of this builder's plugins.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (o.reflection != "public") builder.SetOption(std::make_unique<WithoutReflection>());
  grpc::ResourceQuota quota("telemdbd");
  // 1/8: the other 1/8 of the old quarter goes to live buffers and alerts (realtime.h).
  quota.Resize(static_cast<size_t>(o.memory_budget / 8));
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<uint64_t>(o.max_request_bytes, INT32_MAX)));
  builder.SetMaxSendMessageSize(64 << 20);
  // Dead or stuck peers do not hold resources forever.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 30 * 60'000);
  // A peer that connects and stops mid-handshake is dropped after 10 s.
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 10'000);
  builder.AddListeningPort(o.listen, creds, &r.port);
  if (audit != nullptr) {
    // Admin actions are durable before they are answered; denials come in floods and are
    // folded per identity and interval.
    auto record = [audit](const std::string& who, const std::string& action,
                          const absl::Status& s) {
      if (s.ok()) {
        (void)audit->RecordDurable("admin.action", who, "ok", {{"action", action}});
      } else if (absl::IsPermissionDenied(s)) {
        audit->RecordRepeated("permission.denied", who, std::string(s.message()),
                              {{"action", action}});
      } else {
        audit->Record("admin.action", who, s.ToString(), {{"action", action}});
      }
    };
    r.admin->on_action = record;
    r.query->on_action = record;
  }
  builder.RegisterService(r.ingest.get());
  builder.RegisterService(r.admin.get());
  builder.RegisterService(r.query.get());
  r.realtime->Register(&builder);
  if (r.cluster_query) {
    builder.RegisterService(r.cluster_query->service.get());
    builder.SetMaxSendMessageSize(256 << 20);  // partial results (grpc_transport.h)
  }
  r.grpc = builder.BuildAndStart();
  if (r.grpc == nullptr || r.port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", o.listen));
  }
  if (r.cluster) {
    ASSIGN_OR_RETURN(std::string address, QueryAddress(r.cluster->config(), o.listen, r.port));
    r.cluster->SetQueryAddress(address);
  }
  r.grpc->GetHealthCheckService()->SetServingStatus(true);
  RETURN_IF_ERROR(StartHttp());
  r.started = true;
  if (!o.port_file.empty()) {
    std::ofstream pf(o.port_file + ".tmp");
    pf << r.port << "\n";
    pf.close();
    std::rename((o.port_file + ".tmp").c_str(), o.port_file.c_str());
  }
  Log(LogLevel::kInfo, "server.listening",
      {{"listen", o.listen},
       {"port", r.port},
       {"data_dir", o.data_dir},
       {"series", r.db->index().size()}});
  return absl::OkStatus();
}

absl::Status Server::StartHttp() {
  Rep& r = *rep_;
  const ServerOptions& o = r.options;
  if (o.http_listen == "none") return absl::OkStatus();
  if (!o.tls.enabled() && !IsLoopbackListen(o.http_listen) && !o.insecure) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to serve HTTP on ", o.http_listen,
        " without TLS: give --tls-cert and --tls-key, or --insecure to accept plaintext"));
  }
  storage::Db* db = r.db.get();
  ingest::HttpWriteOptions wo;
  wo.max_points = o.storage.limits.max_points_per_write;
  wo.remote_write_measurement = o.remote_write_measurement;
  wo.note_database = [db](std::string_view name) { NoteDatabase(db, name); };
  r.http_writes =
      std::make_unique<ingest::HttpWriteHandlers>(r.writes.get(), r.authenticator.get(), wo);
  query::InfluxQueryOptions qo;
  qo.exec.max_series = o.query_max_series;
  qo.exec.max_points_scanned = o.query_max_points;
  qo.timeout = o.query_timeout;
  qo.databases = [db] { return Databases(db); };
  qo.note_database = [db](std::string_view name) { NoteDatabase(db, name); };
  qo.metrics = &r.query_metrics;
  if (r.cluster_query) qo.backend = r.cluster_query->coordinator.get();
  if (r.audit) {
    auth::AuditLog* audit = r.audit.get();
    qo.on_action = [audit](const std::string& who, const std::string& action,
                           const absl::Status& s) {
      if (s.ok()) {
        (void)audit->RecordDurable("admin.action", who, "ok",
                                   {{"action", action}, {"transport", "http"}});
      } else {
        audit->RecordRepeated("permission.denied", who, std::string(s.message()),
                              {{"action", action}, {"transport", "http"}});
      }
    };
  }
  r.http_query =
      std::make_unique<query::InfluxQueryHandler>(r.querier.get(), r.authenticator.get(), qo);
  r.http_routes = std::make_unique<HttpRoutes>();
  HttpRoutes& routes = *r.http_routes;
  routes.line_protocol = [&r](const http::Request& req, http::ResponseWriter& w) {
    r.http_writes->LineProtocol(req, w);
  };
  routes.remote_write = [&r](const http::Request& req, http::ResponseWriter& w) {
    r.http_writes->RemoteWrite(req, w);
  };
  routes.query = [&r](const http::Request& req, http::ResponseWriter& w) {
    r.http_query->Handle(req, w);
  };
  routes.auth = r.authenticator.get();
  routes.realtime = [&r](const http::Request& req, http::ResponseWriter& w) {
    if (!r.realtime->ServesHttp(req.path)) return false;
    r.realtime->HandleHttp(req, w);
    return true;
  };
  r.http_admin = std::make_unique<AdminHttp>(r.admin.get(), r.authenticator.get());
  if (r.audit) {
    // As the gRPC AdminService's record, with the transport named.
    auth::AuditLog* audit = r.audit.get();
    r.http_admin->on_action = [audit](const std::string& who, const std::string& action,
                                      const absl::Status& s) {
      const auth::AuditLog::Fields attrs = {{"action", action}, {"transport", "http"}};
      if (s.ok()) {
        (void)audit->RecordDurable("admin.action", who, "ok", attrs);
      } else if (absl::IsPermissionDenied(s)) {
        audit->RecordRepeated("permission.denied", who, std::string(s.message()), attrs);
      } else {
        audit->Record("admin.action", who, s.ToString(), attrs);
      }
    };
  }
  routes.admin = [&r](const http::Request& req, http::ResponseWriter& w) {
    if (!AdminHttp::Serves(req.path)) return false;
    r.http_admin->Handle(req, w);
    return true;
  };
  routes.console = o.http_console;
  routes.metrics_public = o.metrics_public;
  routes.health = [db] { return db->health(); };
  routes.metrics.db = db;
  routes.metrics.writes = r.writes.get();
  routes.metrics.auth = r.authenticator.get();
  routes.metrics.audit = r.audit.get();
  routes.metrics.identities = r.identity_stats.get();
  routes.metrics.queries = &r.query_metrics;
  routes.metrics.mqtt = r.mqtt.get();
  if (r.cluster) {
    routes.metrics.cluster = [&r] {
      const cluster::NodeSnapshot s = r.cluster->Snapshot();
      return ClusterFigures{s.owned_shards.size(), s.messages_applied, s.messages_rejected,
                            s.parts_published, s.parts_duplicate};
    };
  }
  routes.metrics.realtime = [&r] {
    v1::StatsResponse st;
    if (r.realtime) r.realtime->AddStats(&st);
    RealtimeFigures f;
    f.subscriptions = st.subscriptions();
    f.subscriptions_started = st.subscriptions_started();
    f.subscriptions_refused = st.subscriptions_refused();
    f.live_memory_bytes = st.live_memory_bytes();
    f.live_dropped_values = st.live_dropped_values();
    f.alert_rules = st.alert_rules();
    f.alert_instances = st.alert_instances();
    f.alert_transitions = st.alert_transitions();
    f.alert_state_bytes = st.alert_state_bytes();
    f.notifications_queued = st.notifications_queued();
    return f;
  };
  http::ServerOptions ho;
  ho.listen = o.http_listen;
  ho.tls = {o.tls.cert, o.tls.key, o.tls.client_ca, o.tls.client_auth};
  ho.max_body = o.http_max_body > 0 ? o.http_max_body : o.max_request_bytes;
  ho.max_connections = o.http_max_connections;
  // Handlers block (a write waits for its fsync): enough threads for the write path's group
  // commit to fill, as the gRPC worker pool has.
  r.http_workers = std::make_unique<ThreadPool>(std::max(4, o.worker_threads / 2));
  ASSIGN_OR_RETURN(r.http, http::Server::Start(
                               ho,
                               [&routes](const http::Request& req, http::ResponseWriter& w) {
                                 routes.Handle(req, w);
                               },
                               r.http_workers.get()));
  routes.metrics.http = r.http.get();
  r.http_port = r.http->port();
  if (!o.http_port_file.empty()) {
    std::ofstream pf(o.http_port_file + ".tmp");
    pf << r.http_port << "\n";
    pf.close();
    std::rename((o.http_port_file + ".tmp").c_str(), o.http_port_file.c_str());
  }
  Log(LogLevel::kInfo, "server.http_listening",
      {{"listen", o.http_listen}, {"port", r.http_port}, {"tls", o.tls.enabled() ? "on" : "off"}});
  return absl::OkStatus();
}

absl::Status Server::Reload() {
  Log(LogLevel::kInfo, "server.reload", {});
  if (rep_->audit) rep_->audit->Record("config.reload", "SIGHUP", "ok");
  if (rep_->http) {
    absl::Status s = rep_->http->ReloadTls();
    if (!s.ok()) Log(LogLevel::kError, "http.tls_reload_failed", {{"error", s.ToString()}});
  }
  if (rep_->mqtt) {
    absl::Status s = rep_->mqtt->Reload();  // new tokens, certificates, subscriptions
    if (!s.ok()) Log(LogLevel::kError, "mqtt.reload_failed", {{"error", s.ToString()}});
  }
  if (!rep_->options.identity_map.empty()) {
    return rep_->identity_map.Load(rep_->options.identity_map);
  }
  return absl::OkStatus();
}

absl::Status Server::Shutdown() {
  Rep& r = *rep_;
  if (r.stopped) return absl::OkStatus();
  r.stopped = true;
  r.mqtt.reset();  // each connection finishes its batch; the broker keeps the rest
  if (r.realtime) r.realtime->Shutdown();       // live streams end first: they never drain
  if (r.http) r.http->Stop(absl::Seconds(10));  // new requests refused, running ones finish
  if (r.grpc) {
    r.grpc->GetHealthCheckService()->SetServingStatus(false);
    Log(LogLevel::kInfo, "server.stopping", {});
    // Refuse new calls and let the running ones finish (at most 10 s), then close every
    // connection (gRPC alone would also wait for idle client connections).
    if (!r.calls.Drain(absl::Seconds(10))) {
      Log(LogLevel::kWarning, "server.drain_timeout", {});
    }
    r.grpc->Shutdown(std::chrono::system_clock::now());
  }
  r.workers.reset();                 // drains queued writes
  if (r.cluster) r.cluster->Stop();  // consumers finish their message; durables stay
  r.query_workers.reset();
  r.http_workers.reset();
  absl::Status s;
  r.identity_stats.reset();  // persists the figures
  if (r.audit) r.audit->Record("server.stop", "telemdbd", "ok");
  r.audit.reset();  // writes what is queued
  if (r.db) s = r.db->Close();
  r.grpc.reset();
  Log(s.ok() ? LogLevel::kInfo : LogLevel::kError, "server.stopped", {{"status", s.ToString()}});
  return s;
}

}  // namespace telemdb::server
