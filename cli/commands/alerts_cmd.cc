// telemdb alerts [--state S] [--rule R] [--watch [--current]]: alert instances now (table,
// csv, json, jsonl), or alert events as they happen, over AlertService. A read right is
// enough; the server shows the rules over measurements the token may read.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/app/command.h"
#include "cli/app/exit_codes.h"
#include "cli/client/rpc_status.h"
#include "cli/commands/query_printer.h"
#include "cli/output/value_format.h"
#include "nlohmann/json.hpp"
#include "telemdb/v1/realtime.grpc.pb.h"

namespace telemdb::cli {
namespace {

struct AlertsFlags {
  OutputFlags output;
  std::vector<std::string> states;
  std::vector<std::string> rules;
  bool watch = false;
  bool current = false;
  double timeout = 60;
};

std::string GroupText(const google::protobuf::RepeatedPtrField<v1::Tag>& group) {
  std::vector<std::string> parts;
  for (const auto& t : group) parts.push_back(absl::StrCat(t.key(), "=", t.value()));
  return absl::StrJoin(parts, ",");
}

std::vector<std::string> Split(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& s : in) {
    for (absl::string_view p : absl::StrSplit(s, ',', absl::SkipEmpty())) out.emplace_back(p);
  }
  return out;
}

int List(const AlertsFlags& f, const client::Connection& c, const OutputOptions& out) {
  auto stub = v1::AlertService::NewStub(c.channel());
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(static_cast<int64_t>(f.timeout * 1000)));
  v1::ListAlertsRequest req;
  for (const auto& s : Split(f.states)) req.add_states(s);
  for (const auto& r : Split(f.rules)) req.add_rules(r);
  v1::ListAlertsResponse resp;
  absl::Status s = client::FromGrpcStatus(stub->ListAlerts(&ctx, req, &resp));
  if (!s.ok()) return Fail(s);
  std::vector<std::string> groups, labels;
  for (const auto& a : resp.alerts()) {
    groups.push_back(GroupText(a.group()));
    std::vector<std::string> l;
    for (const auto& [k, v] : a.labels()) l.push_back(absl::StrCat(k, "=", v));
    std::sort(l.begin(), l.end());
    labels.push_back(absl::StrJoin(l, ","));
  }
  std::vector<std::vector<Cell>> rows;
  for (int i = 0; i < resp.alerts_size(); i++) {
    const auto& a = resp.alerts(i);
    rows.push_back({Cell::String(a.rule()), Cell::String(groups[i]), Cell::String(a.state()),
                    a.since_ns() ? Cell::Time(a.since_ns()) : Cell::Null(),
                    a.active_since_ns() ? Cell::Time(a.active_since_ns()) : Cell::Null(),
                    a.has_value() ? Cell::Float(a.value()) : Cell::Null(),
                    Cell::String(a.measurement()), Cell::Int(static_cast<int64_t>(a.transitions())),
                    labels[i].empty() ? Cell::Null() : Cell::String(labels[i])});
  }
  s = PrintResult({{"rule", ColumnRole::kValue},
                   {"group", ColumnRole::kValue},
                   {"state", ColumnRole::kValue},
                   {"since", ColumnRole::kValue},
                   {"active_since", ColumnRole::kValue},
                   {"value", ColumnRole::kValue},
                   {"measurement", ColumnRole::kValue},
                   {"transitions", ColumnRole::kValue},
                   {"labels", ColumnRole::kValue}},
                  rows, out);
  return s.ok() ? kExitOk : Fail(s);
}

// One event per line: JSON (json, jsonl) or text.
void PrintEvent(const v1::AlertEvent& e, bool json) {
  if (json) {
    nlohmann::ordered_json j;
    j["id"] = e.id();
    j["rule"] = e.rule();
    j["state"] = e.to();
    j["previous"] = e.from();
    std::string at;
    AppendRfc3339(e.at_ns(), &at);
    j["at"] = at;
    j["group"] = nlohmann::ordered_json::object();
    for (const auto& t : e.group()) j["group"][t.key()] = t.value();
    j["value"] = e.has_value() ? nlohmann::ordered_json(e.value()) : nlohmann::ordered_json();
    j["late"] = e.late();
    if (!e.note().empty()) j["note"] = e.note();
    j["reminder"] = e.reminder();
    j["current"] = e.current();
    std::printf("%s\n",
                j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
  } else {
    std::string at;
    AppendRfc3339(e.at_ns(), &at);
    std::printf("%s %s %s %s%s%s%s%s\n", at.c_str(), e.rule().c_str(), GroupText(e.group()).c_str(),
                e.current() ? "" : (e.from() + " -> ").c_str(), e.to().c_str(),
                e.has_value() ? absl::StrCat(" value=", e.value()).c_str() : "",
                e.late() ? " (late)" : "", e.reminder() ? " (reminder)" : "");
  }
  std::fflush(stdout);
}

int Watch(const AlertsFlags& f, const client::Connection& c, const OutputOptions& out) {
  auto stub = v1::AlertService::NewStub(c.channel());
  grpc::ClientContext ctx;
  c.Prepare(&ctx);
  v1::WatchAlertsRequest req;
  for (const auto& s : Split(f.states)) req.add_states(s);
  for (const auto& r : Split(f.rules)) req.add_rules(r);
  req.set_current(f.current);
  auto reader = stub->WatchAlerts(&ctx, req);
  const bool json = out.format == OutputFormat::kJson || out.format == OutputFormat::kJsonl;
  v1::WatchAlertsResponse msg;
  while (reader->Read(&msg)) {
    if (msg.has_event()) {
      PrintEvent(msg.event(), json);
    } else if (msg.has_overflow()) {
      std::fprintf(stderr, "telemdb: %lu alert events were dropped (this reader was too slow)\n",
                   static_cast<unsigned long>(msg.overflow().dropped_values()));
    }
  }
  absl::Status s = client::FromGrpcStatus(reader->Finish());
  return s.ok() ? kExitOk : Fail(s);
}

int Run(const AlertsFlags& f, const GlobalFlags& global) {
  auto output = MakeOutputOptions(f.output, StdoutIsTerminal());
  if (!output.ok()) return Fail(output.status());
  if (f.current && !f.watch) return Fail(UsageError("--current goes with --watch"));
  auto conn = Connect(global);
  if (!conn.ok()) return Fail(conn.status());
  return f.watch ? Watch(f, **conn, *output) : List(f, **conn, *output);
}

}  // namespace

void RegisterAlertsCommand(CLI::App* app, CliContext* ctx) {
  auto f = std::make_shared<AlertsFlags>();
  CLI::App* cmd = AddCommand(
      app, ctx, "alerts",
      "Alert instances now (pending, firing, resolved), or events as they happen (--watch)",
      "  telemdb alerts\n  telemdb alerts --state firing --format json\n"
      "  telemdb alerts --watch --current --rule freezer_warm\n");
  AddOutputFlags(cmd, &f->output);
  cmd->add_option("--state", f->states,
                  "pending, firing, resolved or inactive (repeatable, or a,b; default: the "
                  "first three)");
  cmd->add_option("--rule", f->rules, "only these rules (repeatable, or a,b)");
  cmd->add_flag("--watch", f->watch, "stream events until interrupted");
  cmd->add_flag("--current", f->current, "with --watch: first the pending and firing alerts");
  cmd->add_option("--timeout", f->timeout, "seconds to wait for the server (default 60)")
      ->check(CLI::PositiveNumber);
  cmd->callback([f, ctx] { ctx->run = [f, ctx] { return Run(*f, ctx->global); }; });
}

}  // namespace telemdb::cli
