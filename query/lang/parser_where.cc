// WHERE clauses: boolean expressions over comparisons, literals and time values.
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "query/lang/format.h"
#include "query/lang/parser_internal.h"
#include "query/lang/time_literal.h"
#include "re2/re2.h"
#include "util/status_macros.h"

namespace telemdb::query::lang {
namespace {

constexpr std::string_view kTimeOutOfRange =
    "expected a time within 1677-09-21..2262-04-11, found an overflow";

std::string Quoted(std::string_view s) { return absl::StrCat("'", std::string(s), "'"); }

bool IsWord(const Token& t, std::string_view lower) {
  if (t.kind != TokenKind::kIdent || t.text.size() != lower.size()) return false;
  for (size_t i = 0; i < lower.size(); ++i) {
    char c = t.text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// The comparison operator a token spells, if any.
std::optional<CompareOp> OpOf(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEq:
      return CompareOp::kEq;
    case TokenKind::kNe:
      return CompareOp::kNe;
    case TokenKind::kLt:
      return CompareOp::kLt;
    case TokenKind::kLe:
      return CompareOp::kLe;
    case TokenKind::kGt:
      return CompareOp::kGt;
    case TokenKind::kGe:
      return CompareOp::kGe;
    case TokenKind::kMatch:
      return CompareOp::kMatch;
    case TokenKind::kNotMatch:
      return CompareOp::kNotMatch;
    default:
      return std::nullopt;
  }
}

}  // namespace

absl::StatusOr<Condition> Parser::ParseWhere(WhereMode mode, std::string_view statement) {
  where_mode_ = mode;
  where_statement_ = statement;
  time_tokens_.clear();
  return ParseOr(0);
}

absl::StatusOr<Condition> Parser::ParseOr(int depth) {
  const size_t times_before = time_tokens_.size();
  std::vector<Condition> operands;
  do {
    ASSIGN_OR_RETURN(Condition c, ParseAnd(depth));
    operands.push_back(std::move(c));
  } while (AcceptKeyword("OR"));
  if (operands.size() > 1 && time_tokens_.size() > times_before) {
    return ErrorAt(tokens_[time_tokens_[times_before]],
                   "time conditions must be ANDed with the rest of the WHERE clause; found time "
                   "under OR");
  }
  return Condition::Or(std::move(operands));
}

absl::StatusOr<Condition> Parser::ParseAnd(int depth) {
  std::vector<Condition> operands;
  do {
    ASSIGN_OR_RETURN(Condition c, ParsePrimary(depth));
    operands.push_back(std::move(c));
  } while (AcceptKeyword("AND"));
  return Condition::And(std::move(operands));
}

absl::StatusOr<Condition> Parser::ParsePrimary(int depth) {
  const Token& t = Peek();
  if (t.kind == TokenKind::kLParen) {
    if (depth >= opts_.max_nesting) {
      return ErrorAt(t, absl::StrCat("expected at most ", opts_.max_nesting,
                                     " nested parentheses, found more"));
    }
    Next();
    ASSIGN_OR_RETURN(Condition c, ParseOr(depth + 1));
    RETURN_IF_ERROR(Expect(TokenKind::kRParen, "AND, OR or ')'"));
    return c;
  }
  if (IsWord(t, "time")) return ParseTimeComparison();

  const std::string after = DescribeToken(Previous());
  ASSIGN_OR_RETURN(std::string key,
                   ParseName(absl::StrCat("a condition (name, time or '(') after ", after)));
  const Token& op_token = Peek();
  const std::optional<CompareOp> op = OpOf(op_token.kind);
  if (!op.has_value()) {
    return Expected(absl::StrCat("a comparison operator (=, !=, <>, <, <=, >, >=, =~, !~) after ",
                                 DescribeToken(Previous())),
                    op_token);
  }
  Next();
  ASSIGN_OR_RETURN(Literal value, ParseLiteral(op_token, *op));
  return Condition::Compare(std::move(key), *op, std::move(value));
}

absl::StatusOr<Literal> Parser::ParseLiteral(const Token& op_token, CompareOp op) {
  const Token& t = Peek();
  const std::string op_text = Quoted(op_token.text);
  const bool regex_op = op == CompareOp::kMatch || op == CompareOp::kNotMatch;
  if (regex_op && t.kind != TokenKind::kRegex) {
    return Expected(absl::StrCat("a regular expression such as /^press-.*/ after ", op_text), t);
  }
  Literal lit;
  if (t.kind == TokenKind::kRegex) {
    if (!regex_op) {
      return ErrorAt(op_token, absl::StrCat("expected =~ or !~ before a regular expression, "
                                            "found ",
                                            op_text));
    }
    RE2::Options options;
    options.set_log_errors(false);
    const RE2 re(t.value, options);
    if (!re.ok()) {
      return ErrorAt(t, absl::StrCat("expected a valid RE2 regular expression, found ",
                                     DescribeToken(t), " (", re.error(), ")"));
    }
    Next();
    lit.kind = Literal::Kind::kRegex;
    lit.text = t.value;
  } else if (t.kind == TokenKind::kString) {
    Next();
    lit.kind = Literal::Kind::kString;
    lit.text = t.value;
  } else if (IsWord(t, "true") || IsWord(t, "false")) {
    if (op != CompareOp::kEq && op != CompareOp::kNe) {
      return ErrorAt(op_token, absl::StrCat("expected = or != before a boolean, found ", op_text));
    }
    Next();
    lit.kind = Literal::Kind::kBool;
    lit.boolean = IsWord(t, "true");
  } else if (t.kind == TokenKind::kInteger || t.kind == TokenKind::kFloat ||
             (t.kind == TokenKind::kMinus &&
              (Peek(1).kind == TokenKind::kInteger || Peek(1).kind == TokenKind::kFloat))) {
    ASSIGN_OR_RETURN(Number n, ParseNumber("a number"));
    lit.kind = n.is_integer ? Literal::Kind::kInteger : Literal::Kind::kFloat;
    lit.integer = n.integer;
    lit.number = n.is_integer ? 0 : n.value;
  } else {
    const std::string what =
        absl::StrCat("a value (string, number, true, false or regular expression) after ", op_text);
    std::string hint;
    if (t.kind == TokenKind::kIdent && IsReservedWord(t.text)) {
      hint = "the value is missing";
    } else if (t.kind == TokenKind::kIdent || t.kind == TokenKind::kQuotedIdent) {
      hint = absl::StrCat("strings take single quotes: ", FormatString(t.value));
    } else if (t.kind == TokenKind::kDuration) {
      hint = "durations compare only with time";
    }
    return Expected(what, t, hint);
  }
  if (where_mode_ == WhereMode::kTagsOnly && lit.kind != Literal::Kind::kString &&
      lit.kind != Literal::Kind::kRegex) {
    return ErrorAt(
        t, absl::StrCat("expected a string or regular expression (", std::string(where_statement_),
                        " filters on tags and time only), found ", DescribeToken(t)));
  }
  return lit;
}

absl::StatusOr<Condition> Parser::ParseTimeComparison() {
  time_tokens_.push_back(pos_);
  Next();  // time
  const Token& op_token = Peek();
  const std::optional<CompareOp> op = OpOf(op_token.kind);
  if (!op.has_value() || *op == CompareOp::kNe || *op == CompareOp::kMatch ||
      *op == CompareOp::kNotMatch) {
    return Expected(">=, >, <, <= or = after time", op_token);
  }
  Next();
  ASSIGN_OR_RETURN(int64_t ns, ParseTimeValue(op_token));
  return Condition::Time(*op, ns);
}

absl::StatusOr<int64_t> Parser::ParseTimeValue(const Token& op) {
  const Token& t = Peek();
  int64_t ns = 0;
  if (t.kind == TokenKind::kString) {
    absl::StatusOr<int64_t> parsed = ParseRfc3339(t.value);
    if (!parsed.ok()) return ErrorAt(t, std::string(parsed.status().message()));
    Next();
    ns = *parsed;
  } else if (IsWord(t, "now") && Peek(1).kind == TokenKind::kLParen) {
    Next();
    Next();
    RETURN_IF_ERROR(Expect(TokenKind::kRParen, "')' after now("));
    ns = opts_.now_ns;
  } else {
    const bool negative = t.kind == TokenKind::kMinus && (Peek(1).kind == TokenKind::kInteger ||
                                                          Peek(1).kind == TokenKind::kDuration);
    const Token& v = negative ? Peek(1) : t;
    if (v.kind == TokenKind::kInteger) {
      const uint64_t limit =
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
      if (v.integer > limit) return ErrorAt(t, kTimeOutOfRange);
      ns = negative ? static_cast<int64_t>(~v.integer + 1) : static_cast<int64_t>(v.integer);
    } else if (v.kind == TokenKind::kDuration) {
      ns = negative ? -v.duration_ns : v.duration_ns;
    } else {
      return Expected(absl::StrCat("a time (RFC3339 string, integer nanoseconds, duration or "
                                   "now()) after 'time ",
                                   std::string(op.text), "'"),
                      t);
    }
    if (negative) Next();
    Next();
  }
  // Optional arithmetic: now() - 1h, '2026-01-01T00:00:00Z' + 30m, ...
  while (Peek().kind == TokenKind::kPlus || Peek().kind == TokenKind::kMinus) {
    const Token& sign = Next();
    const Token& d = Peek();
    if (d.kind != TokenKind::kDuration) {
      return Expected(absl::StrCat("a duration such as 1h after ", Quoted(sign.text)), d);
    }
    Next();
    const bool overflow = sign.kind == TokenKind::kPlus
                              ? __builtin_add_overflow(ns, d.duration_ns, &ns)
                              : __builtin_sub_overflow(ns, d.duration_ns, &ns);
    if (overflow) return ErrorAt(d, kTimeOutOfRange);
  }
  return ns;
}

}  // namespace telemdb::query::lang
