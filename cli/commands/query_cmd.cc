// telemdb query 'SELECT ...': runs one statement and prints its result (query_printer.h) as
// a table, CSV, JSON, JSON lines or a chart.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/app/command.h"
#include "cli/app/exit_codes.h"
#include "cli/commands/query_printer.h"

namespace telemdb::cli {
namespace {

struct QueryFlags {
  std::string text;
  OutputFlags output;
  bool plot = false;
  bool ascii = false;
  bool timing = false;
  double timeout = 0;
};

int RunQueryCommand(const QueryFlags& f, const GlobalFlags& global) {
  std::string text = f.text;
  if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
  if (text.find_first_not_of(" \t\r\n;") == std::string::npos) {
    return Fail(UsageError("the query is empty"));
  }
  bool tty = StdoutIsTerminal();
  auto output = MakeOutputOptions(f.output, tty);
  if (!output.ok()) return Fail(output.status());
  output->plot = f.plot;
  output->plot_ascii = f.ascii;
  auto conn = Connect(global);
  if (!conn.ok()) return Fail(conn.status());
  RunOptions run;
  run.output = *output;
  run.timing = f.timing;
  run.timeout_ms = static_cast<int64_t>(f.timeout * 1000);
  auto rows = RunAndPrint(**conn, text, run);
  if (!rows.ok()) {
    if (rows.status().code() == absl::StatusCode::kCancelled &&
        rows.status().message() == "output closed") {
      return kExitOk;  // e.g. `telemdb query ... | head`
    }
    return Fail(rows.status());
  }
  return kExitOk;
}

}  // namespace

void RegisterQueryCommand(CLI::App* app, CliContext* ctx) {
  auto f = std::make_shared<QueryFlags>();
  CLI::App* cmd = AddCommand(
      app, ctx, "query", "Run one query-language statement and print its result",
      "  telemdb query 'SELECT mean(velocity) FROM readings WHERE time >= now() - 1h "
      "GROUP BY time(5m), fleet'\n"
      "  telemdb query --format json 'SHOW MEASUREMENTS'\n"
      "  telemdb query --epoch ms --format csv 'SELECT * FROM readings LIMIT 10' > out.csv\n"
      "  telemdb query --plot 'SELECT max(temp) FROM motors GROUP BY time(1m), device'\n"
      "  echo 'SELECT last(temp) FROM motors' | telemdb query -\n");
  cmd->add_option("statement", f->text, "the statement (docs/query.md); - reads it from stdin")
      ->required();
  AddOutputFlags(cmd, &f->output);
  cmd->add_flag("--plot", f->plot, "draw the result as a terminal chart instead of rows");
  cmd->add_flag("--ascii", f->ascii, "with --plot: ASCII characters instead of braille");
  cmd->add_flag("--timing", f->timing, "print elapsed time and query statistics on stderr");
  cmd->add_option("--timeout", f->timeout, "give up after this many seconds (default: none)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([f, ctx] { ctx->run = [f, ctx] { return RunQueryCommand(*f, ctx->global); }; });
}

}  // namespace telemdb::cli
