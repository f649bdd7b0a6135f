// Progress of `telemdb write` on stderr: a bar redrawn four times a second when stderr is a
// terminal (percentage and ETA for files of known size, points written and values/s), nothing
// otherwise. Messages (bad lines, rejections) go through Message() so they do not collide
// with the bar; at most `max_messages` are printed, then one line saying how many were not.
//
// Thread safety: Message() from any thread; Start/Stop from the owner.
#ifndef TELEMDB_CLI_WRITE_PROGRESS_H_
#define TELEMDB_CLI_WRITE_PROGRESS_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "cli/write/stream_writer.h"

namespace telemdb::cli {

class Progress {
 public:
  // `total_bytes` < 0: unknown (stdin). `bytes_read` and `counters` must outlive this.
  Progress(bool terminal, int64_t total_bytes, const std::atomic<int64_t>* bytes_read,
           const WriteCounters* counters, int max_messages = 100);
  ~Progress();

  void Start();
  // Stops the ticker and erases the bar.
  void Stop();
  // "telemdb: <line>" on stderr.
  void Message(const std::string& line);
  int64_t suppressed() const { return suppressed_; }

 private:
  void Draw();  // REQUIRES: mu_ held

  const bool terminal_;
  const int64_t total_bytes_;
  const std::atomic<int64_t>* bytes_read_;
  const WriteCounters* counters_;
  const int max_messages_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;       // GUARDED_BY(mu_)
  bool drawn_ = false;      // the bar is on screen; GUARDED_BY(mu_)
  int messages_ = 0;        // GUARDED_BY(mu_)
  int64_t suppressed_ = 0;  // GUARDED_BY(mu_)
  std::thread ticker_;
};

// 1234567 -> "1.23M", 950 -> "950".
std::string HumanCount(double v);

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_WRITE_PROGRESS_H_
