// The machine-credential lifecycle end to end, through the `telemdb` CLI against a real
// telemdbd: stale and expiring tokens, idle expiry, per-identity statistics with scope
// suggestions, behavioural anomalies, and audit gaps across restarts (docs/security.md).
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "re2/re2.h"
#include "tests/cli/cli_harness.h"
#include "tests/e2e_client.h"

namespace telemdb::tests {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class E2eIdentityTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> args = {}) {
    auto s = ServerProcess::Start(dir_.Sub("data"), std::move(args));
    ASSERT_OK(s.status());
    server_ = *std::move(s);
    ch_ = PlainChannel(server_->addr());
    mkdir(dir_.Sub("xdg").c_str(), 0700);
  }
  RunResult Cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {tests::Cli(), "--addr", server_->addr()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(
        argv, "",
        {"TELEMDB_TOKEN=" + server_->admin_token(), "XDG_CONFIG_HOME=" + dir_.Sub("xdg")});
  }
  std::string Token(std::vector<std::string> scopes) {
    auto t = CreateTokenAs(ch_, server_->admin_token(), scopes);
    EXPECT_OK(t.status());
    return t.ok() ? t->token() : "";
  }
  static std::string IdOf(const std::string& token) { return token.substr(4, 12); }
  std::string AuditText() {
    std::ifstream in(dir_.Sub("data") + "/audit.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> ch_;
};

TEST_F(E2eIdentityTest, StaleAndExpiringTokensAndTheLastPeer) {
  Start();
  const std::string used = Token({"write:*"});
  const std::string idle = Token({"read"});
  auto soon = CreateTokenAs(ch_, server_->admin_token(), {"read"}, 3600LL * 1'000'000'000);
  ASSERT_OK(soon.status());
  auto later = CreateTokenAs(ch_, server_->admin_token(), {"read"}, 90LL * 86400 * 1'000'000'000);
  ASSERT_OK(later.status());
  ASSERT_TRUE(WriteAs(ch_, used, OnePoint("m", "d", kE2eT0)).ok());

  RunResult all = Cli({"admin", "token", "list", "--format", "csv"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.out.substr(0, all.out.find('\n')),
            "id,description,scopes,created,expires,last_used,revoked,last_peer");
  EXPECT_TRUE(RE2::PartialMatch(all.out, IdOf(used) + ",[^\n]*,false,ipv4:127\\.0\\.0\\.1\n"))
      << all.out;
  // --stale 1h: never used (the idle token, the expiring ones), not the one just used.
  RunResult stale = Cli({"admin", "token", "list", "--stale", "1h", "--format", "csv"});
  ASSERT_EQ(stale.exit_code, 0) << stale.err;
  EXPECT_THAT(stale.out, HasSubstr(IdOf(idle)));
  EXPECT_THAT(stale.out, Not(HasSubstr(IdOf(used))));
  // --expiring 7d: the one-hour token, not the 90-day one nor those without expiry.
  RunResult expiring = Cli({"admin", "token", "list", "--expiring", "7d", "--format", "csv"});
  ASSERT_EQ(expiring.exit_code, 0) << expiring.err;
  EXPECT_THAT(expiring.out, HasSubstr(soon->info().id()));
  EXPECT_THAT(expiring.out, Not(HasSubstr(later->info().id())));
  EXPECT_THAT(expiring.out, Not(HasSubstr(IdOf(idle))));
  EXPECT_EQ(Cli({"admin", "token", "list", "--stale", "soon"}).exit_code, 2);  // bad duration
}

TEST_F(E2eIdentityTest, TokensUnusedForTooLongStopWorking) {
  Start({"--token-idle-expiry", "2s"});
  const std::string device = Token({"write:*"});
  ASSERT_TRUE(WriteAs(ch_, device, OnePoint("m", "d", kE2eT0)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  grpc::Status s = WriteAs(ch_, device, OnePoint("m", "d", kE2eT0 + 1));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("unused for more than"));
  // Admin tokens are exempt unless --token-idle-expiry-admin.
  EXPECT_TRUE(WriteAs(ch_, server_->admin_token(), OnePoint("m", "d", kE2eT0 + 2)).ok());
  RunResult verify = Cli({"admin", "audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(AuditText(), HasSubstr("token.expired_idle"));
}

// Who writes what, and which scopes are broader than their use; the figures survive a
// restart.
TEST_F(E2eIdentityTest, IdentitiesShowUseAndSuggestNarrowerScopes) {
  Start();
  const std::string gateway = Token({"write:*"});
  const std::string exact = Token({"write:device=truck_8"});
  for (int i = 0; i < 5; i++) {
    ASSERT_TRUE(WriteAs(ch_, gateway, OnePoint("readings", "truck_7", kE2eT0 + i)).ok());
    ASSERT_TRUE(WriteAs(ch_, exact, OnePoint("readings", "truck_8", kE2eT0 + i)).ok());
  }
  auto check = [&] {
    RunResult r = Cli({"admin", "identities", "--format", "json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(doc.is_object() && doc["rows"].is_array()) << r.out;
    std::map<std::string, int> col;
    for (size_t i = 0; i < doc["columns"].size(); i++) col[doc["columns"][i]] = static_cast<int>(i);
    bool saw_gateway = false, saw_exact = false;
    for (const auto& row : doc["rows"]) {
      if (row[col["identity"]] == IdOf(gateway)) {
        saw_gateway = true;
        EXPECT_EQ(row[col["points"]], 5);
        EXPECT_EQ(row[col["writes"]], 5);
        EXPECT_EQ(row[col["series"]], "1");
        EXPECT_EQ(row[col["flag"]], "narrow to write:device=truck_7");
        EXPECT_EQ(row[col["last_peer"]], "ipv4:127.0.0.1");
      }
      if (row[col["identity"]] == IdOf(exact)) {
        saw_exact = true;
        EXPECT_TRUE(row[col["flag"]].is_null()) << row.dump();
      }
    }
    EXPECT_TRUE(saw_gateway && saw_exact) << r.out;
  };
  check();
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  Start();
  check();
  RunResult csv = Cli({"admin", "identities", "--format", "csv"});
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\n')),
            "identity,kind,scopes,writes,points,series,measurements,bytes,first_seen,last_seen,"
            "last_peer,anomalies,flag");
}

// A device whose broad token suddenly writes for other devices is an identity.anomaly.
TEST_F(E2eIdentityTest, ADeviceWritingForOthersIsAnAnomaly) {
  Start({"--identity-anomaly", "--identity-anomaly-learning", "2s"});
  const std::string device = Token({"write:*"});
  for (int i = 0; i < 5; i++) {
    ASSERT_TRUE(WriteAs(ch_, device, OnePoint("readings", "truck_7", kE2eT0 + i)).ok());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  ASSERT_TRUE(WriteAs(ch_, device, OnePoint("readings", "truck_7", kE2eT0 + 10)).ok());
  // Now it writes for trucks it never wrote before (the token was stolen or misused).
  for (int t = 20; t < 25; t++) {
    ASSERT_TRUE(
        WriteAs(ch_, device, OnePoint("readings", "truck_" + std::to_string(t), kE2eT0)).ok());
  }
  RunResult stats = Cli({"admin", "stats", "--format", "csv"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  std::string n;
  ASSERT_TRUE(RE2::PartialMatch(stats.out, "identity_anomalies,(\\d+)", &n)) << stats.out;
  EXPECT_GE(std::stoi(n), 1);
  ASSERT_EQ(Cli({"admin", "audit", "verify"}).exit_code, 0);  // flushes the audit log
  const std::string audit = AuditText();
  EXPECT_THAT(audit, HasSubstr("identity.anomaly"));
  EXPECT_THAT(audit, HasSubstr("device=truck_20"));
}

// Defect 3: cutting the audit log's tail while the server was down went unnoticed. Now it
// is a gap that verify reports (exit 1) until an operator acknowledges it; a torn last
// line is repaired.
TEST_F(E2eIdentityTest, AuditGapAcrossARestartUntilAcknowledged) {
  Start();
  for (int i = 0; i < 3; i++) Token({"read"});
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  const std::string path = dir_.Sub("data") + "/audit.log";
  std::string text = AuditText();
  ASSERT_GT(std::count(text.begin(), text.end(), '\n'), 3);
  std::ofstream(path, std::ios::trunc) << text.substr(0, text.find('\n') + 1);
  Start();
  RunResult broken = Cli({"admin", "audit", "verify"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_THAT(broken.err, HasSubstr("gap"));
  EXPECT_THAT(broken.out, HasSubstr("are missing"));
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  Start();  // still reported after another restart
  EXPECT_EQ(Cli({"admin", "audit", "verify"}).exit_code, 1);
  RunResult ack = Cli({"admin", "audit", "ack-gap"});
  EXPECT_EQ(ack.exit_code, 0) << ack.err;
  EXPECT_THAT(ack.out, HasSubstr("acknowledged 1 gap"));
  RunResult fine = Cli({"admin", "audit", "verify"});
  EXPECT_EQ(fine.exit_code, 0) << fine.err;
  EXPECT_THAT(fine.out, HasSubstr("acknowledged by"));
  // A torn last line (a crash mid-write) is cut away and said so.
  server_->Stop(SIGKILL);
  std::ofstream(path, std::ios::app) << "{\"event\":\"admin.act";
  Start();
  RunResult repaired = Cli({"admin", "audit", "verify"});
  EXPECT_EQ(repaired.exit_code, 0) << repaired.err;
  EXPECT_THAT(AuditText(), HasSubstr("audit.torn_tail_repaired"));
}

}  // namespace
}  // namespace telemdb::tests
