// Security end to end: every denial that must hold, against a real telemdbd.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "re2/re2.h"
#include "telemdb/v1/admin.grpc.pb.h"
#include "telemdb/v1/ingest.grpc.pb.h"
#include "telemdb/v1/query.grpc.pb.h"
#include "tests/server_harness.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::tests {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'767'225'600'000'000'000;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

v1::WriteRequest Write(const std::string& device, int64_t t = kT0) {
  v1::WriteRequest req;
  auto* s = req.add_series();
  s->set_measurement("secure");
  auto* tag = s->add_tags();
  tag->set_key("device");
  tag->set_value(device);
  s->add_timestamps(t);
  auto* f = s->add_fields();
  f->set_name("v");
  f->mutable_doubles()->add_values(1.5);
  return req;
}

class E2eSecurityTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> args = {}) {
    auto s = ServerProcess::Start(dir_.Sub("data"), std::move(args));
    ASSERT_OK(s.status());
    server_ = *std::move(s);
  }
  std::shared_ptr<grpc::Channel> Plain() {
    return grpc::CreateChannel(server_->addr(), grpc::InsecureChannelCredentials());
  }
  grpc::Status DoWrite(const std::shared_ptr<grpc::Channel>& ch, const std::string& token,
                       const v1::WriteRequest& req) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    v1::WriteResponse resp;
    return v1::IngestService::NewStub(ch)->Write(&ctx, req, &resp);
  }
  absl::StatusOr<v1::CreateTokenResponse> CreateToken(std::vector<std::string> scopes,
                                                      int64_t expires_ns = 0) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + server_->admin_token());
    v1::CreateTokenRequest req;
    for (auto& s : scopes) req.add_scopes(s);
    req.set_description("test");
    req.set_expires_in_ns(expires_ns);
    v1::CreateTokenResponse resp;
    grpc::Status s = v1::AdminService::NewStub(Plain())->CreateToken(&ctx, req, &resp);
    if (!s.ok()) return absl::InternalError(s.error_message());
    return resp;
  }
  // Points stored for a device, via a query with the admin token.
  int CountPoints(const std::string& device) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + server_->admin_token());
    v1::QueryRequest req;
    req.set_text("SELECT count(v) FROM secure WHERE device = '" + device + "'");
    auto reader = v1::QueryService::NewStub(Plain())->Query(&ctx, req);
    v1::QueryResponse msg;
    int count = 0;
    while (reader->Read(&msg)) {
      for (const auto& f : msg.frames().frames()) count += f.columns(0).ints().values(0);
    }
    EXPECT_TRUE(reader->Finish().ok());
    return count;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(E2eSecurityTest, TokensScopesExpiryRotationRevocation) {
  Start();
  auto ch = Plain();
  // No credential, a bad token.
  EXPECT_EQ(DoWrite(ch, "", Write("truck_1")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(DoWrite(ch, "tdb_aaaaaaaaaaaa_" + std::string(43, 'A'), Write("truck_1")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A device token writing another device's series: denied, nothing of the batch stored.
  ASSERT_OK_AND_ASSIGN(auto dev, CreateToken({"write:device=truck_1*"}));
  EXPECT_TRUE(RE2::FullMatch(dev.token(), "[A-Za-z0-9_-]+"));
  EXPECT_TRUE(DoWrite(ch, dev.token(), Write("truck_17")).ok());
  v1::WriteRequest mixed = Write("truck_1", kT0 + 1);
  *mixed.add_series() = Write("truck_2", kT0 + 1).series(0);
  grpc::Status denied = DoWrite(ch, dev.token(), mixed);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(denied.error_message(), HasSubstr("truck_2"));
  EXPECT_EQ(CountPoints("truck_1"), 0);
  EXPECT_EQ(CountPoints("truck_2"), 0);
  // A read-only token writing; a non-admin calling admin.
  ASSERT_OK_AND_ASSIGN(auto reader, CreateToken({"read"}));
  EXPECT_EQ(DoWrite(ch, reader.token(), Write("truck_1")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext sctx;
  sctx.AddMetadata("authorization", "Bearer " + reader.token());
  v1::StatsResponse stats;
  EXPECT_EQ(v1::AdminService::NewStub(ch)->Stats(&sctx, v1::StatsRequest(), &stats).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // An expired token.
  ASSERT_OK_AND_ASSIGN(auto brief, CreateToken({"write:*"}, 1'000'000'000));
  EXPECT_TRUE(DoWrite(ch, brief.token(), Write("x")).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  grpc::Status expired = DoWrite(ch, brief.token(), Write("x"));
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(expired.error_message(), HasSubstr("expired"));
  // Rotation: the old secret works during the overlap, then not.
  ASSERT_OK_AND_ASSIGN(auto rot, CreateToken({"write:*"}));
  grpc::ClientContext rctx;
  rctx.AddMetadata("authorization", "Bearer " + server_->admin_token());
  v1::RotateTokenRequest rreq;
  rreq.set_id(rot.info().id());
  rreq.set_overlap_ns(1'000'000'000);
  v1::CreateTokenResponse rotated;
  ASSERT_TRUE(v1::AdminService::NewStub(ch)->RotateToken(&rctx, rreq, &rotated).ok());
  EXPECT_TRUE(DoWrite(ch, rot.token(), Write("y")).ok());
  EXPECT_TRUE(DoWrite(ch, rotated.token(), Write("y")).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(DoWrite(ch, rot.token(), Write("y")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(DoWrite(ch, rotated.token(), Write("y")).ok());
  // Revocation: on a new call, and on an open stream at its next request.
  ASSERT_OK_AND_ASSIGN(auto rev, CreateToken({"write:*"}));
  grpc::ClientContext stream_ctx;
  stream_ctx.AddMetadata("authorization", "Bearer " + rev.token());
  auto stream = v1::IngestService::NewStub(ch)->WriteStream(&stream_ctx);
  v1::WriteResponse resp;
  ASSERT_TRUE(stream->Write(Write("z", kT0)));
  ASSERT_TRUE(stream->Read(&resp));
  EXPECT_FALSE(resp.has_error());
  grpc::ClientContext vctx;
  vctx.AddMetadata("authorization", "Bearer " + server_->admin_token());
  v1::RevokeTokenRequest vreq;
  vreq.set_id(rev.info().id());
  v1::RevokeTokenResponse vresp;
  ASSERT_TRUE(v1::AdminService::NewStub(ch)->RevokeToken(&vctx, vreq, &vresp).ok());
  ASSERT_TRUE(stream->Write(Write("z", kT0 + 1)));
  ASSERT_TRUE(stream->Read(&resp));
  EXPECT_EQ(resp.error().code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(resp.error().message(), HasSubstr("revoked"));
  stream->WritesDone();
  (void)stream->Finish();
  EXPECT_EQ(DoWrite(ch, rev.token(), Write("z")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CountPoints("z"), 1);
  // Token listing never shows a secret.
  grpc::ClientContext lctx;
  lctx.AddMetadata("authorization", "Bearer " + server_->admin_token());
  v1::ListTokensResponse list;
  ASSERT_TRUE(
      v1::AdminService::NewStub(ch)->ListTokens(&lctx, v1::ListTokensRequest(), &list).ok());
  EXPECT_GE(list.tokens_size(), 6);
  std::string dump = list.DebugString();
  EXPECT_EQ(dump.find(dev.token().substr(dev.token().size() - 20)), std::string::npos);
}

TEST_F(E2eSecurityTest, FailedAuthenticationIsSlowedButValidTokensAreNot) {
  Start();
  auto ch = Plain();
  const std::string bad = "tdb_bbbbbbbbbbbb_" + std::string(43, 'B');
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 14; i++) {
    EXPECT_EQ(DoWrite(ch, bad, Write("b")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  double failing = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(failing, 1.0) << "after the burst, failures must be held back";
  auto t1 = std::chrono::steady_clock::now();
  EXPECT_TRUE(DoWrite(ch, server_->admin_token(), Write("b")).ok());
  double valid = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  EXPECT_LT(valid, 1.0) << "a valid token must not wait for others' failures";
}

TEST_F(E2eSecurityTest, TlsAndMutualTls) {
  std::string certs = dir_.Sub("certs");
  ASSERT_EQ(
      RunProgram({"/bin/bash", "scripts/make-certs.sh", certs, "truck_1", "truck_2"}).exit_code, 0);
  std::string other = dir_.Sub("other");
  ASSERT_EQ(RunProgram({"/bin/bash", "scripts/make-certs.sh", other, "truck_1"}).exit_code, 0);
  std::string map = dir_.Sub("identity.map");
  {
    std::ofstream m(map);
    m << "# name scopes\ntruck_2 write:* read\n";
  }
  Start({"--tls-cert", certs + "/server.crt", "--tls-key", certs + "/server.key", "--tls-client-ca",
         certs + "/ca.crt", "--tls-client-auth", "require", "--tls-identity-map", map});
  auto tls = [&](const std::string& dir, const std::string& device) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = Slurp(certs + "/ca.crt");
    if (!device.empty()) {
      o.pem_cert_chain = Slurp(dir + "/" + device + ".crt");
      o.pem_private_key = Slurp(dir + "/" + device + ".key");
    }
    grpc::ChannelArguments args;
    args.SetString(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, "localhost");
    return grpc::CreateCustomChannel(server_->addr(), grpc::SslCredentials(o), args);
  };
  // A verified device certificate is an identity: write:device=<CN>.
  auto truck1 = tls(certs, "truck_1");
  EXPECT_TRUE(DoWrite(truck1, "", Write("truck_1")).ok());
  EXPECT_EQ(DoWrite(truck1, "", Write("truck_9")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The identity map grants truck_2 more.
  EXPECT_TRUE(DoWrite(tls(certs, "truck_2"), "", Write("anything")).ok());
  // Plaintext against TLS; no client certificate where one is required; another CA.
  EXPECT_EQ(DoWrite(Plain(), server_->admin_token(), Write("p")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(DoWrite(tls(certs, ""), server_->admin_token(), Write("p")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(DoWrite(tls(other, "truck_1"), "", Write("truck_1")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A token still works over TLS (and takes precedence over the certificate).
  EXPECT_TRUE(DoWrite(truck1, server_->admin_token(), Write("truck_9")).ok());
}

// Certificates rotate without a restart (the files are watched), and SIGHUP reloads the
// identity map: a device's scopes change for its next call.
TEST_F(E2eSecurityTest, CertificatesAndIdentityMapReloadWithoutRestart) {
  std::string a = dir_.Sub("a"), b = dir_.Sub("b"), live = dir_.Sub("live");
  ASSERT_EQ(RunProgram({"/bin/bash", "scripts/make-certs.sh", a, "truck_1"}).exit_code, 0);
  ASSERT_EQ(RunProgram({"/bin/bash", "scripts/make-certs.sh", b, "truck_1"}).exit_code, 0);
  ASSERT_EQ(RunProgram({"/bin/mkdir", "-p", live}).exit_code, 0);
  auto install = [&](const std::string& from) {  // replace each file atomically
    for (const char* f : {"server.crt", "server.key", "ca.crt"}) {
      ASSERT_EQ(RunProgram({"/bin/cp", from + "/" + f, live + "/" + f + ".new"}).exit_code, 0);
      ASSERT_EQ(std::rename((live + "/" + f + ".new").c_str(), (live + "/" + f).c_str()), 0);
    }
  };
  install(a);
  std::string map = dir_.Sub("identity.map");
  std::ofstream(map) << "# nobody has extra scopes yet\n";
  Start({"--tls-cert", live + "/server.crt", "--tls-key", live + "/server.key", "--tls-client-ca",
         live + "/ca.crt", "--tls-client-auth", "require", "--tls-identity-map", map});
  // A fresh connection (own subchannel pool) trusting `dir`'s CA, with its truck_1 certificate.
  auto connect = [&](const std::string& dir) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = Slurp(dir + "/ca.crt");
    o.pem_cert_chain = Slurp(dir + "/truck_1.crt");
    o.pem_private_key = Slurp(dir + "/truck_1.key");
    grpc::ChannelArguments args;
    args.SetString(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, "localhost");
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(server_->addr(), grpc::SslCredentials(o), args);
  };
  EXPECT_TRUE(DoWrite(connect(a), "", Write("truck_1")).ok());
  EXPECT_EQ(DoWrite(connect(a), "", Write("truck_9")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  install(b);
  std::ofstream(map) << "truck_1 write:*\n";
  ASSERT_EQ(kill(server_->pid(), SIGHUP), 0);
  grpc::Status rotated;
  for (int i = 0; i < 100; i++) {  // the files are checked every second
    rotated = DoWrite(connect(b), "", Write("truck_9"));
    if (rotated.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(rotated.ok()) << rotated.error_message();
  // The old CA no longer matches the server, and the old device certificate is not trusted.
  EXPECT_EQ(DoWrite(connect(a), "", Write("truck_1")).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(E2eSecurityTest, NonLoopbackWithoutTlsIsRefused) {
  auto r = RunProgram(
      {BinaryPath("server/telemdbd"), "--data-dir", dir_.Sub("x"), "--listen", "0.0.0.0:0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("without TLS"));
}

TEST_F(E2eSecurityTest, AuditChainDetectsAnEditedLine) {
  Start();
  auto ch = Plain();
  EXPECT_EQ(DoWrite(ch, "", Write("a")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_OK_AND_ASSIGN(auto t, CreateToken({"read"}));
  auto verify = [&] {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + server_->admin_token());
    v1::VerifyAuditResponse resp;
    EXPECT_TRUE(
        v1::AdminService::NewStub(ch)->VerifyAudit(&ctx, v1::VerifyAuditRequest(), &resp).ok());
    return resp;
  };
  auto good = verify();
  EXPECT_TRUE(good.ok()) << good.problem();
  EXPECT_GE(good.records(), 3u);
  std::string log = Slurp(dir_.Sub("data") + "/audit.log");
  EXPECT_THAT(log, HasSubstr("auth.failure"));
  EXPECT_THAT(log, HasSubstr("token create " + t.info().id()));
  EXPECT_EQ(log.find(t.token()), std::string::npos) << "no secret in the audit log";
  EXPECT_EQ(log.find(server_->admin_token()), std::string::npos);
  // Edit one line: the chain breaks there.
  size_t pos = log.find("auth.failure");
  log.replace(pos, 12, "auth.success");
  {
    std::ofstream out(dir_.Sub("data") + "/audit.log", std::ios::trunc);
    out << log;
  }
  auto bad = verify();
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(bad.problem(), HasSubstr("HMAC mismatch"));
  // Cut the tail: the anchor in the database notices.
  std::string head = log.substr(0, log.find('\n') + 1);
  {
    std::ofstream out(dir_.Sub("data") + "/audit.log", std::ios::trunc);
    out << Slurp(dir_.Sub("data") + "/audit.log").substr(0, 0) << head;
  }
  auto cut = verify();
  EXPECT_FALSE(cut.ok());
}

}  // namespace
}  // namespace telemdb::tests
