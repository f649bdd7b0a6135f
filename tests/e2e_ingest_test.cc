// End-to-end: a real telemdbd on a loopback port, written to over gRPC (unary and streaming),
// restarted, and read back.
#include <signal.h>

#include <thread>

#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "storage/db.h"
#include "storage/key_layout.h"
#include "telemdb/v1/admin.grpc.pb.h"
#include "telemdb/v1/common.pb.h"
#include "telemdb/v1/ingest.grpc.pb.h"
#include "tests/server_harness.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::tests {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;
constexpr int64_t kSec = 1'000'000'000;

v1::WriteRequest Request(const std::string& device, int64_t t0, int rows, double base = 0) {
  v1::WriteRequest req;
  auto* s = req.add_series();
  s->set_measurement("readings");
  auto* tag = s->add_tags();
  tag->set_key("device");
  tag->set_value(device);
  auto* f = s->add_fields();
  f->set_name("temp");
  auto* g = s->add_fields();
  g->set_name("status");
  for (int i = 0; i < rows; i++) {
    s->add_timestamps(t0 + i * kSec);
    f->mutable_doubles()->add_values(base + i * 0.5);
    g->mutable_ints()->add_values(i % 6);
  }
  return req;
}

class E2eIngestTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> args = {}) {
    auto s = ServerProcess::Start(dir_.Sub("data"), std::move(args));
    ASSERT_OK(s.status());
    server_ = *std::move(s);
    channel_ = grpc::CreateChannel(server_->addr(), grpc::InsecureChannelCredentials());
    ingest_ = v1::IngestService::NewStub(channel_);
    admin_ = v1::AdminService::NewStub(channel_);
    token_ = server_->admin_token();
  }
  void Auth(grpc::ClientContext* ctx, const std::string& token = "") {
    ctx->AddMetadata("authorization", "Bearer " + (token.empty() ? token_ : token));
  }
  grpc::Status Write(const v1::WriteRequest& req, v1::WriteResponse* resp,
                     grpc::ClientContext* ctx = nullptr) {
    grpc::ClientContext local;
    if (ctx == nullptr) ctx = &local;
    Auth(ctx);
    return ingest_->Write(ctx, req, resp);
  }
  // Stops the server and reads a series through the storage API.
  std::map<int64_t, double> ReadBack(const std::string& device, const std::string& field) {
    EXPECT_EQ(server_->Stop(SIGTERM), 0);
    storage::Options o;
    o.dir = dir_.Sub("data");
    o.background = false;
    auto db = storage::Db::Open(o);
    EXPECT_OK(db.status());
    std::map<int64_t, double> out;
    auto id =
        (*db)->index().Find(storage::keys::SeriesKeyBytes("readings", {{"device", device}}, field));
    if (id == storage::kInvalidSeriesId) return out;
    auto cursor = (*db)->Read(id, INT64_MIN, INT64_MAX);
    storage::codec::Columns all;
    EXPECT_OK((*cursor)->ReadAll(&all));
    for (size_t i = 0; i < all.size(); i++) {
      out[all.ts[i]] =
          all.type == storage::ValueType::kFloat ? all.floats[i] : static_cast<double>(all.ints[i]);
    }
    cursor->reset();
    return out;
  }
  v1::Status Details(const grpc::Status& s) {
    v1::Status d;
    d.ParseFromString(s.error_details());
    return d;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::IngestService::Stub> ingest_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::string token_;
};

TEST_F(E2eIngestTest, UnaryAndStreamingWritesSurviveRestart) {
  StartServer();
  v1::WriteResponse resp;
  ASSERT_TRUE(Write(Request("a", kT0, 100), &resp).ok());
  EXPECT_EQ(resp.points_accepted(), 200u);

  // Many batches in flight on one stream: each gets its own response.
  grpc::ClientContext ctx;
  Auth(&ctx);
  auto stream = ingest_->WriteStream(&ctx);
  const int kBatches = 50;
  std::thread writer([&] {
    for (int b = 0; b < kBatches; b++) {
      auto req = Request("b", kT0 + b * 1000 * kSec, 100, b);
      req.set_sequence(static_cast<uint64_t>(b) + 1);
      ASSERT_TRUE(stream->Write(req));
    }
    stream->WritesDone();
  });
  std::set<uint64_t> seen;
  v1::WriteResponse r;
  while (stream->Read(&r)) {
    EXPECT_FALSE(r.has_error()) << r.error().message();
    EXPECT_EQ(r.points_accepted(), 200u);
    EXPECT_EQ(r.sequence(), r.request_index() + 1);
    seen.insert(r.request_index());
  }
  writer.join();
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(seen.size(), static_cast<size_t>(kBatches));

  // Restart: everything is there; write more; read it all back.
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  StartServer();
  ASSERT_TRUE(Write(Request("a", kT0 + 100 * kSec, 10, 1000), &resp).ok());
  auto a = ReadBack("a", "temp");
  EXPECT_EQ(a.size(), 110u);
  EXPECT_EQ(a[kT0 + 3 * kSec], 1.5);
  EXPECT_EQ(a[kT0 + 100 * kSec], 1000);
}

