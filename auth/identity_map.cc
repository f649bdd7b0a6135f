#include "auth/identity_map.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace telemdb::auth {

absl::Status IdentityMap::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read identity map ", path));
  std::map<std::string, std::vector<Scope>> entries;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    n++;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string name, scope;
    if (!(words >> name)) continue;
    std::vector<Scope> scopes;
    while (words >> scope) {
      auto s = ParseScope(scope);
      if (!s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, " line ", n, ": ", s.status().message()));
      }
      scopes.push_back(*s);
    }
    if (scopes.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " line ", n, ": ", name, " has no scopes"));
    }
    entries[name] = std::move(scopes);
  }
  absl::MutexLock l(&mu_);
  entries_ = std::move(entries);
  return absl::OkStatus();
}

std::optional<std::vector<Scope>> IdentityMap::Lookup(const std::string& name) const {
  absl::MutexLock l(&mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

}  // namespace telemdb::auth
