// LineReader: where the shell's lines come from. On a terminal, libedit (BSD licence) gives
// line editing and a history kept in a file created with mode 0600; otherwise lines are read
// plainly from a stream, without a prompt.
//
// Thread safety: one reader, used by the shell's thread.
#ifndef TELEMDB_CLI_SHELL_LINE_READER_H_
#define TELEMDB_CLI_SHELL_LINE_READER_H_

#include <istream>
#include <memory>
#include <optional>
#include <string>

namespace telemdb::cli {

class LineReader {
 public:
  virtual ~LineReader() = default;
  // The next line without its terminator; nullopt at the end of the input. An interrupt
  // (Ctrl-C) at the prompt gives an empty line with `*interrupted` set.
  virtual std::optional<std::string> Read(const std::string& prompt, bool* interrupted) = 0;
  // Records a statement in the history (terminals only).
  virtual void AddHistory(const std::string& entry) {}
};

// libedit on the terminal; history in `history_path` ("" = none).
std::unique_ptr<LineReader> MakeEditLineReader(const std::string& history_path);
// Plain lines from `in`.
std::unique_ptr<LineReader> MakeStreamLineReader(std::istream* in);

// True once Ctrl-C was pressed since the last call (with a terminal reader); clears it.
bool TakeInterrupt();

// $XDG_STATE_HOME/telemdb/history, else ~/.local/state/telemdb/history ("" without HOME).
// Creates the directory (0700) when missing.
std::string DefaultHistoryPath();

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_SHELL_LINE_READER_H_
