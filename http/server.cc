// The Beast listener and sessions behind http/server.h. Only this file includes Beast and
// Asio (they cost seconds of compile time per file).
#include "http/server.h"

#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "http/http_status.h"
#include "util/log.h"

namespace telemdb::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

std::chrono::steady_clock::duration Chrono(absl::Duration d) {
  return std::chrono::nanoseconds(absl::ToInt64Nanoseconds(d));
}

std::string PeerOf(const tcp::endpoint& ep) {
  const auto a = ep.address();
  return a.is_v4() ? "ipv4:" + a.to_string() : "ipv6:[" + a.to_string() + "]";
}

int64_t FileMtime(const std::string& path) {
  struct stat st;
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

absl::StatusOr<std::shared_ptr<ssl::context>> MakeTlsContext(const TlsConfig& t) {
  if (t.cert.empty() || t.key.empty()) {
    return absl::InvalidArgumentError("HTTP TLS needs both a certificate and a key");
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use,
                   ec);
  ctx->use_certificate_chain_file(t.cert, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("HTTP TLS: ", t.cert, ": ", ec.message()));
  ctx->use_private_key_file(t.key, ssl::context::pem, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("HTTP TLS: ", t.key, ": ", ec.message()));
  const std::string mode = t.client_auth.empty() ? "request" : t.client_auth;
  if (!t.client_ca.empty() && mode != "none") {
    ctx->load_verify_file(t.client_ca, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("HTTP TLS: ", t.client_ca, ": ", ec.message()));
    }
    ssl::verify_mode vm = ssl::verify_peer;
    if (mode == "require") vm |= ssl::verify_fail_if_no_peer_cert;
    ctx->set_verify_mode(vm);
  }
  return ctx;
}

// The verified client certificate's name: subject CN, else the first URI SAN.
std::optional<std::string> CertificateName(SSL* ssl) {
  if (ssl == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  std::optional<std::string> out;
  char cn[512];
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  if (n > 0) out = std::string(cn, static_cast<size_t>(n));
  if (!out) {
    auto* sans =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans) && !out; i++) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
      if (g->type == GEN_URI) {
        const ASN1_STRING* s = g->d.uniformResourceIdentifier;
        out = std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                          static_cast<size_t>(ASN1_STRING_length(s)));
      }
    }
    GENERAL_NAMES_free(sans);
  }
  X509_free(cert);
  return out;
}

}  // namespace

struct Server::Impl {
  ServerOptions o;
  Handler handler;
  ThreadPool* workers = nullptr;

  // Declared before the io_context: sessions destroyed with it still count down here.
  std::atomic<uint64_t> accepted{0}, refused{0}, timed_out{0}, too_large{0}, bad{0}, requests{0},
      open{0};
  std::atomic<int> in_handlers{0};
  std::atomic<bool> stopping{false};

  std::mutex tls_mu;
  std::shared_ptr<ssl::context> tls_ctx;  // guarded by tls_mu
  int64_t tls_mtimes[3] = {0, 0, 0};      // guarded by tls_mu

  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  net::steady_timer tls_timer{ioc};
  std::vector<std::thread> threads;
  int port = 0;
  bool stopped = false;

  std::shared_ptr<ssl::context> Tls() {
    std::lock_guard<std::mutex> l(tls_mu);
    return tls_ctx;
  }
  absl::Status Reload(bool only_if_changed);
  void WatchTls();
  void Accept();
};

absl::Status Server::Impl::Reload(bool only_if_changed) {
  const int64_t m[3] = {FileMtime(o.tls.cert), FileMtime(o.tls.key), FileMtime(o.tls.client_ca)};
  {
    std::lock_guard<std::mutex> l(tls_mu);
    if (only_if_changed && m[0] == tls_mtimes[0] && m[1] == tls_mtimes[1] &&
        m[2] == tls_mtimes[2]) {
      return absl::OkStatus();
    }
  }
  auto ctx = MakeTlsContext(o.tls);
  std::lock_guard<std::mutex> l(tls_mu);
  for (int i = 0; i < 3; i++) tls_mtimes[i] = m[i];
  if (!ctx.ok()) return ctx.status();
  tls_ctx = *std::move(ctx);
  return absl::OkStatus();
}

