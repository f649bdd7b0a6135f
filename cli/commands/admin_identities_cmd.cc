// telemdb admin identities: what each identity (token or certificate) writes, as the server
// counts it (auth/identity_stats.h): who writes what, which identities are idle, and which
// write scopes are broader than what they use.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/app/command.h"
#include "cli/app/exit_codes.h"
#include "cli/commands/admin_call.h"
#include "cli/commands/query_printer.h"

namespace telemdb::cli {
namespace {

struct IdentityFlags {
  OutputFlags output;
  double timeout = 60;
};

int Run(const IdentityFlags& f, const GlobalFlags& global) {
  auto output = MakeOutputOptions(f.output, StdoutIsTerminal());
  if (!output.ok()) return Fail(output.status());
  auto conn = Connect(global);
  if (!conn.ok()) return Fail(conn.status());
  auto r = AdminCall(**conn, v1::ListIdentitiesRequest(), &v1::AdminService::Stub::ListIdentities,
                     f.timeout);
  if (!r.ok()) return Fail(r.status());
  // Strings the cells view: kept alive here.
  std::vector<std::string> scopes, series, measurements, flags;
  for (const auto& i : r->identities()) {
    scopes.push_back(absl::StrJoin(i.scopes(), " "));
    series.push_back(absl::StrCat(i.series_estimated() ? "~" : "", i.series()));
    measurements.push_back(absl::StrCat(i.measurements(), i.measurements_capped() ? "+" : ""));
    flags.push_back(i.suggestion().empty() ? "" : "narrow to " + i.suggestion());
  }
  std::vector<std::vector<Cell>> rows;
  for (int k = 0; k < r->identities_size(); k++) {
    const auto& i = r->identities(k);
    auto time_or_null = [](int64_t ns) { return ns ? Cell::Time(ns) : Cell::Null(); };
    rows.push_back({Cell::String(i.name()), Cell::String(i.kind()), Cell::String(scopes[k]),
                    Cell::Int(static_cast<int64_t>(i.writes())),
                    Cell::Int(static_cast<int64_t>(i.points())), Cell::String(series[k]),
                    Cell::String(measurements[k]), Cell::Int(static_cast<int64_t>(i.bytes())),
                    time_or_null(i.first_seen_ns()), time_or_null(i.last_seen_ns()),
                    i.last_peer().empty() ? Cell::Null() : Cell::String(i.last_peer()),
                    Cell::Int(static_cast<int64_t>(i.anomalies())),
                    flags[k].empty() ? Cell::Null() : Cell::String(flags[k])});
  }
  absl::Status s = PrintResult({{"identity", ColumnRole::kValue},
                                {"kind", ColumnRole::kValue},
                                {"scopes", ColumnRole::kValue},
                                {"writes", ColumnRole::kValue},
                                {"points", ColumnRole::kValue},
                                {"series", ColumnRole::kValue},
                                {"measurements", ColumnRole::kValue},
                                {"bytes", ColumnRole::kValue},
                                {"first_seen", ColumnRole::kValue},
                                {"last_seen", ColumnRole::kValue},
                                {"last_peer", ColumnRole::kValue},
                                {"anomalies", ColumnRole::kValue},
                                {"flag", ColumnRole::kValue}},
                               rows, *output);
  return s.ok() ? kExitOk : Fail(s);
}

}  // namespace

void RegisterAdminIdentityCommands(CLI::App* admin, CliContext* ctx) {
  auto f = std::make_shared<IdentityFlags>();
  CLI::App* cmd = AddCommand(
      admin, ctx, "identities",
      "What each identity writes: points, series, measurements, bytes, last seen and peer, "
      "anomalies, and a narrower write scope where its scopes are broader than its writes",
      "  telemdb admin identities\n  telemdb admin identities --format json\n");
  AddOutputFlags(cmd, &f->output);
  cmd->add_option("--timeout", f->timeout, "seconds to wait for the server (default 60)")
      ->check(CLI::PositiveNumber);
  cmd->callback([f, ctx] { ctx->run = [f, ctx] { return Run(*f, ctx->global); }; });
}

}  // namespace telemdb::cli
