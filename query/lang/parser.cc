#include "query/lang/parser.h"

#include <array>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "query/lang/parser_internal.h"
#include "re2/re2.h"
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

absl::StatusOr<std::string> Parser::ParseMeasurement(std::string_view what) {
  ASSIGN_OR_RETURN(std::string name, ParseName(what));
  // [db '.'] [rp '.'] m: at most three parts; db..m leaves the retention policy out.
  for (int parts = 1; parts < 3 && Accept(TokenKind::kDot); parts++) {
    if (parts == 1 && Accept(TokenKind::kDot)) parts++;  // db..m
    ASSIGN_OR_RETURN(name,
                     ParseName(absl::StrCat("measurement name after '.' in ", std::string(what))));
  }
  if (Peek().kind == TokenKind::kDot) {
    return Expected("at most three parts (database.retention_policy.measurement) in a name",
                    Peek());
  }
  return name;
}

absl::StatusOr<std::optional<std::string>> Parser::ParseOptionalFrom() {
  if (!AcceptKeyword("FROM")) return std::optional<std::string>();
  ASSIGN_OR_RETURN(std::string name, ParseMeasurement("measurement name after FROM"));
  return std::optional<std::string>(std::move(name));
}

absl::StatusOr<std::string> Parser::ParseRegex(std::string_view after) {
  const Token& t = Peek();
  if (t.kind != TokenKind::kRegex) {
    return Expected(absl::StrCat("a regular expression such as /^cpu/ after ", std::string(after)),
                    t);
  }
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 re(t.value, options);
  if (!re.ok()) {
    return ErrorAt(t, absl::StrCat("expected a valid RE2 regular expression, found ",
                                   DescribeToken(t), " (", re.error(), ")"));
  }
  Next();
  return t.value;
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
  ASSIGN_OR_RETURN(stmt.measurement, ParseMeasurement("measurement name after FROM"));
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
  if (AtKeyword("MEASUREMENTS")) return ParseShowMeasurements();
  if (AtKeyword("FIELDS") || AtKeyword("FIELD")) {
    if (AcceptKeyword("FIELD")) {
      RETURN_IF_ERROR(ExpectKeyword("KEYS", "KEYS after SHOW FIELD"));
    } else {
      Next();  // FIELDS
    }
    ShowFieldKeysStatement stmt;
    ASSIGN_OR_RETURN(stmt.measurement, ParseOptionalFrom());
    RETURN_IF_ERROR(ParseShowTail("SHOW FIELD KEYS", nullptr, &stmt.paging,
                                  AfterOptionalFrom(stmt.measurement)));
    return stmt;
  }
  if (AcceptKeyword("TAG")) {
    if (AtKeyword("VALUES")) return ParseShowTagValues();
    if (AtKeyword("KEYS")) return ParseShowTagKeys();
    return Expected("KEYS or VALUES after SHOW TAG", Peek());
  }
  if (AcceptKeyword("SERIES")) {
    ShowSeriesStatement stmt;
    ASSIGN_OR_RETURN(stmt.measurement, ParseOptionalFrom());
    RETURN_IF_ERROR(ParseShowTail("SHOW SERIES", &stmt.where, &stmt.paging,
                                  AfterOptionalFrom(stmt.measurement)));
    return stmt;
  }
  return Expected("MEASUREMENTS, FIELDS, FIELD KEYS, TAG KEYS, TAG VALUES or SERIES after SHOW",
                  Peek());
}

absl::Status Parser::ParseShowTail(std::string_view statement, std::optional<Condition>* where,
                                   ShowPaging* paging, std::vector<std::string_view> before) {
  if (where != nullptr) {
    if (AcceptKeyword("WHERE")) {
      ASSIGN_OR_RETURN(*where, ParseWhere(WhereMode::kTagsOnly, statement));
      before = {"AND", "OR"};
    } else {
      before.push_back("WHERE");
    }
  }
  if (AcceptKeyword("LIMIT")) {
    ASSIGN_OR_RETURN(paging->limit, ParsePositiveInteger("LIMIT"));
    before.clear();
  } else {
    before.push_back("LIMIT");
  }
  if (AcceptKeyword("OFFSET")) {
    const std::string what = "a non-negative integer after OFFSET";
    const Token& first = Peek();
    ASSIGN_OR_RETURN(Number n, ParseNumber(what));
    if (!n.is_integer || n.integer < 0) {
      return ErrorAt(first, absl::StrCat("expected ", what, ", found '", n.text, "'"));
    }
    paging->offset = n.integer;
    before.clear();
  } else {
    before.push_back("OFFSET");
  }
  return ExpectEnd(before);
}

