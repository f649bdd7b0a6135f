// Node, the storage half: shard ownership in the bucket (leases, compare-and-set) and one
// durable pull consumer per owned shard writing through the local engine.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cluster/node_internal.h"
#include "cluster/part_codec.h"
#include "cluster/shard.h"
#include "util/absl_compat.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::cluster {

class ShardConsumer {
 public:
  ShardConsumer(Node::Rep* rep, uint32_t shard) : rep_(rep), shard_(shard) {}
  ~ShardConsumer() { Stop(false); }

  absl::Status Start() {
    const std::string durable = DurableName(rep_->cfg.node_id, shard_);
    const std::string subject = absl::StrCat("telemdb.in.", shard_);
    jsConsumerInfo* ci = nullptr;
    jsErrCode je = static_cast<jsErrCode>(0);
    natsStatus s = js_GetConsumerInfo(&ci, rep_->js, kStream, durable.c_str(), nullptr, &je);
    if (s == NATS_NOT_FOUND || je == JSConsumerNotFoundErr) {
      jsConsumerConfig cc;
      jsConsumerConfig_Init(&cc);
      cc.Durable = durable.c_str();
      cc.Description = "telemdb storage node consumer (docs/cluster.md)";
      cc.DeliverPolicy = js_DeliverAll;
      cc.AckPolicy = js_AckExplicit;
      cc.AckWait = absl::ToInt64Nanoseconds(absl::Seconds(30));
      cc.MaxDeliver = -1;
      cc.FilterSubject = subject.c_str();
      cc.MaxAckPending = 256;
      s = js_AddConsumer(&ci, rep_->js, kStream, &cc, nullptr, &je);
    }
    if (s != NATS_OK) return NatsError(absl::StrCat("consumer ", durable), s, je);
    applied_ = ci->AckFloor.Stream;
    jsConsumerInfo_Destroy(ci);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = kStream;
    so.Consumer = durable.c_str();
    s = js_PullSubscribe(&sub_, rep_->js, subject.c_str(), durable.c_str(), nullptr, &so, &je);
    if (s != NATS_OK) return NatsError(absl::StrCat("pull subscription ", durable), s, je);
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  // Stops the thread; with `delete_durable`, also removes the durable consumer (the slot
  // went to another node).
  void Stop(bool delete_durable) {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (sub_ != nullptr) {
      natsSubscription_Destroy(sub_);
      sub_ = nullptr;
    }
    if (delete_durable) {
      const std::string durable = DurableName(rep_->cfg.node_id, shard_);
      (void)js_DeleteConsumer(rep_->js, kStream, durable.c_str(), nullptr, nullptr);
    }
  }

  // Whether a fetch has found nothing pending since Start: the backlog was read once.
  bool caught_up() const { return caught_up_; }
  // Whether the durable consumer is gone (removed while this node was cut off from NATS
  // longer than its lease): the lease loop then makes a new one.
  bool lost() const { return lost_; }

 private:
  void Report(std::string_view rejected_why = {}) {
    const std::string subject = absl::StrCat("telemdb.applied.", shard_);
    std::string payload = absl::StrCat(rep_->cfg.node_id, " ", applied_);
    if (!rejected_why.empty()) absl::StrAppend(&payload, " rejected ", Sv(rejected_why));
    (void)natsConnection_Publish(rep_->nc, subject.c_str(), payload.data(),
                                 static_cast<int>(payload.size()));
    last_report_ = absl::Now();
  }

  enum class Outcome { kWritten, kRejected, kRetry };

  // Writes one message ASYNC (the caller syncs the WAL once for the batch). kRejected: it
  // can never be applied here; `why` says why.
  Outcome Write(natsMsg* m, uint64_t* seq, std::string* why) {
    jsMsgMetaData* meta = nullptr;
    *seq = 0;
    if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
      *seq = meta->Sequence.Stream;
      jsMsgMetaData_Destroy(meta);
    }
    std::vector<storage::SeriesBatch> groups;
    absl::Status st = DecodePart(
        std::string_view(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m))),
        &groups);
    if (st.ok()) {
      storage::WriteOptions wo;
      wo.ack_mode = storage::AckMode::kAsync;
      // The engine's idempotency window, keyed by the stream sequence: a message redelivered
      // after a crash between our fsync and our ack is not applied twice.
      wo.identity = "cluster";
      wo.producer_id = absl::StrCat("shard.", shard_);
      wo.sequence = *seq;
      st = rep_->db->Write(&groups, wo).status();
    }
    if (st.ok()) return Outcome::kWritten;
    if (absl::IsInvalidArgument(st) || absl::IsPermissionDenied(st)) {
      // Undecodable, or refused by this node's engine (a type conflict, a timestamp now past
      // retention): terminated so that the shard is not blocked.
      Log(LogLevel::kError, "cluster.message_rejected",
          {{"shard", shard_}, {"seq", *seq}, {"error", st.ToString()}});
      *why = std::string(st.message().substr(0, 512));
      return Outcome::kRejected;
    }
    Log(LogLevel::kWarning, "cluster.write_retry",
        {{"shard", shard_}, {"seq", *seq}, {"error", st.ToString()}});
    return Outcome::kRetry;
  }

  // One fetched batch, in order: written ASYNC, one WAL fsync, then acked and reported.
  // Nothing is acked or reported before that fsync. A message that must wait (over budget)
  // is nak'ed with the rest of the batch, after the ones before it are made durable.
  // Returns false when the batch stopped early.
  bool ApplyBatch(natsMsgList* list) {
    std::vector<std::pair<natsMsg*, uint64_t>> written;
    std::vector<std::tuple<natsMsg*, uint64_t, std::string>> rejected;
    int stopped_at = list->Count;
    for (int i = 0; i < list->Count; i++) {
      uint64_t seq = 0;
      std::string why;
      const Outcome o = Write(list->Msgs[i], &seq, &why);
      if (o == Outcome::kRetry) {
        stopped_at = i;
        break;
      }
      if (o == Outcome::kWritten) {
        written.push_back({list->Msgs[i], seq});
      } else {
        rejected.emplace_back(list->Msgs[i], seq, std::move(why));
      }
    }
    for (int i = stopped_at; i < list->Count; i++) {
      (void)natsMsg_NakWithDelay(list->Msgs[i], 1000, nullptr);
    }
    if (!written.empty()) {
      absl::Status s = rep_->db->SyncWal();
      if (!s.ok()) {
        // Not durable: nothing is acked; JetStream redelivers after AckWait.
        Log(LogLevel::kError, "cluster.sync_failed", {{"shard", shard_}, {"error", s.ToString()}});
        return false;
      }
    }
    for (const auto& [m, seq] : written) {
      (void)natsMsg_Ack(m, nullptr);
      rep_->messages_applied++;
      applied_ = std::max(applied_, seq);
    }
    for (const auto& [m, seq, why] : rejected) {
      (void)natsMsg_Term(m, nullptr);
      rep_->messages_rejected++;
      // A SYNC writer waiting for this part learns why, before any report that counts it
      // as confirmed (same subject, same connection: in order).
      const uint64_t keep = std::max(applied_, seq);
      applied_ = seq;
      Report(why);
      applied_ = keep;
    }
    return stopped_at == list->Count;
  }

  void Run() {
    Report();
    while (!stop_ && !rep_->stopping) {
      natsMsgList list = {nullptr, 0};
      jsErrCode je = static_cast<jsErrCode>(0);
      natsStatus s = natsSubscription_Fetch(&list, sub_, 64, 1000, &je);
      // Nothing pending at the time of this fetch (it timed out, or got less than it asked
      // for): the backlog is read. The lease loop is woken to announce it at once.
      if (!caught_up_ && (s == NATS_TIMEOUT || (s == NATS_OK && list.Count < 64))) {
        caught_up_ = true;
        absl::MutexLock l(&rep_->lease_wait_mu);
        rep_->lease_wait_cv.SignalAll();
      }
      const uint64_t before = applied_;
      if (s == NATS_OK) {
        const bool ok = ApplyBatch(&list);
        natsMsgList_Destroy(&list);
        if (!ok) absl::SleepFor(absl::Milliseconds(200));
      } else if (s != NATS_TIMEOUT) {
        if (s == NATS_NOT_FOUND || je == JSConsumerNotFoundErr) lost_ = true;
        if (s != last_error_) {
          Log(LogLevel::kWarning, "cluster.fetch_failed",
              {{"shard", shard_}, {"error", natsStatus_GetText(s)}});
          last_error_ = s;
        }
        absl::SleepFor(absl::Milliseconds(200));
      }
      if (applied_ != before || absl::Now() - last_report_ >= absl::Seconds(1)) Report();
    }
  }

  Node::Rep* rep_;
  const uint32_t shard_;
  natsSubscription* sub_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> caught_up_{false};
  std::atomic<bool> lost_{false};
  uint64_t applied_ = 0;  // only the thread touches it after Start
  absl::Time last_report_;
  natsStatus last_error_ = NATS_OK;
};

