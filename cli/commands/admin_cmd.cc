// telemdb admin stats | flush | compact | snapshot DIR | delete MEASUREMENT ...: operator
// actions over AdminService (each needs the admin right). `admin token ...` (security issue)
// registers itself at the end of RegisterAdminCommands.
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/app/command.h"
#include "cli/app/exit_codes.h"
#include "cli/client/rpc_status.h"
#include "cli/commands/admin_call.h"
#include "cli/commands/query_printer.h"
#include "telemdb/v1/admin.grpc.pb.h"
#include "util/status_macros.h"

namespace telemdb::cli {
namespace {

struct AdminFlags {
  OutputFlags output;
  std::string dir;
  std::string measurement;
  std::vector<std::string> where;
  std::vector<std::string> fields;
  std::string start, end;
  bool all = false;
  double timeout = 3600;
};

// "fleet='East'", "fleet=East", "name!='x'", "name=~/^t/", "name!~/x/" -> a TagMatcher.
absl::StatusOr<v1::TagMatcher> ParseTagCondition(const std::string& cond) {
  static const std::pair<const char*, v1::TagMatcher::Op> kOps[] = {
      {"!=", v1::TagMatcher::NOT_EQUAL},
      {"<>", v1::TagMatcher::NOT_EQUAL},
      {"=~", v1::TagMatcher::REGEX},
      {"!~", v1::TagMatcher::NOT_REGEX},
      {"=", v1::TagMatcher::EQUAL}};
  size_t best = std::string::npos;
  const std::pair<const char*, v1::TagMatcher::Op>* op = nullptr;
  for (const auto& o : kOps) {
    size_t at = cond.find(o.first);
    if (at != std::string::npos && (best == std::string::npos || at < best)) best = at, op = &o;
  }
  auto usage = [&] {
    return UsageError(absl::StrCat("--where \"", cond,
                                   "\": expected KEY=VALUE, KEY!=VALUE, KEY=~/RE/ or KEY!~/RE/"));
  };
  if (op == nullptr) return usage();
  std::string key(absl::StripAsciiWhitespace(cond.substr(0, best)));
  std::string value(absl::StripAsciiWhitespace(cond.substr(best + strlen(op->first))));
  if (key.size() >= 2 && key.front() == '"' && key.back() == '"')
    key = key.substr(1, key.size() - 2);
  bool regex = op->second == v1::TagMatcher::REGEX || op->second == v1::TagMatcher::NOT_REGEX;
  char q = regex ? '/' : '\'';
  if (value.size() >= 2 && value.front() == q && value.back() == q) {
    value = value.substr(1, value.size() - 2);
  } else if (regex) {
    return usage();
  }
  if (key.empty()) return usage();
  v1::TagMatcher m;
  m.set_key(key);
  m.set_op(op->second);
  m.set_value(value);
  return m;
}

// Rows mqtt.<subscription>.<figure> of one MQTT subscription (docs/mqtt.md). Cells view
// their text: it is kept in `store`.
void AddMqttRows(const v1::StatsResponse::MqttSubscription& m, std::deque<std::string>* store,
                 std::vector<std::vector<Cell>>* rows) {
  const std::string p = "mqtt." + m.name() + ".";
  auto keep = [&](std::string v) -> std::string_view { return store->emplace_back(std::move(v)); };
  auto text = [&](const std::string& k, const std::string& v) {
    rows->push_back({Cell::String(keep(p + k)), Cell::String(keep(v))});
  };
  auto num = [&](const std::string& k, uint64_t v) {
    rows->push_back({Cell::String(keep(p + k)), Cell::Int(static_cast<int64_t>(v))});
  };
  text("state", m.state());
  text("broker", m.broker());
  text("topic", m.topic());
  num("connections", m.connections());
  num("connected", m.connected());
  num("messages_received", m.messages_received());
  num("messages_acknowledged", m.messages_acknowledged());
  num("messages_stored", m.messages_stored());
  num("points_stored", m.points_stored());
  std::map<std::string, uint64_t> rejected(m.rejected().begin(), m.rejected().end());
  for (const auto& [reason, n] : rejected) num("rejected." + reason, n);
  num("messages_redelivered", m.messages_redelivered());
  num("writes", m.writes());
  num("write_retries", m.write_retries());
  num("dead_letters", m.dead_letters());
  num("reconnects", m.reconnects());
  num("connection_failures", m.connection_failures());
  text("last_message",
       m.last_message_unix_ns() == 0
           ? std::string()
           : absl::FormatTime(absl::RFC3339_full, absl::FromUnixNanos(m.last_message_unix_ns()),
                              absl::UTCTimeZone()));
  if (!m.last_error().empty()) text("last_error", m.last_error());
}

absl::Status Stats(const client::Connection& conn, const OutputOptions& out, double timeout) {
  ASSIGN_OR_RETURN(auto r,
                   AdminCall(conn, v1::StatsRequest(), &v1::AdminService::Stub::Stats, timeout));
  std::vector<std::pair<std::string, uint64_t>> values = {
      {"series", r.series()},
      {"head_points", r.head_points()},
      {"head_bytes", r.head_bytes()},
      {"stored_points", r.stored_points()},
      {"stored_chunks", r.stored_chunks()},
      {"wal_bytes", r.wal_bytes()},
      {"wal_segments", r.wal_segments()},
      {"disk_bytes", r.disk_bytes()},
      {"memory_bytes", r.memory_bytes()},
      {"rss_bytes", r.rss_bytes()},
      {"encryption_key_id", r.encryption_key_id()},
      {"files_under_old_keys", r.files_under_old_keys()}};
  for (const auto& cf : r.column_families()) {
    values.emplace_back("cf_bytes." + cf.name(), cf.bytes());
  }
  for (const auto& d : r.front_doors()) {
    const std::string p = "ingest." + d.name() + ".";
    values.emplace_back(p + "requests", d.requests());
    values.emplace_back(p + "points", d.points());
    values.emplace_back(p + "bytes", d.bytes());
    values.emplace_back(p + "duplicates", d.duplicates());
    std::map<std::string, uint64_t> rejected(d.rejected().begin(), d.rejected().end());
    for (const auto& [reason, n] : rejected) values.emplace_back(p + "rejected." + reason, n);
  }
  values.emplace_back("stream_in_flight_high_water", r.stream_in_flight_high_water());
  values.emplace_back("audit_records", r.audit_records());
  values.emplace_back("audit_dropped", r.audit_dropped());
  values.emplace_back("audit_folded", r.audit_folded());
  values.emplace_back("identity_anomalies", r.identity_anomalies());
  values.emplace_back("live.subscriptions", r.subscriptions());
  values.emplace_back("live.subscriptions_started", r.subscriptions_started());
  values.emplace_back("live.subscriptions_refused", r.subscriptions_refused());
  values.emplace_back("live.memory_bytes", r.live_memory_bytes());
  values.emplace_back("live.dropped_values", r.live_dropped_values());
  values.emplace_back("alerts.rules", r.alert_rules());
  values.emplace_back("alerts.instances", r.alert_instances());
  values.emplace_back("alerts.transitions", r.alert_transitions());
  values.emplace_back("alerts.state_bytes", r.alert_state_bytes());
  values.emplace_back("alerts.notifications_queued", r.notifications_queued());
  std::vector<std::vector<Cell>> rows;
  rows.push_back({Cell::String("version"), Cell::String(r.version())});
  if (!r.rekey_state().empty()) {
    rows.push_back({Cell::String("rekey_state"), Cell::String(r.rekey_state())});
  }
  for (const auto& [k, v] : values) {
    rows.push_back({Cell::String(k), Cell::Int(static_cast<int64_t>(v))});
  }
  std::deque<std::string> mqtt_text;
  for (const auto& m : r.mqtt_subscriptions()) AddMqttRows(m, &mqtt_text, &rows);
  return PrintResult({{"name", ColumnRole::kValue}, {"value", ColumnRole::kValue}}, rows, out);
}

absl::Status Delete(const client::Connection& conn, const AdminFlags& f) {
  v1::DeleteRequest req;
  req.set_measurement(f.measurement);
  if (f.all) {
    if (!f.where.empty() || !f.fields.empty() || !f.start.empty() || !f.end.empty()) {
      return UsageError(
          "--all deletes the whole measurement: drop --where, --field, --start "
          "and --end, or drop --all");
    }
    req.set_whole_measurement(true);
  } else {
    if (f.where.empty() && f.fields.empty() && f.start.empty() && f.end.empty()) {
      return UsageError(absl::StrCat("say what to delete from ", f.measurement,
                                     ": --where, --field, --start/--end, or --all for the "
                                     "whole measurement"));
    }
    for (const auto& w : f.where) {
      ASSIGN_OR_RETURN(*req.add_matchers(), ParseTagCondition(w));
    }
    for (const auto& fld : f.fields) req.add_fields(fld);
    if (!f.start.empty()) {
      auto t = ParseTimeArg(f.start);
      if (!t.ok()) return UsageError("--start: " + std::string(t.status().message()));
      req.set_start_ns(*t);
    }
    req.set_end_ns(INT64_MAX);
    if (!f.end.empty()) {
      auto t = ParseTimeArg(f.end);
      if (!t.ok()) return UsageError("--end: " + std::string(t.status().message()));
      req.set_end_ns(*t);
    }
    if (f.start.empty() && f.end.empty()) req.set_end_ns(0);  // both 0: all time
    if (f.start.empty() && !f.end.empty()) req.set_start_ns(INT64_MIN);
  }
  ASSIGN_OR_RETURN(auto resp, AdminCall(conn, req, &v1::AdminService::Stub::Delete, f.timeout));
  std::printf("deleted from %lu series\n", static_cast<unsigned long>(resp.series_affected()));
  return absl::OkStatus();
}

int RunAdmin(const std::string& action, const AdminFlags& f, const GlobalFlags& global) {
  auto output = MakeOutputOptions(f.output, StdoutIsTerminal());
  if (!output.ok()) return Fail(output.status());
  if (action == "snapshot" && (f.dir.empty() || f.dir[0] != '/')) {
    return Fail(UsageError("snapshot needs an absolute directory path on the server"));
  }
  auto conn = Connect(global);
  if (!conn.ok()) return Fail(conn.status());
  const client::Connection& c = **conn;
  absl::Status s;
  if (action == "stats") {
    s = Stats(c, *output, f.timeout);
  } else if (action == "flush") {
    s = AdminCall(c, v1::FlushRequest(), &v1::AdminService::Stub::Flush, f.timeout).status();
    if (s.ok()) std::printf("flushed\n");
  } else if (action == "compact") {
    s = AdminCall(c, v1::CompactRequest(), &v1::AdminService::Stub::Compact, f.timeout).status();
    if (s.ok()) std::printf("compacted\n");
  } else if (action == "snapshot") {
    v1::SnapshotRequest req;
    req.set_dir(f.dir);
    auto r = AdminCall(c, req, &v1::AdminService::Stub::Snapshot, f.timeout);
    s = r.status();
    if (s.ok()) std::printf("snapshot written to %s\n", r->dir().c_str());
  } else if (action == "delete") {
    s = Delete(c, f);
  }
  return s.ok() ? kExitOk : Fail(s);
}

CLI::App* AdminLeaf(CLI::App* admin, CliContext* ctx, const std::string& name,
                    const std::string& description, const std::string& examples,
                    std::shared_ptr<AdminFlags> f) {
  CLI::App* cmd = AddCommand(admin, ctx, name, description, examples);
  cmd->add_option("--timeout", f->timeout, "seconds to wait for the server (default 3600)")
      ->check(CLI::PositiveNumber);
  cmd->callback(
      [f, ctx, name] { ctx->run = [f, ctx, name] { return RunAdmin(name, *f, ctx->global); }; });
  return cmd;
}

}  // namespace

void RegisterAdminCommands(CLI::App* app, CliContext* ctx) {
  CLI::App* admin = app->add_subcommand("admin", "Operator actions (need the admin right)");
  admin->require_subcommand(1);
  admin->footer(
      "\nExamples:\n"
      "  telemdb admin stats\n"
      "  telemdb admin flush\n"
      "  telemdb admin snapshot /var/backups/telemdb-2026-01-01\n"
      "  telemdb admin delete readings --where \"fleet='East'\" --start 2026-01-01\n"
      "  telemdb admin token create --scope write:device=truck_1* --description gateway-7\n"
      "  telemdb admin audit verify\n");
  {
    auto f = std::make_shared<AdminFlags>();
    CLI::App* cmd = AdminLeaf(admin, ctx, "stats", "Database statistics (name,value rows)",
                              "  telemdb admin stats\n  telemdb admin stats --format json\n", f);
    AddOutputFlags(cmd, &f->output);
  }
  AdminLeaf(admin, ctx, "flush", "Seal every open chunk and sync everything to disk",
            "  telemdb admin flush\n", std::make_shared<AdminFlags>());
  AdminLeaf(admin, ctx, "compact", "Flush, merge small chunks and compact the store",
            "  telemdb admin compact\n", std::make_shared<AdminFlags>());
  {
    auto f = std::make_shared<AdminFlags>();
    CLI::App* cmd =
        AdminLeaf(admin, ctx, "snapshot",
                  "Write a consistent copy of the database to DIR on the server (must not exist)",
                  "  telemdb admin snapshot /var/backups/telemdb-snap\n", f);
    cmd->add_option("dir", f->dir, "absolute directory path on the server")->required();
  }
  {
    auto f = std::make_shared<AdminFlags>();
    CLI::App* cmd = AdminLeaf(
        admin, ctx, "delete",
        "Delete points of a measurement's series in a time range, or the whole measurement",
        "  telemdb admin delete readings --all\n"
        "  telemdb admin delete readings --where \"name='truck_7'\"\n"
        "  telemdb admin delete readings --where fleet=East --start 2026-01-01T00:00:00Z "
        "--end 2026-01-02T00:00:00Z\n"
        "  telemdb admin delete readings --where 'name=~/^truck_1[0-9]$/' --field fuel\n",
        f);
    cmd->add_option("measurement", f->measurement, "the measurement")->required();
    cmd->add_option("--where", f->where,
                    "tag condition KEY=VALUE, KEY!=VALUE, KEY=~/RE/ (whole value), KEY!~/RE/; "
                    "repeat to AND");
    cmd->add_option("--field", f->fields, "only this field; repeatable (default: every field)");
    cmd->add_option("--start", f->start, "from this time, inclusive (RFC 3339, date or ns)");
    cmd->add_option("--end", f->end, "until this time, exclusive (RFC 3339, date or ns)");
    cmd->add_flag("--all", f->all, "delete the whole measurement with its series");
  }
  RegisterAdminTokenCommands(admin, ctx);
  RegisterAdminIdentityCommands(admin, ctx);
  RegisterAdminRuleCommands(admin, ctx);
}

}  // namespace telemdb::cli
