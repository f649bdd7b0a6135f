#include "tests/server_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"

namespace telemdb::tests {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

uint64_t RssBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

std::string BinaryPath(const std::string& relative) {
  const char* bin = std::getenv("TELEMDB_BINARY_DIR");
  return std::string(bin ? bin : "build") + "/" + relative;
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(const std::string& data_dir,
                                                                    std::vector<std::string> args) {
  auto p = std::unique_ptr<ServerProcess>(new ServerProcess());
  p->data_dir_ = data_dir;
  p->log_path_ = data_dir + ".log";
  std::string port_file = data_dir + ".port";
  std::string http_port_file = data_dir + ".http_port";
  ::unlink(port_file.c_str());
  ::unlink(http_port_file.c_str());
  std::vector<std::string> argv = {BinaryPath("server/telemdbd"),
                                   "--data-dir",
                                   data_dir,
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--port-file",
                                   port_file};
  // The HTTP listener on a free port too (parallel test servers never collide), unless the
  // test chose one.
  bool http_given = false;
  for (const auto& a : args) http_given |= a == "--http-listen";
  if (!http_given) {
    argv.insert(argv.end(), {"--http-listen", "127.0.0.1:0", "--http-port-file", http_port_file});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(p->log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  p->pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      p->pid_ = -1;
      return absl::UnavailableError(
          absl::StrCat("telemdbd exited with status ", status, ":\n", Slurp(p->log_path_)));
    }
    std::string port = Slurp(port_file);
    std::string http_port = http_given ? "0\n" : Slurp(http_port_file);
    if (!port.empty() && port.back() == '\n' && !http_port.empty() && http_port.back() == '\n') {
      p->port_ = std::atoi(port.c_str());
      p->http_port_ = std::atoi(http_port.c_str());
      return p;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError("telemdbd did not start listening:\n" + Slurp(p->log_path_));
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
}

std::string ServerProcess::admin_token() const {
  std::string t = Slurp(data_dir_ + "/admin.token");
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

int ServerProcess::Stop(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

std::string ServerProcess::log() const { return Slurp(log_path_); }

RunResult RunProgram(const std::vector<std::string>& argv, const std::string& stdin_data,
                     const std::vector<std::string>& env) {
  int in[2], out[2], err[2];
  RunResult r;
  if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) return r;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> cargv;
    std::vector<std::string> copy = argv;
    for (auto& a : copy) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  std::thread feeder([&] {
    size_t off = 0;
    while (off < stdin_data.size()) {
      ssize_t w = write(in[1], stdin_data.data() + off, stdin_data.size() - off);
      if (w <= 0) break;
      off += static_cast<size_t>(w);
    }
    close(in[1]);
  });
  auto drain = [](int fd, std::string* s) {
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) s->append(buf, static_cast<size_t>(n));
    close(fd);
  };
  std::thread t_err(drain, err[0], &r.err);
  drain(out[0], &r.out);
  t_err.join();
  feeder.join();
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace telemdb::tests
