#include "query/lang/parser.h"

#include <array>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "query/lang/parser_internal.h"
#include "util/status_macros.h"

namespace telemdb::query::lang {
namespace {

constexpr std::array<std::string_view, 16> kReservedWords = {
    "SELECT", "FROM",  "WHERE",  "AND", "OR",  "GROUP", "BY",     "FILL",
    "ORDER",  "LIMIT", "SLIMIT", "AS",  "ASC", "DESC",  "DELETE", "SHOW",
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

// What may follow SHOW ... [FROM m] besides the end.
std::vector<std::string_view> AfterOptionalFrom(const std::optional<std::string>& measurement) {
  if (measurement.has_value()) return {};
  return {"FROM"};
}

}  // namespace

bool IsReservedWord(std::string_view word) {
  for (std::string_view reserved : kReservedWords) {
    if (EqualsIgnoreCase(word, reserved)) return true;
  }
  return false;
}

std::string JoinAlternatives(std::initializer_list<std::string_view> items) {
  std::string out;
  size_t i = 0;
  for (std::string_view item : items) {
    if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
    out += item;
    ++i;
  }
  return out;
}

absl::StatusOr<Statement> Parse(std::string_view text, const ParseOptions& opts) {
  if (text.size() > opts.max_query_bytes) {
    return SyntaxError(1, 1,
                       absl::StrCat("expected a query of at most ", opts.max_query_bytes,
                                    " bytes, found ", text.size(), " bytes"));
  }
  ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  return Parser(std::move(tokens), opts).ParseStatement();
}

Parser::Parser(std::vector<Token> tokens, const ParseOptions& opts)
    : tokens_(std::move(tokens)), opts_(opts) {}

// ---- cursor and errors -------------------------------------------------------------------

const Token& Parser::Peek(size_t k) const {
  const size_t i = pos_ + k;
  return i < tokens_.size() ? tokens_[i] : tokens_.back();
}

const Token& Parser::Next() {
  const Token& t = Peek();
  if (pos_ + 1 < tokens_.size()) ++pos_;
  return t;
}

const Token& Parser::Previous() const { return tokens_[pos_ > 0 ? pos_ - 1 : 0]; }

bool Parser::AtKeyword(std::string_view keyword, size_t k) const {
  const Token& t = Peek(k);
  return t.kind == TokenKind::kIdent && EqualsIgnoreCase(t.text, keyword);
}

bool Parser::AcceptKeyword(std::string_view keyword) {
  if (!AtKeyword(keyword)) return false;
  Next();
  return true;
}

bool Parser::Accept(TokenKind kind) {
  if (Peek().kind != kind) return false;
  Next();
  return true;
}

absl::Status Parser::ErrorAt(const Token& at, std::string_view message) const {
  return SyntaxError(at.line, at.column, message);
}

absl::Status Parser::Expected(std::string_view what, const Token& found,
                              std::string_view hint) const {
  std::string message =
      absl::StrCat("expected ", std::string(what), ", found ", DescribeToken(found));
  if (!hint.empty()) absl::StrAppend(&message, " (", std::string(hint), ")");
  return ErrorAt(found, message);
}

absl::Status Parser::ExpectKeyword(std::string_view keyword, std::string_view what) {
  if (AcceptKeyword(keyword)) return absl::OkStatus();
  return Expected(what, Peek());
}

absl::Status Parser::Expect(TokenKind kind, std::string_view what) {
  if (Accept(kind)) return absl::OkStatus();
  return Expected(what, Peek());
}

absl::StatusOr<std::string> Parser::ParseName(std::string_view what) {
  const Token& t = Peek();
  if (t.kind == TokenKind::kQuotedIdent ||
      (t.kind == TokenKind::kIdent && !IsReservedWord(t.text))) {
    Next();
    return t.value;
  }
  if (t.kind == TokenKind::kString && !t.value.empty()) {
    return Expected(what, t, absl::StrCat("names take double quotes: \"", t.value, "\""));
  }
  if (t.kind == TokenKind::kIdent) {
    return Expected(
        what, t,
        absl::StrCat("a reserved word; write \"", std::string(t.text), "\" to use it as a name"));
  }
  return Expected(what, t);
}

absl::StatusOr<std::optional<std::string>> Parser::ParseOptionalFrom() {
  if (!AcceptKeyword("FROM")) return std::optional<std::string>();
  ASSIGN_OR_RETURN(std::string name, ParseName("measurement name after FROM"));
  return std::optional<std::string>(std::move(name));
}

absl::Status Parser::ExpectEnd(const std::vector<std::string_view>& alternatives) {
  if (Accept(TokenKind::kSemicolon)) {
    if (Peek().kind == TokenKind::kEnd) return absl::OkStatus();
    return Expected("end of query after ';' (one statement per query)", Peek());
  }
  if (Peek().kind == TokenKind::kEnd) return absl::OkStatus();
  std::string what;
  for (std::string_view alternative : alternatives) {
    absl::StrAppend(&what, std::string(alternative), ", ");
  }
  if (!what.empty()) what.resize(what.size() - 2);
  what = what.empty() ? "end of query" : absl::StrCat(what, " or end of query");
  return Expected(what, Peek());
}

absl::StatusOr<Parser::Number> Parser::ParseNumber(std::string_view what) {
  Number n;
  n.token = &Peek();
  const bool negative = Peek().kind == TokenKind::kMinus &&
                        (Peek(1).kind == TokenKind::kInteger || Peek(1).kind == TokenKind::kFloat);
  if (negative) Next();
  const Token& t = Peek();
  if (t.kind != TokenKind::kInteger && t.kind != TokenKind::kFloat) return Expected(what, t);
  Next();
  n.text = absl::StrCat(negative ? "-" : "", std::string(t.text));
  if (t.kind == TokenKind::kFloat) {
    n.value = negative ? -t.number : t.number;
    return n;
  }
  const uint64_t limit =
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
  if (t.integer > limit) {
    return ErrorAt(
        *n.token, absl::StrCat("expected an integer within the int64 range, found '", n.text, "'"));
  }
  n.is_integer = true;
  n.integer = negative ? static_cast<int64_t>(~t.integer + 1) : static_cast<int64_t>(t.integer);
  n.value = static_cast<double>(n.integer);
  return n;
}

// ---- statements --------------------------------------------------------------------------

absl::StatusOr<Statement> Parser::ParseStatement() {
  if (AtKeyword("SELECT")) return ParseSelect();
  if (AtKeyword("DELETE")) return ParseDelete();
  if (AtKeyword("SHOW")) return ParseShow();
  return Expected("SELECT, DELETE or SHOW", Peek());
}

absl::StatusOr<Statement> Parser::ParseDelete() {
  Next();  // DELETE
  RETURN_IF_ERROR(ExpectKeyword("FROM", "FROM after DELETE"));
  DeleteStatement stmt;
  ASSIGN_OR_RETURN(stmt.measurement, ParseName("measurement name after FROM"));
  if (AcceptKeyword("WHERE")) {
    ASSIGN_OR_RETURN(stmt.where, ParseWhere(WhereMode::kTagsOnly, "DELETE"));
    RETURN_IF_ERROR(ExpectEnd({"AND", "OR"}));
  } else {
    RETURN_IF_ERROR(ExpectEnd({"WHERE"}));
  }
  return stmt;
}

absl::StatusOr<Statement> Parser::ParseShow() {
  Next();  // SHOW
  if (AcceptKeyword("MEASUREMENTS")) {
    RETURN_IF_ERROR(ExpectEnd({}));
    return ShowMeasurementsStatement{};
  }
  if (AtKeyword("FIELDS") || AtKeyword("FIELD")) {
    if (AcceptKeyword("FIELD")) {
      RETURN_IF_ERROR(ExpectKeyword("KEYS", "KEYS after SHOW FIELD"));
    } else {
      Next();  // FIELDS
    }
    ShowFieldKeysStatement stmt;
    ASSIGN_OR_RETURN(stmt.measurement, ParseOptionalFrom());
    RETURN_IF_ERROR(ExpectEnd(AfterOptionalFrom(stmt.measurement)));
    return stmt;
  }
  if (AcceptKeyword("TAG")) {
    if (AtKeyword("VALUES")) return ParseShowTagValues();
    RETURN_IF_ERROR(ExpectKeyword("KEYS", "KEYS or VALUES after SHOW TAG"));
    ShowTagKeysStatement stmt;
    ASSIGN_OR_RETURN(stmt.measurement, ParseOptionalFrom());
    RETURN_IF_ERROR(ExpectEnd(AfterOptionalFrom(stmt.measurement)));
    return stmt;
  }
  if (AcceptKeyword("SERIES")) {
    ShowSeriesStatement stmt;
    ASSIGN_OR_RETURN(stmt.measurement, ParseOptionalFrom());
    if (AcceptKeyword("WHERE")) {
      ASSIGN_OR_RETURN(stmt.where, ParseWhere(WhereMode::kTagsOnly, "SHOW SERIES"));
      RETURN_IF_ERROR(ExpectEnd({"AND", "OR"}));
    } else if (stmt.measurement.has_value()) {
      RETURN_IF_ERROR(ExpectEnd({"WHERE"}));
    } else {
      RETURN_IF_ERROR(ExpectEnd({"FROM", "WHERE"}));
    }
    return stmt;
  }
  return Expected("MEASUREMENTS, FIELDS, FIELD KEYS, TAG KEYS, TAG VALUES or SERIES after SHOW",
                  Peek());
}

absl::StatusOr<Statement> Parser::ParseShowTagValues() {
  Next();  // VALUES
  ShowTagValuesStatement stmt;
  ASSIGN_OR_RETURN(stmt.measurement, ParseOptionalFrom());
  if (!AcceptKeyword("WITH")) {
    return Expected(
        stmt.measurement.has_value() ? "WITH KEY = <tag key>" : "FROM or WITH KEY = <tag key>",
        Peek());
  }
  RETURN_IF_ERROR(ExpectKeyword("KEY", "KEY after WITH"));
  RETURN_IF_ERROR(Expect(TokenKind::kEq, "'=' after WITH KEY"));
  if (Peek().kind == TokenKind::kString) {
    stmt.key = Next().value;
  } else {
    ASSIGN_OR_RETURN(stmt.key, ParseName("tag key after WITH KEY ="));
  }
  if (stmt.key.empty()) return Expected("a non-empty tag key", Previous());
  RETURN_IF_ERROR(ExpectEnd({}));
  return stmt;
}

}  // namespace telemdb::query::lang