void Server::Impl::WatchTls() {
  tls_timer.expires_after(std::chrono::seconds(1));
  tls_timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping) return;
    absl::Status s = Reload(/*only_if_changed=*/true);
    if (!s.ok()) Log(LogLevel::kError, "http.tls_reload_failed", {{"error", s.ToString()}});
    WatchTls();
  });
}

namespace {

// One connection: read a request (idle, header and body deadlines), hand it to a worker,
// write the answer, repeat while kept alive. Owned by shared_ptrs held by its pending
// operations and by the handler's writer.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Server::Impl* srv, Stream stream, std::string peer, bool tls)
      : srv_(srv), stream_(std::move(stream)), peer_(std::move(peer)), tls_(tls) {
    srv_->open++;
  }
  ~Session() { srv_->open--; }

  void Run() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(Chrono(srv_->o.header_timeout));
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) {
                                  self->srv_->timed_out += ec == beast::error::timeout;
                                  return;
                                }
                                self->cert_name_ = CertificateName(self->stream_.native_handle());
                                self->WaitForRequest();
                              });
    } else {
      WaitForRequest();
    }
  }

  // --- called by the writer, from a worker thread ---
  void PostSend(int status, Headers headers, std::string body) {
    net::post(stream_.get_executor(),
              [self = this->shared_from_this(), status, headers = std::move(headers),
               body = std::move(body)]() mutable {
                self->DoSend(status, std::move(headers), std::move(body));
              });
  }
  bool BlockingStart(int status, Headers headers) {
    return Await([&](std::shared_ptr<std::promise<bool>> done) {
      net::post(stream_.get_executor(),
                [self = this->shared_from_this(), status, headers = std::move(headers),
                 done]() mutable { self->DoStart(status, std::move(headers), done); });
    });
  }
  bool BlockingChunk(std::string_view data, bool last) {
    return Await([&](std::shared_ptr<std::promise<bool>> done) {
      net::post(stream_.get_executor(),
                [self = this->shared_from_this(), chunk = std::string(data), last, done]() mutable {
                  self->DoChunk(std::move(chunk), last, done);
                });
    });
  }

 private:
  // Runs `post` and waits for the promise it hands over (bounded by the write deadline).
  template <class F>
  bool Await(F post) {
    if (srv_->stopping) return false;
    auto done = std::make_shared<std::promise<bool>>();
    auto fut = done->get_future();
    post(done);
    if (fut.wait_for(Chrono(srv_->o.write_timeout) + std::chrono::seconds(5)) !=
        std::future_status::ready) {
      return false;
    }
    return fut.get();
  }

  void WaitForRequest() {
    if (srv_->stopping) return Close();
    if (buffer_.size() > 0) return ReadHeader();
    // Idle keep-alive: wait for the first byte of the next request.
    beast::get_lowest_layer(stream_).expires_after(Chrono(srv_->o.idle_timeout));
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) {
                                self->srv_->timed_out += ec == beast::error::timeout;
                                return;
                              }
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(srv_->o.max_header_bytes));
    parser_->body_limit(srv_->o.max_body);
    // One deadline for the whole request line and headers: trickling does not extend it.
    beast::get_lowest_layer(stream_).expires_after(Chrono(srv_->o.header_timeout));
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec == beast::error::timeout) {
      srv_->timed_out++;
      return;  // a trickling client: dropped
    }
    if (ec == bhttp::error::header_limit) {
      srv_->too_large++;
      return Refuse(431, "request header fields too large");
    }
    if (ec == bhttp::error::body_limit) {  // Content-Length over the limit: not read at all
      srv_->too_large++;
      return Refuse(413,
                    absl::StrCat("request body is over the limit of ", srv_->o.max_body, " bytes"));
    }
    if (ec) {
      if (ec != bhttp::error::end_of_stream && ec != net::error::eof &&
          ec != net::error::connection_reset) {
        srv_->bad++;
        return Refuse(400, "malformed HTTP request");
      }
      return;
    }
    auto& h = parser_->get();
    if (parser_->content_length() && *parser_->content_length() > srv_->o.max_body) {
      srv_->too_large++;
      return Refuse(413, absl::StrCat("request body of ", *parser_->content_length(),
                                      " bytes is over the limit of ", srv_->o.max_body));
    }
    auto expect = h.find(bhttp::field::expect);
    if (expect != h.end() &&
        absl::EqualsIgnoreCase(absl::string_view(expect->value().data(), expect->value().size()),
                               "100-continue")) {
      auto cont = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      beast::get_lowest_layer(stream_).expires_after(Chrono(srv_->o.write_timeout));
      net::async_write(stream_, net::buffer(*cont),
                       [self = this->shared_from_this(), cont](beast::error_code ec, size_t) {
                         if (ec) return;
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    beast::get_lowest_layer(stream_).expires_after(Chrono(srv_->o.body_timeout));
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      srv_->too_large++;
      return Refuse(413,
                    absl::StrCat("request body is over the limit of ", srv_->o.max_body, " bytes"));
    }
    if (ec == beast::error::timeout) {
      srv_->timed_out++;
      return;
    }
    if (ec) {
      srv_->bad++;
      return Refuse(400, "malformed HTTP request body");
    }
    beast::get_lowest_layer(stream_).expires_never();
    auto msg = parser_->release();
    parser_.reset();
    keep_alive_ = msg.keep_alive();
    head_ = msg.method() == bhttp::verb::head;
    Request req;
    req.method = std::string(msg.method_string());
    std::string_view target(msg.target().data(), msg.target().size());
    size_t q = target.find('?');
    req.path = PercentDecode(target.substr(0, q), false);
    if (q != std::string_view::npos) {
      req.raw_query = std::string(target.substr(q + 1));
      req.params = ParseQuery(req.raw_query);
    }
    for (const auto& f : msg) {
      req.headers.Add(std::string(f.name_string()), std::string(f.value()));
    }
    req.wire_bytes = msg.body().size();
    req.body = std::move(msg.body());
    if (auto enc = req.headers.Get("Content-Encoding");
        enc && absl::EqualsIgnoreCase(absl::string_view(enc->data(), enc->size()), "gzip")) {
      auto inflated = Inflate(req.body, srv_->o.max_body);
      if (!inflated.ok()) {
        if (absl::IsResourceExhausted(inflated.status())) {
          srv_->too_large++;
          return Refuse(413, std::string(inflated.status().message()));
        }
        srv_->bad++;
        return Refuse(400, std::string(inflated.status().message()));
      }
      req.body = *std::move(inflated);
    }
    auto ctype = req.headers.Get("Content-Type");
    if (ctype && absl::StartsWithIgnoreCase(absl::string_view(ctype->data(), ctype->size()),
                                            "application/x-www-form-urlencoded")) {
      for (auto& p : ParseQuery(req.body)) req.params.push_back(std::move(p));
    }
    req.peer = peer_;
    req.tls = tls_;
    req.certificate_name = cert_name_;
    srv_->requests++;
    Dispatch(std::move(req));
  }

  void Dispatch(Request req);

  void Refuse(int status, const std::string& why) {
    keep_alive_ = false;
    Headers h;
    h.Add("Content-Type", "application/json");
    DoSend(status, std::move(h), ErrorJson(why));
  }

  void DoSend(int status, Headers headers, std::string body) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(status), 11);
    for (const auto& [k, v] : headers.fields()) res->set(k, v);
    res->keep_alive(keep_alive_ && !srv_->stopping);
    res->body() = head_ ? std::string() : std::move(body);
    res->prepare_payload();
    if (head_) res->content_length(0);
    beast::get_lowest_layer(stream_).expires_after(Chrono(srv_->o.write_timeout));
    bhttp::async_write(stream_, *res,
                       [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
                         self->AfterResponse(ec, res->keep_alive());
                       });
  }

  void DoStart(int status, Headers headers, std::shared_ptr<std::promise<bool>> done) {
    stream_res_ = std::make_unique<bhttp::response<bhttp::empty_body>>(
        static_cast<bhttp::status>(status), 11);
    for (const auto& [k, v] : headers.fields()) stream_res_->set(k, v);
    stream_res_->keep_alive(keep_alive_ && !srv_->stopping);
    stream_res_->chunked(true);
    serializer_ = std::make_unique<bhttp::response_serializer<bhttp::empty_body>>(*stream_res_);
    beast::get_lowest_layer(stream_).expires_after(Chrono(srv_->o.write_timeout));
    bhttp::async_write_header(
        stream_, *serializer_,
        [self = this->shared_from_this(), done](beast::error_code ec, size_t) {
          done->set_value(!ec);
          if (ec) self->Close();
        });
  }

  void DoChunk(std::string chunk, bool last, std::shared_ptr<std::promise<bool>> done) {
    auto data = std::make_shared<std::string>(std::move(chunk));
    beast::get_lowest_layer(stream_).expires_after(Chrono(srv_->o.write_timeout));
    auto after = [self = this->shared_from_this(), data, last, done](beast::error_code ec, size_t) {
      done->set_value(!ec);
      if (ec) return self->Close();
      if (last) self->AfterResponse(ec, self->stream_res_->keep_alive());
    };
    if (last) {
      if (data->empty()) {
        net::async_write(stream_, bhttp::make_chunk_last(), after);
      } else {
        net::async_write(
            stream_, bhttp::make_chunk(net::buffer(*data)),
            [self = this->shared_from_this(), data, after](beast::error_code ec, size_t n) {
              if (ec) return after(ec, n);
              net::async_write(self->stream_, bhttp::make_chunk_last(), after);
            });
      }
    } else {
      net::async_write(stream_, bhttp::make_chunk(net::buffer(*data)), after);
    }
  }

  void AfterResponse(beast::error_code ec, bool keep_alive) {
    stream_res_.reset();
    serializer_.reset();
    if (ec || !keep_alive || srv_->stopping) return Close();
    WaitForRequest();
  }

  void Close() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }

  Server::Impl* srv_;
  Stream stream_;
  std::string peer_;
  bool tls_;
  std::optional<std::string> cert_name_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool keep_alive_ = false;
  bool head_ = false;
  std::unique_ptr<bhttp::response<bhttp::empty_body>> stream_res_;
  std::unique_ptr<bhttp::response_serializer<bhttp::empty_body>> serializer_;
};

