// telemdbd: parses flags, starts the server, waits for SIGTERM/SIGINT. The first signal
// shuts down gracefully (stop accepting, finish in-flight batches, seal and sync, exit 0); a
// second one exits at once (the WAL keeps everything acknowledged).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "server/server.h"
#include "server/server_options.h"
#include "util/log.h"

int main(int argc, char** argv) {
  using telemdb::Log;
  using telemdb::LogLevel;
  // Debian's abseil checks lock ordering on every Mutex acquisition unless told not to; our
  // lock order is documented and kept by design.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto flags = telemdb::server::ParseServerFlags(argc, argv);
  if (flags.exit_now) return flags.exit_code;

  // Signals are taken synchronously by this thread only.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  telemdb::server::Server server(flags.options);
  absl::Status s = server.Start();
  if (!s.ok()) {
    Log(LogLevel::kError, "server.start_failed", {{"error", s.ToString()}});
    std::fprintf(stderr, "telemdbd: %s\n", s.ToString().c_str());
    return 1;
  }
  int sig = 0;
  while (true) {
    sigwait(&set, &sig);
    if (sig != SIGHUP) break;
    absl::Status r = server.Reload();  // TLS files reload by themselves (watched)
    if (!r.ok()) Log(LogLevel::kError, "server.reload_failed", {{"error", r.ToString()}});
  }
  Log(LogLevel::kInfo, "server.signal", {{"signal", sig}});
  std::thread second([] {
    int again = 0;
    sigset_t s2;
    sigemptyset(&s2);
    sigaddset(&s2, SIGINT);
    sigaddset(&s2, SIGTERM);
    sigwait(&s2, &again);
    Log(LogLevel::kWarning, "server.exit_now", {{"signal", again}});
    _exit(130);
  });
  second.detach();
  s = server.Shutdown();
  // Everything is sealed and synced; skip gRPC's slow global teardown.
  std::fflush(nullptr);
  _exit(s.ok() ? 0 : 1);
}
