// The inside of Node (node.h), shared by node.cc (connection, stream, bucket), node_publish.cc
// (the front-door half) and node_storage.cc (ownership and shard consumers). Includes nats.h:
// only cluster/*.cc include this header.
//
// Thread safety: see the annotations.
#ifndef TELEMDB_CLUSTER_NODE_INTERNAL_H_
#define TELEMDB_CLUSTER_NODE_INTERNAL_H_

#include <nats/nats.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "cluster/config.h"
#include "cluster/node.h"
#include "storage/db.h"
#include "util/thread_pool.h"

namespace telemdb::cluster {

inline constexpr char kStream[] = "TELEMDB_IN";
inline constexpr char kBucket[] = "TELEMDB_OWNERS";
inline constexpr char kConfigBucket[] = "TELEMDB_CLUSTER";  // no TTL: the cluster's P and R
inline constexpr char kHashName[] = "fnv1a64-v1";

// The one translation of libnats errors: `what` failed with `s` (and the JetStream error
// code when there is one). Timeouts and connection trouble are Unavailable.
absl::Status NatsError(std::string_view what, natsStatus s,
                       jsErrCode js = static_cast<jsErrCode>(0));

// One owned shard being consumed (node_storage.cc).
class ShardConsumer;
// Tokens shared through the bucket TELEMDB_TOKENS (token_sync.cc).
class TokenSync;

// A key of a bucket with its value and revision.
struct KvItem {
  std::string value;
  uint64_t revision = 0;
};

struct Node::Rep {
  ClusterConfig cfg;
  storage::Db* db = nullptr;
  natsOptions* opts = nullptr;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  kvStore* kv = nullptr;
  kvStore* config_kv = nullptr;
  natsSubscription* applied_sub = nullptr;
  std::atomic<bool> stopping{false};
  // Publishes the parts of a request together (node_publish.cc); joined first by ~Rep,
  // before the connection closes.
  std::unique_ptr<ThreadPool> publishers;

  // Applied reports: per shard, node id -> highest stream sequence it has durably applied.
  absl::Mutex applied_mu;
  absl::CondVar applied_cv;
  std::vector<absl::flat_hash_map<std::string, uint64_t>> applied ABSL_GUARDED_BY(applied_mu);
  // Parts an owner's engine refused: (shard, seq) -> "node: why"; the oldest of at most
  // kMaxRejections forgotten first (a SYNC writer waits at most sync_timeout for them).
  static constexpr size_t kMaxRejections = 4096;
  std::map<std::pair<uint32_t, uint64_t>, std::string> rejections ABSL_GUARDED_BY(applied_mu);
  std::vector<std::pair<uint32_t, uint64_t>> rejection_order ABSL_GUARDED_BY(applied_mu);

  // Ownership: slot key -> the revision we last wrote; shard -> its consumer.
  absl::Mutex own_mu;
  std::map<std::string, uint64_t> held ABSL_GUARDED_BY(own_mu);
  std::map<uint32_t, std::unique_ptr<ShardConsumer>> consumers ABSL_GUARDED_BY(own_mu);
  // The owned shards for Snapshot(), apart from own_mu (held across NATS calls).
  absl::Mutex snap_mu;
  std::vector<uint32_t> owned ABSL_GUARDED_BY(snap_mu);
  std::string query_address ABSL_GUARDED_BY(snap_mu);
  // shard -> caught-up holders, rebuilt by every lease round from the bucket.
  std::vector<std::vector<ShardReplica>> replicas ABSL_GUARDED_BY(snap_mu);
  std::vector<ShardReplica> members ABSL_GUARDED_BY(snap_mu);
  void PublishOwned() ABSL_EXCLUSIVE_LOCKS_REQUIRED(own_mu);
  std::thread lease_thread;
  absl::Mutex lease_wait_mu;
  absl::CondVar lease_wait_cv;

  std::atomic<uint64_t> messages_applied{0}, messages_rejected{0}, parts_published{0},
      parts_duplicate{0};
  std::shared_ptr<TokenSync> token_sync;  // StartTokenSync (token_sync.cc)

  Rep();  // both in node_storage.cc, where ShardConsumer is complete
  ~Rep();
  void OnApplied(std::string_view subject, std::string_view payload);
  void LeaseLoop();
  absl::Status LeaseRound(bool claim);
  // Rebuilds `replicas` from a scan of the ownership bucket.
  void UpdateReplicas(const std::map<std::string, KvItem>& items);
  // Deletes the durable consumers of nodes with no liveness key and no slot.
  void RemoveDeadConsumers(const std::map<std::string, KvItem>& items);
  uint64_t rounds = 0;  // lease rounds with claims, for RemoveDeadConsumers
  void StartConsumer(uint32_t shard) ABSL_EXCLUSIVE_LOCKS_REQUIRED(own_mu);
  void StopConsumer(uint32_t shard, bool delete_durable) ABSL_EXCLUSIVE_LOCKS_REQUIRED(own_mu);
};

// Stops the token sync, if started (token_sync.cc). Idempotent.
void StopTokenSync(Node::Rep* rep);

// Opens the key-value bucket `name`, creating it (history 1, the config's stream replicas,
// file storage, `ttl`; zero: none) when it does not exist, and returns its TTL in *have_ttl
// (a bucket made by another node may differ: the caller decides). Errors: NatsError.
absl::Status OpenOrCreateBucket(Node::Rep* r, const char* name, const char* description,
                                absl::Duration ttl, kvStore** out, absl::Duration* have_ttl);

std::string SlotKey(uint32_t shard, int slot);
// The value of a node's liveness key `node.<id>`: "<unix ms>\n<query address>\n<caught-up
// shards, comma-separated>"; ParseLiveness reads it (false when malformed: the node is then
// counted live but offers no replicas).
std::string FormatLiveness(int64_t unix_ms, std::string_view query_address,
                           const std::vector<uint32_t>& caught_up);
bool ParseLiveness(std::string_view value, std::string* query_address,
                   std::vector<uint32_t>* caught_up);
std::string DurableName(std::string_view node, uint32_t shard);

}  // namespace telemdb::cluster

#endif  // TELEMDB_CLUSTER_NODE_INTERNAL_H_
