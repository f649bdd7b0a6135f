// Running out of disk space: writes fail with a clear RESOURCE_EXHAUSTED / UNAVAILABLE, acked
// data stays intact, and the server recovers by itself when space returns. Needs root to
// mount a small tmpfs; skipped (with the reason) where mounting is not allowed.
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gmock/gmock.h"
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

v1::WriteRequest Request(int64_t row) {
  v1::WriteRequest req;
  auto* s = req.add_series();
  s->set_measurement("full");
  auto* tag = s->add_tags();
  tag->set_key("device");
  tag->set_value("d");
  auto* f = s->add_fields();
  f->set_name("v");
  for (int i = 0; i < 2000; i++) {
    s->add_timestamps(kT0 + (row + i) * 1'000'000);
    // Incompressible-ish values so the disk fills.
    f->mutable_doubles()->add_values(static_cast<double>((row + i) * 2654435761u % 1000003) / 7.3);
  }
  return req;
}

class Mount {
 public:
  explicit Mount(const std::string& dir) : dir_(dir) {
    std::filesystem::create_directories(dir);
    ok_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=48m") == 0;
  }
  ~Mount() {
    if (ok_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool ok() const { return ok_; }

 private:
  std::string dir_;
  bool ok_ = false;
};

TEST(DiskFull, ClearErrorsNoLossAndRecovery) {
  TempDir tmp;
  Mount mnt(tmp.Sub("mnt"));
  if (!mnt.ok()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << strerror(errno);
  // Fill most of the disk with a file we can delete later: "space returns".
  const std::string filler = tmp.Sub("mnt") + "/filler";
  {
    std::ofstream f(filler, std::ios::binary);
    std::string mb(1 << 20, 'x');
    for (int i = 0; i < 30; i++) f << mb;
  }
  auto server = ServerProcess::Start(tmp.Sub("mnt") + "/data",
                                     {"--memory-budget", "64MiB", "--head-seal-points", "4096"});
  ASSERT_OK(server.status());
  const std::string token = (*server)->admin_token();
  auto ch = grpc::CreateChannel((*server)->addr(), grpc::InsecureChannelCredentials());
  auto stub = v1::IngestService::NewStub(ch);
  auto write = [&](int64_t row) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::WriteResponse resp;
    return stub->Write(&ctx, Request(row), &resp);
  };
  int64_t row = 0, acked = 0;
  grpc::Status failure;
  for (int i = 0; i < 2000; i++) {
    grpc::Status s = write(row);
    if (!s.ok()) {
      failure = s;
      break;
    }
    acked += 2000;
    row += 2000;
  }
  ASSERT_FALSE(failure.ok()) << "the disk never filled";
  EXPECT_TRUE(failure.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
              failure.error_code() == grpc::StatusCode::UNAVAILABLE)
      << failure.error_message();
  EXPECT_THAT(failure.error_message(),
              ::testing::AnyOf(::testing::HasSubstr("space"), ::testing::HasSubstr("budget")));
  std::printf("disk full after %ld acked values: %s\n", acked, failure.error_message().c_str());

  auto count = [&]() -> int64_t {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::QueryRequest q;
    q.set_text("SELECT count(v) FROM full");
    auto reader = v1::QueryService::NewStub(ch)->Query(&ctx, q);
    v1::QueryResponse msg;
    int64_t n = -1;
    while (reader->Read(&msg)) {
      for (const auto& f : msg.frames().frames()) n = f.columns(0).ints().values(0);
    }
    return reader->Finish().ok() ? n : -2;
  };
  EXPECT_EQ(count(), acked) << "acked data must stay intact while the disk is full";
  // Make RocksDB write too (seal, flush, compact) with not a byte left: the documented
  // outcome is a clean failure (RESOURCE_EXHAUSTED or UNAVAILABLE naming the lack of space)
  // that loses nothing. First take whatever room the refused write left.
  const std::string brim = tmp.Sub("mnt") + "/brim";
  {
    std::ofstream f(brim, std::ios::binary);
    std::string kb(4096, 'y');
    for (int i = 0; i < 16384 && f.write(kb.data(), kb.size()); i++) {
    }
  }
  auto compact = [&] {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::CompactResponse resp;
    return v1::AdminService::NewStub(ch)->Compact(&ctx, v1::CompactRequest(), &resp);
  };
  grpc::Status full = compact();
  std::printf("compact on a full disk: %s\n", full.ok() ? "ok" : full.error_message().c_str());
  EXPECT_FALSE(full.ok()) << "Compact cannot succeed without a byte of space";
  EXPECT_TRUE(full.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
              full.error_code() == grpc::StatusCode::UNAVAILABLE)
      << full.error_message();
  EXPECT_THAT(full.error_message(), ::testing::HasSubstr("space")) << full.error_message();
  EXPECT_EQ(count(), acked);
  std::filesystem::remove(brim);

  // Space returns: the server recovers by itself.
  std::filesystem::remove(filler);
  bool recovered = false;
  for (int attempt = 0; attempt < 60 && !recovered; attempt++) {
    grpc::Status s = write(row);
    if (s.ok()) {
      recovered = true;
      acked += 2000;
      row += 2000;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  EXPECT_TRUE(recovered) << "writes still fail after space returned";
  EXPECT_EQ(count(), acked);
  // ... and so does Compact.
  grpc::Status after = compact();
  EXPECT_TRUE(after.ok()) << after.error_message();
  EXPECT_EQ(count(), acked);
  EXPECT_EQ((*server)->Stop(SIGTERM), 0);
  auto again = ServerProcess::Start(tmp.Sub("mnt") + "/data");
  ASSERT_OK(again.status());
  server = std::move(again);
  ch = grpc::CreateChannel((*server)->addr(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(count(), acked) << "after a restart";
  (*server)->Stop(SIGTERM);
}

}  // namespace
}  // namespace telemdb::tests
