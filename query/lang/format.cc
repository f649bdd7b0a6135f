#include "query/lang/format.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "query/lang/parser.h"
#include "query/lang/time_literal.h"

namespace telemdb::query::lang {
namespace {

// Shortest text that reads back as exactly `v`. With `force_float` (or when the digits would
// not fit an int64) it always lexes as a float: "3" becomes "3.0".
std::string FormatDouble(double v, bool force_float) {
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof(buf), v);
  std::string out(buf, result.ptr);
  if (out.find_first_of(".eEn") == std::string::npos && (force_float || std::fabs(v) >= 9e18)) {
    out += ".0";
  }
  return out;
}

std::string Quote(std::string_view value, char quote) {
  std::string out(1, quote);
  for (char c : value) {
    if (c == quote || c == '\\') out += '\\';
    out += c;
  }
  out += quote;
  return out;
}

// A regex between slashes. Backslash pairs stay as written (RE2 reads them); a bare '/' is
// escaped.
std::string FormatRegex(std::string_view pattern) {
  std::string out = "/";
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out += c;
      out += pattern[++i];
    } else if (c == '/') {
      out += "\\/";
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out += c;
    }
  }
  out += '/';
  return out;
}

std::string FormatParam(const Call& call) {
  switch (GetFunctionInfo(call.function).param) {
    case ParamKind::kNone:
      return "";
    case ParamKind::kPercentile:
      return absl::StrCat(", ", FormatDouble(call.percentile, false));
    case ParamKind::kUnit:
      if (call.unit_ns == kDefaultUnitNs) return "";
      return absl::StrCat(", ", FormatDuration(call.unit_ns));
    case ParamKind::kElapsedUnit:
      if (call.unit_ns == kElapsedDefaultUnitNs) return "";
      return absl::StrCat(", ", FormatDuration(call.unit_ns));
    case ParamKind::kSelectN:
      return absl::StrCat(", ", call.count);
    case ParamKind::kWindow:
    case ParamKind::kZWindow:
      return absl::StrCat(", ", call.window);
    case ParamKind::kHorizon:
      return absl::StrCat(", ", FormatDuration(call.horizon_ns));
    case ParamKind::kThreshold:
      return absl::StrCat(", ", FormatDouble(call.threshold, false),
                          call.method.empty() ? "" : absl::StrCat(", ", Quote(call.method, '\'')));
    case ParamKind::kAlpha:
      return absl::StrCat(", ", FormatDouble(call.alpha, false));
    case ParamKind::kOptions:
      return call.options.empty() ? "" : absl::StrCat(", ", Quote(call.options, '\''));
    case ParamKind::kAnomalies:
      return absl::StrCat(
          ", ", FormatDouble(call.threshold, false),
          call.options.empty() ? "" : absl::StrCat(", ", Quote(call.options, '\'')));
    case ParamKind::kHoltWinters:
      return absl::StrCat(", ", call.count, ", ", call.season);
    case ParamKind::kForecast: {
      std::string out = absl::StrCat(", ", call.count);
      if (!call.method.empty() || call.season != 0) {
        absl::StrAppend(&out, ", ", Quote(call.method.empty() ? "auto" : call.method, '\''));
      }
      if (call.season != 0) absl::StrAppend(&out, ", ", call.season);
      return out;
    }
  }
  return "";
}

std::string FormatCall(const Call& call, const std::string& operand) {
  return absl::StrCat(std::string(GetFunctionInfo(call.function).name), "(", operand,
                      FormatParam(call), ")");
}

// Operands of AND / OR that are themselves AND / OR get parentheses: required for OR under
// AND, and clearer for AND under OR.
std::string FormatOperand(const Condition& c) {
  const bool compound = c.kind == Condition::Kind::kAnd || c.kind == Condition::Kind::kOr;
  if (compound) return absl::StrCat("(", FormatCondition(c), ")");
  return FormatCondition(c);
}

std::string FormatFrom(const std::optional<std::string>& measurement) {
  return measurement.has_value() ? absl::StrCat(" FROM ", FormatIdentifier(*measurement)) : "";
}

std::string FormatWhere(const std::optional<Condition>& where) {
  return where.has_value() ? absl::StrCat(" WHERE ", FormatCondition(*where)) : "";
}

