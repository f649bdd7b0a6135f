// telemdb: the analyst's command-line client. main only parses the command line (CLI11; its
// exceptions end here) and runs the chosen command; every command lives in cli/commands/.
// Exit codes: cli/app/exit_codes.h. Documentation: docs/cli.md.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/app/command.h"
#include "cli/app/exit_codes.h"
#include "server/version.h"

namespace {

// `telemdb help a b` is `telemdb a b --help`; `telemdb help` is `telemdb --help`.
std::vector<std::string> RewriteHelp(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (args.size() >= 2 && args[1] == "help") {
    args.erase(args.begin() + 1);
    args.push_back("--help");
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace telemdb::cli;
  CLI::App app{
      "telemdb: write, query and administer a telemdb server (telemdbd) over gRPC.\n"
      "Run `telemdb help COMMAND` for a command's flags and examples; docs/cli.md has it all.",
      "telemdb"};
  app.set_version_flag("--version", std::string("telemdb ") + telemdb::kVersion);
  app.require_subcommand(1);
  app.footer(
      "\nExamples:\n"
      "  telemdb write fleet.lp\n"
      "  telemdb query 'SELECT mean(velocity) FROM readings GROUP BY time(1h), fleet'\n"
      "  telemdb shell\n"
      "  telemdb --addr db1:7700 --token-file ~/.config/telemdb/token measurements\n"
      "\nExit codes: 0 ok, 1 query/server error, 2 usage error, 3 connection/auth failure.");
  CliContext ctx;
  AddConnectionFlags(&app, &ctx.global);
  RegisterWriteCommand(&app, &ctx);
  RegisterQueryCommand(&app, &ctx);
  RegisterShellCommand(&app, &ctx);
  RegisterSchemaCommands(&app, &ctx);
  RegisterLastCommand(&app, &ctx);
  RegisterAdminCommands(&app, &ctx);
  RegisterAlertsCommand(&app, &ctx);
  app.add_subcommand("help", "Show a command's help: telemdb help COMMAND");

  std::vector<std::string> args = RewriteHelp(argc, argv);
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    PrintError(std::string(e.what()) + " (see telemdb --help)");
    return kExitUsage;
  }
  if (!ctx.run) {
    app.exit(CLI::CallForHelp());
    return kExitUsage;
  }
  try {
    return ctx.run();
  } catch (const std::exception& e) {
    PrintError(std::string("internal error: ") + e.what());
    return kExitError;
  }
}
