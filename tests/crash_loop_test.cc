// Crash loop against the real server: a writer streams batches with SYNC acks and records
// every ack while telemdbd is killed with SIGKILL at random moments — while writing, while
// sealing and merging (small heads, frequent merges), during a Compact, during a graceful
// shutdown. After each restart every acked point must be readable exactly once with its
// value, and no batch may be half-applied.
//
// Cycles: TELEMDB_CRASH_LOOP_CYCLES (default 50), or `crash_loop --cycles N`.
#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "telemdb/v1/admin.grpc.pb.h"
#include "telemdb/v1/ingest.grpc.pb.h"
#include "telemdb/v1/query.grpc.pb.h"
#include "tests/server_harness.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

int g_cycles = 0;

namespace telemdb::tests {
namespace {

constexpr int64_t kT0 = 1'200'000'000'000'000'000;  // 2008: every window stays in the past
constexpr int kDevices = 6;
constexpr int kMaxBatches = 1'000'003;  // prime: the time windows below are a permutation

// Batch b: device b % kDevices, rows at its own time window (scrambled: most batches are late).
v1::WriteRequest Batch(int b) {
  v1::WriteRequest req;
  req.set_sequence(static_cast<uint64_t>(b) + 1);
  req.set_ack_mode(v1::SYNC);
  auto* s = req.add_series();
  s->set_measurement("crashloop");
  auto* tag = s->add_tags();
  tag->set_key("device");
  tag->set_value("dev" + std::to_string(b % kDevices));
  auto* f = s->add_fields();
  f->set_name("v");
  const int64_t window = (static_cast<int64_t>(b) * 7919) % kMaxBatches;
  const int rows = 10 + b % 40;
  for (int i = 0; i < rows; i++) {
    s->add_timestamps(kT0 + window * 500'000'000'000 + i * 10'000'000'000LL);
    f->mutable_doubles()->add_values(b + i / 100.0);
  }
  return req;
}

std::map<int64_t, double> ReadDevice(const std::shared_ptr<grpc::Channel>& ch,
                                     const std::string& token, int device) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::QueryRequest q;
  q.set_text("SELECT v FROM crashloop WHERE device = 'dev" + std::to_string(device) + "'");
  auto reader = v1::QueryService::NewStub(ch)->Query(&ctx, q);
  v1::QueryResponse msg;
  std::map<int64_t, double> out;
  while (reader->Read(&msg)) {
    for (const auto& f : msg.frames().frames()) {
      for (int i = 0; i < f.time_size(); i++) {
        bool fresh = out.emplace(f.time(i), f.columns(0).doubles().values(i)).second;
        EXPECT_TRUE(fresh) << "a point is there twice";
      }
    }
  }
  grpc::Status s = reader->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  return out;
}

int64_t CountDevice(const std::shared_ptr<grpc::Channel>& ch, const std::string& token,
                    int device) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::QueryRequest q;
  q.set_text("SELECT count(v) FROM crashloop WHERE device = 'dev" + std::to_string(device) + "'");
  auto reader = v1::QueryService::NewStub(ch)->Query(&ctx, q);
  v1::QueryResponse msg;
  int64_t n = 0;
  while (reader->Read(&msg)) {
    for (const auto& f : msg.frames().frames()) n = f.columns(0).ints().values(0);
  }
  grpc::Status s = reader->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  return n;
}

