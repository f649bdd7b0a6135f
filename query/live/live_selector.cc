#include "query/live/live_selector.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "query/lang/format.h"
#include "query/lang/parser.h"
#include "re2/re2.h"
#include "util/client_text.h"
#include "util/status_macros.h"

namespace telemdb::query {
namespace {

constexpr size_t kMaxNameBytes = 256;
constexpr size_t kMaxFields = 1000;
constexpr size_t kMaxWhereBytes = 64 << 10;

// "line 1, column 31: ..." of the composed statement -> the column in the user's text.
absl::Status ShiftColumn(const absl::Status& s, size_t prefix) {
  std::string msg(s.message());
  const std::string head = "line 1, column ";
  if (msg.rfind(head, 0) != 0) return absl::InvalidArgumentError(msg);
  size_t comma = msg.find(':', head.size());
  int col = 0;
  if (comma == std::string::npos ||
      !absl::SimpleAtoi(msg.substr(head.size(), comma - head.size()), &col)) {
    return absl::InvalidArgumentError(msg);
  }
  col = std::max<int>(1, col - static_cast<int>(prefix));
  return absl::InvalidArgumentError(absl::StrCat("where: column ", col, msg.substr(comma)));
}

bool HasTime(const lang::Condition& c) {
  if (c.kind == lang::Condition::Kind::kTime) return true;
  for (const auto& o : c.operands) {
    if (HasTime(o)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<lang::Condition> ParseTagConditions(std::string_view text,
                                                   std::string_view measurement) {
  if (text.size() > kMaxWhereBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("where: ", text.size(), " bytes; the limit is ", kMaxWhereBytes));
  }
  const std::string prefix = "SELECT * FROM x WHERE ";
  lang::ParseOptions po;
  auto st = lang::Parse(prefix + std::string(text), po);
  if (!st.ok()) return ShiftColumn(st.status(), prefix.size());
  const auto* sel = std::get_if<lang::SelectStatement>(&*st);
  if (sel == nullptr || !sel->where.has_value() || !sel->group_by_tags.empty() ||
      sel->group_by_time.has_value() || sel->limit.has_value() || sel->slimit.has_value() ||
      sel->descending) {
    return absl::InvalidArgumentError(
        "where: expected tag conditions only (e.g. fleet = 'East' AND name =~ /^truck_1/)");
  }
  if (HasTime(*sel->where)) {
    return absl::InvalidArgumentError(
        "where: time conditions have no meaning for live points; use `since` for history");
  }
  MeasurementSchema schema;
  schema.measurement = std::string(measurement);
  RETURN_IF_ERROR(Predicate::BuildTagsOnly(*sel->where, schema).status());
  return *sel->where;
}

bool StorageMatcherAccepts(const storage::TagMatcher& m, const storage::TagSet& tags) {
  const std::string* value = nullptr;
  for (const auto& [k, v] : tags) {
    if (k == m.key) {
      value = &v;
      break;
    }
  }
  using Op = storage::TagMatcher::Op;
  switch (m.op) {
    case Op::kEqual:
      return value != nullptr && *value == m.value;
    case Op::kNotEqual:
      return value == nullptr || *value != m.value;
    case Op::kRegex:
      return value != nullptr && m.re != nullptr && RE2::FullMatch(*value, *m.re);
    case Op::kNotRegex:
      return value == nullptr || m.re == nullptr || !RE2::FullMatch(*value, *m.re);
    case Op::kExists:
      return value != nullptr;
    case Op::kNotExists:
      return value == nullptr;
  }
  return false;
}

absl::StatusOr<LiveSelector> LiveSelector::Create(LiveSelectorSpec spec) {
  if (spec.measurement.empty()) return absl::InvalidArgumentError("a measurement is required");
  if (spec.measurement.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("measurement name is ", spec.measurement.size(),
                                                   " bytes; the limit is ", kMaxNameBytes));
  }
  if (spec.fields.size() > kMaxFields) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec.fields.size(), " fields; the limit is ", kMaxFields));
  }
  for (const auto& f : spec.fields) {
    if (f.empty() || f.size() > kMaxNameBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "field name \"", ClientText(f), "\" is empty or longer than ", kMaxNameBytes, " bytes"));
    }
  }
  std::sort(spec.fields.begin(), spec.fields.end());
  spec.fields.erase(std::unique(spec.fields.begin(), spec.fields.end()), spec.fields.end());
  for (const auto& m : spec.matchers) {
    using Op = storage::TagMatcher::Op;
    if (m.key.empty()) return absl::InvalidArgumentError("a tag matcher has no tag key");
    if ((m.op == Op::kRegex || m.op == Op::kNotRegex) && m.re == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("tag matcher on \"", ClientText(m.key), "\" has no compiled regex"));
    }
  }
  LiveSelector out;
  if (!spec.where.empty()) {
    ASSIGN_OR_RETURN(lang::Condition cond, ParseTagConditions(spec.where, spec.measurement));
    MeasurementSchema schema;
    schema.measurement = spec.measurement;
    ASSIGN_OR_RETURN(Predicate p, Predicate::BuildTagsOnly(cond, schema));
    out.where_ = std::make_shared<const Predicate>(std::move(p));
  }
  out.spec_ = std::move(spec);
  return out;
}

bool LiveSelector::MatchesTags(const storage::TagSet& tags) const {
  for (const auto& m : spec_.matchers) {
    if (!StorageMatcherAccepts(m, tags)) return false;
  }
  return where_ == nullptr || where_->EvalTags(tags) != Predicate::Tri::kFalse;
}

bool LiveSelector::WantsField(std::string_view name) const {
  return spec_.fields.empty() || std::binary_search(spec_.fields.begin(), spec_.fields.end(), name);
}

std::vector<storage::TagMatcher> LiveSelector::IndexMatchers() const {
  std::vector<storage::TagMatcher> out = spec_.matchers;
  if (where_ != nullptr) {
    auto more = where_->IndexMatchers();
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

std::string LiveSelector::Describe() const {
  std::string out = spec_.measurement;
  if (!spec_.fields.empty()) absl::StrAppend(&out, "[", absl::StrJoin(spec_.fields, ","), "]");
  if (!spec_.where.empty()) absl::StrAppend(&out, " WHERE ", spec_.where);
  if (!spec_.matchers.empty()) absl::StrAppend(&out, " (+", spec_.matchers.size(), " matchers)");
  return ClientText(out);
}

}  // namespace telemdb::query
