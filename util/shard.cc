#include "util/shard.h"

namespace telemdb {

uint64_t ShardHash(std::string_view key) {
  uint64_t h = 14695981039346656037ULL;  // FNV-1a 64 offset basis
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;  // FNV-1a 64 prime
  }
  // MurmurHash3 fmix64: spreads FNV's entropy into the low bits used by `% shards`.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

uint32_t ShardOf(std::string_view canonical_tag_set_or_device_tag, uint32_t shards) {
  return static_cast<uint32_t>(ShardHash(canonical_tag_set_or_device_tag) % shards);
}

std::string ShardKeyBytes(const std::vector<std::pair<std::string, std::string>>& tags,
                          std::string_view shard_tag) {
  if (!shard_tag.empty()) {
    for (const auto& [k, v] : tags) {
      if (k == shard_tag) return v;
    }
  }
  std::string out;
  for (const auto& [k, v] : tags) {
    out.append(k);
    out.push_back('\0');
    out.append(v);
    out.push_back('\0');
  }
  return out;
}

uint32_t ShardOfTags(const std::vector<std::pair<std::string, std::string>>& tags,
                     std::string_view shard_tag, uint32_t shards) {
  return ShardOf(ShardKeyBytes(tags, shard_tag), shards);
}

}  // namespace telemdb
