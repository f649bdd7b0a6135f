// The cluster's query path over the real gRPC transport: 3 in-process gRPC servers on
// 127.0.0.1 free ports, each serving one node's storage through telemdb.v1.ClusterQuery,
// authenticated by a node token; the coordinator must agree with the single-node engine,
// survive a server stopped in the middle of the test, and fail clearly when a shard has no
// replica left or the credential is wrong.
#include "query/distributed/grpc_transport.h"

#include <cstdio>
#include <random>

#include "auth/authenticator.h"
#include "auth/token_store.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/service_type.h"
#include "gtest/gtest.h"
#include "query/distributed/cluster_test_util.h"
#include "util/thread_pool.h"

namespace telemdb::query::distributed::testing {
namespace {

using ::testing::HasSubstr;

class GrpcTransportTest : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    MakeCluster(6, "dev");
    query::testing::LoadRandomData(11, *this);
    tokens_ = std::make_unique<auth::TokenStore>(node_dbs_[0].get());
    ASSERT_OK(tokens_->Load());
    auto admin = tokens_->Create({"admin"}, "cluster nodes", absl::ZeroDuration());
    ASSERT_OK(admin.status());
    node_token_ = admin->token;
    auto read = tokens_->Create({"read"}, "a reader", absl::ZeroDuration());
    ASSERT_OK(read.status());
    read_token_ = read->token;
    authenticator_ =
        std::make_unique<auth::Authenticator>(tokens_.get(), auth::AuthenticatorOptions());
    std::map<uint32_t, std::vector<ReplicaHandle>> table;
    for (int n = 0; n < kNodes; n++) {
      services_.push_back(
          MakeClusterQueryService(node_queriers_[n].get(), authenticator_.get(), &pool_));
      grpc::ServerBuilder b;
      int port = 0;
      b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
      b.RegisterService(services_.back().get());
      servers_.push_back(b.BuildAndStart());
      ASSERT_NE(servers_.back(), nullptr);
      ASSERT_GT(port, 0);
      addresses_.push_back(absl::StrCat("127.0.0.1:", port));
    }
    for (uint32_t s = 0; s < sharding_.shards; s++) {
      for (int n : NodesOf(s)) table[s].push_back(ReplicaHandle{NodeId(n), addresses_[n]});
    }
    replicas_.Set(table);
    UseToken(node_token_);
  }
  void TearDown() override {
    for (auto& s : servers_) {
      if (s) s->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    }
    servers_.clear();
    ClusterTest::TearDown();
  }
  void UseToken(const std::string& token) {
    GrpcClientOptions o;
    o.token = token;
    grpc_client_ = std::make_unique<GrpcPartialQueryClient>(o);
    CoordinatorOptions co;
    co.sharding = sharding_;
    co.fan_out.attempt_timeout = absl::Seconds(10);
    coordinator_ = std::make_unique<Coordinator>(&replicas_, grpc_client_.get(), co);
  }
  void ExpectAgrees(const std::string& q, CoordinatorStats* cs = nullptr) {
    CollectingSink single, cluster;
    const absl::Status s1 = RunSingle(q, &single);
    const absl::Status s2 = RunCluster(q, &cluster, ExecOptions(), cs);
    ASSERT_EQ(s1, s2) << q;
    EXPECT_EQ(Compare(single, cluster, 1e-9), "") << q << "\n" << cluster.DebugString();
  }

  ThreadPool pool_{2};
  std::unique_ptr<auth::TokenStore> tokens_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::string node_token_, read_token_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::vector<std::unique_ptr<grpc::Server>> servers_;
  std::vector<std::string> addresses_;
  std::unique_ptr<GrpcPartialQueryClient> grpc_client_;
};

TEST_F(GrpcTransportTest, RandomQueriesAgreeWithSingleNode) {
  const uint64_t seed = 11;
  std::printf("seed %lu\n", static_cast<unsigned long>(seed));
  std::mt19937_64 rng(seed);
  for (int k = 0; k < 150; k++) {
    ASSERT_NO_FATAL_FAILURE(ExpectAgrees(query::testing::RandomQuery(rng)));
  }
  for (const char* q : {"SHOW MEASUREMENTS", "SHOW TAG KEYS FROM m", "SHOW FIELD KEYS FROM m",
                        "SHOW TAG VALUES FROM m WITH KEY = dev", "SELECT last(s) FROM m",
                        "SELECT percentile(f, 95), median(i) FROM m GROUP BY time(30m), dev"}) {
    ExpectAgrees(q);
  }
}

TEST_F(GrpcTransportTest, StoppedServerIsRetriedOnTheOtherReplica) {
  ExpectAgrees("SELECT mean(f), count(i) FROM m GROUP BY time(10m), region");
  servers_[2]->Shutdown(absl::ToChronoTime(absl::Now()));
  servers_[2].reset();
  CoordinatorStats cs;
  ExpectAgrees("SELECT mean(f), count(i) FROM m GROUP BY time(10m), region", &cs);
  EXPECT_GT(cs.retries, 0u);
  ExpectAgrees("SELECT f, i FROM m WHERE dev = 'd2'");
}

TEST_F(GrpcTransportTest, NoReplicaLeftIsAnError) {
  for (int n : {0, 1}) {
    servers_[n]->Shutdown(absl::ToChronoTime(absl::Now()));
    servers_[n].reset();
  }
  CollectingSink sink;
  const absl::Status s = RunCluster("SELECT count(f) FROM m", &sink);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("no replica answered")) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(addresses_[0])) << s;
  EXPECT_TRUE(sink.frames().empty());
}

TEST_F(GrpcTransportTest, NodeCredentialIsRequired) {
  SubQuery q;
  q.kind = SubQueryKind::kMeasurements;
  q.sharding = sharding_;
  const ReplicaHandle r{NodeId(0), addresses_[0]};
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  GrpcPartialQueryClient none{GrpcClientOptions()};
  EXPECT_EQ(none.Execute(r, q, deadline).status().code(), absl::StatusCode::kUnauthenticated);
  GrpcClientOptions reader;
  reader.token = read_token_;
  GrpcPartialQueryClient read{reader};
  auto denied = read.Execute(r, q, deadline);
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied) << denied.status();
  EXPECT_THAT(std::string(denied.status().message()), HasSubstr("node credential"));
  auto ok = grpc_client_->Execute(r, q, deadline);
  ASSERT_OK(ok.status());
  EXPECT_EQ(ok->names, std::vector<std::string>{"m"});
  // Through the coordinator: every replica refuses; the error names them.
  UseToken(read_token_);
  CollectingSink sink;
  const absl::Status s = RunCluster("SELECT count(f) FROM m", &sink);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("PERMISSION_DENIED")) << s;
}

TEST_F(GrpcTransportTest, BadSubQueryIsInvalidArgument) {
  SubQuery q;
  q.kind = SubQueryKind::kRead;
  q.sharding = sharding_;
  q.start = 5;
  q.end = 5;
  auto r = grpc_client_->Execute(ReplicaHandle{NodeId(0), addresses_[0]}, q,
                                 absl::Now() + absl::Seconds(10));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  auto none = grpc_client_->Execute(ReplicaHandle{NodeId(0), ""}, q, absl::Now());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace telemdb::query::distributed::testing
