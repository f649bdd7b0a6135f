// InProcessClient: a PartialQueryClient that answers sub-queries by calling ExecuteSubQuery on
// Queriers in this process, one per node id. For tests and benchmarks: it exercises the whole
// coordinator (fan-out, retries, merging) without a network, and can make a node fail:
//   SetDown(node, true)         every call to the node fails with Unavailable;
//   FailAfter(node, n)          the node answers n more calls, then is down (a node dying
//                               in the middle of a query).
//
// Thread safety: thread-safe.
#ifndef TELEMDB_QUERY_DISTRIBUTED_IN_PROCESS_CLIENT_H_
#define TELEMDB_QUERY_DISTRIBUTED_IN_PROCESS_CLIENT_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "query/distributed/partial_executor.h"
#include "query/distributed/replicas.h"

namespace telemdb::query::distributed {

class InProcessClient : public PartialQueryClient {
 public:
  // REQUIRES: querier outlives this.
  void AddNode(const std::string& node_id, Querier* querier) {
    absl::MutexLock l(&mu_);
    nodes_[node_id].querier = querier;
  }
  void SetDown(const std::string& node_id, bool down) {
    absl::MutexLock l(&mu_);
    nodes_[node_id].down = down;
    nodes_[node_id].budget = -1;
  }
  void FailAfter(const std::string& node_id, int64_t calls) {
    absl::MutexLock l(&mu_);
    nodes_[node_id].budget = calls;
  }
  // Calls answered by a node so far.
  uint64_t calls(const std::string& node_id) const {
    absl::MutexLock l(&mu_);
    auto it = nodes_.find(node_id);
    return it == nodes_.end() ? 0 : it->second.calls;
  }

  absl::StatusOr<PartialResult> Execute(const ReplicaHandle& replica, const SubQuery& query,
                                        absl::Time deadline) override {
    Querier* q = nullptr;
    {
      absl::MutexLock l(&mu_);
      auto it = nodes_.find(replica.node_id);
      if (it == nodes_.end() || it->second.querier == nullptr) {
        return absl::UnavailableError(absl::StrCat("unknown node ", replica.node_id));
      }
      Node& n = it->second;
      if (n.budget == 0) n.down = true;
      if (n.budget > 0) n.budget--;
      if (n.down) return absl::UnavailableError(absl::StrCat("node ", replica.node_id, " is down"));
      n.calls++;
      q = n.querier;
    }
    if (absl::Now() > deadline) return absl::DeadlineExceededError("sub-query deadline exceeded");
    return ExecuteSubQuery(query, *q);
  }

 private:
  struct Node {
    Querier* querier = nullptr;
    bool down = false;
    int64_t budget = -1;  // calls left before going down; -1: unlimited
    uint64_t calls = 0;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, Node> nodes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace telemdb::query::distributed

#endif  // TELEMDB_QUERY_DISTRIBUTED_IN_PROCESS_CLIENT_H_
