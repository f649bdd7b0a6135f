// telemdb admin token create|list|rotate|revoke, admin audit verify|ack-gap, admin rekey:
// managing API tokens and checking the audit trail (each needs the admin right).
//
// A new or rotated token's secret is printed once, alone on the last line of stdout, so that
// `TOKEN=$(telemdb admin token create ... | tail -n1)` captures it. Nothing else ever prints a
// secret.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/app/command.h"
#include "cli/app/exit_codes.h"
#include "cli/commands/admin_call.h"
#include "cli/commands/query_printer.h"
#include "query/lang/time_literal.h"

namespace telemdb::cli {
namespace {

struct TokenFlags {
  OutputFlags output;
  std::vector<std::string> scopes;
  std::string description;
  std::string expires;  // duration
  std::string overlap;  // duration
  std::string id;
  std::string stale;     // token list --stale DURATION
  std::string expiring;  // token list --expiring DURATION
  bool cluster = false;  // audit verify --cluster
  double timeout = 60;
};

absl::StatusOr<int64_t> DurationArg(const std::string& flag, const std::string& text) {
  if (text.empty() || text == "0") return 0;
  auto d = query::lang::ParseDuration(text);
  if (!d.ok()) return UsageError(absl::StrCat(flag, ": ", d.status().message()));
  return *d;
}

void PrintCreated(const v1::CreateTokenResponse& r, const char* verb) {
  const auto& i = r.info();
  std::printf("%s token %s (scopes: %s%s%s)\n", verb, i.id().c_str(),
              absl::StrJoin(i.scopes(), " ").c_str(), i.expires_ns() ? ", expires " : "",
              i.expires_ns() ? [&] {
                std::string t;
                AppendRfc3339(i.expires_ns(), &t);
                return t;
              }().c_str()
                             : "");
  std::printf("the secret is shown only now:\n%s\n", r.token().c_str());
}

int Run(const std::string& action, const TokenFlags& f, const GlobalFlags& global) {
  auto output = MakeOutputOptions(f.output, StdoutIsTerminal());
  if (!output.ok()) return Fail(output.status());
  auto conn = Connect(global);
  if (!conn.ok()) return Fail(conn.status());
  const client::Connection& c = **conn;
  if (action == "create") {
    auto expires = DurationArg("--expires", f.expires);
    if (!expires.ok()) return Fail(expires.status());
    v1::CreateTokenRequest req;
    for (const auto& s : f.scopes) req.add_scopes(s);
    req.set_description(f.description);
    req.set_expires_in_ns(*expires);
    auto r = AdminCall(c, req, &v1::AdminService::Stub::CreateToken, f.timeout);
    if (!r.ok()) return Fail(r.status());
    PrintCreated(*r, "created");
    return kExitOk;
  }
  if (action == "rotate") {
    auto overlap = DurationArg("--overlap", f.overlap);
    if (!overlap.ok()) return Fail(overlap.status());
    v1::RotateTokenRequest req;
    req.set_id(f.id);
    req.set_overlap_ns(*overlap);
    auto r = AdminCall(c, req, &v1::AdminService::Stub::RotateToken, f.timeout);
    if (!r.ok()) return Fail(r.status());
    PrintCreated(*r, "rotated");
    return kExitOk;
  }
  if (action == "revoke") {
    v1::RevokeTokenRequest req;
    req.set_id(f.id);
    auto r = AdminCall(c, req, &v1::AdminService::Stub::RevokeToken, f.timeout);
    if (!r.ok()) return Fail(r.status());
    std::printf("revoked token %s\n", f.id.c_str());
    return kExitOk;
  }
  if (action == "list") {
    auto stale = DurationArg("--stale", f.stale);
    if (!stale.ok()) return Fail(stale.status());
    auto expiring = DurationArg("--expiring", f.expiring);
    if (!expiring.ok()) return Fail(expiring.status());
    auto r = AdminCall(c, v1::ListTokensRequest(), &v1::AdminService::Stub::ListTokens, f.timeout);
    if (!r.ok()) return Fail(r.status());
    const int64_t now = absl::GetCurrentTimeNanos();
    // --stale: not used for DURATION, or never used; --expiring: expires within DURATION
    // (or already has). Revoked tokens are neither: they are already out of service.
    auto keep = [&](const v1::TokenInfo& t) {
      if (f.stale.empty() && f.expiring.empty()) return true;
      if (t.revoked()) return false;
      if (!f.stale.empty() && (t.last_used_ns() == 0 || now - t.last_used_ns() >= *stale)) {
        return true;
      }
      return !f.expiring.empty() && t.expires_ns() != 0 && t.expires_ns() - now <= *expiring;
    };
    std::vector<const v1::TokenInfo*> shown;
    for (const auto& t : r->tokens()) {
      if (keep(t)) shown.push_back(&t);
    }
    std::vector<std::string> scopes;  // keeps the joined strings alive for the cells
    for (const auto* t : shown) scopes.push_back(absl::StrJoin(t->scopes(), " "));
    std::vector<std::vector<Cell>> rows;
    for (size_t i = 0; i < shown.size(); i++) {
      const auto& t = *shown[i];
      auto time_or_null = [](int64_t ns) { return ns ? Cell::Time(ns) : Cell::Null(); };
      rows.push_back({Cell::String(t.id()), Cell::String(t.description()), Cell::String(scopes[i]),
                      Cell::Time(t.created_ns()), time_or_null(t.expires_ns()),
                      time_or_null(t.last_used_ns()), Cell::Bool(t.revoked()),
                      t.last_peer().empty() ? Cell::Null() : Cell::String(t.last_peer())});
    }
    absl::Status s = PrintResult({{"id", ColumnRole::kValue},
                                  {"description", ColumnRole::kValue},
                                  {"scopes", ColumnRole::kValue},
                                  {"created", ColumnRole::kValue},
                                  {"expires", ColumnRole::kValue},
                                  {"last_used", ColumnRole::kValue},
                                  {"revoked", ColumnRole::kValue},
                                  {"last_peer", ColumnRole::kValue}},
                                 rows, *output);
    return s.ok() ? kExitOk : Fail(s);
  }
  if (action == "audit verify" && f.cluster) {
    v1::VerifyAuditRequest req;
    req.set_cluster(true);
    auto r = AdminCall(c, req, &v1::AdminService::Stub::VerifyAudit, f.timeout);
    if (!r.ok()) return Fail(r.status());
    for (const v1::NodeAudit& n : r->nodes()) {
      for (const auto& g : n.gaps()) std::printf("%s: gap: %s\n", n.node().c_str(), g.c_str());
      if (!n.error().empty()) {
        std::fprintf(stderr, "telemdb: node %s (%s): cannot verify: %s\n", n.node().c_str(),
                     n.address().c_str(), n.error().c_str());
      } else if (n.ok()) {
        std::printf("%s: audit log intact: %lu records\n", n.node().c_str(),
                    static_cast<unsigned long>(n.records()));
      } else if (n.unacknowledged_gaps() > 0) {
        std::fprintf(stderr, "telemdb: node %s: audit log has %lu unacknowledged gap(s): %s\n",
                     n.node().c_str(), static_cast<unsigned long>(n.unacknowledged_gaps()),
                     n.problem().c_str());
      } else {
        std::fprintf(stderr, "telemdb: node %s: audit log broken after %lu good records: %s\n",
                     n.node().c_str(), static_cast<unsigned long>(n.records()),
                     n.problem().c_str());
      }
    }
    return r->ok() ? kExitOk : kExitError;
  }
  if (action == "audit verify") {
    auto r =
        AdminCall(c, v1::VerifyAuditRequest(), &v1::AdminService::Stub::VerifyAudit, f.timeout);
    if (!r.ok()) return Fail(r.status());
    for (const auto& g : r->gaps()) std::printf("gap: %s\n", g.c_str());
    if (r->ok()) {
      std::printf("audit log intact: %lu records\n", static_cast<unsigned long>(r->records()));
      return kExitOk;
    }
    if (r->unacknowledged_gaps() > 0) {
      std::fprintf(stderr, "telemdb: audit log has %lu unacknowledged gap(s): %s\n",
                   static_cast<unsigned long>(r->unacknowledged_gaps()), r->problem().c_str());
    } else {
      std::fprintf(stderr, "telemdb: audit log broken after %lu good records: %s\n",
                   static_cast<unsigned long>(r->records()), r->problem().c_str());
    }
    return kExitError;
  }
  if (action == "audit ack-gap") {
    auto r =
        AdminCall(c, v1::AckAuditGapsRequest(), &v1::AdminService::Stub::AckAuditGaps, f.timeout);
    if (!r.ok()) return Fail(r.status());
    std::printf("acknowledged %lu gap(s)\n", static_cast<unsigned long>(r->acknowledged()));
    return kExitOk;
  }
  if (action == "rekey") {
    auto r = AdminCall(c, v1::RekeyRequest(), &v1::AdminService::Stub::Rekey, f.timeout);
    if (!r.ok()) return Fail(r.status());
    std::printf("rekey started: %lu files still under older keys\n",
                static_cast<unsigned long>(r->pending_files()));
    return kExitOk;
  }
  return Fail(UsageError("unknown admin command " + action));
}

CLI::App* Leaf(CLI::App* parent, CliContext* ctx, const std::string& name,
               const std::string& action, const std::string& description,
               const std::string& examples, std::shared_ptr<TokenFlags> f) {
  CLI::App* cmd = AddCommand(parent, ctx, name, description, examples);
  cmd->add_option("--timeout", f->timeout, "seconds to wait for the server (default 60)")
      ->check(CLI::PositiveNumber);
  cmd->callback(
      [f, ctx, action] { ctx->run = [f, ctx, action] { return Run(action, *f, ctx->global); }; });
  return cmd;
}

}  // namespace

void RegisterAdminTokenCommands(CLI::App* admin, CliContext* ctx) {
  CLI::App* token = admin->add_subcommand("token", "API tokens: create, list, rotate, revoke");
  token->require_subcommand(1);
  {
    auto f = std::make_shared<TokenFlags>();
    CLI::App* cmd =
        Leaf(token, ctx, "create", "create",
             "Create a token; prints its secret once, alone on the last line",
             "  telemdb admin token create --scope write:device=truck_1* --description gateway-7\n"
             "  telemdb admin token create --scope read --scope read:fleet_* --expires 30d\n"
             "  TOKEN=$(telemdb admin token create --scope write:* | tail -n1)\n",
             f);
    cmd->add_option("--scope", f->scopes,
                    "admin, read, read:<measurement glob>, write:* or write:<tag>=<glob>; "
                    "repeatable")
        ->required();
    cmd->add_option("--description", f->description, "what the token is for");
    cmd->add_option("--expires", f->expires, "lifetime, e.g. 90d or 12h (default: never)");
  }
  {
    auto f = std::make_shared<TokenFlags>();
    CLI::App* cmd =
        Leaf(token, ctx, "list", "list",
             "List tokens (id, description, scopes, created, expires, last used, revoked, "
             "last peer; never a secret)",
             "  telemdb admin token list\n  telemdb admin token list --format json\n"
             "  telemdb admin token list --stale 30d\n"
             "  telemdb admin token list --expiring 7d\n",
             f);
    AddOutputFlags(cmd, &f->output);
    cmd->add_option("--stale", f->stale,
                    "only tokens not used for this long, or never used (e.g. 30d)");
    cmd->add_option("--expiring", f->expiring,
                    "only tokens that expire within this long, or have expired (e.g. 7d)");
  }
  {
    auto f = std::make_shared<TokenFlags>();
    CLI::App* cmd = Leaf(token, ctx, "rotate", "rotate",
                         "Give token ID a new secret (printed once); the old one keeps working "
                         "for --overlap",
                         "  telemdb admin token rotate x7k2m4q9p3aa --overlap 24h\n", f);
    cmd->add_option("id", f->id, "token id (first column of `token list`)")->required();
    cmd->add_option("--overlap", f->overlap, "how long the old secret stays valid (default 0)");
  }
  {
    auto f = std::make_shared<TokenFlags>();
    CLI::App* cmd = Leaf(token, ctx, "revoke", "revoke",
                         "Revoke token ID: new calls fail at once, open streams at their next "
                         "request",
                         "  telemdb admin token revoke x7k2m4q9p3aa\n", f);
    cmd->add_option("id", f->id, "token id")->required();
  }
  CLI::App* audit = admin->add_subcommand("audit", "The audit trail");
  audit->require_subcommand(1);
  {
    auto f = std::make_shared<TokenFlags>();
    CLI::App* cmd = Leaf(audit, ctx, "verify", "audit verify",
                         "Check the audit log's HMAC chain, its anchor and gaps found at start "
                         "(exit 1 when broken or a gap is not acknowledged)",
                         "  telemdb admin audit verify\n"
                         "  telemdb admin audit verify --cluster\n",
                         f);
    cmd->add_flag("--cluster", f->cluster,
                  "on a cluster node: every live node verifies its own chain; one line per "
                  "node, exit 1 when any is broken or cannot be asked");
  }
  Leaf(audit, ctx, "ack-gap", "audit ack-gap",
       "Acknowledge the gaps found at start (a tail cut while the server was down), so that "
       "verify passes again; the acknowledgement is itself audited",
       "  telemdb admin audit ack-gap\n", std::make_shared<TokenFlags>());
  Leaf(admin, ctx, "rekey", "rekey",
       "Rewrite data written under older encryption keys with the active key (background)",
       "  telemdb admin rekey\n", std::make_shared<TokenFlags>());
}

}  // namespace telemdb::cli
