// Coordinator: runs a query on a cluster from any node. It plans which shards the query needs
// (shard_pinning.h), runs the single-node engine (query/engine/engine.h) over a
// ClusterQuerier whose data comes from one live replica per shard (fan_out.h), fetched ahead
// in parallel after planning:
//   * aggregates the engine can answer from pre-aggregates (count, sum, mean, min, max,
//     first, last, spread, ... of series read whole, no row filter on fields): one summary
//     per (series, bucket) — the mergeable partial state, computed on the replica;
//   * everything else (raw selects, percentiles, median, mode, distinct, stddev, integral,
//     top/bottom, row-filtered series, transforms' look-back): the series' raw blocks.
// The engine merges across series and shards as it does on one node, so the result — the
// same query::Result frames, in the same order — equals the single-node answer: exactly for
// counts, ints, min/max/first/last (ties between series keep the single-node rule: the
// larger value wins, for first() of bools false; a summary carries the time of its first and
// last point, so the rule applies across shards unchanged), within float rounding for float
// sums and means (summaries add in another order). Percentiles and distinct are exact; their
// bound is the engine's max_buffered_values plus CoordinatorOptions::max_points_fetched (no
// sketch: past the bound the query fails with ResourceExhausted naming the limit).
//
// Failures: a sub-query that fails on one replica is retried on the shard's next one; when
// no replica of a shard answers, Execute fails with Unavailable naming the shard and each
// replica's error: never a silently partial result. Errors found before the first frame
// (every fetch-ahead, every listing) leave the sink untouched; an on-demand fetch failing
// mid-stream stops the query with that error like any storage error on one node.
//
// Thread safety: Execute is reentrant (each call has its own ClusterQuerier and fan-out).
#ifndef TELEMDB_QUERY_DISTRIBUTED_COORDINATOR_H_
#define TELEMDB_QUERY_DISTRIBUTED_COORDINATOR_H_

#include <atomic>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "query/distributed/fan_out.h"
#include "query/distributed/replicas.h"
#include "query/distributed/sub_query.h"
#include "query/engine/backend.h"
#include "query/engine/context.h"
#include "query/engine/exec_options.h"
#include "query/engine/result.h"
#include "query/lang/ast.h"

namespace telemdb::query::distributed {

struct CoordinatorOptions {
  Sharding sharding;  // must equal the write side's (shard count P and shard tag)
  FanOutOptions fan_out;
  // The most points (raw points plus bucket summaries) one query may fetch from the cluster.
  // Default: 50,000,000 (as ExecOptions::max_buffered_values).
  uint64_t max_points_fetched = 50'000'000;
  // Fetch per-bucket summaries for aggregates where the engine can use them. Default: true.
  // (false ships raw points for everything: for comparisons and benchmarks.)
  bool summaries = true;
};

// What one Execute did (for tests, benchmarks and the query's log line).
struct CoordinatorStats {
  uint64_t shards = 0;          // shards the query's data came from
  uint64_t sub_queries = 0;     // attempts sent
  uint64_t retries = 0;         // attempts after a failed one
  uint64_t points_fetched = 0;  // raw points + summaries received
};

class Coordinator : public QueryBackend {
 public:
  // REQUIRES: replicas and client outlive this; options.sharding.shards > 0.
  Coordinator(const ShardReplicas* replicas, PartialQueryClient* client,
              CoordinatorOptions options);

  // As query::Execute (engine.h), over the cluster. Errors: as query::Execute, plus
  // Unavailable naming a shard no replica answered for; Unimplemented for DELETE.
  absl::Status Execute(const lang::Statement& statement, const ExecOptions& options, Context& ctx,
                       ResultSink& sink, QueryStats* stats, CoordinatorStats* cstats = nullptr,
                       const QuerierWrap& wrap = {});
  absl::Status ExecuteText(std::string_view text, const ExecOptions& options, Context& ctx,
                           ResultSink& sink, QueryStats* stats, CoordinatorStats* cstats = nullptr);

  // QueryBackend: the front doors of a cluster node (telemdbd --cluster).
  absl::Status Run(const lang::Statement& statement, const QuerierWrap& wrap,
                   const ExecOptions& options, Context& ctx, ResultSink& sink,
                   QueryStats* stats) override;
  // Listings over every shard; a shard no replica answered for fails with Unavailable.
  absl::Status WithQuerier(const QuerierWrap& wrap, Context& ctx,
                           const std::function<absl::Status(Querier&)>& fn) override;

 private:
  const ShardReplicas* replicas_;
  PartialQueryClient* client_;
  const CoordinatorOptions options_;
  std::atomic<uint64_t> rotation_{0};
};

}  // namespace telemdb::query::distributed

#endif  // TELEMDB_QUERY_DISTRIBUTED_COORDINATOR_H_
