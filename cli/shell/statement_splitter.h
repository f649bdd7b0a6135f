// StatementSplitter: cuts shell input into statements. A statement ends at a ';' outside
// quotes ('...' strings, "..." names, /.../ regexes, each with backslash escapes) or at a
// blank line; it may span any number of lines.
//
// Thread safety: not thread-safe; one per shell.
#ifndef TELEMDB_CLI_SHELL_STATEMENT_SPLITTER_H_
#define TELEMDB_CLI_SHELL_STATEMENT_SPLITTER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace telemdb::cli {

class StatementSplitter {
 public:
  // Adds one line (without its terminator); appends each statement it completes to `out`,
  // trimmed and without the ';'.
  void AddLine(std::string_view line, std::vector<std::string>* out);
  // The unfinished statement at the end of the input, if it holds anything.
  std::optional<std::string> Flush();
  // True when no statement is being continued.
  bool empty() const;
  void Clear();

 private:
  void Emit(std::vector<std::string>* out);

  std::string buf_;
  char quote_ = 0;  // the open quote: ' " / or 0
  bool escape_ = false;
};

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_SHELL_STATEMENT_SPLITTER_H_
