// The gRPC transport of sub-queries: the telemdb.v1.ClusterQuery/PartialQuery service
// (proto/telemdb/v1/cluster_query.proto) that answers them from a node's storage, and the
// PartialQueryClient that calls it on other nodes. No gRPC or protobuf type in this header:
// only forward declarations, so the coordinator's users do not compile gRPC headers.
//
// Security: the service is registered on the node's own gRPC listener, so it has the same
// TLS (and client-certificate verification) as every other service. Each call is
// authenticated by the shared Authenticator; it must carry the node credential: an identity
// with the `admin` scope (a bearer token created for the cluster's nodes, or a client
// certificate mapped to admin by --tls-identity-map). Anything less is PermissionDenied: a
// partial query reads any series of any measurement. The user's own rights are checked by the
// front door of the coordinating node before it fans out.
//
// Messages: answers larger than GrpcClientOptions::max_message_bytes fail with
// ResourceExhausted (the coordinator's max_points_fetched normally stops a query first).
//
// Thread safety: the service and the client are thread-safe.
#ifndef TELEMDB_QUERY_DISTRIBUTED_GRPC_TRANSPORT_H_
#define TELEMDB_QUERY_DISTRIBUTED_GRPC_TRANSPORT_H_

#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "query/distributed/replicas.h"
#include "query/engine/querier.h"

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

namespace telemdb::query::distributed {

// The service, to register on the node's grpc::ServerBuilder. Sub-queries run on `pool`
// (never on gRPC's callback threads: they read storage). REQUIRES: every pointer outlives
// the server.
std::unique_ptr<grpc::Service> MakeClusterQueryService(Querier* local,
                                                       const auth::Authenticator* auth,
                                                       ThreadPool* pool);

struct GrpcClientOptions {
  // Channel credentials for every peer (TLS with the cluster's CA, client certificate when
  // the node credential is one). Default (null): insecure, for loopback tests only.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // The node credential's bearer token, sent as `authorization: Bearer <token>`. Default:
  // none (then the TLS client certificate is the credential, or auth is off).
  std::string token;
  // The largest answer accepted. Default: 256 MiB.
  int max_message_bytes = 256 << 20;
};

class GrpcPartialQueryClient : public PartialQueryClient {
 public:
  explicit GrpcPartialQueryClient(GrpcClientOptions options);
  ~GrpcPartialQueryClient() override;

  // Errors: the replica's status, or the transport's (Unavailable for a dead peer,
  // DeadlineExceeded, ...), with the node named.
  absl::StatusOr<PartialResult> Execute(const ReplicaHandle& replica, const SubQuery& query,
                                        absl::Time deadline) override;

 private:
  class Stubs;
  const GrpcClientOptions options_;
  std::unique_ptr<Stubs> stubs_;
};

}  // namespace telemdb::query::distributed

#endif  // TELEMDB_QUERY_DISTRIBUTED_GRPC_TRANSPORT_H_
