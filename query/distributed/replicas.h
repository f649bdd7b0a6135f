// Where shards live and how to ask them: the two interfaces the cluster wiring implements.
//
//   ShardReplicas       shard -> the nodes holding it (from the ownership leases of the
//                       write side's JetStream KV bucket); StaticShardReplicas is the plain
//                       "shard -> list of (node id, gRPC address)" table.
//   PartialQueryClient  sends one SubQuery to one replica (gRPC: grpc_transport.h; tests:
//                       an in-process transport that calls ExecuteSubQuery directly).
//
// Thread safety: implementations must be thread-safe (the fan-out calls them from several
// threads at once).
#ifndef TELEMDB_QUERY_DISTRIBUTED_REPLICAS_H_
#define TELEMDB_QUERY_DISTRIBUTED_REPLICAS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "query/distributed/sub_query.h"

namespace telemdb::query::distributed {

struct ReplicaHandle {
  std::string node_id;  // for error messages and logs ("node-2")
  std::string address;  // transport address ("127.0.0.1:7001"); unused in process
  bool operator==(const ReplicaHandle&) const = default;
};

class ShardReplicas {
 public:
  virtual ~ShardReplicas() = default;
  // The live replicas of `shard`, preferred first (the fan-out starts at a rotating one and
  // moves on after a failure). Empty when no node holds the shard: the query then fails
  // with Unavailable naming the shard.
  virtual std::vector<ReplicaHandle> ReplicasOf(uint32_t shard) const = 0;
};

class PartialQueryClient {
 public:
  virtual ~PartialQueryClient() = default;
  // Asks `replica` to answer `query` before `deadline`. Errors: whatever the replica or the
  // transport says; which ones the fan-out retries on another replica: fan_out.h.
  virtual absl::StatusOr<PartialResult> Execute(const ReplicaHandle& replica, const SubQuery& query,
                                                absl::Time deadline) = 0;
};

// A fixed table, replaceable as a whole (Set) when ownership changes.
class StaticShardReplicas : public ShardReplicas {
 public:
  StaticShardReplicas() = default;
  explicit StaticShardReplicas(std::map<uint32_t, std::vector<ReplicaHandle>> table)
      : table_(std::move(table)) {}
  void Set(std::map<uint32_t, std::vector<ReplicaHandle>> table) {
    absl::MutexLock l(&mu_);
    table_ = std::move(table);
  }
  std::vector<ReplicaHandle> ReplicasOf(uint32_t shard) const override {
    absl::MutexLock l(&mu_);
    auto it = table_.find(shard);
    return it == table_.end() ? std::vector<ReplicaHandle>() : it->second;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<uint32_t, std::vector<ReplicaHandle>> table_ ABSL_GUARDED_BY(mu_);
};

}  // namespace telemdb::query::distributed

#endif  // TELEMDB_QUERY_DISTRIBUTED_REPLICAS_H_
