// Live subscriptions against a real telemdbd over gRPC: selectors and rights, history with
// an exact seam, a stalled subscriber's overflow within bounds, the subscription cap, a
// revoked token and a shutdown ending streams, reserved measurements.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "telemdb/v1/realtime.grpc.pb.h"
#include "tests/e2e_client.h"
#include "tests/server_harness.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::tests {
namespace {

using ::testing::HasSubstr;

class Stream {
 public:
  Stream(const std::shared_ptr<grpc::Channel>& ch, const std::string& token,
         const v1::SubscribeRequest& req) {
    if (!token.empty()) ctx_.AddMetadata("authorization", "Bearer " + token);
    reader_ = v1::SubscribeService::NewStub(ch)->Subscribe(&ctx_, req);
  }
  ~Stream() {
    if (finished_) return;
    ctx_.TryCancel();
    (void)Finish();
  }
  bool Read(v1::SubscribeResponse* m) { return !finished_ && reader_->Read(m); }
  grpc::Status Finish() {
    if (finished_) return status_;
    v1::SubscribeResponse m;
    while (reader_->Read(&m)) {
    }
    finished_ = true;
    status_ = reader_->Finish();
    return status_;
  }
  // Reads until `pred` holds for a message or the stream ends; false if it ended.
  template <typename Pred>
  bool ReadUntil(Pred pred, v1::SubscribeResponse* m = nullptr) {
    v1::SubscribeResponse local;
    v1::SubscribeResponse* out = m ? m : &local;
    while (reader_->Read(out)) {
      if (pred(*out)) return true;
    }
    return false;
  }
  grpc::ClientContext& ctx() { return ctx_; }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader_;
  bool finished_ = false;
  grpc::Status status_;
};

v1::SubscribeRequest Sub(const std::string& m, const std::string& where = "",
                         int64_t since_ns = 0) {
  v1::SubscribeRequest r;
  r.set_measurement(m);
  r.set_where(where);
  r.set_since_ns(since_ns);
  return r;
}

class E2eLiveTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> args = {}) {
    auto s = ServerProcess::Start(dir_.Sub("data"), std::move(args));
    ASSERT_OK(s.status());
    server_ = *std::move(s);
    ch_ = PlainChannel(server_->addr());
    admin_ = server_->admin_token();
  }
  std::string Token(std::vector<std::string> scopes) {
    auto t = CreateTokenAs(ch_, admin_, scopes);
    EXPECT_OK(t.status());
    return t.ok() ? t->token() : "";
  }
  v1::StatsResponse Stats() {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_);
    v1::StatsResponse r;
    EXPECT_TRUE(v1::AdminService::NewStub(ch_)->Stats(&ctx, v1::StatsRequest(), &r).ok());
    return r;
  }
  // A write of `n` rows for one device, timestamps from `t`.
  v1::WriteRequest Rows(const std::string& m, const std::string& device, int64_t t, int n) {
    v1::WriteRequest req;
    auto* s = req.add_series();
    s->set_measurement(m);
    auto* tag = s->add_tags();
    tag->set_key("device");
    tag->set_value(device);
    auto* f = s->add_fields();
    f->set_name("v");
    for (int i = 0; i < n; i++) {
      s->add_timestamps(t + i);
      f->mutable_doubles()->add_values(i);
    }
    return req;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> ch_;
  std::string admin_;
};

