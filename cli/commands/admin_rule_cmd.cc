// telemdb admin rule create|list|show|delete|pause|resume, admin target create|list|delete:
// alert rules and their notification targets (docs/alerts.md), over AdminService (each
// needs the admin right).
//
// A new target's secret is printed once, alone on the last line of stdout (as for tokens).
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/app/command.h"
#include "cli/app/exit_codes.h"
#include "cli/commands/admin_call.h"
#include "cli/commands/query_printer.h"
#include "query/lang/time_literal.h"

namespace telemdb::cli {
namespace {

struct RuleFlags {
  OutputFlags output;
  std::string name;
  std::string query, condition, clear;
  std::string for_, every, repeat;
  std::vector<std::string> labels;
  std::vector<std::string> notify;
  std::vector<std::string> expect;
  std::string url, secret_file;
  double timeout = 60;
};

absl::StatusOr<int64_t> DurationArg(const std::string& flag, const std::string& text) {
  if (text.empty() || text == "0") return 0;
  auto d = query::lang::ParseDuration(text);
  if (!d.ok()) return UsageError(absl::StrCat(flag, ": ", d.status().message()));
  return *d;
}

std::string Duration(int64_t ns) { return ns ? query::lang::FormatDuration(ns) : "0s"; }

absl::StatusOr<v1::AlertRule> RuleFromFlags(const RuleFlags& f) {
  v1::AlertRule r;
  r.set_name(f.name);
  r.set_query(f.query);
  r.set_condition(f.condition);
  r.set_clear(f.clear);
  auto d = DurationArg("--for", f.for_);
  if (!d.ok()) return d.status();
  r.set_for_ns(*d);
  d = DurationArg("--every", f.every);
  if (!d.ok()) return d.status();
  r.set_every_ns(*d);
  d = DurationArg("--repeat", f.repeat);
  if (!d.ok()) return d.status();
  r.set_repeat_ns(*d);
  for (const auto& l : f.labels) {
    for (absl::string_view kv : absl::StrSplit(l, ',', absl::SkipEmpty())) {
      size_t eq = kv.find('=');
      if (eq == absl::string_view::npos || eq == 0) {
        return UsageError(absl::StrCat("--labels \"", std::string(kv), "\": expected key=value"));
      }
      std::string key(kv.substr(0, eq));
      if (r.labels().contains(key)) {
        return UsageError(absl::StrCat("--labels: ", key, " given twice"));
      }
      (*r.mutable_labels())[key] = std::string(kv.substr(eq + 1));
    }
  }
  for (const auto& n : f.notify) {
    for (absl::string_view t : absl::StrSplit(n, ',', absl::SkipEmpty()))
      r.add_notify(std::string(t));
  }
  for (const auto& e : f.expect) r.add_expect(e);
  return r;
}

void PrintRules(const v1::ListRulesResponse& r, const OutputOptions& out, absl::Status* s) {
  std::vector<std::string> strings;  // the cells view these
  strings.reserve(r.rules_size() * 4);
  std::vector<std::vector<Cell>> rows;
  for (const auto& rule : r.rules()) {
    strings.push_back(Duration(rule.for_ns()));
    const std::string& f = strings.back();
    strings.push_back(Duration(rule.every_ns()));
    const std::string& e = strings.back();
    strings.push_back(absl::StrJoin(rule.notify(), ","));
    const std::string& n = strings.back();
    const auto& st = rule.status();
    rows.push_back({Cell::String(rule.name()), Cell::String(rule.kind()),
                    Cell::String(rule.evaluation()), Cell::String(rule.query()),
                    Cell::String(rule.canonical_condition()), Cell::String(f), Cell::String(e),
                    Cell::Bool(rule.paused()), Cell::Int(static_cast<int64_t>(st.instances())),
                    Cell::Int(static_cast<int64_t>(st.pending())),
                    Cell::Int(static_cast<int64_t>(st.firing())),
                    st.last_eval_ns() ? Cell::Time(st.last_eval_ns()) : Cell::Null(),
                    n.empty() ? Cell::Null() : Cell::String(n),
                    st.last_error().empty() ? Cell::Null() : Cell::String(st.last_error())});
  }
  *s = PrintResult({{"name", ColumnRole::kValue},
                    {"kind", ColumnRole::kValue},
                    {"evaluation", ColumnRole::kValue},
                    {"query", ColumnRole::kValue},
                    {"condition", ColumnRole::kValue},
                    {"for", ColumnRole::kValue},
                    {"every", ColumnRole::kValue},
                    {"paused", ColumnRole::kValue},
                    {"instances", ColumnRole::kValue},
                    {"pending", ColumnRole::kValue},
                    {"firing", ColumnRole::kValue},
                    {"last_evaluation", ColumnRole::kValue},
                    {"notify", ColumnRole::kValue},
                    {"error", ColumnRole::kValue}},
                   rows, out);
}

absl::Status ShowRule(const v1::AlertRule& rule, const OutputOptions& out) {
  const auto& st = rule.status();
  std::vector<std::pair<std::string, std::string>> kv = {
      {"name", rule.name()},
      {"id", rule.id()},
      {"kind", rule.kind()},
      {"evaluation", rule.evaluation()},
      {"query", rule.query()},
      {"condition", rule.condition()},
      {"canonical_condition", rule.canonical_condition()},
      {"clear", rule.canonical_clear()},
      {"window", Duration(rule.window_ns())},
      {"for", Duration(rule.for_ns())},
      {"every", Duration(rule.every_ns())},
      {"repeat", rule.repeat_ns() ? Duration(rule.repeat_ns()) : ""},
      {"notify", absl::StrJoin(rule.notify(), ",")},
      {"expect", absl::StrJoin(rule.expect(), " ")},
      {"paused", rule.paused() ? "true" : "false"},
      {"created_by", rule.created_by()},
      {"instances", absl::StrCat(st.instances())},
      {"pending", absl::StrCat(st.pending())},
      {"firing", absl::StrCat(st.firing())},
      {"evaluations", absl::StrCat(st.evaluations())},
      {"last_evaluation_ms", absl::StrCat(st.last_eval_duration_ns() / 1e6)},
      {"max_evaluation_ms", absl::StrCat(st.max_eval_duration_ns() / 1e6)},
      {"lag_ms", absl::StrCat(st.lag_ns() / 1e6)},
      {"missed_evaluations", absl::StrCat(st.missed_evaluations())},
      {"late_points", absl::StrCat(st.late_points())},
      {"late_ignored", absl::StrCat(st.late_ignored())},
      {"future_ignored", absl::StrCat(st.future_ignored())},
      {"resyncs", absl::StrCat(st.resyncs())},
      {"refused_instances", absl::StrCat(st.refused_instances())},
      {"transitions", absl::StrCat(st.transitions())},
      {"series_read", absl::StrCat(st.series_read())},
      {"queries", absl::StrCat(st.queries())},
      {"last_error", st.last_error()}};
  std::vector<std::string> labels;
  for (const auto& [k, v] : rule.labels()) labels.push_back(absl::StrCat(k, "=", v));
  std::sort(labels.begin(), labels.end());
  kv.insert(kv.begin() + 13, {"labels", absl::StrJoin(labels, ",")});
  std::vector<std::vector<Cell>> rows;
  rows.push_back({Cell::String("created"), Cell::Time(rule.created_ns())});
  if (st.last_eval_ns()) {
    rows.push_back({Cell::String("last_evaluation"), Cell::Time(st.last_eval_ns())});
  }
  for (const auto& [k, v] : kv) rows.push_back({Cell::String(k), Cell::String(v)});
  return PrintResult({{"property", ColumnRole::kValue}, {"value", ColumnRole::kValue}}, rows, out);
}

int RunRule(const std::string& action, const RuleFlags& f, const GlobalFlags& global) {
  auto output = MakeOutputOptions(f.output, StdoutIsTerminal());
  if (!output.ok()) return Fail(output.status());
  v1::AlertRule rule;
  if (action == "create") {
    auto r = RuleFromFlags(f);
    if (!r.ok()) return Fail(r.status());
    rule = *std::move(r);
  }
  auto conn = Connect(global);
  if (!conn.ok()) return Fail(conn.status());
  const client::Connection& c = **conn;
  if (action == "create") {
    v1::CreateRuleRequest req;
    *req.mutable_rule() = rule;
    auto r = AdminCall(c, req, &v1::AdminService::Stub::CreateRule, f.timeout);
    if (!r.ok()) return Fail(r.status());
    std::printf("created rule %s (%s, %s): %s\n", r->rule().name().c_str(),
                r->rule().kind().c_str(), r->rule().evaluation().c_str(),
                r->rule().canonical_condition().c_str());
    return kExitOk;
  }
  if (action == "list") {
    auto r = AdminCall(c, v1::ListRulesRequest(), &v1::AdminService::Stub::ListRules, f.timeout);
    if (!r.ok()) return Fail(r.status());
    absl::Status s;
    PrintRules(*r, *output, &s);
    return s.ok() ? kExitOk : Fail(s);
  }
  if (action == "show") {
    v1::GetRuleRequest req;
    req.set_name(f.name);
    auto r = AdminCall(c, req, &v1::AdminService::Stub::GetRule, f.timeout);
    if (!r.ok()) return Fail(r.status());
    absl::Status s = ShowRule(r->rule(), *output);
    return s.ok() ? kExitOk : Fail(s);
  }
  if (action == "delete") {
    v1::DeleteRuleRequest req;
    req.set_name(f.name);
    auto r = AdminCall(c, req, &v1::AdminService::Stub::DeleteRule, f.timeout);
    if (!r.ok()) return Fail(r.status());
    std::printf("deleted rule %s\n", f.name.c_str());
    return kExitOk;
  }
  if (action == "pause" || action == "resume") {
    v1::PauseRuleRequest req;
    req.set_name(f.name);
    req.set_paused(action == "pause");
    auto r = AdminCall(c, req, &v1::AdminService::Stub::PauseRule, f.timeout);
    if (!r.ok()) return Fail(r.status());
    std::printf("%s rule %s\n", action == "pause" ? "paused" : "resumed", f.name.c_str());
    return kExitOk;
  }
  if (action == "target create") {
    v1::CreateNotifyTargetRequest req;
    req.mutable_target()->set_name(f.name);
    req.mutable_target()->set_url(f.url);
    if (!f.secret_file.empty()) {
      std::ifstream in(f.secret_file);
      if (!in) return Fail(UsageError("--secret-file: cannot read " + f.secret_file));
      std::stringstream ss;
      ss << in.rdbuf();
      req.set_secret(std::string(absl::StripTrailingAsciiWhitespace(ss.str())));
    }
    auto r = AdminCall(c, req, &v1::AdminService::Stub::CreateNotifyTarget, f.timeout);
    if (!r.ok()) return Fail(r.status());
    std::printf("created notification target %s -> %s\n", r->target().name().c_str(),
                r->target().url().c_str());
    if (f.secret_file.empty()) {
      std::printf("the signing secret is shown only now:\n%s\n", r->secret().c_str());
    }
    return kExitOk;
  }
  if (action == "target list") {
    auto r = AdminCall(c, v1::ListNotifyTargetsRequest(),
                       &v1::AdminService::Stub::ListNotifyTargets, f.timeout);
    if (!r.ok()) return Fail(r.status());
    std::vector<std::vector<Cell>> rows;
    for (const auto& t : r->targets()) {
      auto time_or_null = [](int64_t ns) { return ns ? Cell::Time(ns) : Cell::Null(); };
      rows.push_back({Cell::String(t.name()), Cell::String(t.url()),
                      Cell::Int(static_cast<int64_t>(t.queued())),
                      Cell::Int(static_cast<int64_t>(t.delivered())),
                      Cell::Int(static_cast<int64_t>(t.failed_attempts())),
                      Cell::Int(static_cast<int64_t>(t.dropped())),
                      time_or_null(t.last_delivery_ns()), time_or_null(t.next_attempt_ns()),
                      t.last_error().empty() ? Cell::Null() : Cell::String(t.last_error())});
    }
    absl::Status s = PrintResult({{"name", ColumnRole::kValue},
                                  {"url", ColumnRole::kValue},
                                  {"queued", ColumnRole::kValue},
                                  {"delivered", ColumnRole::kValue},
                                  {"failed_attempts", ColumnRole::kValue},
                                  {"dropped", ColumnRole::kValue},
                                  {"last_delivery", ColumnRole::kValue},
                                  {"next_attempt", ColumnRole::kValue},
                                  {"last_error", ColumnRole::kValue}},
                                 rows, *output);
    return s.ok() ? kExitOk : Fail(s);
  }
  if (action == "target delete") {
    v1::DeleteNotifyTargetRequest req;
    req.set_name(f.name);
    auto r = AdminCall(c, req, &v1::AdminService::Stub::DeleteNotifyTarget, f.timeout);
    if (!r.ok()) return Fail(r.status());
    std::printf("deleted notification target %s\n", f.name.c_str());
    return kExitOk;
  }
  return Fail(UsageError("unknown command " + action));
}

CLI::App* Leaf(CLI::App* parent, CliContext* ctx, const std::string& name,
               const std::string& action, const std::string& description,
               const std::string& examples, std::shared_ptr<RuleFlags> f, bool takes_name) {
  CLI::App* cmd = AddCommand(parent, ctx, name, description, examples);
  if (takes_name) cmd->add_option("NAME", f->name, "the name")->required();
  cmd->add_option("--timeout", f->timeout, "seconds to wait for the server (default 60)")
      ->check(CLI::PositiveNumber);
  cmd->callback([f, ctx, action] {
    ctx->run = [f, ctx, action] { return RunRule(action, *f, ctx->global); };
  });
  return cmd;
}

}  // namespace

void RegisterAdminRuleCommands(CLI::App* admin, CliContext* ctx) {
  CLI::App* rule = admin->add_subcommand(
      "rule", "Alert rules: create, list, show, delete, pause, resume (docs/alerts.md)");
  rule->require_subcommand(1);
  {
    auto f = std::make_shared<RuleFlags>();
    CLI::App* cmd =
        Leaf(rule, ctx, "create", "create", "Create an alert rule",
             "  telemdb admin rule create freezer_warm --query \"FROM readings WHERE kind = "
             "'freezer' GROUP BY device\" --condition 'mean(temperature) over 5m > 8' --for 2m\n"
             "  telemdb admin rule create silent --query 'FROM readings GROUP BY name' "
             "--condition 'absent(*) over 10m' --notify ops\n"
             "  telemdb admin rule create empty_soon --query 'FROM diagnostics GROUP BY name' "
             "--condition 'time_to_threshold(fuel_state, 0.1) over 6h < 7200' --every 1m\n",
             f, true);
    cmd->add_option("--query", f->query,
                    "which series and groups: FROM m [WHERE tag conditions] [GROUP BY tags]")
        ->required();
    cmd->add_option("--condition", f->condition,
                    "e.g. 'mean(temperature) over 5m > 8', 'absent(*) over 10m'")
        ->required();
    cmd->add_option("--for", f->for_, "how long the condition must hold before firing (0)");
    cmd->add_option("--every", f->every, "evaluation interval (30s)");
    cmd->add_option("--labels", f->labels, "k=v labels carried by events (repeatable, or a,b)");
    cmd->add_option("--notify", f->notify, "notification target names")->expected(1, -1);
    cmd->add_option("--clear", f->clear, "hysteresis: resolve only when this holds, e.g. '< 6'");
    cmd->add_option("--repeat", f->repeat, "re-notify while firing, this often");
    cmd->add_option("--expect", f->expect,
                    "absence rules: a group silent even if never seen, e.g. device=truck_9 "
                    "(repeatable)");
  }
  {
    auto f = std::make_shared<RuleFlags>();
    CLI::App* cmd =
        Leaf(rule, ctx, "list", "list", "List alert rules with their status",
             "  telemdb admin rule list\n  telemdb admin rule list --format json\n", f, false);
    AddOutputFlags(cmd, &f->output);
  }
  {
    auto f = std::make_shared<RuleFlags>();
    CLI::App* cmd = Leaf(rule, ctx, "show", "show", "A rule's definition and evaluation figures",
                         "  telemdb admin rule show freezer_warm\n", f, true);
    AddOutputFlags(cmd, &f->output);
  }
  for (const char* a : {"delete", "pause", "resume"}) {
    auto f = std::make_shared<RuleFlags>();
    Leaf(rule, ctx, a, a,
         std::string(a) == "delete"  ? "Delete a rule and the state of its alerts"
         : std::string(a) == "pause" ? "Stop evaluating a rule (its alerts keep their state)"
                                     : "Evaluate a paused rule again (windows re-read)",
         absl::StrCat("  telemdb admin rule ", a, " freezer_warm\n"), f, true);
  }
  CLI::App* target =
      admin->add_subcommand("target", "Notification targets (webhooks): create, list, delete");
  target->require_subcommand(1);
  {
    auto f = std::make_shared<RuleFlags>();
    CLI::App* cmd = Leaf(
        target, ctx, "create", "target create",
        "Create a webhook target; prints its signing secret once, alone on the last line",
        "  telemdb admin target create ops --url https://hooks.example.org/telemdb\n"
        "  SECRET=$(telemdb admin target create ops --url http://127.0.0.1:9000/ | tail -n1)\n",
        f, true);
    cmd->add_option("--url", f->url, "http:// or https:// URL receiving signed JSON POSTs")
        ->required();
    cmd->add_option("--secret-file", f->secret_file,
                    "file holding the signing secret (default: the server makes one)");
  }
  {
    auto f = std::make_shared<RuleFlags>();
    CLI::App* cmd = Leaf(target, ctx, "list", "target list",
                         "Targets with their delivery figures (never their secrets)",
                         "  telemdb admin target list\n", f, false);
    AddOutputFlags(cmd, &f->output);
  }
  {
    auto f = std::make_shared<RuleFlags>();
    Leaf(target, ctx, "delete", "target delete",
         "Delete a target (refused while a rule uses it); drops its queued notifications",
         "  telemdb admin target delete ops\n", f, true);
  }
}

}  // namespace telemdb::cli
