// ClusterConfig: the `--cluster FILE` of telemdbd (docs/cluster.md, "Configuration"). TOML,
// strict: an unknown key, a value of the wrong type or out of range is InvalidArgument
// naming the file, line and key. Secret files must be owner-only.
//
// Thread safety: plain data and pure functions.
#ifndef TELEMDB_CLUSTER_CONFIG_H_
#define TELEMDB_CLUSTER_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace telemdb::cluster {

enum class ClusterAck { kSync, kReplicated };
const char* ClusterAckName(ClusterAck a);

struct ClusterConfig {
  std::string path;                              // the file it came from
  std::string node_id;                           // required: [A-Za-z0-9_-]{1,32}
  std::vector<std::string> nats_urls;            // required: nats://host:port or tls://host:port
  int shards = 64;                               // P. Default: 64; 1 to 4096
  int replication = 2;                           // R. Default: 2; 1 to 5
  int stream_replicas = 3;                       // Default: 3; 1, 3 or 5
  absl::Duration max_age = absl::Hours(24 * 7);  // Default: 7 days
  int64_t max_bytes = int64_t{10} << 30;         // Default: 10 GiB
  absl::Duration duplicate_window = absl::Minutes(10);  // Default: 10 min; <= max_age
  absl::Duration lease = absl::Seconds(10);             // Default: 10 s; 1 s to 10 min
  ClusterAck ack = ClusterAck::kSync;                   // Default: sync
  absl::Duration sync_timeout = absl::Seconds(10);      // Default: 10 s
  absl::Duration publish_timeout = absl::Seconds(5);    // Default: 5 s
  std::string shard_tag;  // Default: none (the whole tag set is hashed)
  // TLS to NATS (on when ca_file is set) and credentials. Default: none.
  std::string ca_file, cert_file, key_file, creds_file;
  // Queries (docs/cluster-query.md). Where other nodes send this node sub-queries: host:port
  // of its gRPC listener. Default: the --listen address with the port it bound, which must
  // then not be a wildcard address (0.0.0.0, [::]).
  std::string query_address;
  // The shared secret every node of the cluster holds (owner-only file, at least 32 bytes):
  // the node credential of sub-queries is derived from it. Default: none (then sub-queries
  // need a client certificate mapped to admin, or --auth=none).
  std::string node_secret_file;
  // The CA that signs the other nodes' gRPC certificates, when --tls-cert is on. Default:
  // ca_file.
  std::string node_ca_file;
};

// Parses `text` (read from `path`; relative file names are resolved against `base_dir`).
// Checks the modes of key_file and creds_file (owner-only) when they are set.
// Errors: InvalidArgument naming file, line and key; FailedPrecondition for a secret file
// readable by group or others; NotFound for a missing secret file.
absl::StatusOr<ClusterConfig> ParseClusterConfig(std::string_view text, const std::string& path,
                                                 const std::string& base_dir);
// The node credential: a bearer token `tdbnode_<base64url HMAC-SHA256 of a fixed label
// under the node secret>`, the same on every node holding the same node_secret_file. Empty
// when the file names no node secret. Errors: NotFound / FailedPrecondition reading the
// file; InvalidArgument when the secret is shorter than 32 bytes.
absl::StatusOr<std::string> LoadNodeToken(const ClusterConfig& config);

// Reads and parses the file. Errors: as ParseClusterConfig; NotFound when it does not exist.
absl::StatusOr<ClusterConfig> LoadClusterConfig(const std::string& path);

}  // namespace telemdb::cluster

#endif  // TELEMDB_CLUSTER_CONFIG_H_
