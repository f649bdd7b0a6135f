// Transport: the byte stream to a broker, plain TCP or TLS (OpenSSL), with deadlines on
// every wait and a cancel flag checked at least every 100 ms, so a stopping bridge never
// waits on a slow network. OpenSSL's errors are translated to absl::Status here and nowhere
// else.
//
// TlsContext holds what every TLS connection to one broker shares: the CA to verify the
// broker with (or the system's), and the client certificate and key for mTLS.
//
// Plain TCP writes use MSG_NOSIGNAL; OpenSSL writes with write(2), so a process using TLS
// transports must ignore SIGPIPE (telemdbd does; so do the tests and benchmarks).
//
// Thread safety: a TlsContext is thread-safe once created. A Transport is used by one thread.
#ifndef TELEMDB_INGEST_MQTT_TRANSPORT_H_
#define TELEMDB_INGEST_MQTT_TRANSPORT_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ingest/mqtt/config.h"

struct ssl_st;
struct ssl_ctx_st;

namespace telemdb::ingest::mqtt {

class TlsContext {
 public:
  // Errors: InvalidArgument naming the file OpenSSL could not use and why.
  static absl::StatusOr<std::shared_ptr<TlsContext>> Create(const BrokerConfig& broker);
  ~TlsContext();
  ssl_ctx_st* get() const { return ctx_; }

 private:
  explicit TlsContext(ssl_ctx_st* ctx) : ctx_(ctx) {}
  ssl_ctx_st* ctx_;
};

class Transport {
 public:
  // Connects to broker.host:port (every address it resolves to, in order), then, with `tls`,
  // completes a TLS handshake verifying the broker's certificate (and its name unless
  // verify_hostname is off). Errors: Unavailable (resolution, refused, reset, TLS failure,
  // with the reason), DeadlineExceeded, Cancelled.
  static absl::StatusOr<std::unique_ptr<Transport>> Connect(const BrokerConfig& broker,
                                                            std::shared_ptr<TlsContext> tls,
                                                            absl::Duration timeout,
                                                            const std::atomic<bool>* cancel);
  ~Transport();

  // Waits at most `timeout` for data and appends what is available (at most `max` bytes)
  // to `out`. Returns the number of bytes appended; 0 when the time ran out.
  // Errors: Unavailable (closed by the broker, reset, TLS error).
  absl::StatusOr<size_t> Read(std::string* out, size_t max, absl::Duration timeout);
  // Writes all of `data`. Errors: Unavailable, DeadlineExceeded.
  absl::Status Write(std::string_view data, absl::Duration timeout);
  // Closes at once (no TLS close_notify wait).
  void Close();

 private:
  Transport(int fd, std::shared_ptr<TlsContext> tls, ssl_st* ssl)
      : fd_(fd), tls_(std::move(tls)), ssl_(ssl) {}
  // Waits for `events` on the socket. Returns false on timeout.
  bool Wait(short events, absl::Time deadline, const std::atomic<bool>* cancel);

  int fd_;
  std::shared_ptr<TlsContext> tls_;
  ssl_st* ssl_;
};

}  // namespace telemdb::ingest::mqtt

#endif  // TELEMDB_INGEST_MQTT_TRANSPORT_H_
