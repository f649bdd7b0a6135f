// Server: telemdbd's core. Opens the database (replaying the WAL) before the listener opens,
// then serves the ingest, query and admin services with gRPC health checking (SERVING only
// once open) and server reflection. Shutdown() stops accepting calls, lets in-flight calls
// finish, seals and syncs.
//
// Thread safety: Start() and Shutdown() from one thread.
#ifndef TELEMDB_SERVER_SERVER_H_
#define TELEMDB_SERVER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "server/server_options.h"

namespace telemdb::server {

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();

  // Errors: the database failed to open (DataLoss, ...), the address cannot be bound,
  // refused settings (--auth=none off loopback).
  absl::Status Start();
  int port() const;
  // The HTTP listener's port (0 when --http-listen=none).
  int http_port() const;
  // Idempotent.
  absl::Status Shutdown();
  // SIGHUP: re-reads the identity map (TLS files are watched and reload by themselves).
  absl::Status Reload();

 private:
  absl::Status StartHttp();
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace telemdb::server

#endif  // TELEMDB_SERVER_SERVER_H_