absl::StatusOr<Statement> Parser::ParseShowMeasurements() {
  Next();  // MEASUREMENTS
  ShowMeasurementsStatement stmt;
  std::vector<std::string_view> before;
  if (AcceptKeyword("WITH")) {
    RETURN_IF_ERROR(ExpectKeyword("MEASUREMENT", "MEASUREMENT after SHOW MEASUREMENTS WITH"));
    NameMatch match;
    if (Accept(TokenKind::kMatch)) {
      match.op = CompareOp::kMatch;
      ASSIGN_OR_RETURN(match.value, ParseRegex("WITH MEASUREMENT =~"));
    } else if (Accept(TokenKind::kEq)) {
      ASSIGN_OR_RETURN(match.value, ParseMeasurement("measurement name after WITH MEASUREMENT ="));
    } else {
      return Expected("= or =~ after WITH MEASUREMENT", Peek());
    }
    stmt.with_measurement = std::move(match);
  } else {
    before.push_back("WITH MEASUREMENT");
  }
  RETURN_IF_ERROR(ParseShowTail("SHOW MEASUREMENTS", nullptr, &stmt.paging, before));
  return stmt;
}

absl::StatusOr<Statement> Parser::ParseShowTagKeys() {
  Next();  // KEYS
  ShowTagKeysStatement stmt;
  ASSIGN_OR_RETURN(stmt.measurement, ParseOptionalFrom());
  RETURN_IF_ERROR(ParseShowTail("SHOW TAG KEYS", &stmt.where, &stmt.paging,
                                AfterOptionalFrom(stmt.measurement)));
  return stmt;
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
  ASSIGN_OR_RETURN(stmt.key, ParseKeyMatch());
  RETURN_IF_ERROR(ParseShowTail("SHOW TAG VALUES", &stmt.where, &stmt.paging, {}));
  return stmt;
}

absl::StatusOr<KeyMatch> Parser::ParseKeyMatch() {
  KeyMatch match;
  // A tag key: a name, or (as InfluxQL also takes it) a single-quoted string.
  const auto key = [&](std::string_view what) -> absl::StatusOr<std::string> {
    std::string k;
    if (Peek().kind == TokenKind::kString) {
      k = Next().value;
    } else {
      ASSIGN_OR_RETURN(k, ParseName(what));
    }
    if (k.empty()) return Expected("a non-empty tag key", Previous());
    return k;
  };
  const Token& op = Peek();
  switch (op.kind) {
    case TokenKind::kEq:
    case TokenKind::kNe: {
      Next();
      match.kind = op.kind == TokenKind::kEq ? KeyMatch::Kind::kEq : KeyMatch::Kind::kNe;
      ASSIGN_OR_RETURN(std::string k,
                       key(absl::StrCat("tag key after WITH KEY ", std::string(op.text))));
      match.values.push_back(std::move(k));
      return match;
    }
    case TokenKind::kMatch:
    case TokenKind::kNotMatch: {
      Next();
      match.kind =
          op.kind == TokenKind::kMatch ? KeyMatch::Kind::kMatch : KeyMatch::Kind::kNotMatch;
      ASSIGN_OR_RETURN(std::string re, ParseRegex(absl::StrCat("WITH KEY ", std::string(op.text))));
      match.values.push_back(std::move(re));
      return match;
    }
    default:
      break;
  }
  if (!AcceptKeyword("IN")) return Expected("=, !=, =~, !~ or IN after WITH KEY", op);
  match.kind = KeyMatch::Kind::kIn;
  RETURN_IF_ERROR(Expect(TokenKind::kLParen, "'(' after WITH KEY IN"));
  do {
    ASSIGN_OR_RETURN(std::string k, key("tag key in WITH KEY IN (...)"));
    match.values.push_back(std::move(k));
  } while (Accept(TokenKind::kComma));
  RETURN_IF_ERROR(Expect(TokenKind::kRParen, "',' or ')' in WITH KEY IN (...)"));
  return match;
}

}  // namespace telemdb::query::lang
