#include "cli/shell/line_reader.h"

#include <editline/readline.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace telemdb::cli {
namespace {

std::atomic<bool> g_interrupt{false};

extern "C" void OnInterrupt(int) { g_interrupt = true; }

void MakeDirs(const std::string& dir) {
  for (size_t p = 1; p <= dir.size(); p++) {
    if (p == dir.size() || dir[p] == '/') ::mkdir(dir.substr(0, p).c_str(), 0700);
  }
}

class EditLineReader : public LineReader {
 public:
  explicit EditLineReader(std::string history) : history_(std::move(history)) {
    using_history();
    stifle_history(2000);
    if (!history_.empty()) read_history(history_.c_str());
    // Ctrl-C at the prompt abandons the line instead of killing the shell: no SA_RESTART, so
    // the terminal read is interrupted and readline returns.
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = OnInterrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_);
  }
  ~EditLineReader() override { sigaction(SIGINT, &old_, nullptr); }

  std::optional<std::string> Read(const std::string& prompt, bool* interrupted) override {
    g_interrupt = false;
    *interrupted = false;
    char* line = readline(prompt.c_str());
    if (g_interrupt) {
      g_interrupt = false;
      *interrupted = true;
      std::free(line);
      std::fputs("\n", stdout);
      return std::string();
    }
    if (line == nullptr) return std::nullopt;
    std::string s(line);
    std::free(line);
    return s;
  }

  void AddHistory(const std::string& entry) override {
    std::string one_line = entry;
    for (char& c : one_line) {
      if (c == '\n') c = ' ';
    }
    add_history(one_line.c_str());
    if (history_.empty()) return;
    int fd = ::open(history_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
    write_history(history_.c_str());
    ::chmod(history_.c_str(), 0600);
  }

 private:
  std::string history_;
  struct sigaction old_;
};

class StreamLineReader : public LineReader {
 public:
  explicit StreamLineReader(std::istream* in) : in_(in) {}
  std::optional<std::string> Read(const std::string&, bool* interrupted) override {
    *interrupted = false;
    std::string line;
    if (!std::getline(*in_, line)) return std::nullopt;
    return line;
  }

 private:
  std::istream* in_;
};

}  // namespace

bool TakeInterrupt() { return g_interrupt.exchange(false); }

std::unique_ptr<LineReader> MakeEditLineReader(const std::string& history_path) {
  return std::make_unique<EditLineReader>(history_path);
}

std::unique_ptr<LineReader> MakeStreamLineReader(std::istream* in) {
  return std::make_unique<StreamLineReader>(in);
}

std::string DefaultHistoryPath() {
  std::string dir;
  const char* state = std::getenv("XDG_STATE_HOME");
  const char* home = std::getenv("HOME");
  if (state != nullptr && *state != '\0') {
    dir = std::string(state) + "/telemdb";
  } else if (home != nullptr && *home != '\0') {
    dir = std::string(home) + "/.local/state/telemdb";
  } else {
    return "";
  }
  MakeDirs(dir);
  return dir + "/history";
}

}  // namespace telemdb::cli
