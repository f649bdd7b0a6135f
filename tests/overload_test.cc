// Overload: hundreds of concurrent streams write faster than the server can seal, against a
// small --memory-budget. The server must answer RESOURCE_EXHAUSTED instead of growing, keep
// its RSS near the budget, keep serving queries, and lose nothing it acknowledged.
//
// TELEMDB_OVERLOAD_SECONDS (default 8) and TELEMDB_OVERLOAD_STREAMS (default 200) size it;
// the RSS curve and counts are printed (docs/reliability.md).
#include <signal.h>

#include <atomic>
#include <fstream>
#include <random>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "telemdb/v1/ingest.grpc.pb.h"
#include "telemdb/v1/query.grpc.pb.h"
#include "tests/server_harness.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::tests {
namespace {

constexpr int64_t kT0 = 1'767'225'600'000'000'000;

int EnvInt(const char* name, int def) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : def;
}

TEST(Overload, BoundedMemoryBackpressureAndNoAckedLoss) {
  const int seconds = EnvInt("TELEMDB_OVERLOAD_SECONDS", 8);
  const int streams = EnvInt("TELEMDB_OVERLOAD_STREAMS", 200);
  const uint64_t budget = 96ull << 20;
  TempDir dir;
  // Sealing only by size and age far away: the head fills up and backpressure must act.
  auto server = ServerProcess::Start(dir.Sub("data"),
                                     {"--memory-budget", "96MiB", "--head-seal-points", "100000",
                                      "--head-max-age", "1h", "--worker-threads", "32"});
  ASSERT_OK(server.status());
  const std::string token = (*server)->admin_token();
  auto ch = grpc::CreateChannel((*server)->addr(), grpc::InsecureChannelCredentials());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> accepted{0}, exhausted{0}, other{0}, queries_ok{0}, queries_failed{0};
  // acked[s] = rows acknowledged for device s (each row: one new timestamp, one value).
  std::vector<std::atomic<uint64_t>> acked(static_cast<size_t>(streams));
  std::vector<std::thread> writers;
  for (int s = 0; s < streams; s++) {
    writers.emplace_back([&, s] {
      auto stub = v1::IngestService::NewStub(ch);
      std::mt19937_64 rng(static_cast<uint64_t>(s));
      int64_t row = 0;
      while (!stop) {
        v1::WriteRequest req;
        auto* series = req.add_series();
        series->set_measurement("load");
        auto* tag = series->add_tags();
        tag->set_key("device");
        tag->set_value("d" + std::to_string(s));
        auto* f = series->add_fields();
        f->set_name("v");
        const int rows = 500;
        for (int i = 0; i < rows; i++) {
          series->add_timestamps(kT0 + (row + i) * 1'000'000);
          f->mutable_doubles()->add_values(static_cast<double>(rng() % 1000000) / 7.0);
        }
        grpc::ClientContext ctx;
        ctx.AddMetadata("authorization", "Bearer " + token);
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        v1::WriteResponse resp;
        grpc::Status st = stub->Write(&ctx, req, &resp);
        if (st.ok()) {
          accepted += rows;
          acked[s] += rows;
          row += rows;
        } else if (st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          exhausted++;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        } else {
          other++;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    });
  }
  // Queries keep being served meanwhile.
  std::thread querier([&] {
    auto stub = v1::QueryService::NewStub(ch);
    while (!stop) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + token);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      v1::QueryRequest req;
      req.set_text("SELECT count(v) FROM load WHERE device = 'd0'");
      auto reader = stub->Query(&ctx, req);
      v1::QueryResponse msg;
      while (reader->Read(&msg)) {
      }
      (reader->Finish().ok() ? queries_ok : queries_failed)++;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  uint64_t peak = 0;
  std::string curve;
  // The load runs `seconds`, longer (up to 3×) until it has hit the budget at least once: a
  // slow machine (a sanitizer build under load) offers less per second.
  for (int tick = 0; tick < seconds * 4 || (exhausted.load() == 0 && tick < seconds * 12);
       tick++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    uint64_t rss = RssBytes((*server)->pid());
    peak = std::max(peak, rss);
    if (tick % 4 == 3) curve += std::to_string(rss >> 20) + " ";
  }
  stop = true;
  for (auto& w : writers) w.join();
  querier.join();
  std::printf(
      "overload: streams=%d seconds=%d accepted_values=%lu rejected_requests=%lu "
      "other_errors=%lu queries_ok=%lu queries_failed=%lu peak_rss_mib=%lu budget_mib=%lu\n"
      "rss_mib_per_second: %s\n",
      streams, seconds, accepted.load(), exhausted.load(), other.load(), queries_ok.load(),
      queries_failed.load(), peak >> 20, budget >> 20, curve.c_str());
  EXPECT_GT(exhausted.load(), 0u) << "the load must have hit the budget";
  EXPECT_EQ(other.load(), 0u);
  EXPECT_GT(queries_ok.load(), 0u);
  // Memory stays near the budget: the budget plus the process's fixed cost (RocksDB, gRPC,
  // the index, 200 connections) — far from the gigabytes the offered load would take.
  if (!kSanitized) {
    EXPECT_LT(peak, budget * 2 + (128ull << 20));
  }
  // Everything acknowledged is there, after a restart.
  ASSERT_EQ((*server)->Stop(SIGTERM), 0);
  auto again = ServerProcess::Start(dir.Sub("data"));
  ASSERT_OK(again.status());
  auto stub = v1::QueryService::NewStub(
      grpc::CreateChannel((*again)->addr(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  v1::QueryRequest req;
  req.set_text("SELECT count(v) FROM load GROUP BY device");
  auto reader = stub->Query(&ctx, req);
  v1::QueryResponse msg;
  uint64_t total = 0;
  std::map<std::string, uint64_t> per_device;
  while (reader->Read(&msg)) {
    for (const auto& f : msg.frames().frames()) {
      per_device[f.group_values(0)] = static_cast<uint64_t>(f.columns(0).ints().values(0));
      total += static_cast<uint64_t>(f.columns(0).ints().values(0));
    }
  }
  ASSERT_TRUE(reader->Finish().ok());
  for (int s = 0; s < streams; s++) {
    EXPECT_EQ(per_device["d" + std::to_string(s)], acked[s].load()) << "device d" << s;
  }
  EXPECT_EQ(total, accepted.load());
}

}  // namespace
}  // namespace telemdb::tests
