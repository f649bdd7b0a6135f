// End-to-end tests of the `telemdb` CLI around its sessions: --version and help, usage errors,
// connection and authentication failures, the config file, and `telemdb shell` driven through
// piped stdin and through a pseudo-terminal (forkpty). Fixture: tests/cli/cli_harness.h.
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_harness.h"

namespace telemdb::tests {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST_F(E2eCliTest, VersionAndHelp) {
  RunResult r = RunProgram({Cli(), "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "telemdb 0.1.0\n");
  RunResult help = RunProgram({Cli(), "help", "query"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, AllOf(HasSubstr("Usage: telemdb query"), HasSubstr("--format"),
                              HasSubstr("Examples:"), HasSubstr("--addr")));
  EXPECT_EQ(RunProgram({Cli(), "query", "--help"}).out, help.out);
  for (const char* cmd :
       {"write", "shell", "measurements", "fields", "series", "tags", "last", "admin"}) {
    RunResult h = RunProgram({Cli(), "help", cmd});
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_THAT(h.out, HasSubstr("Examples:")) << cmd;
  }
  EXPECT_EQ(RunProgram({Cli(), "admin", "delete", "--help"}).exit_code, 0);
}

TEST_F(E2eCliTest, UsageErrorsExitTwo) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{},
                                             {"frobnicate"},
                                             {"query"},
                                             {"query", "--format", "xml", "SHOW MEASUREMENTS"},
                                             {"write", "--format", "csv", "x.csv"},
                                             {"write", "/nonexistent/file.lp"},
                                             {"admin", "delete", "readings"},
                                             {"admin", "snapshot", "relative/dir"}}) {
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << absl::StrJoin(args, " ") << "\n" << r.err;
    EXPECT_THAT(r.err, StartsWith("telemdb: ")) << absl::StrJoin(args, " ");
    EXPECT_EQ(r.out, "") << absl::StrJoin(args, " ");
  }
}

TEST_F(E2eCliTest, UnreachableServerExitsThreeWithinTenSeconds) {
  std::string addr = absl::StrCat("127.0.0.1:", FreePort());
  auto t0 = std::chrono::steady_clock::now();
  RunResult r = RunProgram({Cli(), "--addr", addr, "measurements"}, "",
                           {"XDG_CONFIG_HOME=" + dir_.Sub("xdg")});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, AllOf(StartsWith("telemdb: "), HasSubstr("cannot reach"), HasSubstr(addr)));
  EXPECT_LT(secs, 14);
  EXPECT_GT(secs, 5);  // it did retry
}

TEST_F(E2eCliTest, BadTokenExitsThreeAndIsNeverPrinted) {
  const std::string secret = "tdb_not-a-real-token-4242";
  std::vector<std::string> argv = {Cli(), "--addr", server_->addr(), "measurements"};
  RunResult r =
      RunProgram(argv, "", {"TELEMDB_TOKEN=" + secret, "XDG_CONFIG_HOME=" + dir_.Sub("xdg")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, StartsWith("telemdb: "));
  EXPECT_THAT(r.err + r.out, Not(HasSubstr(secret)));
  // A write with a bad token fails the same way, early.
  WriteFile(dir_.Sub("one.lp"), "m f=1 1767225600000000000\n");
  argv = {Cli(), "--addr", server_->addr(), "write", dir_.Sub("one.lp")};
  r = RunProgram(argv, "", {"TELEMDB_TOKEN=" + secret, "XDG_CONFIG_HOME=" + dir_.Sub("xdg")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err + r.out, Not(HasSubstr(secret)));
  // So does a token file holding a bad token, and --help never shows one.
  WriteFile(dir_.Sub("token"), secret + "\n");
  r = RunProgram({Cli(), "--addr", server_->addr(), "--token-file", dir_.Sub("token"), "tags"}, "",
                 {"XDG_CONFIG_HOME=" + dir_.Sub("xdg")});
  EXPECT_EQ(r.exit_code, 3);
  r = RunProgram({Cli(), "query", "--help"}, "", {"TELEMDB_TOKEN=" + secret});
  EXPECT_THAT(r.out, Not(HasSubstr(secret)));
}

TEST_F(E2eCliTest, ShellReadsStatementsFromPipedStdin) {
  ASSERT_EQ(WriteFleet().exit_code, 0);
  std::string script =
      "SHOW MEASUREMENTS;\n"
      "\\format jsonl\n"
      "SELECT max(fuel) FROM readings\n"
      "  WHERE fleet = 'West';\n"
      "\\format csv\n"
      "SELECT bad FORM x;\n"
      "SELECT count(velocity)\n"
      "FROM readings\n"
      "\n"
      "\\q\n"
      "SHOW MEASUREMENTS;\n";
  RunResult r = Run({"shell"}, script);
  EXPECT_EQ(r.exit_code, 1);  // one statement failed
  EXPECT_EQ(r.out,
            "name\nreadings\n"
            "{\"time\":\"1970-01-01T00:00:00Z\",\"max\":98}\n"
            "time,count\n1970-01-01T00:00:00Z,36\n");
  EXPECT_THAT(r.err, AllOf(StartsWith("telemdb: line 1, column"), Not(HasSubstr("telemdb>"))));
  RunResult ok = Run({"shell", "--format", "json"}, "SHOW MEASUREMENTS");
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.out, "{\"columns\":[\"name\"],\"rows\":[\n[\"readings\"]\n]}\n");
}

// Reads from a pty master until `want` shows up or 10 s pass; returns everything read.
std::string ReadUntil(int fd, const std::string& want, std::string* all) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (all->find(want) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    all->append(buf, static_cast<size_t>(n));
  }
  return *all;
}

