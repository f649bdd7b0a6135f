#include "alert/rule.h"

#include <algorithm>
#include <cctype>
#include <numeric>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "query/engine/predicate.h"
#include "query/lang/parser.h"
#include "query/lang/time_literal.h"
#include "util/client_text.h"
#include "util/status_macros.h"

namespace telemdb::alert {
namespace {

bool HasTime(const query::lang::Condition& c) {
  if (c.kind == query::lang::Condition::Kind::kTime) return true;
  for (const auto& o : c.operands) {
    if (HasTime(o)) return true;
  }
  return false;
}

absl::Status Bad(const std::string& msg) { return absl::InvalidArgumentError(msg); }

}  // namespace

absl::Status ValidateRuleName(std::string_view name, const char* what) {
  if (name.empty() || name.size() > 128) {
    return Bad(absl::StrCat(what, " must be 1 to 128 bytes, got ", name.size()));
  }
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) {
    return Bad(absl::StrCat(what, " \"", ClientText(name), "\" must start with a letter"));
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return Bad(absl::StrCat(what, " \"", ClientText(name),
                              "\" may hold only letters, digits, "
                              "'_', '-' and '.'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RuleQuery> ParseRuleQuery(std::string_view text) {
  std::string t(absl::StripAsciiWhitespace(std::string(text)));
  if (t.empty()) {
    return Bad("query: empty (e.g. FROM readings WHERE fleet = 'East' GROUP BY name)");
  }
  if (t.size() > 64 * 1024) return Bad("query: longer than 64 KiB");
  size_t prefix = 0;
  const std::string head = absl::AsciiStrToLower(t.substr(0, 5));
  if (head.rfind("from", 0) == 0 &&
      (head.size() == 4 || std::isspace(static_cast<unsigned char>(head[4])))) {
    t = "SELECT * " + t;
    prefix = 9;
  }
  query::lang::ParseOptions po;
  auto st = query::lang::Parse(t, po);
  if (!st.ok()) {
    std::string msg(st.status().message());
    // Point at the user's column, not the one in the text we prefixed.
    const std::string head = "line 1, column ";
    if (prefix > 0 && msg.rfind(head, 0) == 0) {
      size_t colon = msg.find(':');
      int col = std::atoi(msg.substr(head.size(), colon - head.size()).c_str());
      msg = absl::StrCat(head, std::max<int>(1, col - static_cast<int>(prefix)), msg.substr(colon));
    }
    return Bad("query: " + msg);
  }
  const auto* sel = std::get_if<query::lang::SelectStatement>(&*st);
  if (sel == nullptr) return Bad("query: expected FROM <measurement> [WHERE ...] [GROUP BY ...]");
  if (sel->items.size() != 1 || !sel->items[0].wildcard) {
    return Bad(
        "query: a rule's query selects series only (FROM m WHERE ... GROUP BY ...); what is "
        "computed goes in --condition");
  }
  if (sel->group_by_time.has_value()) {
    return Bad(
        "query: GROUP BY time(...) has no place in a rule; the window is `over` in "
        "--condition");
  }
  if (sel->limit || sel->slimit || sel->descending) {
    return Bad("query: LIMIT, SLIMIT and ORDER BY have no place in a rule");
  }
  if (sel->measurement.empty() || sel->measurement[0] == '_') {
    return Bad(absl::StrCat("query: measurement \"", ClientText(sel->measurement),
                            "\" is reserved for the server (names starting with '_')"));
  }
  RuleQuery q;
  q.measurement = sel->measurement;
  if (sel->where) {
    if (HasTime(*sel->where)) {
      return Bad(
          "query: time conditions have no place in a rule; the window is `over` in "
          "--condition");
    }
    query::MeasurementSchema schema;
    schema.measurement = q.measurement;
    auto p = query::Predicate::BuildTagsOnly(*sel->where, schema);
    if (!p.ok()) return Bad(absl::StrCat("query: ", p.status().message()));
    q.where = *sel->where;
  }
  q.group_by = sel->group_by_tags;
  std::sort(q.group_by.begin(), q.group_by.end());
  q.group_by.erase(std::unique(q.group_by.begin(), q.group_by.end()), q.group_by.end());
  if (q.group_by.size() > 16) return Bad("query: at most 16 GROUP BY tags");
  return q;
}

std::string GroupKey(const storage::TagSet& group) {
  std::string out;
  for (const auto& [k, v] : group) {
    if (!out.empty()) out += ',';
    absl::StrAppend(&out, k, "=", v);
  }
  return out;
}

absl::StatusOr<Rule> CompileRule(RuleSpec spec) {
  RETURN_IF_ERROR(ValidateRuleName(spec.name));
  Rule r;
  ASSIGN_OR_RETURN(r.query, ParseRuleQuery(spec.query));
  ASSIGN_OR_RETURN(r.cond, ParseCondition(spec.condition));
  if (!spec.clear.empty()) {
    ASSIGN_OR_RETURN(Condition c, ParseClear(spec.clear, r.cond));
    r.clear = c;
  }
  if (spec.every_ns < 0 || (spec.every_ns > 0 && spec.every_ns < kMinEvery)) {
    return Bad(absl::StrCat("every: must be at least 100ms, got ",
                            query::lang::FormatDuration(spec.every_ns)));
  }
  r.every_ns = spec.every_ns > 0 ? spec.every_ns : kDefaultEvery;
  if (r.every_ns > 24 * 3600 * kSecond) return Bad("every: at most 24h");
  if (spec.for_ns < 0) return Bad("for: must not be negative");
  if (spec.for_ns > 7 * 24 * 3600 * kSecond) return Bad("for: at most 7d");
  if (spec.repeat_ns < 0 || (spec.repeat_ns > 0 && spec.repeat_ns < kSecond)) {
    return Bad("repeat: must be at least 1s (or 0: never)");
  }
  switch (r.cond.kind) {
    case RuleKind::kThreshold:
      r.window_ns = r.cond.window_ns > 0 ? r.cond.window_ns : 5 * 60 * kSecond;
      break;
    case RuleKind::kRate:
      r.window_ns = r.cond.window_ns > 0 ? r.cond.window_ns : 15 * 60 * kSecond;
      break;
    case RuleKind::kAbsence:
      r.window_ns = r.cond.window_ns;
      break;
    case RuleKind::kTrend:
      r.window_ns = r.cond.window_ns > 0 ? r.cond.window_ns : 3600 * kSecond;
      break;
    case RuleKind::kAnomaly:
      r.window_ns = r.cond.window_ns > 0 ? r.cond.window_ns : r.every_ns;
      break;
  }
  if (r.incremental() && r.cond.kind != RuleKind::kAbsence) {
    r.bucket_ns = std::gcd(r.window_ns, r.every_ns);
    const int64_t buckets = r.window_ns / r.bucket_ns + r.every_ns / r.bucket_ns;
    if (buckets > static_cast<int64_t>(kMaxBuckets)) {
      return Bad(absl::StrCat("condition: window ", query::lang::FormatDuration(r.window_ns),
                              " and --every ", query::lang::FormatDuration(r.every_ns), " need ",
                              buckets, " buckets of their greatest common divisor (",
                              query::lang::FormatDuration(r.bucket_ns), "); the limit is ",
                              kMaxBuckets, ": make the window a multiple of --every"));
    }
  }
  std::sort(spec.labels.begin(), spec.labels.end());
  for (size_t i = 0; i < spec.labels.size(); i++) {
    const auto& [k, v] = spec.labels[i];
    RETURN_IF_ERROR(ValidateRuleName(k, "label name"));
    if (v.size() > 1024) return Bad(absl::StrCat("label ", k, ": value longer than 1024 bytes"));
    if (i > 0 && spec.labels[i - 1].first == k) {
      return Bad(absl::StrCat("labels: ", k, " given twice"));
    }
  }
  if (spec.labels.size() > 64) return Bad("labels: at most 64");
  std::sort(spec.notify.begin(), spec.notify.end());
  spec.notify.erase(std::unique(spec.notify.begin(), spec.notify.end()), spec.notify.end());
  for (const auto& n : spec.notify) RETURN_IF_ERROR(ValidateRuleName(n, "notify target"));
  if (spec.notify.size() > 16) return Bad("notify: at most 16 targets");
  if (!spec.expect.empty() && r.cond.kind != RuleKind::kAbsence) {
    return Bad("expect: only absence rules take --expect");
  }
  if (spec.expect.size() > 100'000) return Bad("expect: at most 100,000 groups");
  for (const auto& e : spec.expect) {
    storage::TagSet group;
    for (absl::string_view part : absl::StrSplit(e, ',')) {
      size_t eq = part.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return Bad(absl::StrCat("expect: \"", ClientText(e), "\" is not k=v[,k=v]"));
      }
      group.emplace_back(std::string(part.substr(0, eq)), std::string(part.substr(eq + 1)));
    }
    std::sort(group.begin(), group.end());
    std::vector<std::string> keys;
    for (const auto& [k, v] : group) keys.push_back(k);
    if (keys != r.query.group_by) {
      return Bad(absl::StrCat("expect: \"", ClientText(e),
                              "\" must give exactly the GROUP BY "
                              "tags of the query (",
                              absl::StrJoin(r.query.group_by, ", "), ")"));
    }
    r.expected.push_back(std::move(group));
  }
  r.spec = std::move(spec);
  return r;
}

std::string RuleSpecToJson(const RuleSpec& s) {
  nlohmann::json j;
  j["name"] = s.name;
  j["query"] = s.query;
  j["condition"] = s.condition;
  j["clear"] = s.clear;
  j["for_ns"] = s.for_ns;
  j["every_ns"] = s.every_ns;
  j["repeat_ns"] = s.repeat_ns;
  j["labels"] = nlohmann::json::object();
  for (const auto& [k, v] : s.labels) j["labels"][k] = v;
  j["notify"] = s.notify;
  j["expect"] = s.expect;
  j["id"] = s.id;
  j["created_ns"] = s.created_ns;
  j["created_by"] = s.created_by;
  j["paused"] = s.paused;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<RuleSpec> RuleSpecFromJson(std::string_view json) {
  auto j = nlohmann::json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return absl::DataLossError("rule record is not JSON");
  RuleSpec s;
  auto str = [&](const char* k, std::string* out) {
    if (j.contains(k) && j[k].is_string()) *out = j[k].get<std::string>();
  };
  auto num = [&](const char* k, int64_t* out) {
    if (j.contains(k) && j[k].is_number_integer()) *out = j[k].get<int64_t>();
  };
  str("name", &s.name);
  str("query", &s.query);
  str("condition", &s.condition);
  str("clear", &s.clear);
  num("for_ns", &s.for_ns);
  num("every_ns", &s.every_ns);
  num("repeat_ns", &s.repeat_ns);
  if (j.contains("labels") && j["labels"].is_object()) {
    for (auto it = j["labels"].begin(); it != j["labels"].end(); ++it) {
      if (it.value().is_string()) s.labels.emplace_back(it.key(), it.value().get<std::string>());
    }
  }
  for (const char* k : {"notify", "expect"}) {
    if (!j.contains(k) || !j[k].is_array()) continue;
    for (const auto& v : j[k]) {
      if (v.is_string()) (k[0] == 'n' ? s.notify : s.expect).push_back(v.get<std::string>());
    }
  }
  str("id", &s.id);
  num("created_ns", &s.created_ns);
  str("created_by", &s.created_by);
  if (j.contains("paused") && j["paused"].is_boolean()) s.paused = j["paused"].get<bool>();
  if (s.name.empty()) return absl::DataLossError("rule record without a name");
  return s;
}

}  // namespace telemdb::alert
