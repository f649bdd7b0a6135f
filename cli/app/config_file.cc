#include "cli/app/config_file.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "util/absl_compat.h"

namespace telemdb::cli {
namespace {

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Parses one string value at the start of `s` (which begins with a quote). On success sets
// `*value` and `*rest` to what follows the closing quote; returns an error text otherwise.
std::string ParseString(std::string_view s, std::string* value, std::string_view* rest) {
  char quote = s[0];
  size_t i = 1;
  while (i < s.size() && s[i] != quote) {
    char c = s[i];
    if (c == '\\' && quote == '"') {
      if (i + 1 >= s.size()) return "unterminated escape";
      char e = s[i + 1];
      i += 2;
      switch (e) {
        case '"':
          value->push_back('"');
          break;
        case '\\':
          value->push_back('\\');
          break;
        case 'n':
          value->push_back('\n');
          break;
        case 't':
          value->push_back('\t');
          break;
        case 'r':
          value->push_back('\r');
          break;
        case 'u': {
          if (i + 4 > s.size()) return "bad \\u escape";
          uint32_t cp = 0;
          for (int k = 0; k < 4; k++) {
            char h = s[i + k];
            cp <<= 4;
            if (h >= '0' && h <= '9')
              cp |= h - '0';
            else if (h >= 'a' && h <= 'f')
              cp |= h - 'a' + 10;
            else if (h >= 'A' && h <= 'F')
              cp |= h - 'A' + 10;
            else
              return "bad \\u escape";
          }
          AppendUtf8(cp, value);
          i += 4;
          break;
        }
        default:
          return absl::StrCat("unknown escape \\", std::string(1, e));
      }
      continue;
    }
    value->push_back(c);
    i++;
  }
  if (i >= s.size()) return "unterminated string";
  *rest = s.substr(i + 1);
  return "";
}

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && (s[0] == ' ' || s[0] == '\t')) s.remove_prefix(1);
  return s;
}

}  // namespace

absl::StatusOr<ConfigValues> ParseConfig(std::string_view text, const std::string& origin) {
  ConfigValues out;
  int line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    line_no++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto fail = [&](const std::string& why) {
      return absl::InvalidArgumentError(absl::StrCat(origin, " line ", line_no, ": ", why));
    };
    line = TrimLeft(line);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') return fail("tables are not supported; write key = \"value\" lines");
    size_t k = 0;
    while (k < line.size() && IsKeyChar(line[k])) k++;
    if (k == 0) return fail("expected a key");
    std::string key(line.substr(0, k));
    std::string_view rest = TrimLeft(line.substr(k));
    if (rest.empty() || rest[0] != '=') return fail(absl::StrCat("expected '=' after ", key));
    rest = TrimLeft(rest.substr(1));
    if (rest.empty() || (rest[0] != '"' && rest[0] != '\'')) {
      return fail(absl::StrCat("the value of ", key, " must be a quoted string"));
    }
    std::string value;
    std::string_view after;
    if (std::string why = ParseString(rest, &value, &after); !why.empty()) return fail(why);
    after = TrimLeft(after);
    if (!after.empty() && after[0] != '#') return fail("unexpected text after the value");
    if (!out.emplace(key, value).second) return fail(absl::StrCat("repeated key ", key));
  }
  return out;
}

std::string DefaultConfigPath() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && *xdg != '\0') return std::string(xdg) + "/telemdb/config.toml";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return std::string(home) + "/.config/telemdb/config.toml";
  return "";
}

std::string ResolveConfigPath(const std::string& value, const std::string& config_path) {
  if (value.empty() || value[0] == '/') return value;
  if (value == "~" || value.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    return std::string(home ? home : "") + value.substr(1);
  }
  size_t slash = config_path.rfind('/');
  if (slash == std::string::npos) return value;
  return config_path.substr(0, slash + 1) + value;
}

}  // namespace telemdb::cli
