#include "alert/condition.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "query/lang/time_literal.h"
#include "query/predict/anomaly_options.h"
#include "util/client_text.h"
#include "util/status_macros.h"

namespace telemdb::alert {

const char* RuleKindName(RuleKind k) {
  switch (k) {
    case RuleKind::kThreshold:
      return "threshold";
    case RuleKind::kRate:
      return "rate";
    case RuleKind::kAbsence:
      return "absence";
    case RuleKind::kTrend:
      return "trend";
    case RuleKind::kAnomaly:
      return "anomaly";
  }
  return "?";
}

const char* AggName(Agg a) {
  switch (a) {
    case Agg::kMean:
      return "mean";
    case Agg::kMin:
      return "min";
    case Agg::kMax:
      return "max";
    case Agg::kSum:
      return "sum";
    case Agg::kCount:
      return "count";
    case Agg::kFirst:
      return "first";
    case Agg::kLast:
      return "last";
    case Agg::kSpread:
      return "spread";
    case Agg::kStddev:
      return "stddev";
  }
  return "?";
}

const char* CmpOpText(CmpOp op) {
  switch (op) {
    case CmpOp::kGt:
      return ">";
    case CmpOp::kGe:
      return ">=";
    case CmpOp::kLt:
      return "<";
    case CmpOp::kLe:
      return "<=";
    case CmpOp::kEq:
      return "==";
    case CmpOp::kNe:
      return "!=";
  }
  return "?";
}

bool Condition::Test(double v) const {
  if (std::isnan(v)) return false;
  switch (op) {
    case CmpOp::kGt:
      return v > value;
    case CmpOp::kGe:
      return v >= value;
    case CmpOp::kLt:
      return v < value;
    case CmpOp::kLe:
      return v <= value;
    case CmpOp::kEq:
      return v == value;
    case CmpOp::kNe:
      return v != value;
  }
  return false;
}

namespace {

std::string FieldText(const std::string& f) {
  if (f == "*") return f;
  bool plain = !f.empty() && (std::isalpha(static_cast<unsigned char>(f[0])) || f[0] == '_');
  for (char c : f) plain &= std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  if (plain) return f;
  std::string out = "\"";
  for (char c : f) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string Number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  // Shortest form that reads back the same.
  for (int p = 1; p <= 17; p++) {
    char b[64];
    std::snprintf(b, sizeof(b), "%.*g", p, v);
    if (std::strtod(b, nullptr) == v) return b;
  }
  return buf;
}

}  // namespace

std::string Condition::ExprText() const {
  std::string out;
  switch (kind) {
    case RuleKind::kThreshold:
      out = absl::StrCat(AggName(agg), "(", FieldText(field), ")");
      break;
    case RuleKind::kRate:
      out = absl::StrCat("derivative(", FieldText(field), ", ",
                         query::lang::FormatDuration(unit_ns), ")");
      break;
    case RuleKind::kAbsence:
      out = absl::StrCat("absent(", FieldText(field), ")");
      break;
    case RuleKind::kTrend:
      out = absl::StrCat("time_to_threshold(", FieldText(field), ", ", Number(threshold),
                         method.empty() || method == "linear" ? "" : ", 'holt'", ")");
      break;
    case RuleKind::kAnomaly:
      out = absl::StrCat("anomaly_score(", FieldText(field),
                         options.empty() ? "" : absl::StrCat(", '", options, "'"), ")");
      break;
  }
  if (window_ns > 0) absl::StrAppend(&out, " over ", query::lang::FormatDuration(window_ns));
  return out;
}

std::string Condition::ToString() const {
  if (kind == RuleKind::kAbsence) return ExprText();
  return absl::StrCat(ExprText(), " ", CmpOpText(op), " ", Number(value));
}

bool Condition::SameExpr(const Condition& o) const {
  return kind == o.kind && agg == o.agg && field == o.field && unit_ns == o.unit_ns &&
         threshold == o.threshold && method == o.method && options == o.options &&
         window_ns == o.window_ns;
}

namespace {

struct Token {
  enum Kind { kEnd, kIdent, kQuotedIdent, kString, kNumber, kDuration, kPunct, kOp, kStar };
  Kind kind = kEnd;
  std::string text;
  double number = 0;
  int64_t ns = 0;
  size_t col = 0;  // 1-based byte column
};

class Parser {
 public:
  Parser(std::string_view text, std::string label) : text_(text), label_(std::move(label)) {}

