#include "server/cluster_query.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>

#include <fstream>
#include <sstream>

#include <thread>

#include "absl/strings/str_cat.h"
#include "telemdb/v1/admin.grpc.pb.h"
#include "query/distributed/grpc_transport.h"
#include "query/distributed/partial_executor.h"
#include "util/thread_pool.h"
#include "util/status_macros.h"

namespace telemdb::server {
namespace {

namespace qd = query::distributed;

// The ownership bucket's view (refreshed by the node's lease rounds), as the fan-out asks;
// this node first when it holds the shard.
class NodeReplicas : public qd::ShardReplicas {
 public:
  explicit NodeReplicas(const cluster::Node* node) : node_(node) {}
  std::vector<qd::ReplicaHandle> ReplicasOf(uint32_t shard) const override {
    std::vector<qd::ReplicaHandle> out;
    for (const cluster::ShardReplica& r : node_->ReplicasOf(shard)) {
      out.push_back(qd::ReplicaHandle{r.node_id, r.query_address});
      if (r.node_id == node_->config().node_id) std::swap(out.front(), out.back());
    }
    return out;
  }

 private:
  const cluster::Node* node_;
};

// Sub-queries to this node run in process, on the calling thread (no gRPC hop); the others
// go over gRPC.
class LocalFirstClient : public qd::PartialQueryClient {
 public:
  LocalFirstClient(std::string self, query::Querier* local,
                   std::unique_ptr<qd::PartialQueryClient> remote)
      : self_(std::move(self)), local_(local), remote_(std::move(remote)) {}
  absl::StatusOr<qd::PartialResult> Execute(const qd::ReplicaHandle& replica,
                                            const qd::SubQuery& query,
                                            absl::Time deadline) override {
    if (replica.node_id != self_) return remote_->Execute(replica, query, deadline);
    if (absl::Now() > deadline) return absl::DeadlineExceededError("sub-query deadline exceeded");
    return qd::ExecuteSubQuery(query, *local_);
  }

 private:
  const std::string self_;
  query::Querier* local_;
  std::unique_ptr<qd::PartialQueryClient> remote_;
};

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(what, " ", path, ": cannot be read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

ClusterQuery::~ClusterQuery() = default;

absl::StatusOr<std::string> QueryAddress(const cluster::ClusterConfig& config,
                                         const std::string& listen, int port) {
  if (!config.query_address.empty()) return config.query_address;
  const size_t colon = listen.rfind(':');
  const std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") {
    return absl::InvalidArgumentError(absl::StrCat(
        "cluster: --listen ", listen, " is a wildcard address, which other nodes cannot "
        "call: set query_address = \"<this node's host>:", port, "\" in ", config.path));
  }
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<std::unique_ptr<ClusterQuery>> MakeClusterQuery(cluster::Node* node,
                                                              const std::string& node_token,
                                                              const TlsOptions& tls,
                                                              query::Querier* local,
                                                              const auth::Authenticator* auth,
                                                              int threads) {
  const cluster::ClusterConfig& cc = node->config();
  auto out = std::make_unique<ClusterQuery>();
  out->pool = std::make_unique<ThreadPool>(threads);
  out->service = qd::MakeClusterQueryService(local, auth, out->pool.get());
  out->replicas = std::make_unique<NodeReplicas>(node);
  qd::GrpcClientOptions co;
  co.token = node_token;
  if (tls.enabled()) {
    const std::string& ca = cc.node_ca_file.empty() ? cc.ca_file : cc.node_ca_file;
    if (ca.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cluster: this node serves TLS (--tls-cert), so it calls the other nodes over TLS "
          "and needs the CA that signed their certificates: set node_ca_file (or ca_file) in ",
          cc.path));
    }
    grpc::SslCredentialsOptions so;
    ASSIGN_OR_RETURN(so.pem_root_certs, ReadFile(ca, "node_ca_file"));
    ASSIGN_OR_RETURN(so.pem_cert_chain, ReadFile(tls.cert, "--tls-cert"));
    ASSIGN_OR_RETURN(so.pem_private_key, ReadFile(tls.key, "--tls-key"));
    co.credentials = grpc::SslCredentials(so);
  }
  out->credentials = co.credentials ? co.credentials : grpc::InsecureChannelCredentials();
  out->node_token = node_token;
  out->client = std::make_unique<LocalFirstClient>(
      cc.node_id, local, std::make_unique<qd::GrpcPartialQueryClient>(co));
  qd::CoordinatorOptions opts;
  opts.fan_out.prefer_first = true;
  opts.sharding.shards = static_cast<uint32_t>(cc.shards);
  opts.sharding.shard_tag = cc.shard_tag;
  out->coordinator =
      std::make_unique<qd::Coordinator>(out->replicas.get(), out->client.get(), opts);
  return out;
}

absl::Status VerifyClusterAudit(
    const cluster::Node& node, const ClusterQuery& cq,
    const std::function<absl::Status(v1::VerifyAuditResponse*)>& local, absl::Duration timeout,
    v1::VerifyAuditResponse* resp) {
  const std::vector<cluster::ShardReplica> members = node.Members();
  if (members.empty()) {
    return absl::UnavailableError(
        "audit verify --cluster: no live node known yet (the ownership bucket has none)");
  }
  std::vector<v1::NodeAudit> answers(members.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < members.size(); i++) {
    threads.emplace_back([&, i] {
      const cluster::ShardReplica& m = members[i];
      v1::NodeAudit& a = answers[i];
      a.set_node(m.node_id);
      a.set_address(m.query_address);
      v1::VerifyAuditResponse r;
      absl::Status s;
      if (m.node_id == node.config().node_id) {
        s = local(&r);
      } else {
        auto stub = v1::AdminService::NewStub(grpc::CreateChannel(m.query_address, cq.credentials));
        grpc::ClientContext ctx;
        ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
        if (!cq.node_token.empty()) ctx.AddMetadata("authorization", "Bearer " + cq.node_token);
        grpc::Status g = stub->VerifyAudit(&ctx, v1::VerifyAuditRequest(), &r);
        if (!g.ok()) {
          s = absl::Status(static_cast<absl::StatusCode>(g.error_code()), g.error_message());
        }
      }
      if (!s.ok()) {
        a.set_error(s.ToString());
        return;
      }
      a.set_ok(r.ok());
      a.set_records(r.records());
      a.set_problem(r.problem());
      *a.mutable_gaps() = r.gaps();
      a.set_unacknowledged_gaps(r.unacknowledged_gaps());
    });
  }
  for (auto& t : threads) t.join();
  bool ok = true;
  uint64_t records = 0;
  for (v1::NodeAudit& a : answers) {
    ok = ok && a.ok() && a.error().empty();
    records += a.records();
    if (!a.ok() && resp->problem().empty()) {
      resp->set_problem(absl::StrCat("node ", a.node(), ": ",
                                     a.error().empty() ? a.problem() : a.error()));
    }
    *resp->add_nodes() = std::move(a);
  }
  resp->set_ok(ok);
  resp->set_records(records);
  return absl::OkStatus();
}

}  // namespace telemdb::server