namespace {

// Every live key of the bucket with its value and revision.
absl::StatusOr<std::map<std::string, KvItem>> ScanBucket(kvStore* kv) {
  kvWatcher* w = nullptr;
  kvWatchOptions wo;
  kvWatchOptions_Init(&wo);
  natsStatus s = kvStore_WatchAll(&w, kv, &wo);
  if (s != NATS_OK) return NatsError("scanning bucket TELEMDB_OWNERS", s);
  std::map<std::string, KvItem> out;
  for (;;) {
    kvEntry* e = nullptr;
    s = kvWatcher_Next(&e, w, 2000);
    if (s != NATS_OK || e == nullptr) break;  // nullptr: the initial values are done
    if (kvEntry_Operation(e) == kvOp_Put) {
      out[kvEntry_Key(e)] = KvItem{kvEntry_ValueString(e), kvEntry_Revision(e)};
    } else {
      out.erase(kvEntry_Key(e));
    }
    kvEntry_Destroy(e);
  }
  kvWatcher_Destroy(w);
  if (s != NATS_OK) return NatsError("scanning bucket TELEMDB_OWNERS", s);
  return out;
}

bool ParseSlotKey(std::string_view key, uint32_t* shard) {
  std::vector<absl::string_view> p = absl::StrSplit(Sv(key), '.');
  return p.size() == 3 && p[0] == "shard" && absl::SimpleAtoi(p[1], shard);
}

}  // namespace