// The ResponseWriter a handler answers through.
template <class Stream>
class Writer : public ResponseWriter {
 public:
  explicit Writer(std::shared_ptr<Session<Stream>> s) : s_(std::move(s)) {}
  void Send(int status, Headers headers, std::string body) override {
    if (state_ != State::kNone) return;
    state_ = State::kDone;
    s_->PostSend(status, std::move(headers), std::move(body));
  }
  bool Start(int status, Headers headers) override {
    if (state_ != State::kNone) return false;
    state_ = State::kStreaming;
    ok_ = s_->BlockingStart(status, std::move(headers));
    return ok_;
  }
  bool Write(std::string_view chunk) override {
    if (state_ != State::kStreaming || !ok_) return false;
    if (chunk.empty()) return true;
    ok_ = s_->BlockingChunk(chunk, false);
    return ok_;
  }
  void Finish() override {
    if (state_ != State::kStreaming) return;
    state_ = State::kDone;
    if (ok_) s_->BlockingChunk("", true);
  }
  Deferred Defer() override {
    if (state_ != State::kNone) return [](int, Headers, std::string) {};
    state_ = State::kDone;
    return [s = s_](int status, Headers headers, std::string body) {
      s->PostSend(status, std::move(headers), std::move(body));
    };
  }
  bool answered() const { return state_ != State::kNone; }
  bool streaming() const { return state_ == State::kStreaming; }

