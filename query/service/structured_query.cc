#include "query/service/structured_query.h"

#include "absl/strings/str_cat.h"
#include "query/lang/format.h"
#include "query/lang/parser.h"
#include "telemdb/v1/query.pb.h"
#include "util/absl_compat.h"

namespace telemdb::query {
namespace {

absl::StatusOr<lang::Call> MakeCall(const std::string& name, const v1::SelectExpr& e,
                                    lang::FunctionKind want) {
  const lang::FunctionInfo* info = lang::LookupFunction(name);
  const bool kind_ok =
      info != nullptr && (info->kind == want || (want == lang::FunctionKind::kTransform &&
                                                 info->kind == lang::FunctionKind::kForecast));
  if (!kind_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "select item \"", e.field(), "\": unknown ",
        want == lang::FunctionKind::kAggregate ? "aggregate" : "transform", " \"", name, "\""));
  }
  lang::Call c;
  c.function = info->function;
  switch (info->param) {
    case lang::ParamKind::kPercentile:
      c.percentile = e.percentile();
      break;
    case lang::ParamKind::kUnit:
      c.unit_ns = e.unit_ns() > 0 ? e.unit_ns() : lang::kDefaultUnitNs;
      break;
    case lang::ParamKind::kWindow:
    case lang::ParamKind::kZWindow:
      c.window = e.window();
      break;
    case lang::ParamKind::kHorizon:
      c.horizon_ns = e.horizon_ns();
      break;
    case lang::ParamKind::kThreshold:
      c.threshold = e.threshold();
      c.method = e.method();
      break;
    case lang::ParamKind::kAlpha:
      c.alpha = e.alpha();
      break;
    case lang::ParamKind::kOptions:
      c.options = e.options();
      break;
    case lang::ParamKind::kAnomalies:
      c.threshold = e.threshold();
      c.options = e.options();
      break;
    case lang::ParamKind::kHoltWinters:
      c.count = e.count();
      c.season = e.season();
      break;
    case lang::ParamKind::kForecast:
      c.count = e.count();
      c.method = e.method();
      c.season = e.season();
      break;
    case lang::ParamKind::kElapsedUnit:
      c.unit_ns = e.unit_ns() > 0 ? e.unit_ns() : lang::kElapsedDefaultUnitNs;
      break;
    case lang::ParamKind::kSelectN:
      c.count = e.count();
      break;
    case lang::ParamKind::kNone:
      break;
  }
  return c;
}

}  // namespace

absl::StatusOr<lang::Statement> FromStructured(const v1::StructuredQuery& q) {
  if (q.measurement().empty())
    return absl::InvalidArgumentError("structured query needs a measurement");
  if (q.select_size() == 0) return absl::InvalidArgumentError("structured query selects nothing");
  lang::SelectStatement s;
  s.measurement = q.measurement();
  for (const auto& e : q.select()) {
    lang::SelectItem item;
    if (e.field() == "*") {
      item.wildcard = true;
    } else if (e.field().empty()) {
      return absl::InvalidArgumentError("a select item needs a field (or \"*\")");
    } else {
      item.field = e.field();
    }
    if (!e.aggregate().empty()) {
      auto c = MakeCall(e.aggregate(), e, lang::FunctionKind::kAggregate);
      if (!c.ok()) return c.status();
      item.aggregate = *c;
    }
    if (!e.transform().empty()) {
      auto c = MakeCall(e.transform(), e, lang::FunctionKind::kTransform);
      if (!c.ok()) return c.status();
      item.transform = *c;
    }
    item.alias = e.alias();
    s.items.push_back(std::move(item));
  }
  std::vector<lang::Condition> conds;
  for (const auto& m : q.matchers()) {
    lang::Literal lit;
    lit.kind = lang::Literal::Kind::kString;
    lit.text = m.value();
    lang::CompareOp op;
    switch (m.op()) {
      case v1::TagMatcher::EQUAL:
        op = lang::CompareOp::kEq;
        break;
      case v1::TagMatcher::NOT_EQUAL:
        op = lang::CompareOp::kNe;
        break;
      case v1::TagMatcher::REGEX:
      case v1::TagMatcher::NOT_REGEX:
        op = m.op() == v1::TagMatcher::REGEX ? lang::CompareOp::kMatch : lang::CompareOp::kNotMatch;
        lit.kind = lang::Literal::Kind::kRegex;
        break;
      case v1::TagMatcher::EXISTS:  // any value: a series without the tag does not match
      case v1::TagMatcher::NOT_EXISTS:
        op =
            m.op() == v1::TagMatcher::EXISTS ? lang::CompareOp::kMatch : lang::CompareOp::kNotMatch;
        lit.kind = lang::Literal::Kind::kRegex;
        lit.text = ".*";
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("tag matcher on \"", m.key(), "\" has no operator"));
    }
    conds.push_back(lang::Condition::Compare(m.key(), op, lit));
  }
  if (q.start_ns() != 0) conds.push_back(lang::Condition::Time(lang::CompareOp::kGe, q.start_ns()));
  if (q.end_ns() != 0) conds.push_back(lang::Condition::Time(lang::CompareOp::kLt, q.end_ns()));
  if (!conds.empty()) s.where = lang::Condition::And(std::move(conds));
  if (q.interval_ns() > 0) s.group_by_time = lang::TimeGrouping{q.interval_ns(), q.offset_ns()};
  s.group_by_tags.assign(q.group_by_tags().begin(), q.group_by_tags().end());
  switch (q.fill()) {
    case v1::StructuredQuery::FILL_NULL:
      s.fill.mode = lang::FillMode::kNull;
      break;
    case v1::StructuredQuery::FILL_PREVIOUS:
      s.fill.mode = lang::FillMode::kPrevious;
      break;
    case v1::StructuredQuery::FILL_LINEAR:
      s.fill.mode = lang::FillMode::kLinear;
      break;
    case v1::StructuredQuery::FILL_VALUE:
      s.fill.mode = lang::FillMode::kValue;
      s.fill.value = q.fill_value();
      break;
    default:
      s.fill.mode = lang::FillMode::kNone;
      break;
  }
  s.descending = q.descending();
  if (q.limit() > 0) s.limit = static_cast<int64_t>(q.limit());
  if (q.slimit() > 0) s.slimit = static_cast<int64_t>(q.slimit());
  // The parser holds every rule of a valid SELECT: check the tree by printing and parsing it.
  lang::Statement stmt = s;
  std::string text = lang::Format(stmt);
  auto parsed = lang::Parse(text, lang::ParseOptions());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("structured query is not valid (as text: ", text,
                                                   "): ", parsed.status().message()));
  }
  return parsed;
}

}  // namespace telemdb::query
