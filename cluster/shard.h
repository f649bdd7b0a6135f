// Sharding and message ids of cluster mode (docs/cluster.md, "Sharding", "Idempotency").
// Both are persistent decisions: where a series' data lives and which retries JetStream
// drops. They must never change for an existing cluster; shard_test pins golden values.
//
// Thread safety: pure functions.
#ifndef TELEMDB_CLUSTER_SHARD_H_
#define TELEMDB_CLUSTER_SHARD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/types.h"

namespace telemdb::cluster {

// FNV-1a, 64 bits (spreads node ids over the shard slots; not the shard hash).
uint64_t Fnv1a64(std::string_view bytes);

// The shard of a series group: util/shard.h's ShardOfTags, the one hash the write side and
// the query side (query/distributed, shard pinning) share: the value of tag `shard_tag` when
// the group has it (and `shard_tag` is not empty), otherwise the sorted tag set encoded as
// k1 \0 v1 \0 k2 \0 v2 \0 ...; FNV-1a 64 + fmix64, mod `shards`. The measurement is not
// part of it. REQUIRES: shards > 0; `tags` sorted by key (validation sorts them).
uint32_t ShardOf(const storage::TagSet& tags, std::string_view shard_tag, uint32_t shards);

// One part of a request: the indexes of its groups that fall into `shard`, in request order.
struct ShardPart {
  uint32_t shard = 0;
  std::vector<size_t> groups;
};
// Splits groups by shard; parts in increasing shard order.
std::vector<ShardPart> SplitByShard(const std::vector<storage::SeriesBatch>& groups,
                                    std::string_view shard_tag, uint32_t shards);

// The Nats-Msg-Id of one part of an idempotent request: 32 hex digits of SHA-256 over the
// length-prefixed (identity, producer_id) and the big-endian (epoch, sequence, shard).
// Distinct for any two distinct tuples (up to SHA-256 collisions).
std::string PartMsgId(std::string_view identity, std::string_view producer_id, uint64_t epoch,
                      uint64_t sequence, uint32_t shard);

}  // namespace telemdb::cluster

#endif  // TELEMDB_CLUSTER_SHARD_H_
