// SELECT statements: the select list, function calls and the clauses after FROM.
#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "query/lang/format.h"
#include "query/lang/parser_internal.h"
#include "query/predict/anomaly_options.h"
#include "util/status_macros.h"

namespace telemdb::query::lang {
namespace {

bool IsFunctionCallStart(const Token& name, const Token& next) {
  return name.kind == TokenKind::kIdent && !IsReservedWord(name.text) &&
         next.kind == TokenKind::kLParen;
}

std::string Quoted(std::string_view s) { return absl::StrCat("'", std::string(s), "'"); }

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

constexpr std::array<std::string_view, 6> kClauses = {"WHERE",    "GROUP BY", "FILL",
                                                      "ORDER BY", "LIMIT",    "SLIMIT"};

}  // namespace

absl::StatusOr<Statement> Parser::ParseSelect() {
  Next();  // SELECT
  SelectStatement stmt;
  std::vector<const Token*> item_tokens;
  do {
    item_tokens.push_back(&Peek());
    ASSIGN_OR_RETURN(SelectItem item, ParseSelectItem(item_tokens.size() == 1 ? "SELECT" : "','"));
    stmt.items.push_back(std::move(item));
  } while (Accept(TokenKind::kComma));
  RETURN_IF_ERROR(ExpectKeyword("FROM", "FROM after select list"));
  ASSIGN_OR_RETURN(stmt.measurement, ParseMeasurement("measurement name after FROM"));

  // Clauses come in a fixed order. `expect` lists what may still follow, for the error about
  // an unexpected token.
  std::vector<std::string_view> expect(kClauses.begin(), kClauses.end());
  const auto after = [&](std::initializer_list<std::string_view> extra, size_t clause) {
    std::vector<std::string_view> next(extra);
    next.insert(next.end(), kClauses.begin() + clause, kClauses.end());
    expect = std::move(next);
  };
  const Token* fill_token = nullptr;
  if (AcceptKeyword("WHERE")) {
    ASSIGN_OR_RETURN(stmt.where, ParseWhere(WhereMode::kAny, "SELECT"));
    after({"AND", "OR"}, 1);
  }
  if (AtKeyword("GROUP")) {
    RETURN_IF_ERROR(ParseGroupBy(&stmt));
    after({"','"}, 2);
  }
  if (AtKeyword("FILL")) {
    fill_token = &Peek();
    RETURN_IF_ERROR(ParseFill(&stmt));
    after({}, 3);
  }
  if (AtKeyword("ORDER")) {
    RETURN_IF_ERROR(ParseOrderBy(&stmt));
    if (IsReservedWord(Previous().text)) {  // ended with ASC or DESC
      after({}, 4);
    } else {  // ended with `time`
      after({"ASC", "DESC"}, 4);
    }
  }
  if (AcceptKeyword("LIMIT")) {
    ASSIGN_OR_RETURN(stmt.limit, ParsePositiveInteger("LIMIT"));
    after({}, 5);
  }
  if (AcceptKeyword("SLIMIT")) {
    ASSIGN_OR_RETURN(stmt.slimit, ParsePositiveInteger("SLIMIT"));
    after({}, 6);
  }
  if (AtKeyword("tz") && Peek(1).kind == TokenKind::kLParen) return RefuseTz();
  RETURN_IF_ERROR(ExpectEnd(expect));
  RETURN_IF_ERROR(CheckSelectList(stmt, item_tokens, fill_token));
  return stmt;
}

absl::StatusOr<SelectItem> Parser::ParseSelectItem(std::string_view after) {
  SelectItem item;
  if (Accept(TokenKind::kStar)) {
    item.wildcard = true;
  } else {
    const Token* term = nullptr;
    const Token& start = Peek();
    item_after_ = after;
    ASSIGN_OR_RETURN(MathOperand e, ParseAdditive(&item, &term, 0));
    if (e.constant) {
      return ErrorAt(start, absl::StrCat("expected a field or function in the select item after ",
                                         std::string(after), ", found only constants"));
    }
    item.math = std::move(e.steps);
  }
  if (AcceptKeyword("AS")) {
    ASSIGN_OR_RETURN(item.alias, ParseName("alias after AS"));
  }
  return item;
}

absl::Status Parser::ParseTerm(SelectItem* item, std::string_view after) {
  if (IsFunctionCallStart(Peek(), Peek(1))) return ParseCall(item);
  ASSIGN_OR_RETURN(item->field,
                   ParseName(absl::StrCat("field, '*' or function after ", std::string(after))));
  return absl::OkStatus();
}

absl::Status Parser::RefuseTz() {
  const Token& tz = Next();
  Next();  // '('
  const Token& zone = Peek();
  if (zone.kind != TokenKind::kString) {
    return Expected("a time zone string such as 'Europe/Berlin' in tz(...)", zone);
  }
  return ErrorAt(
      tz, absl::StrCat("tz('", zone.value,
                       "') is not supported: GROUP BY time buckets and all times are UTC in "
                       "telemdb; use GROUP BY time(interval, offset) for buckets shifted by a "
                       "fixed offset (e.g. time(1d, -1h) for days starting at midnight UTC+01:00) "
                       "and convert times to local time in the client"));
}

absl::Status Parser::ParseCall(SelectItem* item) {
  const Token& name = Next();
  const FunctionInfo* info = LookupFunction(name.text);
  if (info == nullptr) {
    return ErrorAt(name, absl::StrCat("expected a function (", std::string(FunctionNameList()),
                                      "), found unknown function ", Quoted(name.text)));
  }
  Next();  // '('
  if (info->kind == FunctionKind::kAggregate) return ParseAggregateArgs(*info, item);

  // A transform: its operand is a field or an aggregate call; a forecast's an aggregate.
  const Token& operand = Peek();
  const std::string where = absl::StrCat(std::string(info->name), "(...)");
  if (info->kind == FunctionKind::kForecast && !IsFunctionCallStart(operand, Peek(1))) {
    return ErrorAt(
        operand,
        absl::StrCat("expected an aggregate such as mean(",
                     (operand.kind == TokenKind::kIdent || operand.kind == TokenKind::kQuotedIdent
                          ? operand.value
                          : std::string("x")),
                     ") in ", where, " (it forecasts GROUP BY time buckets), found ",
                     DescribeToken(operand)));
  }
  if (IsFunctionCallStart(operand, Peek(1))) {
    const FunctionInfo* inner = LookupFunction(operand.text);
    if (inner != nullptr &&
        (inner->function == Function::kTop || inner->function == Function::kBottom)) {
      return ErrorAt(operand, absl::StrCat("expected a field or an aggregate in ", where,
                                           ", found selector ", Quoted(operand.text),
                                           " (top() and bottom() return several points per "
                                           "bucket and cannot be nested)"));
    }
    if (inner == nullptr || inner->kind != FunctionKind::kAggregate) {
      return ErrorAt(
          operand,
          absl::StrCat(info->kind == FunctionKind::kForecast
                           ? "expected an aggregate (count, sum, mean, ...) in "
                           : "expected a field or an aggregate (count, sum, mean, ...) in ",
                       where, ", found ",
                       inner == nullptr                         ? "unknown function "
                       : inner->kind == FunctionKind::kForecast ? "forecast "
                                                                : "transform ",
                       Quoted(operand.text)));
    }
    Next();  // name
    Next();  // '('
    RETURN_IF_ERROR(ParseAggregateArgs(*inner, item));
  } else {
    ASSIGN_OR_RETURN(item->field, ParseName(absl::StrCat("a field or an aggregate in ", where)));
  }
  Call call;
  call.function = info->function;
  RETURN_IF_ERROR(ParseParamAndClose(*info, &call));
  item->transform = call;
  return absl::OkStatus();
}

absl::Status Parser::ParseAggregateArgs(const FunctionInfo& info, SelectItem* item) {
  const std::string where = absl::StrCat(std::string(info.name), "(...)");
  if (IsFunctionCallStart(Peek(), Peek(1))) {
    return ErrorAt(Peek(),
                   absl::StrCat("expected a field name in ", where, ", found function call ",
                                Quoted(absl::StrCat(std::string(Peek().text), "(...)"))));
  }
  ASSIGN_OR_RETURN(item->field, ParseName(absl::StrCat("a field name in ", where)));
  Call call;
  call.function = info.function;
  RETURN_IF_ERROR(ParseParamAndClose(info, &call));
  item->aggregate = call;
  return absl::OkStatus();
}

absl::Status Parser::ParseParamAndClose(const FunctionInfo& info, Call* call) {
  const std::string signature(info.signature);
  switch (info.param) {
    case ParamKind::kNone:
      break;
    case ParamKind::kPercentile: {
      RETURN_IF_ERROR(Expect(TokenKind::kComma, absl::StrCat("',' and p in ", signature)));
      ASSIGN_OR_RETURN(Number p, ParseNumber(absl::StrCat("a number p in ", signature)));
      if (p.value < 0 || p.value > 100) {
        return ErrorAt(*p.token, absl::StrCat("expected p between 0 and 100 in ", signature,
                                              ", found ", Quoted(p.text)));
      }
      call->percentile = p.value;
      break;
    }
    case ParamKind::kUnit:
    case ParamKind::kElapsedUnit: {
      call->unit_ns =
          info.param == ParamKind::kUnit ? kDefaultUnitNs : kElapsedDefaultUnitNs;
      if (!Accept(TokenKind::kComma)) break;
      const Token& unit = Peek();
      if (unit.kind != TokenKind::kDuration || unit.duration_ns <= 0) {
        return Expected(absl::StrCat("a positive duration as the unit in ", signature), unit);
      }
      Next();
      call->unit_ns = unit.duration_ns;
      break;
    }
    case ParamKind::kSelectN: {
      if (Peek().kind == TokenKind::kComma &&
          (Peek(1).kind == TokenKind::kIdent || Peek(1).kind == TokenKind::kQuotedIdent)) {
        return ErrorAt(Peek(1),
                       absl::StrCat("expected the number of points n in ", signature,
                                    ", found tag key ", DescribeToken(Peek(1)), " (the form ",
                                    std::string(info.name), "(field, tag, n) is not supported)"));
      }
      RETURN_IF_ERROR(Expect(TokenKind::kComma, absl::StrCat("',' and n in ", signature)));
      ASSIGN_OR_RETURN(call->count,
                       ParseBoundedInteger(absl::StrCat("the number of points n in ", signature), 1,
                                           kMaxSelected));
      break;
    }
    case ParamKind::kWindow: {
      RETURN_IF_ERROR(Expect(TokenKind::kComma, absl::StrCat("',' and n in ", signature)));
      const std::string what = absl::StrCat("an integer n >= 1 in ", signature);
      const Token& first = Peek();
      ASSIGN_OR_RETURN(Number n, ParseNumber(what));
      if (!n.is_integer || n.integer < 1) {
        return ErrorAt(first, absl::StrCat("expected ", what, ", found ", Quoted(n.text)));
      }
      call->window = n.integer;
      break;
    }
    case ParamKind::kHorizon: {
      RETURN_IF_ERROR(
          Expect(TokenKind::kComma, absl::StrCat("',' and the horizon in ", signature)));
      const Token& h = Peek();
      if (h.kind != TokenKind::kDuration) {
        return Expected(absl::StrCat("a duration such as 2h as the horizon in ", signature), h);
      }
      Next();
      call->horizon_ns = h.duration_ns;
      break;
    }
    case ParamKind::kThreshold: {
      RETURN_IF_ERROR(
          Expect(TokenKind::kComma, absl::StrCat("',' and the threshold in ", signature)));
      ASSIGN_OR_RETURN(Number t,
                       ParseNumber(absl::StrCat("a number as the threshold in ", signature)));
      call->threshold = t.value;
      if (!Accept(TokenKind::kComma)) break;
      const Token& m = Peek();
      const std::string method = m.kind == TokenKind::kString ? Lower(m.value) : "";
      if (method != "linear" && method != "holt") {
        return Expected(absl::StrCat("'linear' or 'holt' as the method in ", signature), m);
      }
      Next();
      if (method != "linear") call->method = method;  // linear is the default
      break;
    }
    case ParamKind::kAlpha: {
      RETURN_IF_ERROR(Expect(TokenKind::kComma, absl::StrCat("',' and alpha in ", signature)));
      ASSIGN_OR_RETURN(Number a, ParseNumber(absl::StrCat("a number alpha in ", signature)));
      if (!(a.value >= kMinAlpha && a.value <= 1)) {
        return ErrorAt(*a.token, absl::StrCat("expected alpha between ", kMinAlpha, " and 1 in ",
                                              signature, ", found ", Quoted(a.text)));
      }
      call->alpha = a.value;
      break;
    }
    case ParamKind::kZWindow: {
      RETURN_IF_ERROR(Expect(TokenKind::kComma, absl::StrCat("',' and n in ", signature)));
      const std::string what =
          absl::StrCat("an integer n between 2 and ", kMaxWindow, " in ", signature);
      const Token& first = Peek();
      ASSIGN_OR_RETURN(Number n, ParseNumber(what));
      if (!n.is_integer || n.integer < 2 || n.integer > kMaxWindow) {
        return ErrorAt(first, absl::StrCat("expected ", what, ", found ", Quoted(n.text)));
      }
      call->window = n.integer;
      break;
    }
    case ParamKind::kAnomalies: {
      RETURN_IF_ERROR(
          Expect(TokenKind::kComma, absl::StrCat("',' and the threshold in ", signature)));
      ASSIGN_OR_RETURN(Number t, ParseNumber(absl::StrCat("a threshold in ", signature)));
      if (!(t.value >= 0 && t.value <= 1)) {
        return ErrorAt(*t.token, absl::StrCat("expected a threshold between 0 and 1 in ", signature,
                                              ", found ", Quoted(t.text)));
      }
      call->threshold = t.value;
      if (!Accept(TokenKind::kComma)) break;
      RETURN_IF_ERROR(ParseDetectorOptions(info, call));
      break;
    }
    case ParamKind::kOptions:
      if (!Accept(TokenKind::kComma)) break;
      RETURN_IF_ERROR(ParseDetectorOptions(info, call));
      break;
    case ParamKind::kHoltWinters: {
      RETURN_IF_ERROR(Expect(TokenKind::kComma, absl::StrCat("',' and n in ", signature)));
      ASSIGN_OR_RETURN(
          call->count,
          ParseBoundedInteger(absl::StrCat("the number of forecast points n in ", signature), 1,
                              kMaxForecast));
      RETURN_IF_ERROR(Expect(TokenKind::kComma, absl::StrCat("',' and the season in ", signature)));
      ASSIGN_OR_RETURN(
          call->season,
          ParseBoundedInteger(absl::StrCat("the season length in buckets in ", signature), 0,
                              kMaxSeason));
      break;
    }
    case ParamKind::kForecast: {
      RETURN_IF_ERROR(Expect(TokenKind::kComma, absl::StrCat("',' and n in ", signature)));
      ASSIGN_OR_RETURN(
          call->count,
          ParseBoundedInteger(absl::StrCat("the number of forecast points n in ", signature), 1,
                              kMaxForecast));
      if (!Accept(TokenKind::kComma)) break;
      const Token& m = Peek();
      const std::string method = m.kind == TokenKind::kString ? Lower(m.value) : "";
      if (method != "auto" && method != "simple" && method != "trend" && method != "seasonal") {
        return Expected(
            absl::StrCat("'auto', 'simple', 'trend' or 'seasonal' as the method in ", signature),
            m);
      }
      Next();
      if (method != "auto") call->method = method;
      if (!Accept(TokenKind::kComma)) break;
      ASSIGN_OR_RETURN(call->season,
                       ParseBoundedInteger(
                           absl::StrCat("the season length in buckets (0: detect) in ", signature),
                           0, kMaxSeason));
      if (call->season == 1) {
        return ErrorAt(Previous(), absl::StrCat("expected a season of 0 (detect) or at least 2 "
                                                "buckets in ",
                                                signature, ", found '1'"));
      }
      break;
    }
  }
  if (Accept(TokenKind::kRParen)) return absl::OkStatus();
  if (Peek().kind == TokenKind::kComma) {
    return Expected(absl::StrCat("')' after the arguments of ", signature, " (too many arguments)"),
                    Peek());
  }
  return Expected(absl::StrCat("')' to close ", std::string(info.name), "("), Peek());
}

absl::StatusOr<int64_t> Parser::ParseBoundedInteger(std::string_view what, int64_t lo, int64_t hi) {
  const std::string expect =
      absl::StrCat("an integer between ", lo, " and ", hi, " as ", std::string(what));
  const Token& first = Peek();
  ASSIGN_OR_RETURN(Number n, ParseNumber(expect));
  if (!n.is_integer || n.integer < lo || n.integer > hi) {
    return ErrorAt(first, absl::StrCat("expected ", expect, ", found ", Quoted(n.text)));
  }
  return n.integer;
}

absl::Status Parser::ParseDetectorOptions(const FunctionInfo& info, Call* call) {
  const Token& t = Peek();
  const std::string signature(info.signature);
  if (t.kind != TokenKind::kString) {
    return Expected(
        absl::StrCat("a string of detector options such as 'window=300' in ", signature), t);
  }
  auto canonical = predict::CanonicalAnomalyOptions(t.value);
  if (!canonical.ok()) {
    return ErrorAt(
        t, absl::StrCat("bad detector options in ", signature, ": ", canonical.status().message()));
  }
  Next();
  call->options = *canonical;
  return absl::OkStatus();
}

absl::Status Parser::ParseGroupBy(SelectStatement* stmt) {
  Next();  // GROUP
  RETURN_IF_ERROR(ExpectKeyword("BY", "BY after GROUP"));
  std::string_view after = "GROUP BY";
  do {
    const Token& t = Peek();
    if (t.kind == TokenKind::kIdent && t.text.size() == 4 && AtKeyword("time")) {
      Next();
      RETURN_IF_ERROR(Expect(TokenKind::kLParen,
                             "'(' after time in GROUP BY (write \"time\" for a tag named time)"));
      if (stmt->group_by_time.has_value()) {
        return ErrorAt(t, "expected at most one time(...) in GROUP BY, found a second one");
      }
      TimeGrouping grouping;
      const Token& interval = Peek();
      if (interval.kind != TokenKind::kDuration || interval.duration_ns <= 0) {
        return Expected("a positive duration in GROUP BY time(...)", interval);
      }
      Next();
      grouping.interval_ns = interval.duration_ns;
      if (Accept(TokenKind::kComma)) {
        const bool negative = Accept(TokenKind::kMinus);
        const Token& offset = Peek();
        if (offset.kind != TokenKind::kDuration) {
          return Expected("an offset duration in GROUP BY time(interval, offset)", offset);
        }
        Next();
        grouping.offset_ns = negative ? -offset.duration_ns : offset.duration_ns;
      }
      RETURN_IF_ERROR(Expect(TokenKind::kRParen, "')' to close GROUP BY time("));
      stmt->group_by_time = grouping;
    } else {
      ASSIGN_OR_RETURN(std::string tag,
                       ParseName(absl::StrCat("time(...) or tag key after ", std::string(after))));
      if (std::find(stmt->group_by_tags.begin(), stmt->group_by_tags.end(), tag) !=
          stmt->group_by_tags.end()) {
        return ErrorAt(t, absl::StrCat("expected each tag key once in GROUP BY, found ",
                                       Quoted(tag), " twice"));
      }
      stmt->group_by_tags.push_back(std::move(tag));
    }
    after = "','";
  } while (Accept(TokenKind::kComma));
  return absl::OkStatus();
}

absl::Status Parser::ParseFill(SelectStatement* stmt) {
  Next();  // FILL
  RETURN_IF_ERROR(Expect(TokenKind::kLParen, "'(' after FILL"));
  constexpr std::string_view kWhat = "none, null, previous, linear or a number in FILL(...)";
  if (AcceptKeyword("none")) {
    stmt->fill.mode = FillMode::kNone;
  } else if (AcceptKeyword("null")) {
    stmt->fill.mode = FillMode::kNull;
  } else if (AcceptKeyword("previous")) {
    stmt->fill.mode = FillMode::kPrevious;
  } else if (AcceptKeyword("linear")) {
    stmt->fill.mode = FillMode::kLinear;
  } else {
    ASSIGN_OR_RETURN(Number n, ParseNumber(kWhat));
    stmt->fill.mode = FillMode::kValue;
    stmt->fill.value = n.value;
  }
  return Expect(TokenKind::kRParen, "')' to close FILL(");
}

absl::Status Parser::ParseOrderBy(SelectStatement* stmt) {
  Next();  // ORDER
  RETURN_IF_ERROR(ExpectKeyword("BY", "BY after ORDER"));
  RETURN_IF_ERROR(ExpectKeyword("time", "time after ORDER BY (results are ordered by time only)"));
  if (AcceptKeyword("DESC")) {
    stmt->descending = true;
  } else {
    AcceptKeyword("ASC");
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Parser::ParsePositiveInteger(std::string_view clause) {
  const std::string what = absl::StrCat("a positive integer after ", std::string(clause));
  const Token& first = Peek();
  ASSIGN_OR_RETURN(Number n, ParseNumber(what));
  if (!n.is_integer || n.integer < 1) {
    return ErrorAt(first, absl::StrCat("expected ", what, ", found ", Quoted(n.text)));
  }
  return n.integer;
}

absl::Status Parser::CheckSelectList(const SelectStatement& stmt,
                                     const std::vector<const Token*>& item_tokens,
                                     const Token* fill_token) const {
  const bool aggregated = stmt.items.front().aggregated();
  for (size_t i = 0; i < stmt.items.size(); ++i) {
    const SelectItem& item = stmt.items[i];
    const Token& at = *item_tokens[i];
    SelectItem bare = item;
    bare.alias.clear();
    const std::string text = Quoted(FormatSelectItem(bare));
    if (!item.aggregated() && stmt.group_by_time.has_value()) {
      if (item.wildcard) {
        return ErrorAt(at, "expected aggregates with GROUP BY time(...), found '*'");
      }
      std::string hint = absl::StrCat("mean(", FormatIdentifier(item.field), ")");
      if (item.transform.has_value()) {
        hint = absl::StrCat(std::string(GetFunctionInfo(item.transform->function).name), "(", hint,
                            ")");
        return ErrorAt(at,
                       absl::StrCat("expected an aggregate such as ", hint,
                                    " with GROUP BY time(...), found ", text, " over a raw field"));
      }
      return ErrorAt(at, absl::StrCat("expected an aggregate such as ", hint,
                                      " with GROUP BY time(...), found raw field ", text));
    }
    if (item.aggregated() != aggregated) {
      return ErrorAt(
          at,
          absl::StrCat("cannot mix aggregates and raw fields in one SELECT; expected ",
                       aggregated ? "an aggregate" : "a raw field", " like the first item, found ",
                       item.aggregated() ? "aggregate " : "raw field ", text));
    }
    if (item.aggregated() && item.transform.has_value() && !stmt.group_by_time.has_value()) {
      const bool forecast =
          GetFunctionInfo(item.transform->function).kind == FunctionKind::kForecast;
      return ErrorAt(at, absl::StrCat("expected GROUP BY time(...) for ", text,
                                      forecast ? " (a forecast continues the series of time "
                                                 "buckets), "
                                               : " (a transform over an aggregate runs over time "
                                                 "buckets), ",
                                      "found no GROUP BY time(...)"));
    }
  }
  for (size_t i = 0; i < stmt.items.size(); ++i) {
    const SelectItem& item = stmt.items[i];
    const std::optional<Call>& outer = item.transform ? item.transform : item.aggregate;
    if (item.math.empty() || !outer.has_value()) continue;
    const FunctionInfo& info = GetFunctionInfo(outer->function);
    if (info.kind == FunctionKind::kForecast || outer->function == Function::kAnomalies ||
        outer->function == Function::kDistinct || outer->function == Function::kTop ||
        outer->function == Function::kBottom) {
      return ErrorAt(*item_tokens[i],
                     absl::StrCat("expected arithmetic only on a field, an aggregate or a "
                                  "transform, found it on ",
                                  std::string(info.name), "(...), which returns ",
                                  info.kind == FunctionKind::kForecast ? "forecast rows"
                                                                       : "several values or rows",
                                  " (arithmetic is not supported there)"));
    }
  }
  for (size_t i = 0; i < stmt.items.size() && stmt.items.size() > 1; ++i) {
    const SelectItem& item = stmt.items[i];
    if (item.aggregate.has_value() && (item.aggregate->function == Function::kTop ||
                                       item.aggregate->function == Function::kBottom)) {
      return ErrorAt(
          *item_tokens[i],
          absl::StrCat("expected ", std::string(GetFunctionInfo(item.aggregate->function).name),
                       "(...) as the only select item (a selector of several points "
                       "per bucket cannot be combined with other items), found other "
                       "items beside it"));
    }
    if (item.transform.has_value() && item.transform->function == Function::kAnomalies) {
      return ErrorAt(*item_tokens[i],
                     "expected anomalies(...) as the only select item (it returns only the rows "
                     "at or above its threshold), found other items beside it");
    }
  }
  if (fill_token != nullptr && !stmt.group_by_time.has_value()) {
    return ErrorAt(*fill_token, "expected GROUP BY time(...) before FILL, found FILL without it");
  }
  return absl::OkStatus();
}

}  // namespace telemdb::query::lang
