#include "util/shard.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace telemdb {
namespace {

using namespace std::string_literals;

// Golden values: the hash is part of the cluster's persistent layout; never change them.
// (Cross-checked against an independent Python implementation when written.)
TEST(ShardTest, GoldenHashes) {
  EXPECT_EQ(ShardHash(""), 0xefd01f60ba992926ULL);
  EXPECT_EQ(ShardHash("truck-7"), 0x0ae301600320f995ULL);
  EXPECT_EQ(ShardHash("device\0truck-7\0site\0berlin\0"s), 0xd814d31ad88b8c21ULL);
}

TEST(ShardTest, GoldenShards) {
  const std::pair<const char*, std::pair<uint32_t, uint32_t>> golden[] = {
      {"dev-0", {41, 1}}, {"dev-1", {14, 0}}, {"dev-2", {34, 2}}, {"dev-3", {2, 2}},
      {"dev-4", {52, 2}}, {"dev-5", {14, 0}}, {"dev-6", {30, 2}}, {"dev-7", {26, 0}},
  };
  for (const auto& [key, want] : golden) {
    EXPECT_EQ(ShardOf(key, 64), want.first) << key;
    EXPECT_EQ(ShardOf(key, 3), want.second) << key;
  }
  EXPECT_EQ(ShardOf("anything", 1), 0u);
}

TEST(ShardTest, KeyBytesIsCanonicalTagSetWithoutShardTag) {
  std::vector<std::pair<std::string, std::string>> tags = {{"device", "truck-7"},
                                                           {"site", "berlin"}};
  EXPECT_EQ(ShardKeyBytes(tags, ""), "device\0truck-7\0site\0berlin\0"s);
  EXPECT_EQ(ShardKeyBytes({}, ""), "");
  EXPECT_EQ(ShardOfTags(tags, "", 64), ShardOf("device\0truck-7\0site\0berlin\0"s, 64));
}

TEST(ShardTest, KeyBytesIsDeviceValueWithShardTag) {
  std::vector<std::pair<std::string, std::string>> tags = {{"device", "truck-7"},
                                                           {"site", "berlin"}};
  EXPECT_EQ(ShardKeyBytes(tags, "device"), "truck-7");
  EXPECT_EQ(ShardOfTags(tags, "device", 64), ShardOf("truck-7", 64));
  // A group without the shard tag falls back to its whole tag set.
  std::vector<std::pair<std::string, std::string>> other = {{"site", "berlin"}};
  EXPECT_EQ(ShardKeyBytes(other, "device"), "site\0berlin\0"s);
}

TEST(ShardTest, SpreadsEvenly) {
  std::map<uint32_t, int> counts;
  for (int i = 0; i < 64000; i++) counts[ShardOf("dev-" + std::to_string(i), 64)]++;
  ASSERT_EQ(counts.size(), 64u);
  for (const auto& [shard, n] : counts) {
    EXPECT_GT(n, 800) << shard;  // mean 1000
    EXPECT_LT(n, 1200) << shard;
  }
}

}  // namespace
}  // namespace telemdb
