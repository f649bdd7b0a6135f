// Node: this telemdbd's membership in a cluster (docs/cluster.md). It holds the one NATS
// connection and does both halves of cluster mode:
//  - front door: Forward() splits a validated, authorized request by shard, publishes each
//    part to JetStream with its deterministic msg id, and waits for the ack the mode asks
//    for (REPLICATED: every PubAck; SYNC: also R storage nodes' confirmations);
//  - storage: claims shard slots in the ownership bucket (leases, compare-and-set), consumes
//    each owned shard with a durable pull consumer, writes through the local engine (WAL
//    fsync), acks JetStream after that, then reports the shard's applied sequence.
// libnats (nats.h) stays inside cluster/*.cc.
//
// Thread safety: thread-safe. Stop() (or the destructor) must not race Start.
#ifndef TELEMDB_CLUSTER_NODE_H_
#define TELEMDB_CLUSTER_NODE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cluster/config.h"
#include "ingest/write_path.h"
#include "storage/db.h"

namespace telemdb::auth {
class TokenStore;
}

namespace telemdb::cluster {

struct NodeSnapshot {
  std::vector<uint32_t> owned_shards;  // shards this node consumes, ascending
  uint64_t messages_applied = 0;       // since start
  uint64_t messages_rejected = 0;      // undecodable or invalid: logged, terminated
  uint64_t parts_published = 0;
  uint64_t parts_duplicate = 0;
};

// A node holding a shard, for queries.
struct ShardReplica {
  std::string node_id;
  std::string query_address;  // host:port of its gRPC listener (ClusterConfig::query_address)
  bool operator==(const ShardReplica&) const = default;
};

class Node : public ingest::WriteForwarder {
 public:
  // Connects to NATS, creates or checks the stream TELEMDB_IN and the bucket TELEMDB_OWNERS
  // (and the cluster's recorded P and R), and starts the ownership loop. `db` must outlive
  // the Node. Errors: Unavailable (NATS unreachable), FailedPrecondition (the stream or the
  // cluster was made with other settings: which), InvalidArgument (TLS/credential files).
  static absl::StatusOr<std::unique_ptr<Node>> Start(const ClusterConfig& config, storage::Db* db);
  ~Node() override;

  // Stops consuming (durable consumers stay for a restart), then closes the connection.
  // Idempotent.
  void Stop();

  absl::StatusOr<storage::WriteResult> Forward(const std::string& identity,
                                               const std::vector<storage::SeriesBatch>& groups,
                                               const storage::WriteOptions& options) override;

  NodeSnapshot Snapshot() const;
  const ClusterConfig& config() const;

  // Where other nodes send this node sub-queries (host:port), announced with its liveness
  // from the next lease round on. Called once the gRPC listener has bound.
  void SetQueryAddress(const std::string& address);
  // The live nodes that hold `shard` and have caught up with its log (their consumer found
  // nothing pending once since it started), as of the last lease round (every lease / 3).
  // A node that has just taken the shard over and is still reading its backlog is not
  // listed: its answer could miss points. Empty when no such node is known.
  std::vector<ShardReplica> ReplicasOf(uint32_t shard) const;
  // Every live node of the cluster (its liveness key is fresh) that announced a query
  // address, this one included, as of the last lease round; by node id.
  std::vector<ShardReplica> Members() const;
  // Shares `tokens` with every node through the bucket TELEMDB_TOKENS (docs/cluster.md,
  // "Tokens"): applies the bucket's records, puts the local tokens it lacks, then keeps both
  // in step until Stop(). `tokens` must outlive Stop(). Errors: Unavailable when the bucket
  // cannot be reached now (the node keeps trying in the background and serves with its own
  // tokens meanwhile); FailedPrecondition when already started.
  absl::Status StartTokenSync(auth::TokenStore* tokens);

  struct Rep;

 private:
  explicit Node(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace telemdb::cluster

#endif  // TELEMDB_CLUSTER_NODE_H_
