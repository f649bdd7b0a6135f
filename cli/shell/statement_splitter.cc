#include "cli/shell/statement_splitter.h"

namespace telemdb::cli {
namespace {

bool Blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

void StatementSplitter::Emit(std::vector<std::string>* out) {
  if (!Blank(buf_)) out->push_back(Trim(buf_));
  buf_.clear();
}

void StatementSplitter::AddLine(std::string_view line, std::vector<std::string>* out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (quote_ == 0 && Blank(line)) {
    Emit(out);
    return;
  }
  for (char c : line) {
    if (quote_ != 0) {
      buf_.push_back(c);
      if (escape_) {
        escape_ = false;
      } else if (c == '\\') {
        escape_ = true;
      } else if (c == quote_) {
        quote_ = 0;
      }
      continue;
    }
    if (c == ';') {
      Emit(out);
      continue;
    }
    if (c == '\'' || c == '"' || c == '/') quote_ = c;
    buf_.push_back(c);
  }
  if (!buf_.empty()) buf_.push_back('\n');
  escape_ = false;
}

std::optional<std::string> StatementSplitter::Flush() {
  std::optional<std::string> s;
  if (!Blank(buf_)) s = Trim(buf_);
  Clear();
  return s;
}

bool StatementSplitter::empty() const { return Blank(buf_) && quote_ == 0; }

void StatementSplitter::Clear() {
  buf_.clear();
  quote_ = 0;
  escape_ = false;
}

}  // namespace telemdb::cli
