// ServerProcess: a real telemdbd started on a free loopback port for end-to-end tests. The
// binary comes from $TELEMDB_BINARY_DIR/server/telemdbd (set by ctest).
#ifndef TELEMDB_TESTS_SERVER_HARNESS_H_
#define TELEMDB_TESTS_SERVER_HARNESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace telemdb::tests {

std::string BinaryPath(const std::string& relative);  // under $TELEMDB_BINARY_DIR

// Resident set size of a process, from /proc/<pid>/statm; 0 when it cannot be read.
uint64_t RssBytes(pid_t pid);

// Built with AddressSanitizer/UBSan: memory figures are not the product's (shadow memory,
// quarantine) and everything runs several times slower, so memory bounds are not asserted
// and latency deadlines get more room.
#ifdef TELEMDB_SANITIZED
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

class ServerProcess {
 public:
  // Starts telemdbd with --data-dir `data_dir` --listen 127.0.0.1:0 (and --http-listen
  // 127.0.0.1:0 unless `args` name one) and `args`, and waits (at most 30 s) until it
  // listens. Errors: it exited or never listened (with its log).
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(const std::string& data_dir,
                                                              std::vector<std::string> args = {});
  ~ServerProcess();  // SIGKILL if still running

  int port() const { return port_; }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  // The HTTP listener (0 when the test turned it off or chose its own address).
  int http_port() const { return http_port_; }
  std::string http_addr() const { return "127.0.0.1:" + std::to_string(http_port_); }
  // The first-start admin token (from <data-dir>/admin.token).
  std::string admin_token() const;
  pid_t pid() const { return pid_; }
  // Sends `sig` and waits for the exit status (at most 60 s). Returns the exit code, or
  // 128 + signal when killed by one.
  int Stop(int sig);
  // Everything the server logged.
  std::string log() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int http_port_ = 0;
  std::string data_dir_, log_path_;
};

// Runs a program to completion, capturing stdout and stderr. Returns the exit code.
struct RunResult {
  int exit_code = -1;
  std::string out, err;
};
RunResult RunProgram(const std::vector<std::string>& argv, const std::string& stdin_data = "",
                     const std::vector<std::string>& env = {});

}  // namespace telemdb::tests

#endif  // TELEMDB_TESTS_SERVER_HARNESS_H_
