#include "query/lang/ast.h"

#include <utility>

namespace telemdb::query::lang {
namespace {

Condition Combine(Condition::Kind kind, std::vector<Condition> operands) {
  if (operands.size() == 1) return std::move(operands.front());
  Condition c;
  c.kind = kind;
  for (Condition& operand : operands) {
    if (operand.kind == kind) {
      for (Condition& inner : operand.operands) c.operands.push_back(std::move(inner));
    } else {
      c.operands.push_back(std::move(operand));
    }
  }
  return c;
}

}  // namespace

Condition Condition::Compare(std::string key, CompareOp op, Literal value) {
  Condition c;
  c.kind = Kind::kComparison;
  c.comparison = Comparison{std::move(key), op, std::move(value)};
  return c;
}

Condition Condition::Time(CompareOp op, int64_t ns) {
  Condition c;
  c.kind = Kind::kTime;
  c.time = TimeComparison{op, ns};
  return c;
}

Condition Condition::And(std::vector<Condition> operands) {
  return Combine(Kind::kAnd, std::move(operands));
}

Condition Condition::Or(std::vector<Condition> operands) {
  return Combine(Kind::kOr, std::move(operands));
}

}  // namespace telemdb::query::lang