std::string FormatPaging(const ShowPaging& p) {
  std::string out;
  if (p.limit.has_value()) absl::StrAppend(&out, " LIMIT ", *p.limit);
  if (p.offset.has_value()) absl::StrAppend(&out, " OFFSET ", *p.offset);
  return out;
}

std::string FormatKeyMatch(const KeyMatch& k) {
  switch (k.kind) {
    case KeyMatch::Kind::kEq:
      return absl::StrCat("= ", FormatIdentifier(k.values.at(0)));
    case KeyMatch::Kind::kNe:
      return absl::StrCat("!= ", FormatIdentifier(k.values.at(0)));
    case KeyMatch::Kind::kMatch:
      return absl::StrCat("=~ ", FormatRegex(k.values.at(0)));
    case KeyMatch::Kind::kNotMatch:
      return absl::StrCat("!~ ", FormatRegex(k.values.at(0)));
    case KeyMatch::Kind::kIn: {
      std::string out = "IN (";
      for (size_t i = 0; i < k.values.size(); i++) {
        absl::StrAppend(&out, i > 0 ? ", " : "", FormatIdentifier(k.values[i]));
      }
      return out + ")";
    }
  }
  return "";
}

int Precedence(MathOp op) { return op == MathOp::kAdd || op == MathOp::kSub ? 1 : 2; }

std::string_view MathOpText(MathOp op) {
  switch (op) {
    case MathOp::kAdd:
      return "+";
    case MathOp::kSub:
      return "-";
    case MathOp::kMul:
      return "*";
    case MathOp::kDiv:
      return "/";
  }
  return "?";
}

// `term` with the steps applied, parenthesized exactly where parsing needs it to rebuild the
// same steps: a left operand binds at least as tightly as its operator, a right one tighter.
std::string FormatMath(std::string term, const std::vector<MathStep>& steps) {
  int prec = 3;  // a term or parenthesized expression
  for (const MathStep& m : steps) {
    const int q = Precedence(m.op);
    const std::string c = FormatDouble(m.constant, false);
    const std::string op(MathOpText(m.op));
    if (m.constant_first) {
      if (prec <= q) term = absl::StrCat("(", term, ")");
      term = absl::StrCat(c, " ", op, " ", term);
    } else {
      if (prec < q) term = absl::StrCat("(", term, ")");
      term = absl::StrCat(term, " ", op, " ", c);
    }
    prec = q;
  }
  return term;
}

std::string FormatSelect(const SelectStatement& s) {
  std::string out = "SELECT ";
  for (size_t i = 0; i < s.items.size(); ++i) {
    if (i > 0) out += ", ";
    out += FormatSelectItem(s.items[i]);
  }
  absl::StrAppend(&out, " FROM ", FormatIdentifier(s.measurement), FormatWhere(s.where));
  if (s.group_by_time.has_value() || !s.group_by_tags.empty()) {
    out += " GROUP BY ";
    bool first = true;
    if (s.group_by_time.has_value()) {
      absl::StrAppend(&out, "time(", FormatDuration(s.group_by_time->interval_ns));
      if (s.group_by_time->offset_ns != 0) {
        absl::StrAppend(&out, ", ", FormatDuration(s.group_by_time->offset_ns));
      }
      out += ")";
      first = false;
    }
    for (const std::string& tag : s.group_by_tags) {
      absl::StrAppend(&out, first ? "" : ", ", FormatIdentifier(tag));
      first = false;
    }
  }
  switch (s.fill.mode) {
    case FillMode::kNone:  // the default
      break;
    case FillMode::kNull:
      out += " FILL(null)";
      break;
    case FillMode::kPrevious:
      out += " FILL(previous)";
      break;
    case FillMode::kLinear:
      out += " FILL(linear)";
      break;
    case FillMode::kValue:
      absl::StrAppend(&out, " FILL(", FormatDouble(s.fill.value, false), ")");
      break;
  }
  if (s.descending) out += " ORDER BY time DESC";
  if (s.limit.has_value()) absl::StrAppend(&out, " LIMIT ", *s.limit);
  if (s.slimit.has_value()) absl::StrAppend(&out, " SLIMIT ", *s.slimit);
  return out;
}

}  // namespace