Node::Rep::Rep() = default;

Node::Rep::~Rep() {
  publishers.reset();  // what is queued is published (each bounded by publish_timeout)
  if (applied_sub != nullptr) {
    // Unsubscribe first: Destroy alone leaves the callback live until the connection closes.
    (void)natsSubscription_Unsubscribe(applied_sub);
    natsSubscription_Destroy(applied_sub);
  }
  if (kv != nullptr) kvStore_Destroy(kv);
  if (config_kv != nullptr) kvStore_Destroy(config_kv);
  if (js != nullptr) jsCtx_Destroy(js);
  if (nc != nullptr) {
    natsConnection_Close(nc);
    natsConnection_Destroy(nc);
  }
  if (opts != nullptr) natsOptions_Destroy(opts);
}

void Node::Rep::StartConsumer(uint32_t shard) {
  if (consumers.count(shard) != 0) return;
  auto c = std::make_unique<ShardConsumer>(this, shard);
  absl::Status s = c->Start();
  if (!s.ok()) {
    Log(LogLevel::kError, "cluster.consumer_failed", {{"shard", shard}, {"error", s.ToString()}});
    return;  // the next lease round tries again
  }
  Log(LogLevel::kInfo, "cluster.shard_owned", {{"shard", shard}});
  consumers[shard] = std::move(c);
  PublishOwned();
}

void Node::Rep::PublishOwned() {
  std::vector<uint32_t> v;
  for (const auto& [shard, c] : consumers) v.push_back(shard);
  absl::MutexLock l(&snap_mu);
  owned = std::move(v);
}

void Node::Rep::StopConsumer(uint32_t shard, bool delete_durable) {
  auto it = consumers.find(shard);
  if (it == consumers.end()) return;
  it->second->Stop(delete_durable);
  consumers.erase(it);
  PublishOwned();
}

std::string FormatLiveness(int64_t unix_ms, std::string_view query_address,
                           const std::vector<uint32_t>& caught_up) {
  return absl::StrCat(unix_ms, "\n", Sv(query_address), "\n", absl::StrJoin(caught_up, ","));
}

bool ParseLiveness(std::string_view value, std::string* query_address,
                   std::vector<uint32_t>* caught_up) {
  std::vector<absl::string_view> lines = absl::StrSplit(Sv(value), '\n');
  if (lines.size() != 3) return false;
  *query_address = std::string(lines[1]);
  caught_up->clear();
  if (lines[2].empty()) return true;
  for (absl::string_view part : absl::StrSplit(lines[2], ',')) {
    uint32_t shard = 0;
    if (!absl::SimpleAtoi(part, &shard)) return false;
    caught_up->push_back(shard);
  }
  return true;
}

