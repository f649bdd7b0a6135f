#include "cli/app/command.h"

namespace telemdb::cli {

CLI::App* AddCommand(CLI::App* parent, CliContext* ctx, const std::string& name,
                     const std::string& description, const std::string& examples, bool connects) {
  CLI::App* sub = parent->add_subcommand(name, description);
  if (!examples.empty()) sub->footer("\nExamples:\n" + examples);
  if (connects) AddConnectionFlags(sub, &ctx->global);
  return sub;
}

}  // namespace telemdb::cli