TEST_F(E2eLiveTest, FramesFollowTheSelectorAndTheRights) {
  Start();
  const std::string reader = Token({"read:readings"});
  Stream s(ch_, reader, Sub("readings", "device = 'a'"));
  v1::SubscribeResponse m;
  ASSERT_TRUE(s.Read(&m));
  ASSERT_TRUE(m.has_started());
  EXPECT_THAT(m.started().selector(), HasSubstr("readings"));
  ASSERT_TRUE(WriteAs(ch_, admin_, OnePoint("readings", "b", kE2eT0, 1)).ok());
  ASSERT_TRUE(WriteAs(ch_, admin_, OnePoint("other", "a", kE2eT0, 2)).ok());
  ASSERT_TRUE(WriteAs(ch_, admin_, OnePoint("readings", "a", kE2eT0 + 5, 3.5)).ok());
  ASSERT_TRUE(s.ReadUntil([](const v1::SubscribeResponse& r) { return r.has_frames(); }, &m));
  ASSERT_EQ(m.frames().frames_size(), 1);
  const v1::LiveFrame& f = m.frames().frames(0);
  EXPECT_EQ(f.measurement(), "readings");
  EXPECT_EQ(f.tags(0).value(), "a");
  EXPECT_EQ(f.time(0), kE2eT0 + 5);
  EXPECT_EQ(f.fields(0), "v");
  EXPECT_EQ(f.columns(0).doubles().values(0), 3.5);

  // Rights are checked before anything else; bad selectors are named.
  Stream other(ch_, Token({"read:other"}), Sub("readings"));
  EXPECT_EQ(other.Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  Stream writer(ch_, Token({"write:*"}), Sub("readings"));
  EXPECT_EQ(writer.Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  Stream none(ch_, "", Sub("readings"));
  EXPECT_EQ(none.Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  Stream bad(ch_, reader, Sub("readings", "device = 'a' AND"));
  grpc::Status st = bad.Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("where: column"));
  Stream far(ch_, reader, Sub("readings", "", int64_t{30} * 24 * 3600 * 1'000'000'000));
  EXPECT_THAT(far.Finish().error_message(), HasSubstr("longer than the limit"));
  // No client may write a reserved measurement, admin or not.
  grpc::Status w = WriteAs(ch_, admin_, OnePoint("_alerts", "a", kE2eT0));
  EXPECT_EQ(w.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(w.error_message(), HasSubstr("reserved"));
}

// History then live while a writer runs: every point once, history before the marker.
TEST_F(E2eLiveTest, SinceHistoryThenLiveWithoutGapOrDuplicate) {
  Start();
  const int64_t now = absl::GetCurrentTimeNanos();
  std::atomic<int> next{0};
  for (; next < 500; next++) {
    ASSERT_TRUE(
        WriteAs(ch_, admin_, OnePoint("m", "d", now - 60'000'000'000 + next * 1000, 1)).ok());
  }
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    auto ch = PlainChannel(server_->addr());
    while (!stop) {
      const int i = next++;
      ASSERT_TRUE(WriteAs(ch, admin_, OnePoint("m", "d", now - 60'000'000'000 + i * 1000, 1)).ok());
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Stream s(ch_, admin_, Sub("m", "", 120'000'000'000));
  std::map<int64_t, int> seen;
  bool caught_up = false, history_after = false;
  v1::SubscribeResponse m;
  auto take = [&](const v1::SubscribeResponse& r) {
    if (r.has_caught_up()) caught_up = true;
    EXPECT_FALSE(r.has_overflow());
    for (const auto& f : r.frames().frames()) {
      if (f.history() && caught_up) history_after = true;
      for (int64_t t : f.time()) seen[t]++;
    }
  };
  while (!caught_up && s.Read(&m)) take(m);
  ASSERT_TRUE(caught_up);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  writer.join();
  const int total = next.load();
  while (seen.size() < static_cast<size_t>(total) && s.Read(&m)) take(m);
  EXPECT_FALSE(history_after);
  EXPECT_EQ(seen.size(), static_cast<size_t>(total));
  for (const auto& [t, n] : seen) EXPECT_EQ(n, 1) << t;
}

// A subscriber that stops reading: the server drops for it (and says how much), holds at
// most its buffers, and the others are unaffected.
TEST_F(E2eLiveTest, StalledSubscriberGetsOverflowWithinBounds) {
  Start({"--subscription-buffer", "64KiB", "--live-memory", "8MiB"});
  Stream stalled(ch_, admin_, Sub("m"));
  Stream healthy(ch_, admin_, Sub("m"));
  v1::SubscribeResponse m;
  ASSERT_TRUE(stalled.Read(&m));
  ASSERT_TRUE(healthy.Read(&m));
  const int kWrites = 300, kRows = 1000;
  std::atomic<uint64_t> healthy_rows{0};
  std::atomic<bool> healthy_overflow{false};
  std::thread reader([&] {
    v1::SubscribeResponse r;
    while (healthy_rows < uint64_t{kWrites} * kRows && healthy.Read(&r)) {
      if (r.has_overflow()) {
        healthy_overflow = true;  // it would never see every row: stop reading
        break;
      }
      for (const auto& f : r.frames().frames()) healthy_rows += f.time_size();
    }
  });
  uint64_t max_live = 0;
  for (int i = 0; i < kWrites; i++) {
    // A healthy subscriber is one that keeps up: the writer stays at most two writes ahead
    // of it (bounded wait), so a loaded machine cannot turn it into a slow one.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (healthy_rows + 2 * kRows < uint64_t(i) * kRows && !healthy_overflow &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE(WriteAs(ch_, admin_, Rows("m", "d", kE2eT0 + int64_t{i} * kRows, kRows)).ok());
    if (i % 30 == 0) max_live = std::max(max_live, Stats().live_memory_bytes());
  }
  reader.join();
  EXPECT_FALSE(healthy_overflow);
  EXPECT_EQ(healthy_rows, uint64_t{kWrites} * kRows);
  // The bound: buffers (6 MiB of the 8) plus the hub's queue (2 MiB).
  EXPECT_LE(max_live, 8u << 20);
  // Now the stalled one reads: what it got plus what it was told it lost is everything.
  uint64_t got = 0, dropped = 0;
  int overflows = 0;
  while (got + dropped < uint64_t{kWrites} * kRows && stalled.Read(&m)) {
    if (m.has_overflow()) {
      overflows++;
      dropped += m.overflow().dropped_points();
    }
    for (const auto& f : m.frames().frames()) got += f.time_size();
  }
  EXPECT_GT(overflows, 0);
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(got + dropped, uint64_t{kWrites} * kRows);
  EXPECT_GT(Stats().subscriptions_started(), 1u);
}

TEST_F(E2eLiveTest, CapRevocationAndShutdownEndStreams) {
  Start({"--max-subscriptions", "2", "--live-heartbeat", "1s"});
  const std::string t = Token({"read"});
  auto s1 = std::make_unique<Stream>(ch_, t, Sub("m"));
  Stream s2(ch_, admin_, Sub("m"));
  v1::SubscribeResponse m;
  ASSERT_TRUE(s1->Read(&m));
  ASSERT_TRUE(s2.Read(&m));
  Stream s3(ch_, admin_, Sub("m"));
  grpc::Status st = s3.Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(st.error_message(), HasSubstr("--max-subscriptions"));
  // Revoking s1's token ends its stream at the next heartbeat.
  {
    auto created = CreateTokenAs(ch_, admin_, {"read"});
    ASSERT_OK(created.status());
    // Find t's id: list tokens and revoke every read-only one but the new.
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_);
    v1::ListTokensResponse list;
    ASSERT_TRUE(
        v1::AdminService::NewStub(ch_)->ListTokens(&ctx, v1::ListTokensRequest(), &list).ok());
    for (const auto& info : list.tokens()) {
      if (info.scopes_size() == 1 && info.scopes(0) == "read" &&
          info.id() != created->info().id()) {
        grpc::ClientContext rc;
        rc.AddMetadata("authorization", "Bearer " + admin_);
        v1::RevokeTokenRequest req;
        req.set_id(info.id());
        v1::RevokeTokenResponse resp;
        ASSERT_TRUE(v1::AdminService::NewStub(ch_)->RevokeToken(&rc, req, &resp).ok());
      }
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(s1->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  s1.reset();
  // A heartbeat arrives on an idle stream.
  EXPECT_TRUE(s2.ReadUntil([](const v1::SubscribeResponse& r) { return r.has_heartbeat(); }));
  // Shutdown: open streams end at once (UNAVAILABLE) and do not hold the server up.
  const auto t1 = std::chrono::steady_clock::now();
  std::thread stopper([&] { EXPECT_EQ(server_->Stop(SIGTERM), 0); });
  EXPECT_EQ(s2.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::seconds(8));
}

}  // namespace
}  // namespace telemdb::tests