TEST_F(E2eCliTest, ShellOnATerminalKeepsPrivateHistory) {
  ASSERT_EQ(WriteFleet().exit_code, 0);
  std::string state = dir_.Sub("state");
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("TELEMDB_TOKEN", server_->admin_token().c_str(), 1);
    setenv("XDG_CONFIG_HOME", dir_.Sub("xdg").c_str(), 1);
    setenv("XDG_STATE_HOME", state.c_str(), 1);
    setenv("TERM", "dumb", 1);
    std::string cli = Cli(), addr = server_->addr();
    execl(cli.c_str(), cli.c_str(), "--addr", addr.c_str(), "shell", "--format", "csv",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string all;
  ReadUntil(master, "telemdb>", &all);
  ASSERT_THAT(all, HasSubstr("telemdb>"));
  std::string input = "SHOW\nMEASUREMENTS;\n";
  ASSERT_EQ(write(master, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ReadUntil(master, "readings", &all);
  EXPECT_THAT(all, HasSubstr("readings"));
  input = "\\q\n";
  ASSERT_EQ(write(master, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  int status = 0;
  for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++) {
    std::string sink;
    ReadUntil(master, "\x01never", &sink);
  }
  close(master);
  if (waitpid(pid, &status, WNOHANG) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << all;
  struct stat st;
  std::string history = state + "/telemdb/history";
  ASSERT_EQ(stat(history.c_str(), &st), 0) << history;
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_THAT(Slurp(history), HasSubstr("MEASUREMENTS;"));  // libedit encodes blanks
}

TEST_F(E2eCliTest, ConfigFileSuppliesConnectionAndFlagsWin) {
  ASSERT_EQ(WriteFleet().exit_code, 0);
  std::string xdg = dir_.Sub("cfg");
  mkdir(xdg.c_str(), 0700);
  mkdir((xdg + "/telemdb").c_str(), 0700);
  WriteFile(dir_.Sub("cfg/telemdb/token"), server_->admin_token() + "\n");
  WriteFile(dir_.Sub("cfg/telemdb/config.toml"),
            absl::StrCat("# test\naddr = \"", server_->addr(), "\"\ntoken_file = \"token\"\n"));
  RunResult r = RunProgram({Cli(), "measurements"}, "", {"XDG_CONFIG_HOME=" + xdg});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "name\nreadings\n");
  // HOME/.config is used without XDG_CONFIG_HOME.
  std::string home = dir_.Sub("home");
  for (const char* d : {"", "/.config", "/.config/telemdb"}) mkdir((home + d).c_str(), 0700);
  WriteFile(home + "/.config/telemdb/token", server_->admin_token() + "\n");
  WriteFile(
      home + "/.config/telemdb/config.toml",
      absl::StrCat("addr = '", server_->addr(), "'\ntoken_file = '~/.config/telemdb/token'\n"));
  r = RunProgram({Cli(), "measurements"}, "", {"HOME=" + home, "XDG_CONFIG_HOME="});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // A flag wins over the file.
  std::string nowhere = absl::StrCat("127.0.0.1:", FreePort());
  r = RunProgram({Cli(), "--addr", nowhere, "--connect-timeout", "1", "measurements"}, "",
                 {"HOME=" + home, "XDG_CONFIG_HOME="});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr(nowhere));
  // --config points elsewhere; a missing one is a usage error.
  r = RunProgram({Cli(), "--config", xdg + "/telemdb/config.toml", "measurements"}, "",
                 {"HOME=/nonexistent", "XDG_CONFIG_HOME="});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = RunProgram({Cli(), "--config", dir_.Sub("missing.toml"), "measurements"});
  EXPECT_EQ(r.exit_code, 2);
  WriteFile(dir_.Sub("broken.toml"), "addr = 7700\n");
  r = RunProgram({Cli(), "--config", dir_.Sub("broken.toml"), "measurements"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("broken.toml line 1"));
}

}  // namespace
}  // namespace telemdb::tests