 private:
  enum class State { kNone, kStreaming, kDone };
  std::shared_ptr<Session<Stream>> s_;
  State state_ = State::kNone;
  bool ok_ = true;
};

template <class Stream>
void Session<Stream>::Dispatch(Request req) {
  srv_->in_handlers++;
  srv_->workers->Submit([self = this->shared_from_this(), req = std::move(req)]() {
    Writer<Stream> w(self);
    if (!self->srv_->stopping) self->srv_->handler(req, w);
    if (!w.answered()) {
      Headers h;
      h.Add("Content-Type", "application/json");
      w.Send(self->srv_->stopping ? 503 : 500, std::move(h),
             self->srv_->stopping ? "{\"error\":\"server is shutting down\"}"
                                  : "{\"error\":\"no response\"}");
    } else if (w.streaming()) {
      w.Finish();
    }
    self->srv_->in_handlers--;
  });
}

// A connection over the cap: a canned 503, then closed.
void RefuseOverCap(tcp::socket socket) {
  static const std::string kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
      "Retry-After: 1\r\nConnection: close\r\nContent-Length: 42\r\n\r\n"
      "{\"error\":\"too many connections, retry\"}\r\n";
  auto s = std::make_shared<tcp::socket>(std::move(socket));
  net::async_write(*s, net::buffer(kBusy), [s](beast::error_code, size_t) {
    beast::error_code ignored;
    s->shutdown(tcp::socket::shutdown_both, ignored);
    s->close(ignored);
  });
}

}  // namespace

