#include "tests/mosquitto_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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

bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

absl::StatusOr<std::unique_ptr<Mosquitto>> Mosquitto::Start(const std::string& dir,
                                                            MosquittoOptions o) {
  std::unique_ptr<Mosquitto> m(new Mosquitto());
  m->dir_ = dir;
  m->port_ = FreePort();
  std::ofstream conf(dir + "/mosquitto.conf");
  conf << "listener " << m->port_ << " 127.0.0.1\n"
       << "allow_anonymous true\n"
       << "user root\n"  // ignored unless started as root; keeps it able to read `dir`
       << "persistence " << (o.persistence ? "true" : "false") << "\n"
       << "persistence_location " << dir << "/\n"
       << "autosave_interval 1\n"
       << "max_inflight_messages " << o.max_inflight << "\n"
       << "max_queued_messages 10000000\n"
       << "log_dest file " << dir << "/mosquitto.log\n"
       << "log_type error\nlog_type warning\nlog_type notice\n"
       << o.extra << "\n";
  conf.close();
  if (absl::Status s = m->Launch(); !s.ok()) return s;
  return m;
}

absl::Status Mosquitto::Launch() {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open((dir_ + "/mosquitto.out").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    const std::string conf = dir_ + "/mosquitto.conf";
    execlp("mosquitto", "mosquitto", "-c", conf.c_str(), nullptr);
    _exit(127);
  }
  pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(absl::StrCat("mosquitto exited (status ", status,
                                                 "): ", Slurp(dir_ + "/mosquitto.out"),
                                                 Slurp(dir_ + "/mosquitto.log")));
    }
    if (Accepts(port_)) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError("mosquitto did not listen: " + log());
}

Mosquitto::~Mosquitto() {
  if (pid_ > 0) Stop(SIGKILL);
}

int Mosquitto::Stop(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

absl::Status Mosquitto::Restart() {
  if (pid_ > 0) Stop(SIGTERM);
  return Launch();
}

std::string Mosquitto::log() const {
  return Slurp(dir_ + "/mosquitto.out") + Slurp(dir_ + "/mosquitto.log");
}

}  // namespace telemdb::tests
