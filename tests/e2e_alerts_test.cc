// Alert rules against a real telemdbd: the CLI (admin rule ..., alerts) in table/CSV/JSON,
// clear errors, rules and alert states across a restart, `_alerts` and listings limited to
// what a token may read, WatchAlerts, denials audited.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "telemdb/v1/realtime.grpc.pb.h"
#include "tests/cli/cli_harness.h"
#include "tests/e2e_client.h"
#include "tests/server_harness.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::tests {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class E2eAlertsTest : public ::testing::Test {
 protected:
  void Start() {
    auto s = ServerProcess::Start(dir_.Sub("data"), {"--live-heartbeat", "1s"});
    ASSERT_OK(s.status());
    server_ = *std::move(s);
    ch_ = PlainChannel(server_->addr());
    admin_ = server_->admin_token();
  }
  RunResult Cli(std::vector<std::string> args, const std::string& token = "") {
    std::vector<std::string> argv = {tests::Cli(), "--addr", server_->addr()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(argv, "",
                      {"TELEMDB_TOKEN=" + (token.empty() ? admin_ : token),
                       "XDG_CONFIG_HOME=" + dir_.Sub("xdg")});
  }
  std::string Token(std::vector<std::string> scopes) {
    auto t = CreateTokenAs(ch_, admin_, scopes);
    EXPECT_OK(t.status());
    return t.ok() ? t->token() : "";
  }
  void Write(const std::string& m, const std::string& device, double v) {
    ASSERT_TRUE(WriteAs(ch_, admin_, OnePoint(m, device, absl::GetCurrentTimeNanos(), v)).ok());
  }
  // Polls `telemdb alerts --format csv ...` until its output contains `want` (10 s at most).
  bool WaitForAlert(const std::string& want, const std::string& token = "") {
    for (int i = 0; i < 100; i++) {
      if (Cli({"alerts", "--format", "csv"}, token).out.find(want) != std::string::npos) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> ch_;
  std::string admin_;
};

TEST_F(E2eAlertsTest, RuleLifecycleThroughTheCli) {
  Start();
  RunResult r = Cli({"admin", "rule", "create", "hot", "--query", "FROM readings GROUP BY device",
                     "--condition", "last(v) over 10s > 8", "--every", "1s", "--labels", "sev=page",
                     "--labels", "team=fleet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("created rule hot (threshold, incremental)"));
  // Garbage is refused with what is wrong.
  struct Bad {
    std::vector<std::string> args;
    std::string says;
  } bad[] = {
      {{"9hot", "--query", "FROM m", "--condition", "max(v) > 1"}, "must start with a letter"},
      {{"x", "--query", "FROM m", "--condition", "max(v) >"}, "condition: column 9"},
      {{"x", "--query", "FROM m WHERE v > 1", "--condition", "max(v) > 1"}, "tag v"},
      {{"x", "--query", "FROM m", "--condition", "max(v) > 1", "--every", "2q"}, "--every"},
      {{"x", "--query", "FROM m", "--condition", "max(v) > 1", "--notify", "nobody"},
       "no notification target"},
      {{"x", "--query", "FROM m", "--condition", "max(v) > 1", "--labels", "oops"}, "key=value"},
      {{"hot", "--query", "FROM m", "--condition", "max(v) > 1"}, "exists"},
  };
  for (const Bad& b : bad) {
    std::vector<std::string> args = {"admin", "rule", "create"};
    args.insert(args.end(), b.args.begin(), b.args.end());
    RunResult e = Cli(args);
    EXPECT_NE(e.exit_code, 0) << b.says;
    EXPECT_THAT(e.err, HasSubstr(b.says));
  }
  RunResult list = Cli({"admin", "rule", "list", "--format", "csv"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("hot,threshold,incremental,FROM readings GROUP BY device,"
                                  "last(v) over 10s > 8,0s,1s,false"));
  RunResult json = Cli({"admin", "rule", "list", "--format", "json"});
  auto j = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json.out;
  EXPECT_EQ(j["rows"][0][0], "hot");
  RunResult show = Cli({"admin", "rule", "show", "hot", "--format", "csv"});
  EXPECT_THAT(show.out, HasSubstr("window,10s"));
  EXPECT_THAT(show.out, HasSubstr("labels,\"sev=page,team=fleet\""));

  Write("readings", "a", 9);
  Write("readings", "b", 1);
  ASSERT_TRUE(WaitForAlert("hot,device=a,firing"));
  RunResult table = Cli({"alerts", "--state", "firing", "--format", "table"});
  EXPECT_THAT(table.out, HasSubstr("device=a"));
  EXPECT_THAT(table.out, Not(HasSubstr("device=b")));
  RunResult aj = Cli({"alerts", "--format", "json"});
  auto alerts = nlohmann::json::parse(aj.out, nullptr, false);
  ASSERT_FALSE(alerts.is_discarded()) << aj.out;
  ASSERT_EQ(alerts["rows"].size(), 1u);
  EXPECT_EQ(alerts["rows"][0][2], "firing");

  ASSERT_EQ(Cli({"admin", "rule", "pause", "hot"}).exit_code, 0);
  EXPECT_THAT(Cli({"admin", "rule", "show", "hot", "--format", "csv"}).out,
              HasSubstr("paused,true"));
  // Rules and alert states survive a restart (the rule paused, the alert still firing).
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  Start();
  EXPECT_THAT(Cli({"admin", "rule", "show", "hot", "--format", "csv"}).out,
              HasSubstr("paused,true"));
  EXPECT_THAT(Cli({"alerts", "--format", "csv"}).out, HasSubstr("hot,device=a,firing"));
  ASSERT_EQ(Cli({"admin", "rule", "resume", "hot"}).exit_code, 0);
  Write("readings", "a", 2);  // cools down: the last value in the window is 2
  ASSERT_TRUE(WaitForAlert("hot,device=a,resolved"));
  RunResult del = Cli({"admin", "rule", "delete", "hot"});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_THAT(Cli({"admin", "rule", "list", "--format", "csv"}).out, Not(HasSubstr("hot")));
  EXPECT_THAT(Cli({"admin", "rule", "delete", "hot"}).err, HasSubstr("no rule named"));
}

TEST_F(E2eAlertsTest, AlertsAreScopedToWhatATokenMayRead) {
  Start();
  for (const auto& [name, m] :
       {std::pair<std::string, std::string>{"r_read", "readings"}, {"r_diag", "diagnostics"}}) {
    RunResult r = Cli({"admin", "rule", "create", name, "--query",
                       absl::StrCat("FROM ", m, " GROUP BY device"), "--condition",
                       "last(v) over 10s > 8", "--every", "1s"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const std::string narrow = Token({"read:readings"});
  const std::string wide = Token({"read"});
  // A watcher with `current` before anything fires.
  grpc::ClientContext wctx;
  wctx.AddMetadata("authorization", "Bearer " + narrow);
  v1::WatchAlertsRequest wreq;
  auto watch = v1::AlertService::NewStub(ch_)->WatchAlerts(&wctx, wreq);
  Write("readings", "a", 9);
  Write("diagnostics", "a", 9);
  ASSERT_TRUE(WaitForAlert("r_diag,device=a,firing"));
  ASSERT_TRUE(WaitForAlert("r_read,device=a,firing"));
  // The narrow token's listing and `_alerts` hold only readings' rule.
  RunResult n = Cli({"alerts", "--format", "csv"}, narrow);
  EXPECT_THAT(n.out, HasSubstr("r_read"));
  EXPECT_THAT(n.out, Not(HasSubstr("r_diag")));
  auto rows = [&](const std::string& token, const std::string& q) {
    QueryResult r = RunQuery(ch_, token, q);
    std::string all = r.status.ok() ? "" : "ERROR " + r.status.error_message();
    for (const auto& m : r.messages) all += m.DebugString();
    return all;
  };
  std::string narrow_rows = rows(narrow, "SELECT state FROM _alerts GROUP BY rule");
  EXPECT_THAT(narrow_rows, HasSubstr("r_read"));
  EXPECT_THAT(narrow_rows, Not(HasSubstr("r_diag")));
  std::string wide_rows = rows(wide, "SELECT state FROM _alerts GROUP BY rule");
  EXPECT_THAT(wide_rows, HasSubstr("r_diag"));
  std::string values = rows(narrow, "SHOW TAG VALUES FROM _alerts WITH KEY = rule");
  EXPECT_THAT(values, HasSubstr("r_read"));
  EXPECT_THAT(values, Not(HasSubstr("r_diag")));
  EXPECT_THAT(rows(Token({"write:*"}), "SELECT state FROM _alerts"), HasSubstr("ERROR"));
  // The watcher saw its rule's transition and not the other one's.
  v1::WatchAlertsResponse msg;
  ASSERT_TRUE(watch->Read(&msg));
  ASSERT_TRUE(msg.has_event());
  EXPECT_EQ(msg.event().rule(), "r_read");
  EXPECT_EQ(msg.event().to(), "firing");
  EXPECT_FALSE(msg.event().id().empty());
  // A reader cannot manage rules; the refusal is audited.
  RunResult denied =
      Cli({"admin", "rule", "create", "x", "--query", "FROM readings", "--condition", "max(v) > 1"},
          wide);
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_THAT(denied.err, HasSubstr("admin right"));
  wctx.TryCancel();
  while (watch->Read(&msg)) {
  }
  (void)watch->Finish();
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  std::ifstream in(dir_.Sub("data") + "/audit.log");
  std::string audit((std::istreambuf_iterator<char>(in)), {});
  EXPECT_THAT(audit, HasSubstr("rule create x"));
  EXPECT_THAT(audit, HasSubstr("\"event\":\"alert.transition\""));
  EXPECT_THAT(audit, HasSubstr("rule create r_read"));
}

}  // namespace
}  // namespace telemdb::tests