std::string Format(const Statement& statement) {
  return std::visit(
      [](const auto& s) -> std::string {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, SelectStatement>) {
          return FormatSelect(s);
        } else if constexpr (std::is_same_v<T, DeleteStatement>) {
          return absl::StrCat("DELETE FROM ", FormatIdentifier(s.measurement),
                              FormatWhere(s.where));
        } else if constexpr (std::is_same_v<T, ShowMeasurementsStatement>) {
          std::string with;
          if (s.with_measurement.has_value()) {
            const NameMatch& m = *s.with_measurement;
            with = m.op == CompareOp::kMatch
                       ? absl::StrCat(" WITH MEASUREMENT =~ ", FormatRegex(m.value))
                       : absl::StrCat(" WITH MEASUREMENT = ", FormatIdentifier(m.value));
          }
          return absl::StrCat("SHOW MEASUREMENTS", with, FormatPaging(s.paging));
        } else if constexpr (std::is_same_v<T, ShowFieldKeysStatement>) {
          return absl::StrCat("SHOW FIELD KEYS", FormatFrom(s.measurement), FormatPaging(s.paging));
        } else if constexpr (std::is_same_v<T, ShowTagKeysStatement>) {
          return absl::StrCat("SHOW TAG KEYS", FormatFrom(s.measurement), FormatWhere(s.where),
                              FormatPaging(s.paging));
        } else if constexpr (std::is_same_v<T, ShowTagValuesStatement>) {
          return absl::StrCat("SHOW TAG VALUES", FormatFrom(s.measurement), " WITH KEY ",
                              FormatKeyMatch(s.key), FormatWhere(s.where), FormatPaging(s.paging));
        } else {
          static_assert(std::is_same_v<T, ShowSeriesStatement>);
          return absl::StrCat("SHOW SERIES", FormatFrom(s.measurement), FormatWhere(s.where),
                              FormatPaging(s.paging));
        }
      },
      statement);
}

std::string FormatSelectItem(const SelectItem& item) {
  std::string out = item.wildcard ? "*" : FormatIdentifier(item.field);
  if (item.aggregate.has_value()) out = FormatCall(*item.aggregate, out);
  if (item.transform.has_value()) out = FormatCall(*item.transform, out);
  out = FormatMath(std::move(out), item.math);
  if (!item.alias.empty()) absl::StrAppend(&out, " AS ", FormatIdentifier(item.alias));
  return out;
}

std::string FormatCondition(const Condition& c) {
  switch (c.kind) {
    case Condition::Kind::kComparison:
      return absl::StrCat(FormatIdentifier(c.comparison.key), " ",
                          std::string(CompareOpText(c.comparison.op)), " ",
                          FormatLiteral(c.comparison.value));
    case Condition::Kind::kTime:
      return absl::StrCat("time ", std::string(CompareOpText(c.time.op)), " ",
                          FormatString(FormatRfc3339(c.time.ns)));
    case Condition::Kind::kAnd:
    case Condition::Kind::kOr: {
      std::string out;
      for (size_t i = 0; i < c.operands.size(); ++i) {
        if (i > 0) out += c.kind == Condition::Kind::kAnd ? " AND " : " OR ";
        out += FormatOperand(c.operands[i]);
      }
      return out;
    }
  }
  return "";
}

std::string FormatIdentifier(std::string_view name) {
  bool bare = !name.empty() && !IsReservedWord(name);
  for (size_t i = 0; bare && i < name.size(); ++i) {
    const char c = name[i];
    bare = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (i > 0 && c >= '0' && c <= '9');
  }
  if (bare && name.size() == 4) {
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(c | 0x20);
    bare = lower != "time";
  }
  return bare ? std::string(name) : Quote(name, '"');
}

std::string FormatString(std::string_view value) { return Quote(value, '\''); }

std::string FormatLiteral(const Literal& literal) {
  switch (literal.kind) {
    case Literal::Kind::kString:
      return FormatString(literal.text);
    case Literal::Kind::kInteger:
      return absl::StrCat(literal.integer);
    case Literal::Kind::kFloat:
      return FormatDouble(literal.number, true);
    case Literal::Kind::kBool:
      return literal.boolean ? "true" : "false";
    case Literal::Kind::kRegex:
      return FormatRegex(literal.text);
  }
  return "";
}

std::string_view CompareOpText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
    case CompareOp::kMatch:
      return "=~";
    case CompareOp::kNotMatch:
      return "!~";
  }
  return "?";
}

}  // namespace telemdb::query::lang
