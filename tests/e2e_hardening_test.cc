// Hostile and low-privilege clients against a real telemdbd: each test reproduces a defect an
// outside review found (docs/security.md, "What the tests prove") and checks what must hold.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/e2e_client.h"
#include "tests/server_harness.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::tests {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kT0 = kE2eT0;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class E2eHardeningTest : public ::testing::Test {
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
  bool Alive() { return kill(server_->pid(), 0) == 0; }
  v1::VerifyAuditResponse VerifyAudit() {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_);
    v1::VerifyAuditResponse resp;
    EXPECT_TRUE(
        v1::AdminService::NewStub(ch_)->VerifyAudit(&ctx, v1::VerifyAuditRequest(), &resp).ok());
    return resp;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> ch_;
  std::string admin_;
};

// Defect 1: a narrow write token sending invalid UTF-8 crashed the server (the denial's audit
// record made the JSON encoder throw on a worker thread). Validation now comes first, the
// audit writer cannot throw, and error texts are bounded.
TEST_F(E2eHardeningTest, InvalidUtf8FromANarrowTokenIsRefusedAndTheServerKeepsServing) {
  Start();
  const std::string dev = Token({"write:device=truck_1*"});
  v1::WriteRequest bad = OnePoint("m", "\xff", kT0);
  grpc::Status unary = WriteAs(ch_, dev, bad);
  EXPECT_THAT(unary.error_code(),
              AnyOf(grpc::StatusCode::INVALID_ARGUMENT, grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(unary.error_message(), HasSubstr("not valid UTF-8"));
  // By stream: the bad request gets its error, the stream and the server go on.
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + dev);
    auto stream = v1::IngestService::NewStub(ch_)->WriteStream(&ctx);
    v1::WriteResponse resp;
    ASSERT_TRUE(stream->Write(bad));
    ASSERT_TRUE(stream->Read(&resp));
    EXPECT_THAT(resp.error().code(), AnyOf(static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT),
                                           static_cast<int>(grpc::StatusCode::PERMISSION_DENIED)));
    ASSERT_TRUE(stream->Write(OnePoint("m", "truck_1", kT0)));
    ASSERT_TRUE(stream->Read(&resp));
    EXPECT_EQ(resp.error().code(), 0) << resp.error().message();
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
  }
  // Invalid UTF-8 in the measurement, a field name and a tag key too.
  v1::WriteRequest m = OnePoint("\xc3(", "truck_1", kT0);
  EXPECT_EQ(WriteAs(ch_, dev, m).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::WriteRequest f = OnePoint("m", "truck_1", kT0);
  f.mutable_series(0)->mutable_fields(0)->set_name("v\xed\xa0\x80");
  EXPECT_EQ(WriteAs(ch_, dev, f).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::WriteRequest k = OnePoint("m", "truck_1", kT0);
  k.mutable_series(0)->mutable_tags(0)->set_key("dev\x80ice");
  EXPECT_EQ(WriteAs(ch_, dev, k).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Alive());
  EXPECT_TRUE(WriteAs(ch_, dev, OnePoint("m", "truck_12", kT0)).ok());
  EXPECT_EQ(CountPoints(ch_, admin_, "m", "truck_12"), 1);
  auto audit = VerifyAudit();
  EXPECT_TRUE(audit.ok()) << audit.problem();
}

// Defect 1, second half: a 1 MiB tag value came back whole in the error, larger than the
// client's metadata limit, so the client saw RESOURCE_EXHAUSTED about metadata.
TEST_F(E2eHardeningTest, MegabyteNamesGetTheRealReasonInABoundedMessage) {
  Start();
  const std::string dev = Token({"write:device=truck_1*"});
  const std::string mib(1 << 20, 'a');
  std::vector<v1::WriteRequest> cases;
  cases.push_back(OnePoint("m", "truck_1" + mib, kT0));  // tag value
  cases.push_back(OnePoint(mib, "truck_1", kT0));        // measurement
  cases.push_back(OnePoint("m", "truck_1", kT0));
  cases.back().mutable_series(0)->mutable_fields(0)->set_name(mib);  // field
  cases.push_back(OnePoint("m", "truck_1", kT0));
  cases.back().mutable_series(0)->mutable_tags(0)->set_key(mib);  // tag key
  cases.push_back(OnePoint("m", "\xff" + mib, kT0));              // both at once
  for (size_t i = 0; i < cases.size(); i++) {
    grpc::Status s = WriteAs(ch_, dev, cases[i]);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << i << ": " << s.error_message();
    EXPECT_LT(s.error_message().size(), 2048u) << i;
    EXPECT_THAT(s.error_message(), AnyOf(HasSubstr("bytes long"), HasSubstr("UTF-8"))) << i;
    EXPECT_LT(s.error_details().size(), 4096u) << i;
  }
  // Within the limits but outside the scope: denied, with a bounded quote of the series.
  grpc::Status denied = WriteAs(ch_, dev, OnePoint("m", std::string(1000, 'z'), kT0));
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_LT(denied.error_message().size(), 1024u);
  EXPECT_TRUE(Alive());
}

// Defect 2: the idempotency window was keyed by (producer_id, sequence) alone, so another
// identity could burn a victim's next sequence numbers and the victim's batches were then
// answered duplicate and never stored.
TEST_F(E2eHardeningTest, IdempotencyKeysBelongToTheirIdentity) {
  Start();
  const std::string alice = Token({"write:device=alice"});
  const std::string mallory = Token({"write:device=mallory"});
  auto keyed = [](const std::string& device, uint64_t seq, uint64_t epoch = 0) {
    v1::WriteRequest r = OnePoint("m", device, kT0 + static_cast<int64_t>(seq + 100 * epoch));
    r.set_producer_id("gw-alice");
    r.set_sequence(seq);
    r.set_producer_epoch(epoch);
    return r;
  };
  for (uint64_t seq = 1; seq <= 3; seq++) {
    ASSERT_TRUE(WriteAs(ch_, mallory, keyed("mallory", seq)).ok());
  }
  for (uint64_t seq = 1; seq <= 3; seq++) {
    v1::WriteResponse resp;
    ASSERT_TRUE(WriteAs(ch_, alice, keyed("alice", seq), &resp).ok());
    EXPECT_FALSE(resp.duplicate()) << seq;
    EXPECT_EQ(resp.points_accepted(), 1u);
  }
  EXPECT_EQ(CountPoints(ch_, admin_, "m", "alice"), 3);
  // Across a crash (the window comes back from the WAL, per identity).
  server_->Stop(SIGKILL);
  Start();
  v1::WriteResponse resp;
  ASSERT_TRUE(WriteAs(ch_, alice, keyed("alice", 3), &resp).ok());
  EXPECT_TRUE(resp.duplicate());
  ASSERT_TRUE(WriteAs(ch_, mallory, keyed("mallory", 4), &resp).ok());
  EXPECT_FALSE(resp.duplicate());
  // A producer that lost its numbering restarts inside the window under a new epoch: its
  // batches are stored, not dropped as duplicates.
  ASSERT_TRUE(WriteAs(ch_, alice, keyed("alice", 1, 7), &resp).ok());
  EXPECT_FALSE(resp.duplicate());
  ASSERT_TRUE(WriteAs(ch_, alice, keyed("alice", 2, 7), &resp).ok());
  EXPECT_FALSE(resp.duplicate());
  ASSERT_TRUE(WriteAs(ch_, alice, keyed("alice", 2, 7), &resp).ok());
  EXPECT_TRUE(resp.duplicate());
  EXPECT_EQ(CountPoints(ch_, admin_, "m", "alice"), 5);
}

// Defect 5: a certificate's name was used as a glob pattern, so CN `*` could write every
// device.
TEST_F(E2eHardeningTest, CertificateNamesAreNotPatterns) {
  const std::string certs = dir_.Sub("certs");
  ASSERT_EQ(
      RunProgram({"/bin/bash", "scripts/make-certs.sh", certs, "*", "truck_[0-9]*"}).exit_code, 0);
  auto tls = [&](const std::string& device) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = Slurp(certs + "/ca.crt");
    o.pem_cert_chain = Slurp(certs + "/" + device + ".crt");
    o.pem_private_key = Slurp(certs + "/" + device + ".key");
    grpc::ChannelArguments args;
    args.SetString(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, "localhost");
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(server_->addr(), grpc::SslCredentials(o), args);
  };
  auto s = ServerProcess::Start(
      dir_.Sub("data"), {"--tls-cert", certs + "/server.crt", "--tls-key", certs + "/server.key",
                         "--tls-client-ca", certs + "/ca.crt", "--tls-client-auth", "request"});
  ASSERT_OK(s.status());
  server_ = *std::move(s);
  auto star = tls("*");
  EXPECT_EQ(WriteAs(star, "", OnePoint("m", "truck_1", kT0)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(WriteAs(star, "", OnePoint("m", "anything", kT0)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(WriteAs(star, "", OnePoint("m", "*", kT0)).ok());  // exactly its own name
  auto range = tls("truck_[0-9]*");
  EXPECT_EQ(WriteAs(range, "", OnePoint("m", "truck_1", kT0)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(WriteAs(range, "", OnePoint("m", "truck_77", kT0)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(WriteAs(range, "", OnePoint("m", "truck_[0-9]*", kT0)).ok());
}

// Defect 6: query text was parsed (and its regexes compiled) before the caller was
// authorized, and max_frame_rows was not capped; frames are now bounded by bytes too.
TEST_F(E2eHardeningTest, QueriesAreAuthorizedBeforeParsingAndFramesAreBounded) {
  Start();
  const std::string writer = Token({"write:*"});
  const std::string reader = Token({"read"});
  const std::string garbage = "SELECT FROM WHERE ((( name =~ /(a+)+$/";
  EXPECT_EQ(RunQuery(ch_, "", garbage).status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(RunQuery(ch_, writer, garbage).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(RunQuery(ch_, reader, garbage).status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // 200 strings of 60 KiB in one series: one frame would be 12 MiB.
  v1::WriteRequest req;
  auto* s = req.add_series();
  s->set_measurement("notes");
  auto* tag = s->add_tags();
  tag->set_key("device");
  tag->set_value("d");
  auto* f = s->add_fields();
  f->set_name("text");
  for (int i = 0; i < 200; i++) {
    s->add_timestamps(kT0 + i);
    f->mutable_strings()->add_values(std::string(60 << 10, static_cast<char>('a' + i % 26)));
  }
  ASSERT_TRUE(WriteAs(ch_, admin_, req).ok());
  QueryResult r = RunQuery(ch_, reader, "SELECT text FROM notes", /*max_frame_rows=*/4'000'000);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  size_t rows = 0, frames = 0;
  for (const auto& msg : r.messages) {
    EXPECT_LT(msg.ByteSizeLong(), 3u << 20) << "one message carries too much";
    for (const auto& fr : msg.frames().frames()) {
      frames++;
      rows += static_cast<size_t>(fr.time_size());
      EXPECT_LE(fr.ByteSizeLong(), (1u << 20) + (64u << 10)) << "a frame is over 1 MiB";
    }
  }
  EXPECT_EQ(rows, 200u);
  EXPECT_GE(frames, 12u);
}

// Defect 7: the first-start token file followed a planted symlink, and a failed write left
// the operator locked out; lifetimes past year 9999 overflowed.
TEST_F(E2eHardeningTest, FirstStartTokenFileAndLifetimeLimits) {
  const std::string data = dir_.Sub("data");
  ASSERT_EQ(mkdir(data.c_str(), 0700), 0);
  const std::string target = dir_.Sub("elsewhere");
  std::ofstream(target) << "do not touch\n";
  ASSERT_EQ(symlink(target.c_str(), (data + "/admin.token").c_str()), 0);
  RunResult r = RunProgram({BinaryPath("server/telemdbd"), "--data-dir", data, "--listen",
                            "127.0.0.1:0", "--http-listen", "127.0.0.1:0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("admin.token"));
  EXPECT_EQ(Slurp(target), "do not touch\n");
  // Nothing was stored as issued: once the link is gone, the first start completes.
  ASSERT_EQ(unlink((data + "/admin.token").c_str()), 0);
  Start();
  EXPECT_TRUE(WriteAs(ch_, admin_, OnePoint("m", "d", kT0)).ok());
  struct stat st;
  ASSERT_EQ(lstat((data + "/admin.token").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A lifetime past what can be stored is refused, not wrapped around to a negative
  // expiry (INT64_MAX ns from now ends after 2262, the last instant of int64 ns).
  auto huge = CreateTokenAs(ch_, admin_, {"read"}, INT64_MAX);
  EXPECT_THAT(huge.status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("latest expiry")));
  auto fine = CreateTokenAs(ch_, admin_, {"read"}, 3600LL * 1'000'000'000);
  EXPECT_OK(fine.status());
}

// Defect 8: listings without a measurement needed unrestricted `read`; they now show what
// the identity's scopes allow.
TEST_F(E2eHardeningTest, ListingsShowWhatTheScopesAllow) {
  Start();
  ASSERT_TRUE(WriteAs(ch_, admin_, OnePoint("readings", "truck_1", kT0)).ok());
  v1::WriteRequest secret = OnePoint("secret", "vault", kT0);
  auto* t = secret.mutable_series(0)->add_tags();
  t->set_key("classified");
  t->set_value("yes");
  ASSERT_TRUE(WriteAs(ch_, admin_, secret).ok());
  const std::string dash = Token({"read:readings"});
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + dash);
    v1::ListMeasurementsResponse resp;
    ASSERT_TRUE(v1::QueryService::NewStub(ch_)
                    ->ListMeasurements(&ctx, v1::ListMeasurementsRequest(), &resp)
                    .ok());
    ASSERT_EQ(resp.measurements_size(), 1);
    EXPECT_EQ(resp.measurements(0), "readings");
  }
  auto text = [&](const std::string& q) {
    QueryResult r = RunQuery(ch_, dash, q);
    EXPECT_TRUE(r.status.ok()) << q << ": " << r.status.error_message();
    std::string all;
    for (const auto& m : r.messages) all += m.DebugString();
    return all;
  };
  std::string shown = text("SHOW MEASUREMENTS");
  EXPECT_THAT(shown, HasSubstr("readings"));
  EXPECT_THAT(shown, Not(HasSubstr("secret")));
  EXPECT_THAT(text("SHOW TAG KEYS"), Not(HasSubstr("classified")));
  EXPECT_THAT(text("SHOW TAG VALUES WITH KEY = device"), Not(HasSubstr("vault")));
  EXPECT_THAT(text("SHOW FIELD KEYS"), Not(HasSubstr("secret")));
  EXPECT_EQ(RunQuery(ch_, dash, "SELECT v FROM secret").status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(RunQuery(ch_, dash, "SHOW TAG KEYS FROM secret").status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Calls the reflection service's list_services; its status code.
grpc::StatusCode CallReflection(const std::shared_ptr<grpc::Channel>& ch) {
  grpc::GenericStub stub(ch);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue cq;
  auto call =
      stub.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  // ServerReflectionRequest{list_services: ""}: field 7, length 0.
  const char request[] = {0x3a, 0x00};
  grpc::Slice slice(request, sizeof request);
  grpc::ByteBuffer buffer(&slice, 1);
  call->Write(buffer, reinterpret_cast<void*>(2));
  cq.Next(&tag, &ok);
  call->WritesDone(reinterpret_cast<void*>(3));
  cq.Next(&tag, &ok);
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(4));
  cq.Next(&tag, &ok);
  while (ok) {
    call->Read(&reply, reinterpret_cast<void*>(4));
    cq.Next(&tag, &ok);
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  cq.Next(&tag, &ok);
  if (!status.ok()) std::printf("reflection: %s\n", status.error_message().c_str());
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status.error_code();
}

// Defect 8, second half: reflection answered anyone. It is off unless made public.
TEST_F(E2eHardeningTest, ReflectionIsOffUnlessPublic) {
  Start();
  EXPECT_EQ(CallReflection(ch_), grpc::StatusCode::UNIMPLEMENTED);
  server_->Stop(SIGTERM);
  Start({"--reflection", "public"});
  EXPECT_EQ(CallReflection(ch_), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace telemdb::tests
