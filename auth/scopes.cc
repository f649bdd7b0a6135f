#include "auth/scopes.h"

#include <fnmatch.h>

#include "absl/strings/str_cat.h"
#include "storage/batch_validator.h"
#include "util/absl_compat.h"

namespace telemdb::auth {
namespace {

bool Glob(const std::string& pattern, const std::string& value) {
  return ::fnmatch(pattern.c_str(), value.c_str(), 0) == 0;
}

}  // namespace

std::string EscapeGlob(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string Scope::ToString() const {
  switch (kind) {
    case Kind::kAdmin:
      return "admin";
    case Kind::kRead:
      return glob.empty() ? "read" : "read:" + glob;
    case Kind::kWrite:
      return tag.empty() ? "write:*" : absl::StrCat("write:", tag, "=", glob);
  }
  return "";
}

absl::StatusOr<Scope> ParseScope(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid scope \"", Sv(text), "\": ", Sv(why),
                     " (expected admin, read, read:<measurement glob>, write:* or "
                     "write:<tag>=<glob>)"));
  };
  Scope s;
  if (text == "admin") {
    s.kind = Scope::Kind::kAdmin;
    return s;
  }
  if (text == "read") {
    s.kind = Scope::Kind::kRead;
    return s;
  }
  if (text.substr(0, 5) == "read:") {
    s.kind = Scope::Kind::kRead;
    s.glob = std::string(text.substr(5));
    if (s.glob.empty()) return bad("empty measurement pattern");
    if (s.glob == "*") s.glob.clear();
    return s;
  }
  if (text.substr(0, 6) == "write:") {
    s.kind = Scope::Kind::kWrite;
    std::string_view rest = text.substr(6);
    if (rest == "*") return s;
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos || eq == 0) return bad("missing <tag>=<glob>");
    s.tag = std::string(rest.substr(0, eq));
    s.glob = std::string(rest.substr(eq + 1));
    if (s.glob.empty()) return bad("empty tag value pattern");
    return s;
  }
  return bad("unknown right");
}

absl::StatusOr<std::vector<Scope>> ParseScopes(const std::vector<std::string>& texts) {
  std::vector<Scope> out;
  for (const auto& t : texts) {
    auto s = ParseScope(t);
    if (!s.ok()) return s.status();
    out.push_back(*s);
  }
  return out;
}

bool Identity::IsAdmin() const {
  for (const auto& s : scopes) {
    if (s.kind == Scope::Kind::kAdmin) return true;
  }
  return false;
}

bool Identity::CanReadSomething() const {
  for (const auto& s : scopes) {
    if (s.kind == Scope::Kind::kRead) return true;
  }
  return false;
}

bool Identity::CanRead(std::string_view measurement) const {
  for (const auto& s : scopes) {
    if (s.kind != Scope::Kind::kRead) continue;
    if (s.glob.empty() || Glob(s.glob, std::string(measurement))) return true;
  }
  return false;
}

bool Identity::CanWriteSomething() const {
  for (const auto& s : scopes) {
    if (s.kind == Scope::Kind::kWrite) return true;
  }
  return false;
}

absl::Status Identity::CheckWrite(const std::vector<storage::SeriesBatch>& groups) const {
  for (size_t g = 0; g < groups.size(); g++) {
    bool allowed = false;
    for (const auto& s : scopes) {
      if (s.kind != Scope::Kind::kWrite) continue;
      if (s.tag.empty()) {
        allowed = true;
        break;
      }
      for (const auto& [k, v] : groups[g].tags) {
        if (k == s.tag && Glob(s.glob, v)) {
          allowed = true;
          break;
        }
      }
      if (allowed) break;
    }
    if (!allowed) {
      return absl::PermissionDeniedError(
          absl::StrCat("identity \"", name, "\" may not write series ", g, " (",
                       storage::DescribeGroup(groups[g]), "); nothing of this request was stored"));
    }
  }
  return absl::OkStatus();
}

Identity Identity::Superuser(std::string name) {
  Identity id;
  id.name = std::move(name);
  id.kind = Identity::Kind::kAnonymous;
  id.scopes = {Scope{Scope::Kind::kAdmin, "", ""}, Scope{Scope::Kind::kRead, "", ""},
               Scope{Scope::Kind::kWrite, "", ""}};
  return id;
}

}  // namespace telemdb::auth
