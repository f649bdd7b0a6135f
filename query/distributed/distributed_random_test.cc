// The query-equivalence test of the cluster: the random data set of engine_random_test is
// loaded into one single-node database and, split by shard, into 3 in-process nodes (each
// shard on 2 of them); thousands of random queries then run through the coordinator and on
// the single node, and the answers must agree: exactly for counts, ints, bools, strings,
// min/max/first/last; within 1e-9 relative for floats (sums and means add per-bucket
// summaries in another order). Errors must agree too (same code and message).
//
// Seeds are printed; TELEMDB_DQ_SEED=<n> reruns one, TELEMDB_DQ_QUERIES=<n> sets the number of
// queries per sharding (Default: 1000).
#include <cstdio>
#include <cstdlib>
#include <random>

#include "gtest/gtest.h"
#include "query/distributed/cluster_test_util.h"

namespace telemdb::query::distributed::testing {
namespace {

struct Param {
  uint32_t shards;
  const char* shard_tag;
};

class DistributedRandomTest : public ClusterTest, public ::testing::WithParamInterface<Param> {
 protected:
  void Check(const std::string& q, const ExecOptions& options) {
    CollectingSink single, cluster;
    const absl::Status s1 = RunSingle(q, &single, options);
    CoordinatorStats cs;
    const absl::Status s2 = RunCluster(q, &cluster, options, &cs);
    ASSERT_EQ(s1.code(), s2.code()) << q << "\nsingle: " << s1 << "\ncluster: " << s2;
    ASSERT_EQ(s1.message(), s2.message()) << q;
    checked_++;
    if (!s1.ok()) {
      errors_++;
      return;
    }
    const std::string diff = Compare(single, cluster, 1e-9);
    ASSERT_EQ(diff, "") << q << "\nsingle:\n"
                        << single.DebugString() << "\ncluster:\n"
                        << cluster.DebugString();
    nonempty_ += !single.frames().empty();
    pinned_ += cs.shards < sharding_.shards;
    points_ += cs.points_fetched;
  }

  uint64_t checked_ = 0, errors_ = 0, nonempty_ = 0, pinned_ = 0, points_ = 0;
};

TEST_P(DistributedRandomTest, CoordinatorAgreesWithSingleNode) {
  const char* env = std::getenv("TELEMDB_DQ_SEED");
  const char* count = std::getenv("TELEMDB_DQ_QUERIES");
  const uint64_t seed = env ? std::strtoull(env, nullptr, 10) : 42;
  const int queries = count ? std::atoi(count) : 1000;
  std::printf("seed %lu (TELEMDB_DQ_SEED=%lu reruns it), %d queries, %u shards, shard tag '%s'\n",
              static_cast<unsigned long>(seed), static_cast<unsigned long>(seed), queries,
              GetParam().shards, GetParam().shard_tag);
  MakeCluster(GetParam().shards, GetParam().shard_tag);
  query::testing::LoadRandomData(seed, *this);
  std::mt19937_64 rng(seed + 7);
  ExecOptions influx;  // the InfluxQL switches, as the HTTP API sets them
  influx.percentile_nearest_rank = influx.omit_transform_warmup_rows = influx.influxql_times = true;
  for (int k = 0; k < queries; k++) {
    const std::string q = query::testing::RandomQuery(rng);
    ASSERT_NO_FATAL_FAILURE(Check(q, k % 4 == 3 ? influx : ExecOptions()));
  }
  std::printf(
      "checked %lu queries: %lu errors (equal on both), %lu non-empty, %lu pinned, "
      "%lu points/summaries fetched\n",
      static_cast<unsigned long>(checked_), static_cast<unsigned long>(errors_),
      static_cast<unsigned long>(nonempty_), static_cast<unsigned long>(pinned_),
      static_cast<unsigned long>(points_));
  EXPECT_GT(nonempty_, checked_ / 2);
  if (*GetParam().shard_tag != '\0') {
    EXPECT_GT(pinned_, 0u);  // `dev = 'd1'` pins
  }
}

INSTANTIATE_TEST_SUITE_P(Shardings, DistributedRandomTest,
                         ::testing::Values(Param{6, ""}, Param{6, "dev"}, Param{64, "dev"}),
                         [](const auto& info) {
                           return absl::StrCat(info.param.shards, "_shards_",
                                               *info.param.shard_tag ? "by_dev" : "by_tag_set");
                         });

}  // namespace
}  // namespace telemdb::query::distributed::testing
