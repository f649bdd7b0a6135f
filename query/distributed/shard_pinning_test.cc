#include "query/distributed/shard_pinning.h"

#include "gtest/gtest.h"
#include "query/lang/parser.h"
#include "util/shard.h"
#include "util/status_matchers.h"

namespace telemdb::query::distributed {
namespace {

std::optional<std::vector<uint32_t>> Pins(const std::string& where, const Sharding& s) {
  lang::ParseOptions popts;
  auto stmt = lang::Parse("SELECT mean(v) FROM m WHERE " + where, popts);
  EXPECT_OK(stmt.status()) << where;
  if (!stmt.ok()) return std::nullopt;
  return PinnedShards(std::get<lang::SelectStatement>(*stmt).where, s);
}

std::vector<uint32_t> Shards(std::initializer_list<const char*> devices, uint32_t p) {
  std::set<uint32_t> s;
  for (const char* d : devices) s.insert(ShardOf(d, p));
  return {s.begin(), s.end()};
}

TEST(ShardPinningTest, EqualityOnTheShardTagPins) {
  const Sharding s{64, "device"};
  EXPECT_EQ(Pins("device = 'truck-7'", s), Shards({"truck-7"}, 64));
  EXPECT_EQ(Pins("device = 'truck-7' AND time > now() - 1h", s), Shards({"truck-7"}, 64));
  EXPECT_EQ(Pins("site = 'b' AND device = 'truck-7' AND v > 3", s), Shards({"truck-7"}, 64));
  EXPECT_EQ(Pins("device = 'a' OR device = 'b'", s), Shards({"a", "b"}, 64));
  EXPECT_EQ(Pins("(device = 'a' OR device = 'b') AND (device = 'b' OR device = 'c')", s),
            Shards({"b"}, 64));
  // Contradictions pin to nothing at all.
  const auto none = Pins("device = 'a' AND device = 'b'", s);
  ASSERT_TRUE(none.has_value());
  if (ShardOf("a", 64) != ShardOf("b", 64)) EXPECT_TRUE(none->empty());
}

TEST(ShardPinningTest, NothingElsePins) {
  const Sharding s{64, "device"};
  for (const char* where :
       {"device != 'a'", "device =~ /a/", "device = ''", "site = 'a'", "device = 'a' OR site = 'b'",
        "time > now() - 1h", "v > 3", "device = 'a' OR v > 3"}) {
    EXPECT_EQ(Pins(where, s), std::nullopt) << where;
  }
}

TEST(ShardPinningTest, WholeTagSetShardingNeverPins) {
  const Sharding s{64, ""};
  EXPECT_EQ(Pins("device = 'a'", s), std::nullopt);
  EXPECT_EQ(Pins("device = 'a' AND site = 'b'", s), std::nullopt);
}

TEST(ShardPinningTest, ShardsForStatements) {
  const Sharding s{4, "device"};
  lang::ParseOptions popts;
  auto show = lang::Parse("SHOW TAG VALUES WITH KEY = device", popts);
  ASSERT_OK(show.status());
  EXPECT_EQ(ShardsFor(*show, s), (std::vector<uint32_t>{0, 1, 2, 3}));
  auto sel = lang::Parse("SELECT v FROM m WHERE device = 'x'", popts);
  ASSERT_OK(sel.status());
  EXPECT_EQ(ShardsFor(*sel, s), Shards({"x"}, 4));
  auto all = lang::Parse("SELECT v FROM m", popts);
  ASSERT_OK(all.status());
  EXPECT_EQ(ShardsFor(*all, s), (std::vector<uint32_t>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace telemdb::query::distributed
