#include "cluster/shard.h"

#include <openssl/sha.h>

#include <map>

#include "util/shard.h"

namespace telemdb::cluster {
namespace {

void PutBe64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; i--) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

uint32_t ShardOf(const storage::TagSet& tags, std::string_view shard_tag, uint32_t shards) {
  return ShardOfTags(tags, shard_tag, shards);
}

std::vector<ShardPart> SplitByShard(const std::vector<storage::SeriesBatch>& groups,
                                    std::string_view shard_tag, uint32_t shards) {
  std::map<uint32_t, std::vector<size_t>> by;
  for (size_t i = 0; i < groups.size(); i++) {
    by[ShardOf(groups[i].tags, shard_tag, shards)].push_back(i);
  }
  std::vector<ShardPart> out;
  out.reserve(by.size());
  for (auto& [s, g] : by) out.push_back({s, std::move(g)});
  return out;
}

std::string PartMsgId(std::string_view identity, std::string_view producer_id, uint64_t epoch,
                      uint64_t sequence, uint32_t shard) {
  std::string in;
  PutBe64(&in, identity.size());
  in.append(identity);
  PutBe64(&in, producer_id.size());
  in.append(producer_id);
  PutBe64(&in, epoch);
  PutBe64(&in, sequence);
  PutBe64(&in, shard);
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(in.data()), in.size(), md);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; i++) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

}  // namespace telemdb::cluster