TEST(CrashLoop, EveryAckedPointSurvivesKillNineOfTheServer) {
  int cycles = 50;
  if (const char* env = std::getenv("TELEMDB_CRASH_LOOP_CYCLES")) cycles = std::atoi(env);
  if (g_cycles > 0) cycles = g_cycles;
  TempDir dir;
  const std::string data = dir.Sub("data");
  const std::vector<std::string> flags = {"--head-seal-points", "120", "--merge-interval", "1s",
                                          "--partition",        "6h"};
  std::mt19937_64 rng(20261123);
  std::set<int> acked;
  int next = 0, attempted_max = -1;
  std::string token;
  int kills_during_compact = 0, kills_during_shutdown = 0, full_checks = 0;
  size_t acks_total = 0;
  for (int cycle = 0; cycle < cycles && next < kMaxBatches - 1000; cycle++) {
    auto server = ServerProcess::Start(data, flags);
    ASSERT_OK(server.status()) << "cycle " << cycle;
    if (token.empty()) token = (*server)->admin_token();
    auto ch = grpc::CreateChannel((*server)->addr(), grpc::InsecureChannelCredentials());
    std::mutex mu;
    std::vector<int> got;
    std::atomic<int> sent_max{next - 1};
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    auto stream = v1::IngestService::NewStub(ch)->WriteStream(&ctx);
    std::thread reader([&] {
      v1::WriteResponse r;
      while (stream->Read(&r)) {
        if (r.has_error() && r.error().code() != 0) continue;
        std::lock_guard<std::mutex> l(mu);
        got.push_back(static_cast<int>(r.sequence()) - 1);
      }
    });
    std::thread writer([&, first = next] {
      for (int b = first; b < kMaxBatches; b++) {
        sent_max = b;
        if (!stream->Write(Batch(b))) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 600));
    const int mode = static_cast<int>(rng() % 4);
    std::thread compact;
    std::atomic<bool> compact_answered{false};
    if (mode == 1) {
      compact = std::thread([&] {
        grpc::ClientContext c;
        c.AddMetadata("authorization", "Bearer " + token);
        v1::CompactResponse resp;
        grpc::Status s = v1::AdminService::NewStub(ch)->Compact(&c, v1::CompactRequest(), &resp);
        if (s.ok()) compact_answered = true;
      });
      // Long enough for the call to reach the server, short enough to land inside it.
      std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 45));
      // The kill lands during compaction when the server had the call and not yet answered.
      if (!compact_answered) kills_during_compact++;
    } else if (mode == 2) {
      kills_during_shutdown++;
      kill((*server)->pid(), SIGTERM);
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 30));
    }
    (*server)->Stop(SIGKILL);
    ctx.TryCancel();
    writer.join();
    reader.join();
    (void)stream->Finish();
    if (compact.joinable()) compact.join();
    {
      std::lock_guard<std::mutex> l(mu);
      acks_total += got.size();
      acked.insert(got.begin(), got.end());
    }
    attempted_max = std::max(attempted_max, sent_max.load());
    next = attempted_max + 1;

    // Restart and check. Every 10th cycle (and the last) reads every point back; the others
    // check counts per device, which costs far less as the data grows.
    auto check = ServerProcess::Start(data, flags);
    ASSERT_OK(check.status()) << "cycle " << cycle;
    auto cch = grpc::CreateChannel((*check)->addr(), grpc::InsecureChannelCredentials());
    if (cycle % 10 == 0 || cycle + 1 == cycles) {
      std::vector<std::map<int64_t, double>> stored;
      for (int d = 0; d < kDevices; d++) stored.push_back(ReadDevice(cch, token, d));
      size_t expected = 0, total = 0;
      for (const auto& m : stored) total += m.size();
      for (int b = 0; b <= attempted_max; b++) {
        v1::WriteRequest req = Batch(b);
        const auto& s = req.series(0);
        const auto& pts = stored[b % kDevices];
        int present = 0;
        for (int i = 0; i < s.timestamps_size(); i++) {
          auto it = pts.find(s.timestamps(i));
          if (it == pts.end()) continue;
          present++;
          ASSERT_EQ(it->second, s.fields(0).doubles().values(i)) << "batch " << b;
        }
        if (acked.contains(b)) {
          ASSERT_EQ(present, s.timestamps_size())
              << "cycle " << cycle << ": acked batch " << b << " lost points";
        } else {
          ASSERT_TRUE(present == 0 || present == s.timestamps_size())
              << "cycle " << cycle << ": batch " << b << " is half-applied";
          if (present > 0) acked.insert(b);  // it made it: from now on it must stay
        }
        expected += present;
      }
      ASSERT_EQ(total, expected) << "points no batch wrote";
      full_checks++;
    } else {
      std::vector<int64_t> low(kDevices, 0), high(kDevices, 0);
      for (int b = 0; b <= attempted_max; b++) {
        int rows = Batch(b).series(0).timestamps_size();
        high[b % kDevices] += rows;
        if (acked.contains(b)) low[b % kDevices] += rows;
      }
      for (int d = 0; d < kDevices; d++) {
        int64_t n = CountDevice(cch, token, d);
        ASSERT_GE(n, low[d]) << "cycle " << cycle << ": device " << d << " lost acked points";
        ASSERT_LE(n, high[d]) << "cycle " << cycle << ": device " << d << " has extra points";
      }
    }
    (*check)->Stop(SIGKILL);  // the next cycle starts from a crash too
  }
  std::printf(
      "crash loop: %d cycles, %zu batches acked, %d kills during Compact, %d during "
      "shutdown, %d full read-back checks\n",
      cycles, acked.size(), kills_during_compact, kills_during_shutdown, full_checks);
  // The loop proves something only if writes were acknowledged and kills hit compaction.
  EXPECT_GT(acks_total, 0u);
  EXPECT_GT(kills_during_compact, 0) << "no kill landed while a Compact was running";
}

}  // namespace
}  // namespace telemdb::tests

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i + 1 < argc; i++) {
    if (std::string(argv[i]) == "--cycles") g_cycles = std::atoi(argv[i + 1]);
  }
  return RUN_ALL_TESTS();
}