void Node::Rep::UpdateReplicas(const std::map<std::string, KvItem>& items) {
  std::map<std::string, std::pair<std::string, std::set<uint32_t>>> live;  // id -> (addr, ready)
  for (const auto& [key, item] : items) {
    if (!key.starts_with("node.")) continue;
    std::string address;
    std::vector<uint32_t> ready;
    if (ParseLiveness(item.value, &address, &ready) && !address.empty()) {
      live[key.substr(5)] = {address, std::set<uint32_t>(ready.begin(), ready.end())};
    }
  }
  std::vector<std::vector<ShardReplica>> table(static_cast<size_t>(cfg.shards));
  for (const auto& [key, item] : items) {
    uint32_t shard = 0;
    if (!ParseSlotKey(key, &shard) || shard >= table.size()) continue;
    auto it = live.find(item.value);
    if (it == live.end() || it->second.second.count(shard) == 0) continue;
    ShardReplica r{item.value, it->second.first};
    if (std::find(table[shard].begin(), table[shard].end(), r) == table[shard].end()) {
      table[shard].push_back(std::move(r));
    }
  }
  std::vector<ShardReplica> nodes;
  for (const auto& [id, info] : live) nodes.push_back(ShardReplica{id, info.first});
  absl::MutexLock l(&snap_mu);
  replicas = std::move(table);
  members = std::move(nodes);
}

absl::Status Node::Rep::LeaseRound(bool claim) {
  const std::string me = cfg.node_id;
  std::vector<uint32_t> ready;
  {
    absl::MutexLock l(&own_mu);
    for (const auto& [shard, c] : consumers) {
      if (c->caught_up()) ready.push_back(shard);
    }
  }
  std::string address;
  {
    absl::MutexLock l(&snap_mu);
    address = query_address;
  }
  const std::string liveness = FormatLiveness(absl::ToUnixMillis(absl::Now()), address, ready);
  natsStatus s =
      kvStore_PutString(nullptr, kv, absl::StrCat("node.", me).c_str(), liveness.c_str());
  // A failed liveness put (the bucket's stream electing a leader after a NATS server died)
  // does not stop the slot renewals below: each is its own request, and a slot that lapses
  // moves its shard to another owner, which must then read the shard's whole log.
  const absl::Status live_status =
      s == NATS_OK ? absl::OkStatus() : NatsError("renewing this node's liveness key", s);

  absl::MutexLock l(&own_mu);
  // Renew held slots by compare-and-set on the revision we wrote.
  for (auto it = held.begin(); it != held.end();) {
    uint64_t rev = 0;
    s = kvStore_UpdateString(&rev, kv, it->first.c_str(), me.c_str(), it->second);
    if (s == NATS_OK) {
      it->second = rev;
      ++it;
      continue;
    }
    // Lost, or expired? Look.
    kvEntry* e = nullptr;
    natsStatus g = kvStore_Get(&e, kv, it->first.c_str());
    uint32_t shard = 0;
    ParseSlotKey(it->first, &shard);
    if (g == NATS_OK && std::string(kvEntry_ValueString(e)) != me) {
      Log(LogLevel::kWarning, "cluster.slot_lost",
          {{"slot", it->first}, {"owner", std::string(kvEntry_ValueString(e))}});
      kvEntry_Destroy(e);
      StopConsumer(shard, /*delete_durable=*/true);
      it = held.erase(it);
      continue;
    }
    if (e != nullptr) kvEntry_Destroy(e);
    if (g == NATS_NOT_FOUND &&
        kvStore_CreateString(&rev, kv, it->first.c_str(), me.c_str()) == NATS_OK) {
      it->second = rev;  // expired while we were away, and nobody took it: ours again
    }
    ++it;  // NATS trouble: keep consuming (an extra copy is harmless), retry next round
  }

  // Every renewed slot has a running consumer, even when the scan below fails (a consumer
  // that could not be made last round, e.g. while NATS elected a leader, is retried here).
  for (const auto& [key, rev] : held) {
    uint32_t shard = 0;
    if (ParseSlotKey(key, &shard)) StartConsumer(shard);
  }
  RETURN_IF_ERROR(live_status);
  ASSIGN_OR_RETURN(auto items, ScanBucket(kv));
  UpdateReplicas(items);
  if (claim && ++rounds % 10 == 0) RemoveDeadConsumers(items);
  int live = 0;
  for (const auto& [key, item] : items) {
    if (key.starts_with("node.")) live++;
    uint32_t shard = 0;
    if (ParseSlotKey(key, &shard) && item.value == me) {
      if (held.count(key) == 0) held[key] = item.revision;  // adopted after a restart
    }
  }
  for (const auto& [key, rev] : held) {
    uint32_t shard = 0;
    if (!ParseSlotKey(key, &shard)) continue;
    if (auto c = consumers.find(shard); c != consumers.end() && c->second->lost()) {
      Log(LogLevel::kWarning, "cluster.consumer_lost", {{"shard", shard}});
      StopConsumer(shard, /*delete_durable=*/false);
    }
    StartConsumer(shard);
  }
  if (!claim) return absl::OkStatus();
  live = std::max(live, 1);
  const size_t share = static_cast<size_t>((cfg.shards * cfg.replication + live - 1) / live);
  const uint32_t P = static_cast<uint32_t>(cfg.shards);
  const uint32_t start = static_cast<uint32_t>(Fnv1a64(me) % P);
  for (uint32_t i = 0; i < P && held.size() < share; i++) {
    const uint32_t shard = (start + i) % P;
    bool have_slot = false;
    for (const auto& [key, rev] : held) {
      uint32_t s2 = 0;
      if (ParseSlotKey(key, &s2) && s2 == shard) have_slot = true;
    }
    if (have_slot) continue;
    for (int slot = 0; slot < cfg.replication; slot++) {
      const std::string key = SlotKey(shard, slot);
      if (items.count(key) != 0) continue;
      uint64_t rev = 0;
      if (kvStore_CreateString(&rev, kv, key.c_str(), me.c_str()) == NATS_OK) {
        held[key] = rev;
        Log(LogLevel::kInfo, "cluster.slot_claimed", {{"slot", key}});
        StartConsumer(shard);
        break;
      }
    }
  }
  return absl::OkStatus();
}

