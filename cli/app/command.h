// How the `telemdb` commands plug into main: each command file registers its CLI11
// subcommand(s) on the parent app and, when chosen, stores its body in CliContext::run, which
// main calls after parsing. A command body returns the process exit code (exit_codes.h).
//
// Adding a command: write cli/commands/<name>_cmd.cc with a Register function, declare it
// here, call it from main.cc. `telemdb admin token ...` slots in the same way under the
// `admin` app: write cli/commands/admin_token_cmd.cc with
// `void RegisterAdminTokenCommands(CLI::App* admin, CliContext* ctx)` (declared here) and call
// it at the end of RegisterAdminCommands() (admin_cmd.cc); AdminCall() there does the RPC.
//
// Thread safety: used from the main thread only.
#ifndef TELEMDB_CLI_APP_COMMAND_H_
#define TELEMDB_CLI_APP_COMMAND_H_

#include <functional>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/app/global_flags.h"

namespace telemdb::cli {

struct CliContext {
  GlobalFlags global;
  std::function<int()> run;  // set by the chosen command's callback
};

// A leaf command: `parent` gets subcommand `name`, with the connection flags when
// `connects`, and `examples` (one per line) in its --help footer.
CLI::App* AddCommand(CLI::App* parent, CliContext* ctx, const std::string& name,
                     const std::string& description, const std::string& examples,
                     bool connects = true);

void RegisterWriteCommand(CLI::App* app, CliContext* ctx);
void RegisterQueryCommand(CLI::App* app, CliContext* ctx);
void RegisterShellCommand(CLI::App* app, CliContext* ctx);
void RegisterSchemaCommands(CLI::App* app, CliContext* ctx);  // measurements fields series tags
void RegisterLastCommand(CLI::App* app, CliContext* ctx);
void RegisterAdminCommands(CLI::App* app, CliContext* ctx);  // admin stats|flush|...
// admin token create|list|rotate|revoke, admin audit verify|ack-gap, admin rekey
void RegisterAdminTokenCommands(CLI::App* admin, CliContext* ctx);
// admin identities
void RegisterAdminIdentityCommands(CLI::App* admin, CliContext* ctx);
// admin rule create|list|show|delete|pause|resume, admin target create|list|delete
void RegisterAdminRuleCommands(CLI::App* admin, CliContext* ctx);
// alerts [--state S] [--watch]
void RegisterAlertsCommand(CLI::App* app, CliContext* ctx);

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_APP_COMMAND_H_
