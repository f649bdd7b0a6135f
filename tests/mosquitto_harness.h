// Mosquitto: Debian's mosquitto broker started by a test or benchmark on a free loopback port,
// with its own configuration, persistence and log in a directory the caller owns. Never the
// system daemon or the default port. Stop() and Restart() keep the port and the persisted
// state, as a broker restart in production does.
//
// Thread safety: one thread uses a Mosquitto.
#ifndef TELEMDB_TESTS_MOSQUITTO_HARNESS_H_
#define TELEMDB_TESTS_MOSQUITTO_HARNESS_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace telemdb::tests {

struct MosquittoOptions {
  // Messages kept on disk across restarts (autosave every second). Default: true.
  bool persistence = true;
  // QoS 1/2 messages in flight to one client (3.1.1; MQTT 5 clients set their own receive
  // maximum). Default: 256.
  int max_inflight = 256;
  // More configuration lines. Default: none.
  std::string extra;
};

class Mosquitto {
 public:
  // Starts `mosquitto -c <dir>/mosquitto.conf` and waits (at most 10 s) until it accepts
  // connections. Errors: it exited or never listened (with its log).
  static absl::StatusOr<std::unique_ptr<Mosquitto>> Start(const std::string& dir,
                                                          MosquittoOptions options = {});
  ~Mosquitto();  // SIGKILL if running

  int port() const { return port_; }
  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }
  // Sends `sig` and waits for the exit. Returns the exit code (128 + signal when killed).
  int Stop(int sig);
  // Starts it again on the same port and directory.
  absl::Status Restart();
  std::string log() const;

 private:
  absl::Status Launch();
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A loopback TCP port that was free a moment ago.
int FreePort();

}  // namespace telemdb::tests

#endif  // TELEMDB_TESTS_MOSQUITTO_HARNESS_H_
