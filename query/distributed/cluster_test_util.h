// Test support: one single-node engine (EngineTest's db_) and an in-process cluster of 3
// "nodes" (3 more databases) holding the same data split by shard, each shard on R = 2
// nodes (shard s on nodes s mod 3 and (s + 1) mod 3), queried through the Coordinator with
// the InProcessClient transport. Compare() checks the two answers agree.
#ifndef TELEMDB_QUERY_DISTRIBUTED_CLUSTER_TEST_UTIL_H_
#define TELEMDB_QUERY_DISTRIBUTED_CLUSTER_TEST_UTIL_H_

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "query/distributed/coordinator.h"
#include "query/distributed/in_process_client.h"
#include "query/engine/engine_test_util.h"
#include "query/engine/random_workload.h"
#include "util/shard.h"

namespace telemdb::query::distributed::testing {

using query::testing::Row;

inline constexpr int kNodes = 3;

class ClusterTest : public query::testing::EngineTest, public query::testing::RandomDataSink {
 protected:
  // Builds the cluster: P shards, the given shard tag.
  void MakeCluster(uint32_t shards, std::string shard_tag) {
    sharding_.shards = shards;
    sharding_.shard_tag = std::move(shard_tag);
    for (int n = 0; n < kNodes; n++) {
      node_dirs_.push_back(std::make_unique<TempDir>());
      storage::Options o = MakeOptions();
      o.dir = node_dirs_.back()->path();
      auto db = storage::Db::Open(o);
      ASSERT_OK(db.status());
      node_dbs_.push_back(*std::move(db));
      node_queriers_.push_back(std::make_unique<StorageQuerier>(node_dbs_.back().get()));
      client_.AddNode(NodeId(n), node_queriers_.back().get());
    }
    std::map<uint32_t, std::vector<ReplicaHandle>> table;
    for (uint32_t s = 0; s < shards; s++) {
      for (int n : NodesOf(s)) table[s].push_back(ReplicaHandle{NodeId(n), ""});
    }
    replicas_.Set(std::move(table));
    CoordinatorOptions co;
    co.sharding = sharding_;
    coordinator_ = std::make_unique<Coordinator>(&replicas_, &client_, co);
  }
  void TearDown() override {
    coordinator_.reset();
    node_queriers_.clear();
    for (auto& db : node_dbs_) EXPECT_OK(db->Close());
    node_dbs_.clear();
    EngineTest::TearDown();
  }

  static std::string NodeId(int n) { return absl::StrCat("node-", n); }
  static std::vector<int> NodesOf(uint32_t shard) {
    return {static_cast<int>(shard % kNodes), static_cast<int>((shard + 1) % kNodes)};
  }
  uint32_t ShardOfSeries(const storage::TagSet& tags) const {
    storage::TagSet sorted = tags;
    std::sort(sorted.begin(), sorted.end());
    return ShardOfTags(sorted, sharding_.shard_tag, sharding_.shards);
  }

  // RandomDataSink: the single node gets everything, each node its shards' series.
  void Write(const std::string& m, const storage::TagSet& tags,
             const std::vector<Row>& rows) override {
    EngineTest::Write(m, tags, rows);
    for (int n : NodesOf(ShardOfSeries(tags))) {
      // EngineTest::Write writes to db_ (and the model, idempotently): point it at the node.
      std::swap(db_, node_dbs_[n]);
      EngineTest::Write(m, tags, rows);
      std::swap(db_, node_dbs_[n]);
    }
  }
  void SealDue() override {
    ASSERT_OK(db_->SealDue());
    for (auto& db : node_dbs_) ASSERT_OK(db->SealDue());
  }
  void Flush() override {
    ASSERT_OK(db_->Flush());
    for (auto& db : node_dbs_) ASSERT_OK(db->Flush());
  }
  void MergeDue() override {
    ASSERT_OK(db_->MergeDue());
    for (auto& db : node_dbs_) ASSERT_OK(db->MergeDue());
  }

  absl::Status RunCluster(std::string_view q, CollectingSink* sink,
                          const ExecOptions& options = ExecOptions(),
                          CoordinatorStats* cstats = nullptr) {
    Context ctx;
    QueryStats stats;
    return coordinator_->ExecuteText(q, options, ctx, *sink, &stats, cstats);
  }
  absl::Status RunSingle(std::string_view q, CollectingSink* sink,
                         const ExecOptions& options = ExecOptions()) {
    Context ctx;
    QueryStats stats;
    return ExecuteText(q, *querier_, options, ctx, *sink, &stats);
  }

  // "" when the answers agree: same schema, groups, times, nulls; ints, bools and strings
  // exactly; floats exactly or within `rel` relative (plus `rel` absolute near zero).
  static std::string Compare(const CollectingSink& a, const CollectingSink& b, double rel) {
    const ResultSchema& sa = a.schema();
    const ResultSchema& sb = b.schema();
    if (sa.columns != sb.columns || sa.types != sb.types || sa.group_by != sb.group_by ||
        sa.has_time != sb.has_time) {
      return "schemas differ";
    }
    const auto ga = a.Groups(), gb = b.Groups();
    if (ga.size() != gb.size()) return absl::StrCat("groups: ", ga.size(), " vs ", gb.size());
    for (size_t g = 0; g < ga.size(); g++) {
      if (ga[g].group_values != gb[g].group_values) return absl::StrCat("group ", g, " values");
      if (ga[g].time != gb[g].time) return absl::StrCat("group ", g, " times");
      if (ga[g].columns.size() != gb[g].columns.size()) return absl::StrCat("group ", g, " cols");
      for (size_t c = 0; c < ga[g].columns.size(); c++) {
        const Column& x = ga[g].columns[c];
        const Column& y = gb[g].columns[c];
        if (x.size() != y.size()) return absl::StrCat("group ", g, " column ", c, " rows");
        for (size_t r = 0; r < x.size(); r++) {
          const std::string where = absl::StrCat("group ", g, " column ", sa.columns[c], " row ", r,
                                                 ": ", x.DebugString(r), " vs ", y.DebugString(r));
          if (x.IsNull(r) != y.IsNull(r)) return where;
          if (x.IsNull(r)) continue;
          switch (x.type) {
            case storage::ValueType::kFloat: {
              const double p = x.floats[r], q = y.floats[r];
              if (std::isnan(p) || std::isnan(q)) {
                if (std::isnan(p) != std::isnan(q)) return where;
                continue;
              }
              if (p == q) continue;
              if (std::fabs(p - q) > rel * std::max(std::fabs(p), std::fabs(q)) + rel) {
                return where;
              }
              break;
            }
            case storage::ValueType::kInt:
            case storage::ValueType::kBool:
              if (x.ints[r] != y.ints[r]) return where;
              break;
            case storage::ValueType::kString:
              if (x.strings[r] != y.strings[r]) return where;
              break;
          }
        }
      }
    }
    return "";
  }

  Sharding sharding_;
  std::vector<std::unique_ptr<TempDir>> node_dirs_;
  std::vector<std::unique_ptr<storage::Db>> node_dbs_;
  std::vector<std::unique_ptr<StorageQuerier>> node_queriers_;
  InProcessClient client_;
  StaticShardReplicas replicas_;
  std::unique_ptr<Coordinator> coordinator_;
};

}  // namespace telemdb::query::distributed::testing

#endif  // TELEMDB_QUERY_DISTRIBUTED_CLUSTER_TEST_UTIL_H_
