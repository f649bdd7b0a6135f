// Arithmetic in select items: one field or function (the term) combined with numeric
// constants by + - * / with the usual precedence, left to right, and parentheses. The tree
// is reduced while parsing: constant subexpressions are folded, and every operation that
// involves the term becomes a MathStep applied after the previous ones (see ast.h).
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "query/lang/parser_internal.h"
#include "util/status_macros.h"

namespace telemdb::query::lang {
namespace {

std::optional<MathOp> OpOf(TokenKind kind) {
  switch (kind) {
    case TokenKind::kPlus:
      return MathOp::kAdd;
    case TokenKind::kMinus:
      return MathOp::kSub;
    case TokenKind::kStar:
      return MathOp::kMul;
    case TokenKind::kSlash:
      return MathOp::kDiv;
    default:
      return std::nullopt;
  }
}

double Apply(MathOp op, double a, double b) {
  switch (op) {
    case MathOp::kAdd:
      return a + b;
    case MathOp::kSub:
      return a - b;
    case MathOp::kMul:
      return a * b;
    case MathOp::kDiv:
      return a / b;
  }
  return a;
}

}  // namespace

absl::StatusOr<Parser::MathOperand> Parser::Combine(MathOperand lhs, const Token& op_token,
                                                    MathOperand rhs) {
  const MathOp op = *OpOf(op_token.kind);
  if (lhs.constant && rhs.constant) {
    if (op == MathOp::kDiv && rhs.value == 0) {
      return ErrorAt(op_token,
                     "expected a non-zero divisor in a constant expression, found a "
                     "division by zero");
    }
    const double v = Apply(op, lhs.value, rhs.value);
    if (!std::isfinite(v)) {
      return ErrorAt(op_token,
                     "expected a finite result of a constant expression, found an "
                     "overflow");
    }
    lhs.value = v;
    return lhs;
  }
  if (!lhs.constant) {
    lhs.steps.push_back(MathStep{op, rhs.value, false});
    return lhs;
  }
  rhs.steps.push_back(MathStep{op, lhs.value, true});
  rhs.token = lhs.token;
  return rhs;
}

absl::StatusOr<Parser::MathOperand> Parser::ParseAdditive(SelectItem* item, const Token** term,
                                                          int depth) {
  ASSIGN_OR_RETURN(MathOperand lhs, ParseMultiplicative(item, term, depth));
  while (Peek().kind == TokenKind::kPlus || Peek().kind == TokenKind::kMinus) {
    const Token& op = Next();
    ASSIGN_OR_RETURN(MathOperand rhs, ParseMultiplicative(item, term, depth));
    ASSIGN_OR_RETURN(lhs, Combine(std::move(lhs), op, std::move(rhs)));
  }
  return lhs;
}

absl::StatusOr<Parser::MathOperand> Parser::ParseMultiplicative(SelectItem* item,
                                                                const Token** term, int depth) {
  ASSIGN_OR_RETURN(MathOperand lhs, ParseUnary(item, term, depth));
  while (Peek().kind == TokenKind::kStar || Peek().kind == TokenKind::kSlash) {
    const Token& op = Next();
    ASSIGN_OR_RETURN(MathOperand rhs, ParseUnary(item, term, depth));
    ASSIGN_OR_RETURN(lhs, Combine(std::move(lhs), op, std::move(rhs)));
  }
  return lhs;
}

absl::StatusOr<Parser::MathOperand> Parser::ParseUnary(SelectItem* item, const Token** term,
                                                       int depth) {
  MathOperand out;
  const Token& t = Peek();
  out.token = &t;
  if (t.kind == TokenKind::kInteger || t.kind == TokenKind::kFloat ||
      (t.kind == TokenKind::kMinus &&
       (Peek(1).kind == TokenKind::kInteger || Peek(1).kind == TokenKind::kFloat))) {
    ASSIGN_OR_RETURN(Number n, ParseNumber("a number"));
    out.constant = true;
    out.value = n.value;
    return out;
  }
  if (t.kind == TokenKind::kMinus) {  // -x is 0 - x, which Format writes as "0 - (x)"
    // A unary minus nests like a parenthesis: it recurses, and its canonical text adds one.
    if (depth >= opts_.max_nesting) {
      return ErrorAt(t, absl::StrCat("expected at most ", opts_.max_nesting,
                                     " nested parentheses or unary minus signs, found more"));
    }
    Next();
    ASSIGN_OR_RETURN(MathOperand x, ParseUnary(item, term, depth + 1));
    MathOperand zero;
    zero.constant = true;
    zero.token = &t;
    return Combine(std::move(zero), t, std::move(x));
  }
  if (t.kind == TokenKind::kLParen) {
    if (depth >= opts_.max_nesting) {
      return ErrorAt(t, absl::StrCat("expected at most ", opts_.max_nesting,
                                     " nested parentheses, found more"));
    }
    Next();
    ASSIGN_OR_RETURN(MathOperand inner, ParseAdditive(item, term, depth + 1));
    RETURN_IF_ERROR(Expect(TokenKind::kRParen, "an operator (+, -, *, /) or ')'"));
    inner.token = &t;
    return inner;
  }
  if (*term != nullptr) {
    return ErrorAt(t, absl::StrCat("expected a number, found ", DescribeToken(t),
                                   ": a select item holds one field or function (arithmetic "
                                   "between two of them is not supported; only with numeric "
                                   "constants)"));
  }
  *term = &t;
  RETURN_IF_ERROR(ParseTerm(item, item_after_));
  return out;
}

}  // namespace telemdb::query::lang