void Server::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec || stopping) return;
    accepted++;
    if (open.load() >= o.max_connections) {
      refused++;
      RefuseOverCap(std::move(socket));
    } else {
      beast::error_code pe;
      const std::string peer = PeerOf(socket.remote_endpoint(pe));
      if (auto ctx = Tls()) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            this, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *ctx),
            peer, true)
            ->Run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(this, beast::tcp_stream(std::move(socket)),
                                                     peer, false)
            ->Run();
      }
    }
    Accept();
  });
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options, Handler handler,
                                                      ThreadPool* workers) {
  auto impl = std::make_unique<Impl>();
  impl->o = std::move(options);
  impl->handler = std::move(handler);
  impl->workers = workers;
  const std::string& listen = impl->o.listen;
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP listen address ", listen, " is not host:port"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  uint32_t port = 0;
  if (!absl::SimpleAtoi(listen.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP listen address ", listen, " has no valid port"));
  }
  boost::system::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP listen address ", listen, ": ", ec.message()));
  }
  if (impl->o.tls.enabled()) {
    absl::Status s = impl->Reload(/*only_if_changed=*/false);
    if (!s.ok()) return s;
  }
  tcp::endpoint ep(addr, static_cast<uint16_t>(port));
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", listen, " (HTTP): ", ec.message()));
  }
  impl->port = impl->acceptor.local_endpoint().port();
  impl->Accept();
  if (impl->o.tls.enabled()) impl->WatchTls();
  for (int i = 0; i < std::max(1, impl->o.io_threads); i++) {
    impl->threads.emplace_back([raw = impl.get()] { raw->ioc.run(); });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::~Server() { Stop(absl::ZeroDuration()); }

int Server::port() const { return impl_->port; }

void Server::Stop(absl::Duration grace) {
  Impl& i = *impl_;
  if (i.stopped) return;
  i.stopped = true;
  i.stopping = true;
  net::post(i.ioc, [&i] {
    beast::error_code ignored;
    i.acceptor.close(ignored);
    i.tls_timer.cancel();
  });
  const absl::Time deadline = absl::Now() + grace;
  while (i.in_handlers.load() > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  // Handlers still running see `stopping` in their writer and return quickly.
  while (i.in_handlers.load() > 0) absl::SleepFor(absl::Milliseconds(5));
  i.ioc.stop();
  for (auto& t : i.threads) t.join();
  i.threads.clear();
}

absl::Status Server::ReloadTls() {
  if (!impl_->o.tls.enabled()) return absl::OkStatus();
  return impl_->Reload(/*only_if_changed=*/false);
}

ServerCounters Server::counters() const {
  const Impl& i = *impl_;
  ServerCounters c;
  c.accepted = i.accepted.load();
  c.refused_over_cap = i.refused.load();
  c.timed_out = i.timed_out.load();
  c.too_large = i.too_large.load();
  c.bad_requests = i.bad.load();
  c.requests = i.requests.load();
  c.open = i.open.load();
  return c;
}

}  // namespace telemdb::http
