// The coordinator's failure handling and the sub-query executor: a replica dying in the
// middle of a query is retried on the other replica; a shard with no replica answering is an
// explicit error and no frame leaves; bucket summaries keep the data fetched small.
#include <cstdio>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "query/distributed/cluster_test_util.h"
#include "query/distributed/partial_executor.h"
#include "storage/key_layout.h"

namespace telemdb::query::distributed::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kQuery[] =
    "SELECT mean(f), max(i), count(s), percentile(f, 90) FROM m GROUP BY time(10m), region";

class CoordinatorTest : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    MakeCluster(6, "");
    query::testing::LoadRandomData(7, *this);
  }
  void ExpectAgrees(const std::string& q, CoordinatorStats* cs = nullptr) {
    CollectingSink single, cluster;
    ASSERT_OK(RunSingle(q, &single));
    ASSERT_OK(RunCluster(q, &cluster, ExecOptions(), cs));
    ASSERT_FALSE(single.frames().empty()) << q;
    EXPECT_EQ(Compare(single, cluster, 1e-9), "") << q;
  }
};

TEST_F(CoordinatorTest, AgreesWithAllNodesUp) {
  CoordinatorStats cs;
  ExpectAgrees(kQuery, &cs);
  EXPECT_EQ(cs.shards, 6u);
  EXPECT_EQ(cs.retries, 0u);
}

TEST_F(CoordinatorTest, ReplicaFailingMidQueryIsRetriedOnTheOther) {
  // How many sub-queries node-1 answers in the whole query; then node-1 dies after each
  // number of them in turn: at every point of the query (listings, select, read).
  const uint64_t before = client_.calls(NodeId(1));
  ExpectAgrees(kQuery);
  const uint64_t calls = client_.calls(NodeId(1)) - before;
  ASSERT_GT(calls, 1u);
  for (uint64_t answered = 0; answered < calls; answered++) {
    for (int n = 0; n < kNodes; n++) client_.SetDown(NodeId(n), false);
    client_.FailAfter(NodeId(1), static_cast<int64_t>(answered));
    CoordinatorStats cs;
    ExpectAgrees(kQuery, &cs);
    EXPECT_GT(cs.retries, 0u) << "node-1 answered " << answered << " of " << calls;
  }
}

TEST_F(CoordinatorTest, OneNodeDownEveryShardStillAnswers) {
  for (int down = 0; down < kNodes; down++) {
    for (int n = 0; n < kNodes; n++) client_.SetDown(NodeId(n), n == down);
    ExpectAgrees(kQuery);
    ExpectAgrees("SELECT * FROM m WHERE dev = 'd3' ORDER BY time DESC LIMIT 50");
    ExpectAgrees("SELECT last(f) FROM m GROUP BY dev");
  }
}

TEST_F(CoordinatorTest, ListingsAskOneReplicaPerNode) {
  CoordinatorStats cs;
  ExpectAgrees("SHOW TAG VALUES FROM m WITH KEY = dev", &cs);
  EXPECT_LE(cs.sub_queries, static_cast<uint64_t>(kNodes));  // not one per shard (6)
  // A node failing during a listing: its shards are asked of their other replicas.
  client_.FailAfter(NodeId(0), 0);
  ExpectAgrees("SHOW TAG VALUES FROM m WITH KEY = dev", &cs);
  ExpectAgrees("SHOW FIELD KEYS FROM m", &cs);
}

TEST_F(CoordinatorTest, ShardWithoutAnswerIsAnErrorAndNothingLeaves) {
  // Shards 0 and 3 live on nodes 0 and 1 only.
  client_.SetDown(NodeId(0), true);
  client_.SetDown(NodeId(1), true);
  for (const char* q : {kQuery, "SELECT f FROM m", "SHOW TAG VALUES WITH KEY = dev"}) {
    CollectingSink sink;
    const absl::Status s = RunCluster(q, &sink);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << q << ": " << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("no replica answered")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "shard 0 of 6") ||
                absl::StrContains(s.message(), "shard 3 of 6"))
        << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("node-0")) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("node-1")) << s;
    EXPECT_TRUE(sink.frames().empty()) << q;
  }
}

TEST_F(CoordinatorTest, ShardWithoutReplicaIsAnError) {
  std::map<uint32_t, std::vector<ReplicaHandle>> table;
  for (uint32_t s = 1; s < 6; s++) table[s] = {ReplicaHandle{NodeId(s % kNodes), ""}};
  replicas_.Set(table);
  CollectingSink sink;
  const absl::Status s = RunCluster(kQuery, &sink);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("shard 0 of 6")) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("no live replica")) << s;
}

