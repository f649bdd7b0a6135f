// Which cluster shard a series group belongs to: the one hash shared by the write side
// (splitting a batch by shard before publishing to `telemdb.in.<shard>`) and the query side
// (pinning a query to the shards its tag matchers allow). Both must call ShardOf on the same
// bytes, so the bytes are built here too (ShardKeyBytes) and the writer never re-derives them.
//
// "Shard" is the cluster's unit of ownership and replication, not the storage engine's time
// partition (`--partition`).
//
// The shard key of a series group (measurement + tag set) is:
//   * with a configured device tag D (cluster option `shard_tag`), when the group has tag D:
//     the raw bytes of D's value (no key, no terminator): `device=truck-7` -> "truck-7";
//   * otherwise (no shard tag configured, or the group lacks tag D): the canonical tag-set
//     bytes, exactly the tag part of storage's canonical series key (storage/key_layout.h):
//     for the tags sorted by key, `key \0 value \0` concatenated, no trailing extra NUL.
//     The empty tag set gives the empty string.
// The measurement and the field are never part of the key, so every measurement and field of
// a device's tag set lands on one shard (a gateway's batch touches few shards).
//
// ShardOf = FNV-1a 64 over the key bytes, then the MurmurHash3 fmix64 finaliser (FNV's low
// bits are weak for `mod`), then `% shards`. The golden values in shard_test.cc pin it: the
// hash is part of the cluster's persistent layout (a changed hash would route a device's new
// points to a different shard than its old ones), so it never changes.
//
// Thread safety: pure functions.
#ifndef TELEMDB_UTIL_SHARD_H_
#define TELEMDB_UTIL_SHARD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace telemdb {

// The 64-bit shard hash of `key` (FNV-1a 64 + fmix64).
uint64_t ShardHash(std::string_view key);

// The shard of a series group whose shard key is `canonical_tag_set_or_device_tag` (see the
// file comment for the exact bytes). REQUIRES: shards > 0.
uint32_t ShardOf(std::string_view canonical_tag_set_or_device_tag, uint32_t shards);

// The shard key bytes of a tag set (see the file comment). `tags` must be sorted by key with
// unique keys (as storage::TagSet after validation). `shard_tag` empty means "no device tag
// configured: the whole tag set".
std::string ShardKeyBytes(const std::vector<std::pair<std::string, std::string>>& tags,
                          std::string_view shard_tag);

// Convenience: ShardOf(ShardKeyBytes(tags, shard_tag), shards). REQUIRES: shards > 0.
uint32_t ShardOfTags(const std::vector<std::pair<std::string, std::string>>& tags,
                     std::string_view shard_tag, uint32_t shards);

}  // namespace telemdb

#endif  // TELEMDB_UTIL_SHARD_H_
