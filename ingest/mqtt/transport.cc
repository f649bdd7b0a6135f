#include "ingest/mqtt/transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "openssl/err.h"
#include "openssl/ssl.h"
#include "openssl/x509v3.h"

namespace telemdb::ingest::mqtt {
namespace {

constexpr absl::Duration kSlice = absl::Milliseconds(100);

// The one place OpenSSL errors become text: the queued errors, or the fallback.
std::string OpenSslErrors(std::string_view fallback) {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? std::string(fallback) : out;
}

bool IsIpLiteral(const std::string& host) {
  in6_addr a6;
  in_addr a4;
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

int PollMs(absl::Time deadline) {
  absl::Duration left = std::min(deadline - absl::Now(), kSlice);
  if (left < absl::ZeroDuration()) left = absl::ZeroDuration();
  return static_cast<int>(absl::ToInt64Milliseconds(left + absl::Microseconds(999)));
}

}  // namespace

absl::StatusOr<std::shared_ptr<TlsContext>> TlsContext::Create(const BrokerConfig& b) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    return absl::InternalError(OpenSslErrors("cannot create an OpenSSL context"));
  }
  std::shared_ptr<TlsContext> out(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
  if (!b.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, b.ca_file.c_str(), nullptr) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("broker \"", b.name, "\" ca_file ", b.ca_file, ": ",
                       OpenSslErrors("cannot load the CA certificates")));
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "broker \"", b.name, "\": ", OpenSslErrors("cannot load the system CA certificates")));
  }
  if (!b.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, b.cert_file.c_str()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("broker \"", b.name, "\" cert_file ",
                                                     b.cert_file, ": ",
                                                     OpenSslErrors("cannot load the certificate")));
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, b.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("broker \"", b.name, "\" key_file ",
                                                     b.key_file, ": ",
                                                     OpenSslErrors("cannot load the key")));
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("broker \"", b.name, "\": key_file ",
                                                     b.key_file, " does not match cert_file ",
                                                     b.cert_file));
    }
  }
  return out;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

bool Transport::Wait(short events, absl::Time deadline, const std::atomic<bool>* cancel) {
  while (true) {
    if (cancel != nullptr && cancel->load()) return false;
    pollfd p{fd_, events, 0};
    int n = ::poll(&p, 1, PollMs(deadline));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let the next call report the error
    if (absl::Now() >= deadline) return false;
  }
}

absl::StatusOr<std::unique_ptr<Transport>> Transport::Connect(const BrokerConfig& b,
                                                              std::shared_ptr<TlsContext> tls,
                                                              absl::Duration timeout,
                                                              const std::atomic<bool>* cancel) {
  const absl::Time deadline = absl::Now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = absl::StrCat(b.port);
  if (int rc = getaddrinfo(b.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", b.host, ": ", gai_strerror(rc)));
  }
  std::string last_error = "no address";
  int fd = -1;
  for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
    int s = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (s < 0) continue;
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(s, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      ::close(s);
      continue;
    }
    Transport probe(s, nullptr, nullptr);
    const bool ready = probe.Wait(POLLOUT, deadline, cancel);
    probe.fd_ = -1;  // the probe does not own it
    int err = 0;
    socklen_t len = sizeof err;
    if (!ready) {
      ::close(s);
      freeaddrinfo(res);
      if (cancel != nullptr && cancel->load()) return absl::CancelledError("stopping");
      return absl::DeadlineExceededError(
          absl::StrCat("connecting to ", b.host, ":", b.port, " timed out"));
    }
    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      last_error = std::strerror(err);
      ::close(s);
      continue;
    }
    fd = s;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", b.host, ":", b.port, ": ", last_error));
  }
  if (!tls) return std::unique_ptr<Transport>(new Transport(fd, nullptr, nullptr));

  ERR_clear_error();
  SSL* ssl = SSL_new(tls->get());
  if (ssl == nullptr) {
    ::close(fd);
    return absl::InternalError(OpenSslErrors("SSL_new failed"));
  }
  std::unique_ptr<Transport> t(new Transport(fd, tls, ssl));
  SSL_set_fd(ssl, fd);
  if (!IsIpLiteral(b.host)) SSL_set_tlsext_host_name(ssl, b.host.c_str());
  if (b.verify_hostname) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (IsIpLiteral(b.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, b.host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, b.host.c_str(), 0);
    }
  }
  while (true) {
    int rc = SSL_connect(ssl);
    if (rc == 1) break;
    int e = SSL_get_error(ssl, rc);
    short events = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (events == 0) {
      std::string why = OpenSslErrors("handshake failed");
      long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) {
        why = absl::StrCat("certificate verification failed: ",
                           X509_verify_cert_error_string(verify));
      }
      return absl::UnavailableError(
          absl::StrCat("TLS handshake with ", b.host, ":", b.port, ": ", why));
    }
    if (!t->Wait(events, deadline, cancel)) {
      if (cancel != nullptr && cancel->load()) return absl::CancelledError("stopping");
      return absl::DeadlineExceededError(
          absl::StrCat("TLS handshake with ", b.host, ":", b.port, " timed out"));
    }
  }
  return t;
}

