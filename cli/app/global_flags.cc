#include "cli/app/global_flags.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "cli/app/config_file.h"
#include "cli/app/exit_codes.h"
#include "util/status_macros.h"

namespace telemdb::cli {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

// The token from a file: its first line, trimmed. Errors (exit 3) name the file only.
absl::StatusOr<std::string> ReadToken(const std::string& path) {
  auto raw = client::ReadFileToString(path);
  if (!raw.ok()) return ConnectionError(std::string(raw.status().message()));
  std::string line = raw->substr(0, raw->find('\n'));
  std::string token(absl::StripAsciiWhitespace(line));
  if (token.empty()) return ConnectionError(absl::StrCat("token file ", path, " holds no token"));
  return token;
}

}  // namespace

void AddConnectionFlags(CLI::App* app, GlobalFlags* f) {
  const char* g = "Connection";
  app->add_option("--addr", f->addr, "server address HOST:PORT (default 127.0.0.1:7700)")->group(g);
  app->add_option("--token-file", f->token_file,
                  "file holding the bearer token (else $TELEMDB_TOKEN, $TELEMDB_TOKEN_FILE)")
      ->group(g);
  app->add_option("--tls-ca", f->tls_ca, "PEM CA bundle; enables TLS")->group(g);
  app->add_option("--tls-cert", f->tls_cert, "client certificate (mutual TLS)")->group(g);
  app->add_option("--tls-key", f->tls_key, "client private key (mutual TLS)")->group(g);
  app->add_option("--tls-server-name", f->tls_server_name,
                  "name expected in the server certificate")
      ->group(g);
  app->add_option("--config", f->config,
                  "config file (default $XDG_CONFIG_HOME/telemdb/config.toml or "
                  "~/.config/telemdb/config.toml)")
      ->group(g);
  app->add_option("--connect-timeout", f->connect_timeout,
                  "seconds to keep retrying an unreachable server (default 10)")
      ->group(g)
      ->check(CLI::PositiveNumber);
}

void AddOutputFlags(CLI::App* app, OutputFlags* f) {
  app->add_option("--format", f->format,
                  "table|csv|json|jsonl (default: table on a terminal, else csv)")
      ->check(CLI::IsMember({"table", "csv", "json", "jsonl"}));
  app->add_option("--epoch", f->epoch,
                  "print times as integers in ns|ms|s since the epoch (default: RFC 3339)")
      ->check(CLI::IsMember({"ns", "ms", "s"}));
}

absl::StatusOr<client::ConnectionOptions> ResolveConnectionOptions(const GlobalFlags& flags) {
  ConfigValues config;
  std::string config_path = flags.config.empty() ? DefaultConfigPath() : flags.config;
  if (!config_path.empty()) {
    auto text = client::ReadFileToString(config_path);
    if (text.ok()) {
      auto parsed = ParseConfig(*text, config_path);
      if (!parsed.ok()) return UsageError(std::string(parsed.status().message()));
      config = *std::move(parsed);
    } else if (!flags.config.empty()) {
      return UsageError(std::string(text.status().message()));
    }
  }
  static const char* kKeys[] = {"addr",     "token_file", "tls_ca",
                                "tls_cert", "tls_key",    "tls_server_name"};
  for (const auto& [k, v] : config) {
    if (std::find(std::begin(kKeys), std::end(kKeys), k) == std::end(kKeys)) {
      PrintError(absl::StrCat(config_path, ": ignoring unknown key ", k));
    }
  }
  auto pick = [&](const std::string& flag, const char* key, bool path) {
    if (!flag.empty()) return flag;
    auto it = config.find(key);
    if (it == config.end()) return std::string();
    return path ? ResolveConfigPath(it->second, config_path) : it->second;
  };
  client::ConnectionOptions o;
  o.addr = pick(flags.addr, "addr", false);
  if (o.addr.empty()) o.addr = kDefaultAddr;
  o.tls_ca = pick(flags.tls_ca, "tls_ca", true);
  o.tls_cert = pick(flags.tls_cert, "tls_cert", true);
  o.tls_key = pick(flags.tls_key, "tls_key", true);
  o.tls_server_name = pick(flags.tls_server_name, "tls_server_name", false);
  if (!o.tls_cert.empty() && o.tls_key.empty()) return UsageError("--tls-cert needs --tls-key");
  if (!o.tls_key.empty() && o.tls_cert.empty()) return UsageError("--tls-key needs --tls-cert");
  // The token: --token-file, $TELEMDB_TOKEN, $TELEMDB_TOKEN_FILE, config token_file.
  if (!flags.token_file.empty()) {
    ASSIGN_OR_RETURN(o.token, ReadToken(flags.token_file));
  } else if (std::string env = Env("TELEMDB_TOKEN"); !env.empty()) {
    o.token = std::string(absl::StripAsciiWhitespace(env));
  } else if (std::string file = Env("TELEMDB_TOKEN_FILE"); !file.empty()) {
    ASSIGN_OR_RETURN(o.token, ReadToken(file));
  } else if (std::string file = pick("", "token_file", true); !file.empty()) {
    ASSIGN_OR_RETURN(o.token, ReadToken(file));
  }
  return o;
}

absl::StatusOr<std::unique_ptr<client::Connection>> Connect(const GlobalFlags& flags) {
  ASSIGN_OR_RETURN(client::ConnectionOptions o, ResolveConnectionOptions(flags));
  auto conn = client::Connection::Create(o);
  if (!conn.ok()) {
    if (conn.status().code() == absl::StatusCode::kInvalidArgument) {
      return UsageError(std::string(conn.status().message()));
    }
    return ConnectionError(std::string(conn.status().message()));
  }
  // WaitConnected counts whole seconds; round up so 0.5 still tries.
  int seconds = static_cast<int>(flags.connect_timeout + 0.999);
  if (!(*conn)->WaitConnected(std::max(1, seconds)).ok()) {
    std::string why = o.tls_ca.empty() && o.tls_cert.empty()
                          ? ""
                          : " (with TLS: check --tls-ca, --tls-cert and the server name)";
    return ConnectionError(absl::StrFormat("cannot reach telemdbd at %s (gave up after %g s)%s",
                                           o.addr, flags.connect_timeout, why));
  }
  return conn;
}

absl::StatusOr<OutputOptions> MakeOutputOptions(const OutputFlags& flags, bool stdout_is_tty) {
  OutputOptions o;
  o.format = stdout_is_tty ? OutputFormat::kTable : OutputFormat::kCsv;
  if (!flags.format.empty()) {
    auto f = ParseOutputFormat(flags.format);
    if (!f.ok()) return UsageError(std::string(f.status().message()));
    o.format = *f;
  }
  auto e = ParseTimeUnit(flags.epoch);
  if (!e.ok()) return UsageError(std::string(e.status().message()));
  o.epoch = *e;
  o.width = TerminalWidth();
  o.color = stdout_is_tty && Env("NO_COLOR").empty();
  return o;
}

bool StdoutIsTerminal() { return isatty(STDOUT_FILENO) == 1; }
bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }
bool StdinIsTerminal() { return isatty(STDIN_FILENO) == 1; }

int TerminalWidth() {
  struct winsize ws;
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
  if (std::string cols = Env("COLUMNS"); !cols.empty()) {
    int n = std::atoi(cols.c_str());
    if (n > 20) return n;
  }
  return 80;
}

}  // namespace telemdb::cli
