#include "cli/write/progress.h"

#include <cstdio>

#include "absl/strings/str_format.h"

namespace telemdb::cli {

std::string HumanCount(double v) {
  if (v >= 1e9) return absl::StrFormat("%.2fG", v / 1e9);
  if (v >= 1e6) return absl::StrFormat("%.2fM", v / 1e6);
  if (v >= 1e4) return absl::StrFormat("%.1fk", v / 1e3);
  return absl::StrFormat("%.0f", v);
}

Progress::Progress(bool terminal, int64_t total_bytes, const std::atomic<int64_t>* bytes_read,
                   const WriteCounters* counters, int max_messages)
    : terminal_(terminal),
      total_bytes_(total_bytes),
      bytes_read_(bytes_read),
      counters_(counters),
      max_messages_(max_messages),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { Stop(); }

void Progress::Start() {
  start_ = std::chrono::steady_clock::now();
  if (!terminal_) return;
  ticker_ = std::thread([this] {
    std::unique_lock<std::mutex> l(mu_);
    while (!stop_) {
      cv_.wait_for(l, std::chrono::milliseconds(250), [&] { return stop_; });
      if (!stop_) Draw();
    }
  });
}

void Progress::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (ticker_.joinable()) ticker_.join();
  std::lock_guard<std::mutex> l(mu_);
  if (drawn_) std::fputs("\r\x1b[K", stderr);
  drawn_ = false;
  if (suppressed_ > 0) {
    std::fprintf(stderr, "telemdb: %ld more messages not shown\n", static_cast<long>(suppressed_));
    suppressed_ = 0;
  }
  std::fflush(stderr);
}

void Progress::Message(const std::string& line) {
  std::lock_guard<std::mutex> l(mu_);
  if (messages_ >= max_messages_) {
    suppressed_++;
    return;
  }
  messages_++;
  if (drawn_) std::fputs("\r\x1b[K", stderr);
  drawn_ = false;
  std::fprintf(stderr, "telemdb: %s\n", line.c_str());
  std::fflush(stderr);
}

void Progress::Draw() {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  int64_t points = counters_->points_written.load();
  int64_t values = counters_->values_written.load();
  int64_t read = bytes_read_->load();
  std::string rate = absl::StrFormat("%s points  %s points/s  %s values/s",
                                     HumanCount(static_cast<double>(points)),
                                     HumanCount(secs > 0 ? static_cast<double>(points) / secs : 0),
                                     HumanCount(secs > 0 ? static_cast<double>(values) / secs : 0));
  std::string line;
  if (total_bytes_ > 0) {
    double frac = std::min(1.0, static_cast<double>(read) / static_cast<double>(total_bytes_));
    constexpr int kWidth = 24;
    int fill = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<size_t>(fill), '#');
    bar.append(static_cast<size_t>(kWidth - fill), '.');
    std::string eta = "--:--";
    if (frac > 0.001) {
      int left = static_cast<int>(secs / frac - secs + 0.5);
      eta = absl::StrFormat("%d:%02d", left / 60, left % 60);
    }
    line = absl::StrFormat("[%s] %3.0f%%  %s  ETA %s", bar, frac * 100, rate, eta);
  } else {
    line = absl::StrFormat("%s  %.0f s", rate, secs);
  }
  std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace telemdb::cli
