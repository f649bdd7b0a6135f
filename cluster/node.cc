// Node: connection, stream and bucket setup, the applied-report subscription, shutdown.
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cluster/node_internal.h"
#include "util/absl_compat.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::cluster {
namespace {

int64_t Ms(absl::Duration d) { return absl::ToInt64Milliseconds(d); }
int64_t Ns(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

void OnAppliedMsg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* rep = static_cast<Node::Rep*>(closure);
  rep->OnApplied(natsMsg_GetSubject(msg),
                 std::string_view(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)));
  natsMsg_Destroy(msg);
}

absl::Status Connect(Node::Rep* r) {
  const ClusterConfig& c = r->cfg;
  natsStatus s = natsOptions_Create(&r->opts);
  if (s != NATS_OK) return NatsError("nats options", s);
  std::vector<const char*> urls;
  for (const std::string& u : c.nats_urls) urls.push_back(u.c_str());
  s = natsOptions_SetServers(r->opts, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(r->opts, ("telemdb-" + c.node_id).c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(r->opts, -1);  // forever
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(r->opts, 250);
  if (s == NATS_OK) s = natsOptions_SetTimeout(r->opts, 5000);
  if (s != NATS_OK) return NatsError("nats options", s);
  if (!c.ca_file.empty()) {
    s = natsOptions_SetSecure(r->opts, true);
    if (s == NATS_OK) s = natsOptions_LoadCATrustedCertificates(r->opts, c.ca_file.c_str());
    if (s != NATS_OK) {
      return absl::InvalidArgumentError(
          absl::StrCat("cluster ca_file ", c.ca_file, ": ", natsStatus_GetText(s)));
    }
    if (!c.cert_file.empty()) {
      s = natsOptions_LoadCertificatesChain(r->opts, c.cert_file.c_str(), c.key_file.c_str());
      if (s != NATS_OK) {
        return absl::InvalidArgumentError(
            absl::StrCat("cluster cert_file/key_file ", c.cert_file, ": ", natsStatus_GetText(s)));
      }
    }
  }
  if (!c.creds_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(r->opts, c.creds_file.c_str(), nullptr);
    if (s != NATS_OK) return NatsError(absl::StrCat("cluster creds_file ", c.creds_file), s);
  }
  s = natsConnection_Connect(&r->nc, r->opts);
  if (s != NATS_OK) {
    return NatsError(absl::StrCat("connecting to NATS (", absl::StrJoin(c.nats_urls, ", "), ")"),
                     s);
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = Ms(c.publish_timeout);
  s = natsConnection_JetStream(&r->js, r->nc, &jo);
  if (s != NATS_OK) return NatsError("JetStream context", s);
  return absl::OkStatus();
}

absl::Status EnsureStream(Node::Rep* r) {
  const ClusterConfig& c = r->cfg;
  const char* subjects[] = {"telemdb.in.*"};
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = kStream;
  sc.Description = "telemdb ingest log (docs/cluster.md)";
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Retention = js_LimitsPolicy;
  sc.Storage = js_FileStorage;
  sc.Replicas = c.stream_replicas;
  sc.MaxAge = Ns(c.max_age);
  sc.MaxBytes = c.max_bytes;
  sc.Duplicates = Ns(c.duplicate_window);
  sc.Discard = js_DiscardOld;
  jsStreamInfo* si = nullptr;
  jsErrCode je = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, r->js, kStream, nullptr, &je);
  if (s == NATS_NOT_FOUND || je == JSStreamNotFoundErr) {
    s = js_AddStream(&si, r->js, &sc, nullptr, &je);
    if (s != NATS_OK) return NatsError("creating stream TELEMDB_IN", s, je);
    Log(LogLevel::kInfo, "cluster.stream_created", {{"replicas", c.stream_replicas}});
    jsStreamInfo_Destroy(si);
    return absl::OkStatus();
  }
  if (s != NATS_OK) return NatsError("reading stream TELEMDB_IN", s, je);
  const jsStreamConfig* have = si->Config;
  absl::Status out;
  if (have->Replicas != c.stream_replicas) {
    out = absl::FailedPreconditionError(
        absl::StrCat("stream TELEMDB_IN has ", have->Replicas, " replicas; ", c.path,
                     " says stream_replicas = ", c.stream_replicas));
  } else if (have->SubjectsLen != 1 || std::string(have->Subjects[0]) != "telemdb.in.*") {
    out = absl::FailedPreconditionError("stream TELEMDB_IN exists with other subjects");
  }
  const bool differs = have->MaxAge != sc.MaxAge || have->MaxBytes != sc.MaxBytes ||
                       have->Duplicates != sc.Duplicates;
  jsStreamInfo_Destroy(si);
  if (!out.ok()) return out;
  if (differs) {
    // Retention settings follow the last node started with new ones (logged).
    s = js_UpdateStream(&si, r->js, &sc, nullptr, &je);
    if (s != NATS_OK) return NatsError("updating stream TELEMDB_IN", s, je);
    jsStreamInfo_Destroy(si);
    Log(LogLevel::kWarning, "cluster.stream_updated",
        {{"max_age_s", absl::ToInt64Seconds(c.max_age)}, {"max_bytes", c.max_bytes}});
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status OpenOrCreateBucket(Node::Rep* r, const char* name, const char* description,
                                absl::Duration ttl, kvStore** out, absl::Duration* have_ttl) {
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, r->js, name);
  if (s == NATS_NOT_FOUND) {
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = name;
    kc.Description = description;
    kc.History = 1;
    kc.TTL = Ns(ttl);
    kc.Replicas = r->cfg.stream_replicas;
    kc.StorageType = js_FileStorage;
    s = js_CreateKeyValue(&kv, r->js, &kc);
  }
  if (s != NATS_OK) return NatsError(absl::StrCat("opening bucket ", name), s);
  kvStatus* st = nullptr;
  s = kvStore_Status(&st, kv);
  if (s != NATS_OK) {
    kvStore_Destroy(kv);
    return NatsError(absl::StrCat("reading bucket ", name), s);
  }
  *have_ttl = absl::Nanoseconds(kvStatus_TTL(st));
  kvStatus_Destroy(st);
  *out = kv;
  return absl::OkStatus();
}

namespace {

absl::Status EnsureBucket(Node::Rep* r) {
  const ClusterConfig& c = r->cfg;
  absl::Duration ttl;
  RETURN_IF_ERROR(OpenOrCreateBucket(r, kBucket, "telemdb shard ownership (docs/cluster.md)",
                                     c.lease, &r->kv, &ttl));
  // Every node must renew within the bucket's TTL: the lease is the cluster's, like P and R.
  if (ttl != c.lease) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the cluster's lease is ", absl::FormatDuration(ttl), "; ", c.path,
        " says lease = ", absl::FormatDuration(c.lease), " (every node must use the same lease)"));
  }
  // The cluster's P and R, fixed by the first node, in a bucket without TTL.
  RETURN_IF_ERROR(OpenOrCreateBucket(r, kConfigBucket,
                                     "telemdb cluster settings (docs/cluster.md)",
                                     absl::ZeroDuration(), &r->config_kv, &ttl));
  natsStatus s = NATS_OK;
  const std::string want = absl::StrCat("P=", c.shards, " R=", c.replication, " hash=", kHashName);
  // Create it, or read it (a bucket another node just created may not answer at once).
  std::string have;
  for (int attempt = 0;; attempt++) {
    uint64_t rev = 0;
    natsStatus cs = kvStore_CreateString(&rev, r->config_kv, "config", want.c_str());
    if (cs == NATS_OK) return absl::OkStatus();
    kvEntry* e = nullptr;
    s = kvStore_Get(&e, r->config_kv, "config");
    if (s == NATS_OK) {
      have = kvEntry_ValueString(e);
      kvEntry_Destroy(e);
      break;
    }
    if (attempt == 20) {
      return NatsError(
          absl::StrCat("recording the cluster's config key (create: ", natsStatus_GetText(cs), ")"),
          s);
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  if (have != want) {
    return absl::FailedPreconditionError(
        absl::StrCat("the cluster was made with ", have, "; ", c.path, " says ", want,
                     " (shards and replication are fixed for a cluster: docs/cluster.md)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status NatsError(std::string_view what, natsStatus s, jsErrCode js) {
  std::string msg = absl::StrCat(Sv(what), ": ", natsStatus_GetText(s));
  const char* detail = nats_GetLastError(nullptr);
  if (detail != nullptr && *detail != '\0') absl::StrAppend(&msg, " (", detail, ")");
  if (js != 0) absl::StrAppend(&msg, " [JetStream error ", static_cast<int>(js), "]");
  switch (s) {
    case NATS_NOT_FOUND:
      return absl::NotFoundError(msg);
    case NATS_INVALID_ARG:
      return absl::InvalidArgumentError(msg);
    default:
      return absl::UnavailableError(msg);
  }
}

std::string SlotKey(uint32_t shard, int slot) { return absl::StrCat("shard.", shard, ".", slot); }
std::string DurableName(std::string_view node, uint32_t shard) {
  return absl::StrCat("tdb_", Sv(node), "_", shard);
}

void Node::Rep::OnApplied(std::string_view subject, std::string_view payload) {
  // telemdb.applied.<shard>: "<node> <seq>", or "<node> <seq> rejected <why>" for a part
  // that node's engine refused (it counts as applied: the shard moves on).
  const size_t dot = subject.rfind('.');
  uint32_t shard = 0;
  if (dot == std::string_view::npos || !absl::SimpleAtoi(Sv(subject.substr(dot + 1)), &shard)) {
    return;
  }
  const size_t sp = payload.find(' ');
  if (sp == std::string_view::npos) return;
  const std::string_view node = payload.substr(0, sp);
  std::string_view rest = payload.substr(sp + 1);
  std::string_view why;
  const size_t sp2 = rest.find(' ');
  if (sp2 != std::string_view::npos) {
    if (!rest.substr(sp2 + 1).starts_with("rejected ")) return;
    why = rest.substr(sp2 + 1 + 9);
    rest = rest.substr(0, sp2);
  }
  uint64_t seq = 0;
  if (!absl::SimpleAtoi(Sv(rest), &seq)) return;
  absl::MutexLock l(&applied_mu);
  if (shard >= applied.size()) return;
  if (!why.empty()) {
    auto [it, fresh] =
        rejections.emplace(std::make_pair(shard, seq), absl::StrCat(Sv(node), ": ", Sv(why)));
    if (fresh) rejection_order.push_back(it->first);
    if (rejection_order.size() > kMaxRejections) {
      rejections.erase(rejection_order.front());
      rejection_order.erase(rejection_order.begin());
    }
  }
  uint64_t& have = applied[shard][std::string(node)];
  if (seq > have || !why.empty()) {
    have = std::max(have, seq);
    applied_cv.SignalAll();
  }
}

Node::Node(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

absl::StatusOr<std::unique_ptr<Node>> Node::Start(const ClusterConfig& config, storage::Db* db) {
  auto rep = std::make_unique<Rep>();
  rep->cfg = config;
  rep->db = db;
  {
    absl::MutexLock l(&rep->applied_mu);
    rep->applied.resize(static_cast<size_t>(config.shards));
  }
  rep->publishers = std::make_unique<ThreadPool>(16);
  RETURN_IF_ERROR(Connect(rep.get()));
  RETURN_IF_ERROR(EnsureStream(rep.get()));
  RETURN_IF_ERROR(EnsureBucket(rep.get()));
  natsStatus s = natsConnection_Subscribe(&rep->applied_sub, rep->nc, "telemdb.applied.*",
                                          OnAppliedMsg, rep.get());
  if (s != NATS_OK) return NatsError("subscribing to telemdb.applied.*", s);
  Rep* r = rep.get();
  // Register, then let one lease round pass so that nodes starting together see each other
  // before claiming their fair share.
  RETURN_IF_ERROR(r->LeaseRound(/*claim=*/false));
  r->lease_thread = std::thread([r] { r->LeaseLoop(); });
  Log(LogLevel::kInfo, "cluster.started",
      {{"node", config.node_id},
       {"shards", config.shards},
       {"replication", config.replication},
       {"ack", ClusterAckName(config.ack)}});
  return std::unique_ptr<Node>(new Node(std::move(rep)));
}

Node::~Node() { Stop(); }

void Node::Stop() {
  if (!rep_ || rep_->stopping.exchange(true)) return;
  StopTokenSync(rep_.get());
  {
    absl::MutexLock l(&rep_->lease_wait_mu);
    rep_->lease_wait_cv.SignalAll();
  }
  if (rep_->lease_thread.joinable()) rep_->lease_thread.join();
  {
    absl::MutexLock l(&rep_->own_mu);
    while (!rep_->consumers.empty()) {
      rep_->StopConsumer(rep_->consumers.begin()->first, /*delete_durable=*/false);
    }
  }
  {
    absl::MutexLock l(&rep_->applied_mu);
    rep_->applied_cv.SignalAll();
  }
  if (rep_->nc != nullptr) natsConnection_FlushTimeout(rep_->nc, 2000);
}

const ClusterConfig& Node::config() const { return rep_->cfg; }

void Node::SetQueryAddress(const std::string& address) {
  absl::MutexLock l(&rep_->snap_mu);
  rep_->query_address = address;
}

std::vector<ShardReplica> Node::Members() const {
  absl::MutexLock l(&rep_->snap_mu);
  return rep_->members;
}

std::vector<ShardReplica> Node::ReplicasOf(uint32_t shard) const {
  absl::MutexLock l(&rep_->snap_mu);
  if (shard >= rep_->replicas.size()) return {};
  return rep_->replicas[shard];
}

NodeSnapshot Node::Snapshot() const {
  NodeSnapshot s;
  {
    absl::MutexLock l(&rep_->snap_mu);
    s.owned_shards = rep_->owned;
  }
  s.messages_applied = rep_->messages_applied.load();
  s.messages_rejected = rep_->messages_rejected.load();
  s.parts_published = rep_->parts_published.load();
  s.parts_duplicate = rep_->parts_duplicate.load();
  return s;
}

}  // namespace telemdb::cluster
