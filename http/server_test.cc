#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::http {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A loopback client socket, with a receive timeout.
int Dial(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{20, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads until the peer closes (or the timeout).
std::string ReadAll(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::string Exchange(int port, const std::string& request) {
  int fd = Dial(port);
  if (fd < 0) return "";
  SendAll(fd, request);
  std::string r = ReadAll(fd);
  ::close(fd);
  return r;
}

std::string Gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(ServerOptions o = {}) {
    o.listen = "127.0.0.1:0";
    auto s = Server::Start(
        o, [this](const Request& r, ResponseWriter& w) { Handle(r, w); }, &pool_);
    ASSERT_OK(s.status());
    server_ = *std::move(s);
  }
  void Handle(const Request& r, ResponseWriter& w) {
    if (r.path == "/stream") {
      Headers h;
      h.Add("Content-Type", "text/plain");
      ASSERT_TRUE(w.Start(200, std::move(h)));
      for (int i = 0; i < 3; i++) ASSERT_TRUE(w.Write(absl::StrCat("part", i, "\n")));
      w.Finish();
      return;
    }
    Headers h;
    h.Add("Content-Type", "text/plain");
    std::string p;
    for (const auto& [k, v] : r.params) absl::StrAppend(&p, k, "=", v, ";");
    w.Send(200, std::move(h),
           absl::StrCat(r.method, " ", r.path, " params:", p, " body:", r.body.size(),
                        " peer:", r.peer));
  }
  ThreadPool pool_{4};
  std::unique_ptr<Server> server_;
};

TEST_F(HttpServerTest, AnswersRequestsWithParamsAndKeepAlive) {
  Start();
  std::string r = Exchange(server_->port(),
                           "GET /q%20x?db=a&q=SELECT+1&p=secret HTTP/1.1\r\nHost: x\r\n"
                           "Connection: close\r\n\r\n");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(r, HasSubstr("GET /q x params:db=a;q=SELECT 1;p=secret;"));
  EXPECT_THAT(r, HasSubstr("peer:ipv4:127.0.0.1"));
  // Two requests on one connection, then a form body.
  r = Exchange(server_->port(),
               "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
               "POST /b HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               "Content-Length: 8\r\nConnection: close\r\n\r\nq=SHOW+M");
  EXPECT_THAT(r, HasSubstr("GET /a params:"));
  EXPECT_THAT(r, HasSubstr("POST /b params:q=SHOW M;"));
}

TEST_F(HttpServerTest, StreamsChunkedResponses) {
  Start();
  std::string r =
      Exchange(server_->port(), "GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(r, HasSubstr("Transfer-Encoding: chunked"));
  EXPECT_THAT(r, HasSubstr("part0\n"));
  EXPECT_THAT(r, HasSubstr("part2\n"));
  EXPECT_THAT(r, HasSubstr("\r\n0\r\n\r\n"));
}

TEST_F(HttpServerTest, BodiesAreBoundedAsSentAndInflated) {
  ServerOptions o;
  o.max_body = 1 << 20;
  Start(o);
  // Announced too large: refused before reading.
  std::string r =
      Exchange(server_->port(), "POST /w HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 413"));
  // Chunked and too large.
  std::string chunked = "POST /w HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string piece(64 << 10, 'x');
  for (int i = 0; i < 20; i++) absl::StrAppend(&chunked, "10000\r\n", piece, "\r\n");
  chunked += "0\r\n\r\n";
  EXPECT_THAT(Exchange(server_->port(), chunked), StartsWith("HTTP/1.1 413"));
  // A gzip bomb: 1 GiB of zeros is ~1 MB compressed; the inflated bound stops it.
  std::string zeros(64 << 20, '\0');
  std::string bomb = Gzip(zeros);
  ASSERT_LT(bomb.size(), 1u << 20);
  r = Exchange(server_->port(),
               absl::StrCat("POST /w HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n"
                            "Content-Length: ",
                            bomb.size(), "\r\n\r\n", bomb));
  EXPECT_THAT(r, StartsWith("HTTP/1.1 413"));
  EXPECT_THAT(r, HasSubstr("inflates to more than"));
  // Garbage claiming to be gzip.
  r = Exchange(server_->port(),
               "POST /w HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n"
               "\r\nhello");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 400"));
  // A good gzip body arrives inflated.
  std::string text(5000, 'a');
  std::string gz = Gzip(text);
  r = Exchange(server_->port(),
               absl::StrCat("POST /w HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n"
                            "Connection: close\r\nContent-Length: ",
                            gz.size(), "\r\n\r\n", gz));
  EXPECT_THAT(r, HasSubstr("body:5000"));
  // Oversized headers.
  r = Exchange(server_->port(), absl::StrCat("GET / HTTP/1.1\r\nHost: x\r\nX-Big: ",
                                             std::string(100 << 10, 'h'), "\r\n\r\n"));
  EXPECT_THAT(r, StartsWith("HTTP/1.1 431"));
}

// Slowloris: clients trickling header bytes are dropped when the header deadline runs out,
// however slowly they send, and other clients are served meanwhile.
TEST_F(HttpServerTest, TricklingClientsAreDroppedAndOthersServed) {
  ServerOptions o;
  o.header_timeout = absl::Seconds(2);
  Start(o);
  std::vector<int> slow;
  for (int i = 0; i < 20; i++) {
    int fd = Dial(server_->port());
    ASSERT_GE(fd, 0);
    SendAll(fd, "GET / HTTP/1.1\r\n");
    slow.push_back(fd);
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    while (!stop) {
      for (int fd : slow) SendAll(fd, "X");  // a byte per second each: never a full header
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });
  for (int i = 0; i < 5; i++) {
    EXPECT_THAT(
        Exchange(server_->port(), "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        HasSubstr("GET /ok"));
  }
  int closed = 0;
  for (int fd : slow) {
    std::string rest = ReadAll(fd);  // returns when the server closes
    closed += rest.empty();
  }
  stop = true;
  trickle.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(closed, 20);
  EXPECT_LT(secs, 10.0);
  EXPECT_GE(server_->counters().timed_out, 20u);
  for (int fd : slow) ::close(fd);
}

TEST_F(HttpServerTest, ConnectionsOverTheCapGet503) {
  ServerOptions o;
  o.max_connections = 4;
  Start(o);
  std::vector<int> held;
  for (int i = 0; i < 4; i++) {
    held.push_back(Dial(server_->port()));
    SendAll(held.back(), "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");  // kept alive
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::string r = Exchange(server_->port(), "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 503"));
  EXPECT_EQ(server_->counters().refused_over_cap, 1u);
  for (int fd : held) ::close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_THAT(Exchange(server_->port(), "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
              StartsWith("HTTP/1.1 200"));
}

TEST(InflateTest, BoundsAndErrors) {
  std::string gz = Gzip(std::string(10000, 'z'));
  ASSERT_OK_AND_ASSIGN(std::string out, Inflate(gz, 10000));
  EXPECT_EQ(out.size(), 10000u);
  EXPECT_THAT(Inflate(gz, 9999).status(), testing::StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(Inflate(gz.substr(0, gz.size() / 2), 1 << 20).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Inflate("plain", 100).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace telemdb::http
