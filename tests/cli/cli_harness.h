// Shared fixture of the `telemdb` CLI end-to-end tests (tests/e2e_cli_test.cc,
// tests/cli/e2e_cli_session_test.cc): a real telemdbd per test, the real CLI binary
// ($TELEMDB_BINARY_DIR/cli/telemdb), deterministic fleet data and golden-file comparison
// (tests/cli/golden/; TELEMDB_UPDATE_GOLDEN=1 rewrites the goldens).
#ifndef TELEMDB_TESTS_CLI_CLI_HARNESS_H_
#define TELEMDB_TESTS_CLI_CLI_HARNESS_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/server_harness.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::tests {

inline constexpr int64_t kT0 = 1767225600;  // 2026-01-01T00:00:00Z, in seconds

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline std::string Cli() { return BinaryPath("cli/telemdb"); }

inline std::string GoldenDir() {
  const char* src = std::getenv("TELEMDB_SOURCE_DIR");
  return std::string(src ? src : ".") + "/tests/cli/golden/";
}

inline void ExpectGolden(const std::string& name, const std::string& actual) {
  std::string path = GoldenDir() + name;
  if (std::getenv("TELEMDB_UPDATE_GOLDEN") != nullptr) {
    WriteFile(path, actual);
    return;
  }
  EXPECT_EQ(actual, Slurp(path)) << "golden file " << path;
}

// The fleet of the query tests: 3 trucks, 12 minutes, every field type, notes with commas
// and quotes on even minutes only (nulls on odd ones).
inline std::string FleetLineProtocol() {
  std::string lp;
  const char* trucks[][2] = {{"East", "truck_1"}, {"East", "truck_2"}, {"West", "truck_3"}};
  for (int i = 0; i < 12; i++) {
    for (int t = 0; t < 3; t++) {
      int64_t ns = (kT0 + i * 60 + t) * 1'000'000'000;
      absl::StrAppendFormat(&lp, "readings,fleet=%s,name=%s velocity=%g,fuel=%di,ok=%s",
                            trucks[t][0], trucks[t][1], 50 + i * 0.5 + t * 10.25, 100 - i - t,
                            i % 3 == 0 ? "f" : "t");
      if (i % 2 == 0) {
        absl::StrAppend(&lp, t == 0 ? ",note=\"a,b\"" : ",note=\"say \\\"hi\\\"\"");
      }
      absl::StrAppend(&lp, " ", ns, "\n");
    }
  }
  return lp;
}

// A loopback port nobody listens on (bound, then released).
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// A server per test: tests write their own data.
class E2eCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ServerProcess::Start(dir_.Sub("data"));
    ASSERT_OK(s.status());
    server_ = *std::move(s);
    mkdir(dir_.Sub("xdg").c_str(), 0700);
  }

  // Runs `telemdb --addr <server> args...` with the admin token in TELEMDB_TOKEN and an empty
  // XDG_CONFIG_HOME (no config file from the developer's home).
  RunResult Run(std::vector<std::string> args, const std::string& in = "",
                std::vector<std::string> env = {}) {
    std::vector<std::string> argv = {Cli(), "--addr", server_->addr()};
    argv.insert(argv.end(), args.begin(), args.end());
    env.push_back("TELEMDB_TOKEN=" + server_->admin_token());
    env.push_back("XDG_CONFIG_HOME=" + dir_.Sub("xdg"));
    return RunProgram(argv, in, env);
  }

  RunResult WriteFleet() {
    std::string path = dir_.Sub("fleet.lp");
    WriteFile(path, FleetLineProtocol());
    return Run({"write", path});
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace telemdb::tests

#endif  // TELEMDB_TESTS_CLI_CLI_HARNESS_H_