TEST_F(E2eIngestTest, EveryValidationCaseNamesTheProblemAndLeavesNoTrace) {
  StartServer({"--max-points-per-request", "1000", "--max-request-bytes", "1MiB", "--reject-nan"});
  struct Case {
    std::string name;
    std::function<void(v1::WriteRequest*)> mutate;
    std::string message;
    int64_t row = -1;
  };
  std::vector<Case> cases = {
      {"empty", [](v1::WriteRequest* r) { r->clear_series(); }, "empty write"},
      {"too many points", [](v1::WriteRequest* r) { *r = Request("a", kT0, 600); },
       "the limit is 1000"},
      {"lengths disagree",
       [](v1::WriteRequest* r) {
         r->mutable_series(0)->mutable_fields(0)->mutable_doubles()->add_values(1);
       },
       "has 11 values but the series has 10 timestamps"},
      {"no values",
       [](v1::WriteRequest* r) { r->mutable_series(0)->mutable_fields(0)->clear_doubles(); },
       "has no values"},
      {"before 1970", [](v1::WriteRequest* r) { r->mutable_series(0)->set_timestamps(3, -1); },
       "before the earliest accepted time", 3},
      {"far future",
       [](v1::WriteRequest* r) { r->mutable_series(0)->set_timestamps(4, INT64_MAX); },
       "ahead of the server clock", 4},
      {"NaN rejected",
       [](v1::WriteRequest* r) {
         r->mutable_series(0)->mutable_fields(0)->mutable_doubles()->set_values(2, NAN);
       },
       "NaN values are rejected", 2},
      {"bad UTF-8", [](v1::WriteRequest* r) { r->mutable_series(0)->set_measurement("te\xc3(mp"); },
       "not valid UTF-8"},
      {"empty name",
       [](v1::WriteRequest* r) { r->mutable_series(0)->mutable_fields(0)->set_name(""); },
       "field name is empty"},
      {"reserved char",
       [](v1::WriteRequest* r) { r->mutable_series(0)->mutable_tags(0)->set_value("a\tb"); },
       "control character 0x09"},
      {"too long",
       [](v1::WriteRequest* r) {
         r->mutable_series(0)->mutable_tags(0)->set_key(std::string(300, 'k'));
       },
       "the limit is 256"},
      {"too many tags",
       [](v1::WriteRequest* r) {
         for (int i = 0; i < 70; i++) {
           auto* t = r->mutable_series(0)->add_tags();
           t->set_key("k" + std::to_string(i));
           t->set_value("v");
         }
       },
       "the limit is 64"},
      {"bad validity",
       [](v1::WriteRequest* r) { r->mutable_series(0)->mutable_fields(0)->set_validity("x"); },
       "validity bitmap has 1 bytes; 10 rows need 2"},
      {"missing row out of range",
       [](v1::WriteRequest* r) { r->mutable_series(0)->mutable_fields(0)->add_missing_rows(99); },
       "missing_rows names row 99"},
  };
  for (const auto& c : cases) {
    v1::WriteRequest req = Request("bad", kT0, 10);
    c.mutate(&req);
    v1::WriteResponse resp;
    grpc::Status s = Write(req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_THAT(s.error_message(), HasSubstr(c.message)) << c.name;
    v1::Status d = Details(s);
    EXPECT_EQ(d.code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    if (c.row >= 0) {
      ASSERT_EQ(d.details_size(), 1) << c.name;
      v1::BatchErrorDetail where;
      ASSERT_TRUE(d.details(0).UnpackTo(&where));
      EXPECT_EQ(where.row(), c.row) << c.name;
      EXPECT_EQ(where.series_index(), 0) << c.name;
    }
  }
  // A request over the size limit is refused by gRPC itself.
  v1::WriteRequest huge = Request("bad", kT0, 10);
  huge.mutable_series(0)->mutable_tags(0)->set_value(std::string(2 << 20, 'x'));
  v1::WriteResponse resp;
  EXPECT_EQ(Write(huge, &resp).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // A type conflict with the existing series, at series index 1 of a two-series request.
  ASSERT_TRUE(Write(Request("ok", kT0, 10), &resp).ok());
  v1::WriteRequest conflict = Request("new", kT0, 10);
  auto second = Request("ok", kT0 + 100 * kSec, 10);
  *conflict.add_series() = second.series(0);
  auto* col = conflict.mutable_series(1)->mutable_fields(1);
  col->clear_ints();
  for (int i = 0; i < 10; i++) col->mutable_doubles()->add_values(i);
  grpc::Status s = Write(conflict, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("field type conflict"));
  // Nothing of the rejected requests exists.
  EXPECT_TRUE(ReadBack("bad", "temp").empty());
  StartServer();
  EXPECT_TRUE(ReadBack("new", "temp").empty());
}

TEST_F(E2eIngestTest, RetriedBatchIsAppliedOnceAcrossRestart) {
  StartServer();
  v1::WriteRequest req = Request("r", kT0, 10);
  req.set_producer_id("gateway-9");
  req.set_sequence(77);
  v1::WriteResponse resp;
  ASSERT_TRUE(Write(req, &resp).ok());
  EXPECT_FALSE(resp.duplicate());
  req.mutable_series(0)->mutable_fields(0)->mutable_doubles()->set_values(0, 99);
  ASSERT_TRUE(Write(req, &resp).ok());
  EXPECT_TRUE(resp.duplicate());
  EXPECT_EQ(resp.points_accepted(), 0u);
  ASSERT_EQ(server_->Stop(SIGKILL), 128 + SIGKILL);
  StartServer();
  ASSERT_TRUE(Write(req, &resp).ok());
  EXPECT_TRUE(resp.duplicate());
  auto got = ReadBack("r", "temp");
  EXPECT_EQ(got[kT0], 0);
}

TEST_F(E2eIngestTest, IdentityIsRequiredExceptForHealth) {
  StartServer();
  v1::WriteResponse resp;
  grpc::ClientContext none;
  EXPECT_EQ(ingest_->Write(&none, Request("x", kT0, 1), &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext bad;
  bad.AddMetadata("authorization",
                  "Bearer tdb_aaaaaaaaaaaa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(ingest_->Write(&bad, Request("x", kT0, 1), &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext admin_none;
  v1::StatsResponse stats;
  EXPECT_EQ(admin_->Stats(&admin_none, v1::StatsRequest(), &stats).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Health checks stay open and report SERVING.
  grpc::ClientContext hctx;
  grpc::ByteBuffer req_bb, resp_bb;
  auto health = grpc::GenericStub(channel_);
  // grpc.health.v1.HealthCheckRequest{service: ""} is the empty message.
  grpc::Slice empty;
  req_bb = grpc::ByteBuffer(&empty, 1);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status hs;
  health.UnaryCall(&hctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req_bb, &resp_bb,
                   [&](grpc::Status s) {
                     std::lock_guard<std::mutex> l(mu);
                     hs = s;
                     done = true;
                     cv.notify_all();
                   });
  std::unique_lock<std::mutex> l(mu);
  cv.wait(l, [&] { return done; });
  EXPECT_TRUE(hs.ok()) << hs.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(resp_bb.Dump(&slices).ok());
  std::string body;
  for (auto& sl : slices) body.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  EXPECT_EQ(body, std::string("\x08\x01", 2));  // status: SERVING
}

TEST_F(E2eIngestTest, AuthNoneIsRefusedOffLoopback) {
  // Refused before anything binds: no non-loopback socket is ever opened.
  auto r = RunProgram({BinaryPath("server/telemdbd"), "--data-dir", dir_.Sub("x"), "--listen",
                       "0.0.0.0:0", "--auth", "none"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("only accepted on a loopback listener"));
}

TEST_F(E2eIngestTest, BackpressureUnderATinyBudget) {
  StartServer(
      {"--memory-budget", "16MiB", "--head-seal-points", "1000000", "--head-max-age", "24h"});
  int accepted = 0, exhausted = 0;
  std::string retry_after;
  for (int b = 0; b < 400 && exhausted == 0; b++) {
    v1::WriteRequest req;
    for (int d = 0; d < 50; d++) {
      auto one = Request("bp" + std::to_string(d), kT0 + b * 100 * kSec, 100, b * 3.7 + d);
      *req.add_series() = one.series(0);
    }
    grpc::ClientContext ctx;
    v1::WriteResponse resp;
    grpc::Status s = Write(req, &resp, &ctx);
    if (s.ok()) {
      accepted++;
    } else {
      ASSERT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
      EXPECT_THAT(s.error_message(), HasSubstr("memory budget"));
      auto it = ctx.GetServerTrailingMetadata().find("retry-after-ms");
      ASSERT_NE(it, ctx.GetServerTrailingMetadata().end());
      retry_after = std::string(it->second.data(), it->second.size());
      exhausted++;
    }
  }
  EXPECT_GT(exhausted, 0);
  EXPECT_EQ(retry_after, "200");
  // Already-acked data is untouched.
  auto got = ReadBack("bp0", "temp");
  EXPECT_EQ(got.size(), static_cast<size_t>(accepted) * 100);
}

}  // namespace
}  // namespace telemdb::tests
