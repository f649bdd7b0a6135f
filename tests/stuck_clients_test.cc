// Slow and stuck clients: streams that never read their responses and peers that stop in the
// middle of the connection preface must not take the server's memory or threads: others keep
// being served, memory stays bounded, half-open peers are dropped.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "telemdb/v1/admin.grpc.pb.h"
#include "telemdb/v1/ingest.grpc.pb.h"
#include "telemdb/v1/query.grpc.pb.h"
#include "tests/server_harness.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::tests {
namespace {

constexpr int64_t kT0 = 1'767'225'600'000'000'000;
// How long a healthy client may wait while stuck ones hold connections.
constexpr auto kServeDeadline = std::chrono::seconds(kSanitized ? 20 : 2);

v1::WriteRequest Request(const std::string& device, int64_t row) {
  v1::WriteRequest req;
  auto* s = req.add_series();
  s->set_measurement("stuck");
  auto* tag = s->add_tags();
  tag->set_key("device");
  tag->set_value(device);
  auto* f = s->add_fields();
  f->set_name("v");
  for (int i = 0; i < 200; i++) {
    s->add_timestamps(kT0 + (row + i) * 1'000'000);
    f->mutable_doubles()->add_values(i);
  }
  return req;
}

TEST(StuckClients, DoNotHoldTheServer) {
  TempDir dir;
  auto server = ServerProcess::Start(dir.Sub("data"));
  ASSERT_OK(server.status());
  const std::string token = (*server)->admin_token();
  const uint64_t rss_before = RssBytes((*server)->pid());

  // 40 streams that write and never read a response; each has its own connection.
  constexpr int kStuck = 40;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::thread> stuck;
  std::atomic<int> writes_done{0};
  for (int s = 0; s < kStuck; s++) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    grpc::ClientContext* ctx = contexts.back().get();
    ctx->AddMetadata("authorization", "Bearer " + token);
    stuck.emplace_back([&, s, ctx] {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection each
      auto ch =
          grpc::CreateCustomChannel((*server)->addr(), grpc::InsecureChannelCredentials(), args);
      auto stream = v1::IngestService::NewStub(ch)->WriteStream(ctx);
      for (int i = 0; i < 3000; i++) {
        if (!stream->Write(Request("stuck" + std::to_string(s), i * 200))) break;
        writes_done++;
      }
      // Never Read(): the server must stop reading this stream once its window is full.
    });
  }
  // 20 peers that stop in the middle of the HTTP/2 preface.
  std::vector<int> raw;
  for (int i = 0; i < 20; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>((*server)->port()));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    const char kPartial[] = "PRI * HTTP/2.0\r\n";
    ASSERT_GT(send(fd, kPartial, sizeof kPartial - 1, 0), 0);
    raw.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));

  // Others are served at once.
  auto ch = grpc::CreateChannel((*server)->addr(), grpc::InsecureChannelCredentials());
  for (int i = 0; i < 5; i++) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + kServeDeadline);
    v1::WriteResponse resp;
    ASSERT_TRUE(v1::IngestService::NewStub(ch)->Write(&ctx, Request("ok", i * 200), &resp).ok());
  }
  grpc::ClientContext qctx;
  qctx.AddMetadata("authorization", "Bearer " + token);
  qctx.set_deadline(std::chrono::system_clock::now() + kServeDeadline);
  v1::QueryRequest q;
  q.set_text("SELECT count(v) FROM stuck WHERE device = 'ok'");
  auto reader = v1::QueryService::NewStub(ch)->Query(&qctx, q);
  v1::QueryResponse msg;
  int64_t count = 0;
  while (reader->Read(&msg)) {
    for (const auto& f : msg.frames().frames()) count = f.columns(0).ints().values(0);
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(count, 1000);

  // Bounded: each stuck stream holds at most 8 requests or responses, as the server's own
  // high-water mark of any stream's in-flight requests shows.
  grpc::ClientContext sctx;
  sctx.AddMetadata("authorization", "Bearer " + token);
  sctx.set_deadline(std::chrono::system_clock::now() + kServeDeadline);
  v1::StatsResponse stats;
  ASSERT_TRUE(v1::AdminService::NewStub(ch)->Stats(&sctx, v1::StatsRequest(), &stats).ok());
  std::printf("stuck clients: stream in-flight high-water mark %lu\n",
              static_cast<unsigned long>(stats.stream_in_flight_high_water()));
  EXPECT_GE(stats.stream_in_flight_high_water(), 1u);  // the statistic is live
  EXPECT_LE(stats.stream_in_flight_high_water(), 8u);
  const uint64_t rss = RssBytes((*server)->pid());
  std::printf("stuck clients: %d streams wrote %d requests before blocking; rss %lu -> %lu MiB\n",
              kStuck, writes_done.load(), rss_before >> 20, rss >> 20);
  if (!kSanitized) {
    EXPECT_LT(rss, rss_before + (300ull << 20));
  }
  EXPECT_LT(writes_done.load(), kStuck * 3000) << "the server must stop reading stuck streams";

  // Half-open peers are dropped by the handshake timeout (10 s).
  std::this_thread::sleep_for(std::chrono::seconds(10));
  int closed = 0;
  for (int fd : raw) {
    char buf[256];
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) closed++;
    close(fd);
  }
  EXPECT_EQ(closed, 20);
  for (auto& c : contexts) c->TryCancel();
  for (auto& t : stuck) t.join();
  EXPECT_EQ((*server)->Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace telemdb::tests
