// Server: telemdb's HTTP/1.1 listener (Boost.Beast over Asio), the transport under the HTTP
// front door. Handlers (http/message.h) see a parsed, bounded request and answer through a
// ResponseWriter; they run on a worker pool, never on the I/O threads, so a write that
// waits for its fsync blocks nobody's socket.
//
// Why Beast: the listener must hold up against clients that misbehave on purpose, and
// Beast's asynchronous streams give every phase its own deadline. What it enforces:
//   - a total deadline for the request line and headers (`header_timeout`), not a per-read
//     one: a client trickling a header byte a second is dropped when it runs out, and
//     meanwhile holds no thread (slowloris);
//   - a keep-alive idle timeout, a body deadline and a write deadline;
//   - a cap on open connections (`max_connections`): one past it gets 503 and is closed;
//   - header size (`max_header_bytes`, 431) and body size (`max_body`, 413, checked against
//     Content-Length before reading and while reading chunked bodies);
//   - `Content-Encoding: gzip` bodies inflated with the same bound on the inflated size
//     (a 1 MB gzip bomb is refused at `max_body`, never expanded to 1 GB);
//   - TLS 1.2+ with optional client certificates; certificate files are re-read when they
//     change (checked every second) and on ReloadTls().
//
// Thread safety: Start/Stop from one thread; the rest is internally synchronized.
#ifndef TELEMDB_HTTP_SERVER_H_
#define TELEMDB_HTTP_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "http/message.h"
#include "util/thread_pool.h"

namespace telemdb::http {

struct TlsConfig {
  std::string cert;         // PEM certificate chain
  std::string key;          // PEM private key
  std::string client_ca;    // PEM CA bundle for client certificates
  std::string client_auth;  // "none", "request", "require" ("" = request with a CA)
  bool enabled() const { return !cert.empty() || !key.empty(); }
};

struct ServerOptions {
  // host:port; port 0 picks a free port (see Server::port()). REQUIRED.
  std::string listen;
  TlsConfig tls;
  // Largest body, as received and after gzip inflation. Default: 64 MiB.
  size_t max_body = 64ull << 20;
  // Largest request line + headers. Default: 64 KiB.
  size_t max_header_bytes = 64 << 10;
  // Total time to receive the request line and headers once the first byte came.
  // Default: 10 s.
  absl::Duration header_timeout = absl::Seconds(10);
  // Total time to receive a body. Default: 120 s.
  absl::Duration body_timeout = absl::Seconds(120);
  // How long a kept-alive connection may wait for its next request. Default: 60 s.
  absl::Duration idle_timeout = absl::Seconds(60);
  // How long one write to the client may take (a stalled reader). Default: 60 s.
  absl::Duration write_timeout = absl::Seconds(60);
  // Open connections; one more is answered 503 and closed. Default: 512.
  size_t max_connections = 512;
  // Threads doing socket I/O. Default: 2.
  int io_threads = 2;
};

struct ServerCounters {
  uint64_t accepted = 0;
  uint64_t refused_over_cap = 0;
  uint64_t timed_out = 0;     // header, body, idle or write deadline
  uint64_t too_large = 0;     // 413 and 431
  uint64_t bad_requests = 0;  // unparseable
  uint64_t requests = 0;
  uint64_t open = 0;  // connections now
};

class Server {
 public:
  // Binds and starts serving; handlers run on `workers` (which must outlive the server).
  // Errors: InvalidArgument (bad address, TLS files that do not load), Unavailable (cannot
  // bind).
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options, Handler handler,
                                                       ThreadPool* workers);
  ~Server();

  int port() const;
  // Stops accepting, lets running handlers finish (at most `grace`), closes every
  // connection. Idempotent.
  void Stop(absl::Duration grace = absl::Seconds(10));
  // Re-reads the TLS files now. Errors: they do not load (the old ones stay in use).
  absl::Status ReloadTls();
  ServerCounters counters() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Inflates a gzip (or zlib) body to at most `max_out` bytes. Errors: InvalidArgument when it
// is not valid gzip/zlib, ResourceExhausted when it inflates past `max_out`.
absl::StatusOr<std::string> Inflate(std::string_view in, size_t max_out);

}  // namespace telemdb::http

#endif  // TELEMDB_HTTP_SERVER_H_
