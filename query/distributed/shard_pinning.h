// Which shards a statement needs. Pinning narrows a SELECT's data fan-out to the shards its
// WHERE allows, and only when that is certain:
//   * a shard tag (the device tag) must be configured: with the whole tag set as the shard
//     key, no matcher can name every tag of the series it matches (`dev = 'a'` also matches
//     {dev=a, site=b}), so nothing is pinned;
//   * an equality `<shard_tag> = 'v'` with v non-empty pins to ShardOf(v): every series it
//     matches has the tag with that value, and such a series' shard key is v (util/shard.h);
//   * AND pins to the intersection of its pinned operands (unpinned operands do not widen
//     it); OR pins only when every operand pins (the union); anything else (time, other
//     tags, fields, regexes, !=, `= ''`) does not pin.
// When the shard tag is also a field name of the measurement, `device = 'v'` may compare the
// field: the coordinator then does not pin (it checks the schema first). SHOW and other
// statements use every shard.
//
// Thread safety: pure functions.
#ifndef TELEMDB_QUERY_DISTRIBUTED_SHARD_PINNING_H_
#define TELEMDB_QUERY_DISTRIBUTED_SHARD_PINNING_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "query/distributed/sub_query.h"
#include "query/lang/ast.h"

namespace telemdb::query::distributed {

// The shards `where` pins (sorted, unique), or nullopt when it does not pin.
std::optional<std::vector<uint32_t>> PinnedShards(const std::optional<lang::Condition>& where,
                                                  const Sharding& sharding);

// The shards a statement's data comes from: the pinned ones, else all (0 .. shards - 1).
std::vector<uint32_t> ShardsFor(const lang::Statement& statement, const Sharding& sharding);

}  // namespace telemdb::query::distributed

#endif  // TELEMDB_QUERY_DISTRIBUTED_SHARD_PINNING_H_
