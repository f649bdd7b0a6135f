#include "query/lang/lexer.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "query/lang/parser.h"
#include "query/lang/time_literal.h"
#include "util/client_text.h"

namespace telemdb::query::lang {
namespace {

constexpr size_t kMaxDescribedChars = 40;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
// Starts of the two spellings of micro: U+00B5 (C2 B5) and U+03BC (CE BC).
bool IsMicroAt(std::string_view s, size_t i) {
  return i + 1 < s.size() &&
         ((s[i] == '\xC2' && s[i + 1] == '\xB5') || (s[i] == '\xCE' && s[i + 1] == '\xBC'));
}

// Shows one (possibly multi-byte) character of `s` at `i` for a message.
std::string ShowChar(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c >= 0x20 && c < 0x7F) return std::string(1, static_cast<char>(c));
  int len = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (len > 0 && i + len <= s.size()) {
    bool valid = true;
    for (int k = 1; k < len; ++k) valid &= (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (valid) return std::string(s.substr(i, len));
  }
  char buf[8];
  snprintf(buf, sizeof(buf), "\\x%02X", c);
  return buf;
}

class Lexer {
 public:
  explicit Lexer(std::string_view query) : s_(query) {}

  absl::StatusOr<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    while (true) {
      while (pos_ < s_.size() && IsSpace(s_[pos_])) Advance();
      Token t;
      t.line = line_;
      t.column = column_;
      const size_t start = pos_;
      if (pos_ >= s_.size()) {
        t.kind = TokenKind::kEnd;
        tokens.push_back(std::move(t));
        return tokens;
      }
      if (absl::Status st = Lex(&t); !st.ok()) return st;
      t.text = s_.substr(start, pos_ - start);
      prev_kind_ = t.kind;
      prev_end_ = pos_;
      prev_reserved_ = t.kind == TokenKind::kIdent && IsReservedWord(t.text);
      tokens.push_back(std::move(t));
    }
  }

 private:
  void Advance() {
    const char c = s_[pos_++];
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++column_;
    }
  }
  char Peek(size_t k = 0) const { return pos_ + k < s_.size() ? s_[pos_ + k] : '\0'; }

  // Whether a '/' here divides: the previous token ends an operand.
  bool DivisionMayFollow() const {
    switch (prev_kind_) {
      case TokenKind::kRParen:
      case TokenKind::kQuotedIdent:
      case TokenKind::kInteger:
      case TokenKind::kFloat:
      case TokenKind::kDuration:
        return true;
      case TokenKind::kIdent:
        return !prev_reserved_;
      default:
        return false;
    }
  }

  absl::Status Error(const Token& t, std::string_view message) const {
    return SyntaxError(t.line, t.column, message);
  }

