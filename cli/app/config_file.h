// The CLI's configuration file: ~/.config/telemdb/config.toml ($XDG_CONFIG_HOME respected),
// or the file named by --config. A small TOML subset, enough for flat settings:
//
//   # comment
//   addr = "db.example:7700"
//   token_file = "~/.config/telemdb/token"   # ~/ expands to $HOME
//   tls_ca = 'ca.pem'                         # relative paths: from the file's directory
//
// Keys are bare words; values are basic ("...", with \" \\ \n \t \uXXXX escapes) or literal
// ('...') strings. A [table] header, arrays and other value types are errors.
//
// Thread safety: pure functions.
#ifndef TELEMDB_CLI_APP_CONFIG_FILE_H_
#define TELEMDB_CLI_APP_CONFIG_FILE_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace telemdb::cli {

// Key -> value, in key order.
using ConfigValues = std::map<std::string, std::string>;

// Parses the text of a config file. `origin` names it in errors ("config.toml line 3: ...").
// Errors: InvalidArgument for a syntax error or a repeated key.
absl::StatusOr<ConfigValues> ParseConfig(std::string_view text, const std::string& origin);

// The default config file: $XDG_CONFIG_HOME/telemdb/config.toml when XDG_CONFIG_HOME is set
// and non-empty, else $HOME/.config/telemdb/config.toml; "" when neither variable is set.
std::string DefaultConfigPath();

// A path from the config file made usable: "~/x" -> "$HOME/x"; a relative path is taken
// relative to the directory of `config_path`.
std::string ResolveConfigPath(const std::string& value, const std::string& config_path);

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_APP_CONFIG_FILE_H_