Transport::~Transport() { Close(); }

void Transport::Close() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

absl::StatusOr<size_t> Transport::Read(std::string* out, size_t max, absl::Duration timeout) {
  if (fd_ < 0) return absl::UnavailableError("connection closed");
  const absl::Time deadline = absl::Now() + timeout;
  const size_t old = out->size();
  out->resize(old + max);
  char* buf = out->data() + old;
  while (true) {
    ssize_t n;
    short want = POLLIN;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      int rc = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(max, INT32_MAX)));
      if (rc > 0) {
        out->resize(old + static_cast<size_t>(rc));
        return static_cast<size_t>(rc);
      }
      int e = SSL_get_error(ssl_, rc);
      if (e == SSL_ERROR_ZERO_RETURN) {
        out->resize(old);
        return absl::UnavailableError("the broker closed the connection");
      }
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        out->resize(old);
        return absl::UnavailableError(
            absl::StrCat("TLS read: ",
                         OpenSslErrors(e == SSL_ERROR_SYSCALL ? "connection reset" : "TLS error")));
      }
      want = e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
    } else {
      n = ::recv(fd_, buf, max, 0);
      if (n > 0) {
        out->resize(old + static_cast<size_t>(n));
        return static_cast<size_t>(n);
      }
      if (n == 0) {
        out->resize(old);
        return absl::UnavailableError("the broker closed the connection");
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        const int e = errno;
        out->resize(old);
        return absl::UnavailableError(absl::StrCat("read: ", std::strerror(e)));
      }
    }
    if (timeout <= absl::ZeroDuration() || !Wait(want, deadline, nullptr)) {
      out->resize(old);
      return 0;
    }
  }
}

absl::Status Transport::Write(std::string_view data, absl::Duration timeout) {
  if (fd_ < 0) return absl::UnavailableError("connection closed");
  const absl::Time deadline = absl::Now() + timeout;
  while (!data.empty()) {
    short want = POLLOUT;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      int rc =
          SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), INT32_MAX)));
      if (rc > 0) {
        data.remove_prefix(static_cast<size_t>(rc));
        continue;
      }
      int e = SSL_get_error(ssl_, rc);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        return absl::UnavailableError(absl::StrCat("TLS write: ", OpenSslErrors("TLS error")));
      }
      want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
    } else {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return absl::UnavailableError(absl::StrCat("write: ", std::strerror(errno)));
      }
    }
    if (!Wait(want, deadline, nullptr)) {
      return absl::DeadlineExceededError("writing to the broker timed out");
    }
  }
  return absl::OkStatus();
}

}  // namespace telemdb::ingest::mqtt