  absl::Status Lex(Token* t) {
    const char c = Peek();
    if (IsIdentStart(c)) {
      while (pos_ < s_.size() && IsIdentChar(s_[pos_])) Advance();
      t->kind = TokenKind::kIdent;
      return absl::OkStatus();
    }
    // A '.' glued to a name (or to another such '.') joins the parts of a qualified name.
    const bool glued =
        prev_end_ == pos_ && (prev_kind_ == TokenKind::kQuotedIdent ||
                              prev_kind_ == TokenKind::kDot || (prev_kind_ == TokenKind::kIdent));
    if (c == '.' && glued) {
      Advance();
      t->kind = TokenKind::kDot;
      return absl::OkStatus();
    }
    if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) return LexNumber(t);
    if (c == '"') return LexQuoted(t, '"', TokenKind::kQuotedIdent, "quoted identifier");
    if (c == '\'') return LexQuoted(t, '\'', TokenKind::kString, "string");
    if (c == '/') {
      if (DivisionMayFollow()) {
        Advance();
        t->kind = TokenKind::kSlash;
        return absl::OkStatus();
      }
      return LexQuoted(t, '/', TokenKind::kRegex, "regular expression");
    }
    const auto single = [&](TokenKind kind) {
      Advance();
      t->kind = kind;
      return absl::OkStatus();
    };
    const auto twin = [&](TokenKind kind) {
      Advance();
      Advance();
      t->kind = kind;
      return absl::OkStatus();
    };
    switch (c) {
      case '(':
        return single(TokenKind::kLParen);
      case ')':
        return single(TokenKind::kRParen);
      case ',':
        return single(TokenKind::kComma);
      case ';':
        return single(TokenKind::kSemicolon);
      case '*':
        return single(TokenKind::kStar);
      case '+':
        return single(TokenKind::kPlus);
      case '-':
        return single(TokenKind::kMinus);
      case '=':
        return Peek(1) == '~' ? twin(TokenKind::kMatch) : single(TokenKind::kEq);
      case '<':
        if (Peek(1) == '=') return twin(TokenKind::kLe);
        if (Peek(1) == '>') return twin(TokenKind::kNe);
        return single(TokenKind::kLt);
      case '>':
        return Peek(1) == '=' ? twin(TokenKind::kGe) : single(TokenKind::kGt);
      case '!':
        if (Peek(1) == '=') return twin(TokenKind::kNe);
        if (Peek(1) == '~') return twin(TokenKind::kNotMatch);
        return Error(*t, "expected '!=' or '!~', found '!'");
      default:
        return Error(*t, absl::StrCat("expected a name, value or operator, found unexpected "
                                      "character '",
                                      ShowChar(s_, pos_), "'"));
    }
  }

  absl::Status LexNumber(Token* t) {
    const size_t start = pos_;
    bool is_float = false;
    while (IsDigit(Peek())) Advance();
    if (Peek() == '.' && IsDigit(Peek(1))) {
      is_float = true;
      Advance();
      while (IsDigit(Peek())) Advance();
    }
    if ((Peek() == 'e' || Peek() == 'E') &&
        (IsDigit(Peek(1)) || ((Peek(1) == '+' || Peek(1) == '-') && IsDigit(Peek(2))))) {
      is_float = true;
      Advance();
      Advance();
      while (IsDigit(Peek())) Advance();
    }
    const size_t number_end = pos_;
    if (IsIdentChar(Peek()) || IsMicroAt(s_, pos_)) {
      // A unit follows: a duration such as 15m or 1h30m.
      while (IsIdentChar(Peek()) || IsMicroAt(s_, pos_)) {
        if (IsMicroAt(s_, pos_)) Advance();
        Advance();
      }
      const std::string_view text = s_.substr(start, pos_ - start);
      if (is_float) {
        return Error(*t, absl::StrCat("invalid duration '", std::string(text),
                                      "': expected whole numbers before each unit"));
      }
      absl::StatusOr<int64_t> ns = ParseDuration(text);
      if (!ns.ok()) return Error(*t, std::string(ns.status().message()));
      t->kind = TokenKind::kDuration;
      t->duration_ns = *ns;
      return absl::OkStatus();
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + number_end;
    if (is_float) {
      const auto [ptr, ec] = std::from_chars(first, last, t->number);
      if (ec != std::errc() || ptr != last) {
        return Error(*t, absl::StrCat("number '", std::string(first, last), "' is out of range"));
      }
      t->kind = TokenKind::kFloat;
    } else {
      const auto [ptr, ec] = std::from_chars(first, last, t->integer);
      if (ec != std::errc() || ptr != last) {
        return Error(*t, absl::StrCat("integer '", std::string(first, last), "' is out of range"));
      }
      t->kind = TokenKind::kInteger;
    }
    return absl::OkStatus();
  }

  // Reads text between two `quote` characters. A backslash escapes the quote and (except in
  // regexes, where RE2 interprets it) itself; any other backslash is kept as written.
  absl::Status LexQuoted(Token* t, char quote, TokenKind kind, std::string_view what) {
    Advance();  // opening quote
    std::string value;
    while (true) {
      if (pos_ >= s_.size()) {
        return Error(*t, absl::StrCat("unterminated ", std::string(what), "; expected closing ",
                                      std::string(1, quote), ", found end of query"));
      }
      const char c = Peek();
      if (c == quote) {
        Advance();
        break;
      }
      if (c == '\\' && pos_ + 1 < s_.size()) {
        const char next = Peek(1);
        if (next == quote || (next == '\\' && kind != TokenKind::kRegex)) {
          value += next;
        } else {
          value += c;
          value += next;
        }
        Advance();
        Advance();
        continue;
      }
      value += c;
      Advance();
    }
    if (kind == TokenKind::kQuotedIdent && value.empty()) {
      return Error(*t, "expected a name between double quotes, found \"\"");
    }
    t->kind = kind;
    t->value = std::move(value);
    return absl::OkStatus();
  }

  std::string_view s_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  // The previous token: its kind, where it ended, and whether it is a reserved word.
  TokenKind prev_kind_ = TokenKind::kEnd;
  size_t prev_end_ = std::string_view::npos;
  bool prev_reserved_ = false;
};

}  // namespace

absl::StatusOr<std::vector<Token>> Tokenize(std::string_view query) {
  // Names and values are UTF-8 everywhere in telemdb (writes refuse anything else), so a
  // query that is not cannot match anything, and its text could not travel in a protobuf
  // string (a cluster's sub-queries): refused here, for every front door alike.
  if (const size_t bad = InvalidUtf8Offset(query); bad != std::string_view::npos) {
    const std::string_view before = query.substr(0, bad);
    const size_t nl = before.rfind('\n');
    const std::string_view line_text =
        nl == std::string_view::npos ? before : before.substr(nl + 1);
    int column = 1;
    for (unsigned char c : line_text) column += (c & 0xc0) != 0x80;
    return SyntaxError(static_cast<int>(std::count(before.begin(), before.end(), '\n')) + 1, column,
                       absl::StrFormat("expected UTF-8 text, found the byte 0x%02x",
                                       static_cast<unsigned char>(query[bad])));
  }
  absl::StatusOr<std::vector<Token>> tokens = Lexer(query).Run();
  if (tokens.ok()) {
    for (Token& t : *tokens) {
      if (t.kind == TokenKind::kIdent) t.value = std::string(t.text);
    }
  }
  return tokens;
}

std::string DescribeToken(const Token& token) {
  if (token.kind == TokenKind::kEnd) return "end of query";
  std::string text(token.text.substr(0, kMaxDescribedChars));
  if (token.text.size() > kMaxDescribedChars) text += "...";
  switch (token.kind) {
    case TokenKind::kString:
      return absl::StrCat("string ", text);
    case TokenKind::kQuotedIdent:
    case TokenKind::kRegex:
      return text;  // already delimited
    default:
      return absl::StrCat("'", text, "'");
  }
}

absl::Status SyntaxError(int line, int column, std::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("line ", line, ", column ", column, ": ", std::string(message)));
}

}  // namespace telemdb::query::lang
