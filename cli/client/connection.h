// Client-side connection settings shared by the `telemdb` CLI and the benchmark tools:
// address, TLS files and the bearer token (from a file or TELEMDB_TOKEN). Never prints a
// token.
//
// Thread safety: a Connection's channel and stubs are thread-safe.
#ifndef TELEMDB_CLI_CLIENT_CONNECTION_H_
#define TELEMDB_CLI_CLIENT_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace telemdb::client {

struct ConnectionOptions {
  std::string addr = "127.0.0.1:7700";  // host:port
  std::string token;                    // bearer token; empty: none
  std::string token_file;               // read the token from here when `token` is empty
  std::string tls_ca;                   // PEM CA bundle: enables TLS
  std::string tls_cert;                 // client certificate (mTLS)
  std::string tls_key;                  // client key (mTLS)
  std::string tls_server_name;          // override the name checked in the server certificate
};

// Resolves the token: `token`, else the first line of `token_file`, else $TELEMDB_TOKEN.
// Errors: the token file cannot be read, or holds no token.
absl::StatusOr<std::string> ResolveToken(const ConnectionOptions& o);

class Connection {
 public:
  // Errors: unreadable TLS files or token file.
  static absl::StatusOr<std::unique_ptr<Connection>> Create(const ConnectionOptions& o);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // Adds the bearer token to a call.
  void Prepare(grpc::ClientContext* ctx) const;
  // Waits until the channel is connected, at most `seconds`. Errors: Unavailable.
  absl::Status WaitConnected(int seconds) const;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::string authorization_;  // "Bearer ..." or empty
};

// Reads a whole file. Errors: NotFound / PermissionDenied naming the path.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace telemdb::client

#endif  // TELEMDB_CLI_CLIENT_CONNECTION_H_