  absl::Status Lex() {
    size_t i = 0;
    while (i < text_.size()) {
      const unsigned char c = text_[i];
      if (std::isspace(c)) {
        i++;
        continue;
      }
      Token t;
      t.col = i + 1;
      if (std::isalpha(c) || c == '_') {
        size_t j = i;
        while (j < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[j])) || text_[j] == '_')) {
          j++;
        }
        t.kind = Token::kIdent;
        t.text = std::string(text_.substr(i, j - i));
        i = j;
      } else if (c == '"' || c == '\'') {
        size_t j = i + 1;
        std::string s;
        while (j < text_.size() && text_[j] != static_cast<char>(c)) {
          if (text_[j] == '\\' && j + 1 < text_.size()) j++;
          s += text_[j++];
        }
        if (j >= text_.size()) return Error(t.col, "unterminated quoted text");
        t.kind = c == '"' ? Token::kQuotedIdent : Token::kString;
        t.text = std::move(s);
        i = j + 1;
      } else if (std::isdigit(c) || c == '.' ||
                 ((c == '-' || c == '+') && i + 1 < text_.size() &&
                  (std::isdigit(static_cast<unsigned char>(text_[i + 1])) ||
                   text_[i + 1] == '.'))) {
        size_t j = i + 1;
        while (j < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[j])) || text_[j] == '.' ||
                ((text_[j] == '-' || text_[j] == '+') &&
                 (text_[j - 1] == 'e' || text_[j - 1] == 'E')))) {
          j++;
        }
        std::string word(text_.substr(i, j - i));
        t.text = word;
        char* end = nullptr;
        double v = std::strtod(word.c_str(), &end);
        if (end == word.c_str() + word.size() && std::isfinite(v)) {
          t.kind = Token::kNumber;
          t.number = v;
        } else {
          auto d = query::lang::ParseDuration(word);
          if (!d.ok()) {
            return Error(t.col, absl::StrCat("\"", ClientText(word),
                                             "\" is neither a number nor a duration (",
                                             d.status().message(), ")"));
          }
          t.kind = Token::kDuration;
          t.ns = *d;
        }
        i = j;
      } else if (c == '(' || c == ')' || c == ',') {
        t.kind = Token::kPunct;
        t.text = std::string(1, static_cast<char>(c));
        i++;
      } else if (c == '*') {
        t.kind = Token::kStar;
        t.text = "*";
        i++;
      } else if (c == '<' || c == '>' || c == '=' || c == '!') {
        size_t j = i + 1;
        if (j < text_.size() && text_[j] == '=') j++;
        t.kind = Token::kOp;
        t.text = std::string(text_.substr(i, j - i));
        if (t.text == "!") return Error(t.col, "expected != , found !");
        i = j;
      } else {
        return Error(t.col,
                     absl::StrCat("unexpected character '", ClientText(std::string(1, c)), "'"));
      }
      tokens_.push_back(std::move(t));
    }
    Token end;
    end.col = text_.size() + 1;
    tokens_.push_back(end);
    return absl::OkStatus();
  }

  absl::StatusOr<Condition> ParseAll(bool allow_bare_comparison, const Condition* base) {
    if (text_.size() > 4096) {
      return absl::InvalidArgumentError(
          absl::StrCat(label_, ": ", text_.size(), " bytes; the limit is 4096"));
    }
    RETURN_IF_ERROR(Lex());
    Condition c;
    if (allow_bare_comparison && Peek().kind == Token::kOp) {
      c = *base;
    } else {
      ASSIGN_OR_RETURN(c, Expr());
      if (c.kind == RuleKind::kAbsence) {
        if (Peek().kind != Token::kEnd) return Expected("the end of the condition");
        return c;
      }
    }
    RETURN_IF_ERROR(Comparison(&c));
    if (Peek().kind != Token::kEnd) return Expected("the end of the condition");
    return c;
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }

  absl::Status Error(size_t col, const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat(label_, ": column ", col, ": ", what));
  }
  std::string Describe(const Token& t) const {
    if (t.kind == Token::kEnd) return "the end";
    return absl::StrCat("\"", ClientText(t.text), "\"");
  }
  absl::Status Expected(const std::string& what) const {
    return Error(Peek().col, absl::StrCat("expected ", what, ", found ", Describe(Peek())));
  }
  absl::Status Punct(const char* p) {
    if (Peek().kind != Token::kPunct || Peek().text != p) {
      return Expected(absl::StrCat("'", p, "'"));
    }
    Next();
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> Field(bool star_ok) {
    const Token& t = Peek();
    if (t.kind == Token::kIdent || t.kind == Token::kQuotedIdent) {
      if (t.text.empty()) return Error(t.col, "empty field name");
      if (t.text.size() > 256) return Error(t.col, "field name longer than 256 bytes");
      return Next().text;
    }
    if (star_ok && t.kind == Token::kStar) return Next().text;
    return Expected(star_ok ? "a field name or *" : "a field name");
  }
  absl::StatusOr<int64_t> Duration(const char* what) {
    const Token& t = Peek();
    if (t.kind == Token::kNumber && t.number == 0) {
      return Error(t.col, absl::StrCat(what, " must be a positive duration such as 5m"));
    }
    if (t.kind != Token::kDuration) return Expected(absl::StrCat(what, " (a duration such as 5m)"));
    if (t.ns <= 0) return Error(t.col, absl::StrCat(what, " must be positive"));
    if (t.ns > int64_t{366} * 24 * 3600 * 1'000'000'000) {
      return Error(t.col, absl::StrCat(what, " is longer than a year"));
    }
    return Next().ns;
  }
  absl::StatusOr<double> SignedNumber(const char* what) {
    const Token& t = Peek();
    if (t.kind != Token::kNumber) return Expected(what);
    return Next().number;
  }
  absl::Status Over(Condition* c, bool required) {
    if (Peek().kind == Token::kIdent && absl::AsciiStrToLower(Peek().text) == "over") {
      Next();
      ASSIGN_OR_RETURN(c->window_ns, Duration("the window after `over`"));
    } else if (required) {
      return Expected("`over` and a duration (how long without a point counts as absent)");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Condition> Expr() {
    const Token& t = Peek();
    if (t.kind != Token::kIdent) {
      return Expected(
          "a function: mean, min, max, sum, count, first, last, spread, stddev, "
          "derivative, absent, time_to_threshold or anomaly_score");
    }
    const std::string fn = absl::AsciiStrToLower(t.text);
    const size_t fn_col = t.col;
    Next();
    Condition c;
    static const std::pair<const char*, Agg> kAggs[] = {
        {"mean", Agg::kMean},    {"avg", Agg::kMean},  {"min", Agg::kMin},
        {"max", Agg::kMax},      {"sum", Agg::kSum},   {"count", Agg::kCount},
        {"first", Agg::kFirst},  {"last", Agg::kLast}, {"spread", Agg::kSpread},
        {"stddev", Agg::kStddev}};
    for (const auto& [name, agg] : kAggs) {
      if (fn == name) {
        c.kind = RuleKind::kThreshold;
        c.agg = agg;
        RETURN_IF_ERROR(Punct("("));
        ASSIGN_OR_RETURN(c.field, Field(false));
        RETURN_IF_ERROR(Punct(")"));
        RETURN_IF_ERROR(Over(&c, false));
        return c;
      }
    }
    if (fn == "derivative") {
      c.kind = RuleKind::kRate;
      RETURN_IF_ERROR(Punct("("));
      ASSIGN_OR_RETURN(c.field, Field(false));
      if (Peek().kind == Token::kPunct && Peek().text == ",") {
        Next();
        ASSIGN_OR_RETURN(c.unit_ns, Duration("the unit of derivative"));
      }
      RETURN_IF_ERROR(Punct(")"));
      RETURN_IF_ERROR(Over(&c, false));
      return c;
    }
    if (fn == "absent") {
      c.kind = RuleKind::kAbsence;
      RETURN_IF_ERROR(Punct("("));
      ASSIGN_OR_RETURN(c.field, Field(true));
      RETURN_IF_ERROR(Punct(")"));
      RETURN_IF_ERROR(Over(&c, true));
      return c;
    }
    if (fn == "time_to_threshold") {
      c.kind = RuleKind::kTrend;
      RETURN_IF_ERROR(Punct("("));
      ASSIGN_OR_RETURN(c.field, Field(false));
      RETURN_IF_ERROR(Punct(","));
      ASSIGN_OR_RETURN(c.threshold, SignedNumber("the threshold (a number)"));
      if (Peek().kind == Token::kPunct && Peek().text == ",") {
        Next();
        if (Peek().kind != Token::kString) return Expected("'linear' or 'holt'");
        const Token& m = Next();
        std::string method = absl::AsciiStrToLower(m.text);
        if (method != "linear" && method != "holt") {
          return Error(m.col,
                       absl::StrCat("unknown method '", ClientText(m.text), "' (linear or holt)"));
        }
        c.method = method == "linear" ? "" : method;
      }
      RETURN_IF_ERROR(Punct(")"));
      RETURN_IF_ERROR(Over(&c, false));
      return c;
    }
    if (fn == "anomaly_score") {
      c.kind = RuleKind::kAnomaly;
      RETURN_IF_ERROR(Punct("("));
      ASSIGN_OR_RETURN(c.field, Field(false));
      if (Peek().kind == Token::kPunct && Peek().text == ",") {
        Next();
        if (Peek().kind != Token::kString) return Expected("detector options as 'key=value,...'");
        const Token& o = Next();
        auto opts = predict::AnomalyOptions::Parse(o.text);
        if (!opts.ok()) return Error(o.col, std::string(opts.status().message()));
        c.options = opts->Canonical();
      }
      RETURN_IF_ERROR(Punct(")"));
      RETURN_IF_ERROR(Over(&c, false));
      return c;
    }
    return Error(fn_col, absl::StrCat("unknown function \"", ClientText(fn),
                                      "\" (mean, min, max, sum, count, first, last, spread, "
                                      "stddev, derivative, absent, time_to_threshold, "
                                      "anomaly_score)"));
  }

  absl::Status Comparison(Condition* c) {
    const Token& t = Peek();
    if (t.kind != Token::kOp) return Expected("a comparison (>, >=, <, <=, ==, !=)");
    static const std::pair<const char*, CmpOp> kOps[] = {
        {">", CmpOp::kGt}, {">=", CmpOp::kGe}, {"<", CmpOp::kLt}, {"<=", CmpOp::kLe},
        {"=", CmpOp::kEq}, {"==", CmpOp::kEq}, {"!=", CmpOp::kNe}};
    bool found = false;
    for (const auto& [text, op] : kOps) {
      if (t.text == text) {
        c->op = op;
        found = true;
      }
    }
    if (!found) return Error(t.col, absl::StrCat("unknown comparison ", t.text));
    Next();
    ASSIGN_OR_RETURN(c->value, SignedNumber("a number to compare with"));
    return absl::OkStatus();
  }

  std::string_view text_;
  std::string label_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<Condition> ParseCondition(std::string_view text) {
  if (absl::StripAsciiWhitespace(std::string(text)).empty()) {
    return absl::InvalidArgumentError("condition: empty (e.g. 'mean(temperature) over 5m > 8')");
  }
  Parser p(text, "condition");
  return p.ParseAll(false, nullptr);
}

absl::StatusOr<Condition> ParseClear(std::string_view text, const Condition& cond) {
  if (cond.kind == RuleKind::kAbsence) {
    return absl::InvalidArgumentError(
        "clear: an absence rule resolves when a point arrives; it takes no --clear");
  }
  if (absl::StripAsciiWhitespace(std::string(text)).empty()) {
    return absl::InvalidArgumentError("clear: empty (e.g. '< 6')");
  }
  Parser p(text, "clear");
  ASSIGN_OR_RETURN(Condition c, p.ParseAll(true, &cond));
  if (!c.SameExpr(cond)) {
    return absl::InvalidArgumentError(
        absl::StrCat("clear: must test the condition's own expression ", cond.ExprText(), ", not ",
                     c.ExprText(), " (or give only the comparison, e.g. '< 6')"));
  }
  return c;
}

}  // namespace telemdb::alert
