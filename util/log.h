// Structured logging: one line per event on stderr, `key=value` pairs after a timestamp,
// level and event name. Never log secrets or payloads. Thread safety: Log() is safe to call
// from any thread; each line is written with one write(2), so lines never interleave.
//
//   Log(LogLevel::kInfo, "wal.replay", {{"segments", 3}, {"points", n}});
// prints
//   ts=2026-11-23T05:49:38.123Z level=info event=wal.replay segments=3 points=1200
#ifndef TELEMDB_UTIL_LOG_H_
#define TELEMDB_UTIL_LOG_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace telemdb {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

class LogValue {
 public:
  LogValue(std::string_view s) : text_(s) {}                    // NOLINT: implicit by design
  LogValue(const std::string& s) : text_(s) {}                  // NOLINT
  LogValue(const char* s) : text_(s) {}                         // NOLINT
  LogValue(int64_t v) : text_(std::to_string(v)) {}             // NOLINT
  LogValue(uint64_t v) : text_(std::to_string(v)) {}            // NOLINT
  LogValue(int v) : text_(std::to_string(v)) {}                 // NOLINT
  LogValue(unsigned v) : text_(std::to_string(v)) {}            // NOLINT
  LogValue(long long v) : text_(std::to_string(v)) {}           // NOLINT
  LogValue(unsigned long long v) : text_(std::to_string(v)) {}  // NOLINT
  LogValue(double v);                                           // NOLINT
  LogValue(bool v) : text_(v ? "true" : "false") {}             // NOLINT
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

using LogField = std::pair<std::string_view, LogValue>;

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

// Lines below `level` are dropped. Default: kInfo (TELEMDB_LOG_LEVEL=debug|info|warning|error).
void SetMinLogLevel(LogLevel level);

}  // namespace telemdb

#endif  // TELEMDB_UTIL_LOG_H_
