// ShardFanOut: sends one SubQuery per shard to one live replica each, in parallel, and
// retries a failed sub-query on the shard's next replica. A query never gets a silently
// partial answer: when no replica of a shard answers, Run fails with Unavailable naming the
// shard and every replica's error.
//
// Which failures are retried: every code but the ones another replica would answer the same
// way (InvalidArgument, ResourceExhausted, OutOfRange, FailedPrecondition, Unimplemented) and
// the query's own end (Cancelled; DeadlineExceeded once the query's deadline has passed). So
// a dead node (Unavailable), a timed-out replica, a replica whose storage reports DataLoss,
// or one that rejects the node credential (Unauthenticated, PermissionDenied: e.g. a rotated
// token not yet everywhere) each cost one retry. A replica that failed is skipped for the
// rest of the query (one FanOut object per query).
//
// Thread safety: Run may be called from one thread at a time; it uses its own threads.
#ifndef TELEMDB_QUERY_DISTRIBUTED_FAN_OUT_H_
#define TELEMDB_QUERY_DISTRIBUTED_FAN_OUT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "query/distributed/replicas.h"
#include "query/distributed/sub_query.h"
#include "query/engine/context.h"

namespace telemdb::query::distributed {

struct FanOutOptions {
  // Sub-queries in flight at once. Default: 16.
  int parallelism = 16;
  // Each attempt's deadline: now + this, capped by the query's deadline. Default: 30 s.
  absl::Duration attempt_timeout = absl::Seconds(30);
  // Try each shard's replicas in the order ShardReplicas lists them (a cluster node lists
  // itself first, to read its own shards without a network hop) instead of starting at a
  // rotating one. Default: false (rotate, spreading concurrent queries).
  bool prefer_first = false;
};

struct FanOutStats {
  std::atomic<uint64_t> sub_queries{0};  // attempts sent
  std::atomic<uint64_t> retries{0};      // attempts after a failed one
};

class ShardFanOut {
 public:
  // `rotation` picks the first replica tried per shard ((rotation + shard) mod replicas), so
  // concurrent queries spread over the replicas. REQUIRES: replicas, client outlive this.
  ShardFanOut(const ShardReplicas* replicas, PartialQueryClient* client, FanOutOptions options,
              const Context* ctx, uint64_t rotation = 0);

  // Runs every query (each names its shard); results in the same order.
  absl::StatusOr<std::vector<PartialResult>> Run(const std::vector<SubQuery>& queries);

  // A node-wide sub-query (the listings: fields, tag keys, tag values, measurements), asked
  // of a set of nodes that together hold every shard of q.sharding (one per node, each
  // answering for all it holds, so a listing costs ~nodes sub-queries, not P). A node that
  // fails has its shards asked shard by shard, with retries as in Run. Results: one per node
  // or shard asked, in no particular order (listings are unions).
  absl::StatusOr<std::vector<PartialResult>> RunCovering(const SubQuery& q);

  const FanOutStats& stats() const { return stats_; }

 private:
  absl::StatusOr<PartialResult> RunOne(const SubQuery& q);
  // Calls fn(i) for i in [0, n), on up to options_.parallelism threads.
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);
  bool Failed(const std::string& node_id) const;
  void MarkFailed(const std::string& node_id);

  const ShardReplicas* replicas_;
  PartialQueryClient* client_;
  const FanOutOptions options_;
  const Context* ctx_;
  const uint64_t rotation_;
  FanOutStats stats_;
  mutable absl::Mutex mu_;
  std::set<std::string> failed_ ABSL_GUARDED_BY(mu_);
};

// Whether another replica might answer a sub-query that failed with `s`.
bool Retryable(const absl::Status& s);

}  // namespace telemdb::query::distributed

#endif  // TELEMDB_QUERY_DISTRIBUTED_FAN_OUT_H_
