// The server side of a sub-query: answers a SubQuery from this node's own storage through
// its Querier (query/engine/querier.h), restricted to the shard asked for.
//
// kSelect keeps only series whose shard (util/shard.h, over the canonical tag set or the
// device tag per SubQuery::sharding) is SubQuery::shard: a node holding several shards, asked
// for one, must not answer for the others (another replica answers those, and a series would
// be counted twice). Listings (kFields, kTagKeys, kTagValues, kMeasurements) are node-wide.
// kRead and kLast look series up by canonical key; a key the node does not have is answered
// with found == false / nullopt (a replica may lag behind the one that listed the series).
//
// Thread safety: reentrant; the Querier must be thread-safe (as every Querier is).
#ifndef TELEMDB_QUERY_DISTRIBUTED_PARTIAL_EXECUTOR_H_
#define TELEMDB_QUERY_DISTRIBUTED_PARTIAL_EXECUTOR_H_

#include "absl/status/statusor.h"
#include "query/distributed/sub_query.h"
#include "query/engine/querier.h"

namespace telemdb::query::distributed {

// Errors: InvalidArgument naming the field for a malformed sub-query (shards == 0, shard >=
// shards, an empty or unknown kind's required field, end <= start, a negative interval, a
// malformed series key); ResourceExhausted when a kRead answer would exceed
// SubQuery::max_points ("... limit max_points_fetched ..."); storage errors (DataLoss,
// Unavailable) as the Querier returns them.
absl::StatusOr<PartialResult> ExecuteSubQuery(const SubQuery& query, Querier& local);

}  // namespace telemdb::query::distributed

#endif  // TELEMDB_QUERY_DISTRIBUTED_PARTIAL_EXECUTOR_H_
