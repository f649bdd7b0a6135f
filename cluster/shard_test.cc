#include "cluster/shard.h"

#include <set>

#include "gtest/gtest.h"
#include "util/shard.h"

namespace telemdb::cluster {
namespace {

// Golden values: where data lives. A change here breaks every existing cluster.
TEST(ShardTest, Fnv1a64Golden) {
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cull);
}

// The write side's shard is util/shard.h's (the query side pins with the same function);
// the values agree with tests/python/cluster_harness.py's shard_of.
TEST(ShardTest, TagSetGolden) {
  const storage::TagSet tags = {{"device", "truck_17"}, {"fleet", "east"}};
  EXPECT_EQ(ShardOf(tags, "", 64), 21u);
  EXPECT_EQ(ShardOf(tags, "device", 64), 2u);    // the shard tag's value alone
  EXPECT_EQ(ShardOf(tags, "missing", 64), 21u);  // no such tag: the whole tag set
  EXPECT_EQ(ShardOf({{"fleet", "east"}}, "device", 64), 34u);
  EXPECT_EQ(ShardOf(tags, "device", 64), ShardOfTags(tags, "device", 64));
}

TEST(ShardTest, MeasurementIsNotHashed) {
  std::vector<storage::SeriesBatch> groups(2);
  groups[0].measurement = "readings";
  groups[1].measurement = "diagnostics";
  groups[0].tags = groups[1].tags = {{"device", "truck_17"}};
  auto parts = SplitByShard(groups, "", 64);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].groups, (std::vector<size_t>{0, 1}));
}

TEST(ShardTest, SplitKeepsEveryGroupOnceInShardOrder) {
  std::vector<storage::SeriesBatch> groups(200);
  for (size_t i = 0; i < groups.size(); i++) {
    groups[i].tags = {{"device", "d" + std::to_string(i)}};
  }
  auto parts = SplitByShard(groups, "", 8);
  EXPECT_GT(parts.size(), 4u);  // 200 devices spread over most of 8 shards
  std::set<size_t> seen;
  uint32_t prev = 0;
  for (size_t p = 0; p < parts.size(); p++) {
    if (p > 0) {
      EXPECT_GT(parts[p].shard, prev);
    }
    prev = parts[p].shard;
    for (size_t g : parts[p].groups) {
      EXPECT_TRUE(seen.insert(g).second);
      EXPECT_EQ(ShardOf(groups[g].tags, "", 8), parts[p].shard);
    }
  }
  EXPECT_EQ(seen.size(), groups.size());
}

TEST(ShardTest, ShardOneAlwaysZero) { EXPECT_EQ(ShardOf({{"a", "b"}}, "", 1), 0u); }

TEST(MsgIdTest, Golden) {
  EXPECT_EQ(PartMsgId("tok1", "gw-7", 0, 42, 3), "06c854f033a1b0a3701e172f7a6fcdfc");
}

TEST(MsgIdTest, EveryFieldMatters) {
  const std::string base = PartMsgId("tok1", "gw-7", 0, 42, 3);
  EXPECT_EQ(base.size(), 32u);
  EXPECT_EQ(PartMsgId("tok1", "gw-7", 0, 42, 3), base);
  EXPECT_NE(PartMsgId("tok2", "gw-7", 0, 42, 3), base);
  EXPECT_NE(PartMsgId("tok1", "gw-8", 0, 42, 3), base);
  EXPECT_NE(PartMsgId("tok1", "gw-7", 1, 42, 3), base);
  EXPECT_NE(PartMsgId("tok1", "gw-7", 0, 43, 3), base);
  EXPECT_NE(PartMsgId("tok1", "gw-7", 0, 42, 4), base);
  // Length prefixes: moving bytes between identity and producer_id changes the id.
  EXPECT_NE(PartMsgId("tok1g", "w-7", 0, 42, 3), base);
}

}  // namespace
}  // namespace telemdb::cluster