TEST_F(CoordinatorTest, SummariesKeepTheFetchSmall) {
  CoordinatorStats with, without;
  ExpectAgrees("SELECT count(f), sum(i), min(f), last(i) FROM m GROUP BY time(1h)", &with);
  CoordinatorOptions raw;
  raw.sharding = sharding_;
  raw.summaries = false;
  coordinator_ = std::make_unique<Coordinator>(&replicas_, &client_, raw);
  ExpectAgrees("SELECT count(f), sum(i), min(f), last(i) FROM m GROUP BY time(1h)", &without);
  // 6 devices x <= 4 hourly buckets x 2 fields, against every point.
  EXPECT_LE(with.points_fetched, 6u * 4 * 2);
  EXPECT_GT(without.points_fetched, 1000u);
}

TEST_F(CoordinatorTest, SummariesFoldStoredChunksAndDecodedRuns) {
  // Buckets mixing stored chunks' pre-aggregates with decoded points, in every order.
  for (const char* by :
       {"", " GROUP BY time(90m)", " GROUP BY time(1h, 13s), dev", " GROUP BY time(7m)"}) {
    ExpectAgrees(std::string("SELECT first(f), last(f), first(i), last(i), min(f), max(f), "
                             "sum(i), count(f), spread(i), mean(f), last(b), first(b) FROM m") +
                 by);
  }
}

TEST_F(CoordinatorTest, FetchLimitIsAClearError) {
  CoordinatorOptions o;
  o.sharding = sharding_;
  o.max_points_fetched = 100;
  coordinator_ = std::make_unique<Coordinator>(&replicas_, &client_, o);
  CollectingSink sink;
  const absl::Status s = RunCluster("SELECT f FROM m", &sink);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("max_points_fetched")) << s;
}

TEST_F(CoordinatorTest, CancelledOrExpiredQueriesStop) {
  for (bool cancel : {true, false}) {
    Context ctx(cancel ? absl::InfiniteFuture() : absl::Now() - absl::Seconds(1));
    if (cancel) ctx.Cancel();
    CollectingSink sink;
    QueryStats stats;
    const absl::Status s = coordinator_->ExecuteText(kQuery, ExecOptions(), ctx, sink, &stats);
    EXPECT_EQ(s.code(), cancel ? absl::StatusCode::kCancelled : absl::StatusCode::kDeadlineExceeded)
        << s;
    EXPECT_TRUE(sink.frames().empty());
  }
}

TEST_F(CoordinatorTest, DeleteIsRefused) {
  CollectingSink sink;
  const absl::Status s = RunCluster("DELETE FROM m WHERE dev = 'd1'", &sink);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << s;
}

TEST_F(CoordinatorTest, SelectAnswersOnlyForTheShardAsked) {
  // node-0 holds shards 0, 2, 3, 5; each sub-query gets only its own shard's series.
  size_t total = 0;
  for (uint32_t shard : {0u, 2u, 3u, 5u}) {
    SubQuery q;
    q.kind = SubQueryKind::kSelect;
    q.shard = shard;
    q.sharding = sharding_;
    q.selector.measurement = "m";
    auto r = ExecuteSubQuery(q, *node_queriers_[0]);
    ASSERT_OK(r.status());
    for (const auto& [key, type] : r->series) {
      auto k = storage::keys::ParseSeriesKey(key);
      ASSERT_OK(k.status());
      EXPECT_EQ(ShardOfSeries(k->tags), shard) << k->DebugString();
    }
    total += r->series.size();
  }
  SubQuery all;
  all.kind = SubQueryKind::kSelect;
  all.sharding = Sharding{1, ""};
  all.selector.measurement = "m";
  auto r = ExecuteSubQuery(all, *node_queriers_[0]);
  ASSERT_OK(r.status());
  EXPECT_EQ(total, r->series.size());  // node-0 holds nothing else
}

TEST_F(CoordinatorTest, MalformedSubQueriesAreRejected) {
  SubQuery q;
  q.sharding.shards = 0;
  EXPECT_EQ(ExecuteSubQuery(q, *node_queriers_[0]).status().code(),
            absl::StatusCode::kInvalidArgument);
  q.sharding.shards = 4;
  q.shard = 4;
  auto s = ExecuteSubQuery(q, *node_queriers_[0]).status();
  EXPECT_THAT(std::string(s.message()), HasSubstr("shard 4 out of range")) << s;
  q.shard = 0;
  q.kind = SubQueryKind::kRead;
  q.start = 10;
  q.end = 10;
  s = ExecuteSubQuery(q, *node_queriers_[0]).status();
  EXPECT_THAT(std::string(s.message()), HasSubstr("empty range")) << s;
  q.end = 20;
  q.series = {"not a key"};
  EXPECT_FALSE(ExecuteSubQuery(q, *node_queriers_[0]).ok());
}

}  // namespace
}  // namespace telemdb::query::distributed::testing
