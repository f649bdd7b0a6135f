// The query half of cluster mode (docs/cluster-query.md, "In telemdbd"): this node answers
// other nodes' sub-queries (telemdb.v1.ClusterQuery on its own gRPC listener, same TLS and
// authentication), and its front doors run statements through a coordinator that reads
// each shard from one caught-up replica, found in the ownership bucket (cluster::Node).
//
// Thread safety: built once at start; the parts are thread-safe.
#ifndef TELEMDB_SERVER_CLUSTER_QUERY_H_
#define TELEMDB_SERVER_CLUSTER_QUERY_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cluster/node.h"
#include "telemdb/v1/admin.pb.h"
#include "query/distributed/coordinator.h"
#include "query/engine/querier.h"
#include "server/tls.h"

namespace grpc {
class ChannelCredentials;
class Service;
}  // namespace grpc
namespace telemdb {
class ThreadPool;
namespace auth {
class Authenticator;
}
}  // namespace telemdb

namespace telemdb::server {

struct ClusterQuery {
  // Sub-queries from other nodes (and from this node's own coordinator) run here, not on
  // the front doors' query pool: a coordinating query waits for them, so sharing one pool
  // could leave every worker waiting for a sub-query queued behind it.
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<grpc::Service> service;  // register on the node's ServerBuilder
  std::unique_ptr<query::distributed::ShardReplicas> replicas;
  std::unique_ptr<query::distributed::PartialQueryClient> client;
  std::unique_ptr<query::distributed::Coordinator> coordinator;  // the front doors' backend
  // How this node calls the others (TLS or not, the node credential).
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  std::string node_token;
  ~ClusterQuery();
};

// `admin audit verify --cluster` (docs/cluster.md, "Audit"): asks every live node to verify
// its own chain (this node through `local`), over gRPC with the node credential, all at
// once, each within `timeout`. resp->ok is true only when every node answered intact; a node
// that cannot be asked is listed with its error.
absl::Status VerifyClusterAudit(
    const cluster::Node& node, const ClusterQuery& cq,
    const std::function<absl::Status(v1::VerifyAuditResponse*)>& local, absl::Duration timeout,
    v1::VerifyAuditResponse* resp);

// `node_token`: the node credential (cluster::LoadNodeToken), sent with every sub-query.
// `tls`: this node's listener TLS; when on, peers are called over TLS verified with the
// cluster file's node_ca_file (or ca_file), presenting this node's certificate.
// `threads`: the sub-query pool's size.
// Errors: InvalidArgument when TLS is on and no CA is configured; NotFound for unreadable
// certificate files. REQUIRES: every pointer outlives the result.
absl::StatusOr<std::unique_ptr<ClusterQuery>> MakeClusterQuery(cluster::Node* node,
                                                              const std::string& node_token,
                                                              const TlsOptions& tls,
                                                              query::Querier* local,
                                                              const auth::Authenticator* auth,
                                                              int threads);

// The address other nodes reach this node at: the cluster file's query_address, else the
// --listen address with the bound port. Errors: InvalidArgument for a wildcard host.
absl::StatusOr<std::string> QueryAddress(const cluster::ClusterConfig& config,
                                         const std::string& listen, int port);

}  // namespace telemdb::server

#endif  // TELEMDB_SERVER_CLUSTER_QUERY_H_
