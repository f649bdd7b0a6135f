// telemdb shell: an interactive prompt (libedit, history) or, with stdin not a terminal, a
// statement runner for scripts. Statements end with ';' or a blank line; meta-commands
// (\format, \epoch, \timing, \help, \q) stand alone on a line.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/app/command.h"
#include "cli/app/exit_codes.h"
#include "cli/commands/query_printer.h"
#include "cli/shell/line_reader.h"
#include "cli/shell/statement_splitter.h"
#include "server/version.h"
#include "util/absl_compat.h"

namespace telemdb::cli {
namespace {

constexpr char kShellHelp[] =
    "Statements (docs/query.md) end with ; or a blank line and may span lines:\n"
    "  SELECT mean(temp) FROM motors\n"
    "    WHERE time >= now() - 1h GROUP BY time(5m), device;\n"
    "  SHOW MEASUREMENTS;\n"
    "Meta-commands:\n"
    "  \\format table|csv|json|jsonl   output format (now: %s)\n"
    "  \\epoch ns|ms|s|rfc3339         how times print (now: %s)\n"
    "  \\timing                        toggle elapsed time and query statistics (now: %s)\n"
    "  \\help                          this text\n"
    "  \\q                             quit (also Ctrl-D, exit, quit)\n";

struct ShellFlags {
  OutputFlags output;
  bool timing = false;
  std::string history;
  bool no_history = false;
};

class Shell {
 public:
  Shell(const client::Connection& conn, RunOptions run, bool interactive)
      : conn_(conn), run_(std::move(run)), interactive_(interactive) {}

  // Returns the exit code: 0, or the code of the first failed statement (scripts).
  int Loop(LineReader* reader) {
    StatementSplitter splitter;
    std::vector<std::string> statements;
    while (!quit_) {
      bool interrupted = false;
      std::string prompt = splitter.empty() ? "telemdb> " : "     -> ";
      auto line = reader->Read(interactive_ ? prompt : "", &interrupted);
      if (interrupted) {
        splitter.Clear();
        continue;
      }
      if (!line.has_value()) break;
      std::string_view trimmed = StdSv(absl::StripAsciiWhitespace(*line));
      if (splitter.empty() && !trimmed.empty() && trimmed[0] == '\\') {
        Meta(std::string(trimmed));
        continue;
      }
      if (splitter.empty() && (trimmed == "exit" || trimmed == "quit")) break;
      statements.clear();
      splitter.AddLine(*line, &statements);
      for (const auto& s : statements) {
        reader->AddHistory(s + ";");
        Execute(s);
        if (quit_) break;
      }
    }
    if (!quit_) {
      if (auto rest = splitter.Flush(); rest.has_value()) Execute(*rest);
    }
    if (interactive_) std::fputs("\n", stdout);
    return interactive_ ? kExitOk : exit_code_;
  }

 private:
  void Meta(const std::string& line) {
    std::string cmd = line.substr(0, line.find_first_of(" \t"));
    std::string arg(absl::StripAsciiWhitespace(line.substr(cmd.size())));
    if (cmd == "\\q" || cmd == "\\quit") {
      quit_ = true;
    } else if (cmd == "\\format") {
      if (arg.empty()) {
        std::printf("%s\n", OutputFormatName(run_.output.format));
      } else if (auto f = ParseOutputFormat(arg); f.ok()) {
        run_.output.format = *f;
      } else {
        Error(f.status());
      }
    } else if (cmd == "\\epoch") {
      if (auto e = ParseTimeUnit(arg == "rfc3339" ? "" : arg); e.ok()) {
        run_.output.epoch = *e;
      } else {
        Error(e.status());
      }
    } else if (cmd == "\\timing") {
      run_.timing = !run_.timing;
      std::fprintf(stderr, "timing is %s\n", run_.timing ? "on" : "off");
    } else if (cmd == "\\help" || cmd == "\\?" || cmd == "\\h") {
      static const char* kUnits[] = {"rfc3339", "ns", "ms", "s"};
      std::printf(kShellHelp, OutputFormatName(run_.output.format),
                  kUnits[static_cast<int>(run_.output.epoch)], run_.timing ? "on" : "off");
    } else {
      Error(absl::InvalidArgumentError(
          absl::StrCat("unknown meta-command ", cmd, "; \\help lists them")));
    }
    std::fflush(stdout);
  }

  void Execute(const std::string& statement) {
    std::atomic<bool> done{false};
    client::Canceller canceller;
    std::thread watcher;
    if (interactive_) {  // Ctrl-C cancels the running query, not the shell
      (void)TakeInterrupt();
      watcher = std::thread([&] {
        while (!done) {
          if (TakeInterrupt()) canceller.Cancel();
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      });
    }
    RunOptions run = run_;
    run.canceller = &canceller;
    auto rows = RunAndPrint(conn_, statement, run);
    done = true;
    if (watcher.joinable()) watcher.join();
    std::fflush(stdout);
    if (!rows.ok()) {
      if (canceller.cancelled()) {
        std::fprintf(stderr, "telemdb: query cancelled\n");
        return;
      }
      Error(rows.status());
      if (exit_code_ == kExitOk) exit_code_ = ExitCodeFor(rows.status());
    }
  }

  void Error(const absl::Status& s) {
    std::fflush(stdout);
    PrintError(s);
  }

  const client::Connection& conn_;
  RunOptions run_;
  const bool interactive_;
  bool quit_ = false;
  int exit_code_ = kExitOk;
};

int RunShell(const ShellFlags& f, const GlobalFlags& global) {
  bool tty_out = StdoutIsTerminal();
  auto output = MakeOutputOptions(f.output, tty_out);
  if (!output.ok()) return Fail(output.status());
  auto conn = Connect(global);
  if (!conn.ok()) return Fail(conn.status());
  RunOptions run;
  run.output = *output;
  run.timing = f.timing;
  const bool interactive = StdinIsTerminal();
  std::unique_ptr<LineReader> reader;
  if (interactive) {
    std::string history =
        f.no_history ? "" : (f.history.empty() ? DefaultHistoryPath() : f.history);
    reader = MakeEditLineReader(history);
    std::printf(
        "telemdb %s shell. End statements with ; or a blank line; \\help for help, "
        "\\q to quit.\n",
        kVersion);
    std::fflush(stdout);
  } else {
    reader = MakeStreamLineReader(&std::cin);
  }
  Shell shell(**conn, run, interactive);
  return shell.Loop(reader.get());
}

}  // namespace

void RegisterShellCommand(CLI::App* app, CliContext* ctx) {
  auto f = std::make_shared<ShellFlags>();
  CLI::App* cmd = AddCommand(
      app, ctx, "shell", "Interactive query prompt (reads statements from stdin when piped)",
      "  telemdb shell\n"
      "  telemdb shell --format json < queries.sql\n"
      "  printf 'SHOW MEASUREMENTS;\\nSELECT last(temp) FROM motors;\\n' | telemdb shell\n");
  AddOutputFlags(cmd, &f->output);
  cmd->add_flag("--timing", f->timing, "start with \\timing on");
  cmd->add_option("--history", f->history,
                  "history file (default $XDG_STATE_HOME/telemdb/history or "
                  "~/.local/state/telemdb/history)");
  cmd->add_flag("--no-history", f->no_history, "keep no history file");
  cmd->callback([f, ctx] { ctx->run = [f, ctx] { return RunShell(*f, ctx->global); }; });
}

}  // namespace telemdb::cli
