// Flags every command shares: the connection (--addr, TLS, token file, --config,
// --connect-timeout) and the output (--format, --epoch), plus how they combine with the
// environment and the config file into a live connection.
//
// Precedence, highest first: flags; TELEMDB_TOKEN, then TELEMDB_TOKEN_FILE (token only); the
// config file (--config FILE, else $XDG_CONFIG_HOME/telemdb/config.toml, else
// ~/.config/telemdb/config.toml; keys addr, token_file, tls_ca, tls_cert, tls_key,
// tls_server_name); built-in defaults. The token itself is never printed.
//
// Thread safety: plain data and functions; used from the main thread.
#ifndef TELEMDB_CLI_APP_GLOBAL_FLAGS_H_
#define TELEMDB_CLI_APP_GLOBAL_FLAGS_H_

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "cli/client/connection.h"
#include "cli/output/result_writer.h"

namespace telemdb::cli {

inline constexpr char kDefaultAddr[] = "127.0.0.1:7700";

struct GlobalFlags {
  std::string addr;        // "" = config file, else 127.0.0.1:7700
  std::string token_file;  // "" = environment, then config file
  std::string tls_ca, tls_cert, tls_key, tls_server_name;
  std::string config;           // "" = the default config path (may be absent)
  double connect_timeout = 10;  // seconds an unreachable server is retried
};

struct OutputFlags {
  std::string format;  // "" = table on a terminal, else csv
  std::string epoch;   // "" = RFC 3339
};

// Registers the connection flags on `app` (group "Connection"), bound to `flags`.
void AddConnectionFlags(CLI::App* app, GlobalFlags* flags);
// Registers --format and --epoch on `app`.
void AddOutputFlags(CLI::App* app, OutputFlags* flags);

// Resolves flags, environment and config file. Errors: a usage error for a missing --config
// file or a bad config file.
absl::StatusOr<client::ConnectionOptions> ResolveConnectionOptions(const GlobalFlags& flags);

// Resolves, creates the channel and waits (at most --connect-timeout) until the server is
// reachable. Errors (exit 3): the server could not be reached ("cannot reach telemdbd at
// ADDR ..."), unreadable TLS or token files; usage errors from the config file.
absl::StatusOr<std::unique_ptr<client::Connection>> Connect(const GlobalFlags& flags);

// --format/--epoch made into options; `stdout_is_tty` picks the default format.
// Errors: a usage error for an unknown format or unit.
absl::StatusOr<OutputOptions> MakeOutputOptions(const OutputFlags& flags, bool stdout_is_tty);

bool StdoutIsTerminal();
bool StderrIsTerminal();
bool StdinIsTerminal();
// Terminal width in columns (80 when unknown).
int TerminalWidth();

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_APP_GLOBAL_FLAGS_H_