// A node gone longer than its lease has lost its liveness key and every slot (the bucket's
// TTL); its durable consumers only keep state in the stream. The first live node to notice
// removes them (every 10th lease round). A node that comes back later claims slots anew and
// makes fresh consumers.
void Node::Rep::RemoveDeadConsumers(const std::map<std::string, KvItem>& items) {
  std::set<std::string> live;
  for (const auto& [key, item] : items) {
    if (key.starts_with("node.")) live.insert(key.substr(5));
    uint32_t shard = 0;
    if (ParseSlotKey(key, &shard)) live.insert(item.value);  // a slot holder, to be safe
  }
  jsConsumerNamesList* names = nullptr;
  if (js_ConsumerNames(&names, js, kStream, nullptr, nullptr) != NATS_OK || names == nullptr) {
    return;  // tried again in 10 rounds
  }
  for (int i = 0; i < names->Count; i++) {
    const std::string_view name = names->List[i];
    const size_t last = name.rfind('_');
    if (!name.starts_with("tdb_") || last == std::string_view::npos || last < 4) continue;
    const std::string node(name.substr(4, last - 4));
    if (node.empty() || live.count(node) != 0) continue;
    if (js_DeleteConsumer(js, kStream, names->List[i], nullptr, nullptr) == NATS_OK) {
      Log(LogLevel::kInfo, "cluster.dead_consumer_removed",
          {{"consumer", std::string(name)}, {"node", node}});
    }
  }
  jsConsumerNamesList_Destroy(names);
}

void Node::Rep::LeaseLoop() {
  std::string last_error;
  const absl::Duration every = cfg.lease / 3;
  for (;;) {
    {
      absl::MutexLock l(&lease_wait_mu);
      lease_wait_cv.WaitWithTimeout(&lease_wait_mu, every);
    }
    if (stopping) return;
    absl::Status s = LeaseRound(/*claim=*/true);
    if (!s.ok() && s.ToString() != last_error) {
      Log(LogLevel::kWarning, "cluster.lease_round_failed", {{"error", s.ToString()}});
    }
    last_error = s.ok() ? "" : s.ToString();
  }
}

}  // namespace telemdb::cluster
