#include "server/auth/authenticator.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"

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

std::string PeerAddress(const std::string& peer) {
  size_t colon = peer.rfind(':');
  return colon == std::string::npos ? peer : peer.substr(0, colon);
}

Authenticator::Authenticator(TokenStore* tokens, AuthenticatorOptions options)
    : tokens_(tokens), options_(options) {
  delay_thread_ = std::thread([this] { DelayLoop(); });
}

Authenticator::~Authenticator() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  delay_thread_.join();
}

namespace {

// The identity of a verified client certificate, if the call has one.
std::optional<std::string> CertificateName(const grpc::ServerContextBase& ctx) {
  auto auth = ctx.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return std::nullopt;
  for (const auto& v : auth->FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME)) {
    if (!v.empty()) return std::string(v.data(), v.size());
  }
  for (const auto& v : auth->FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME)) {
    if (!v.empty()) return std::string(v.data(), v.size());
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<Identity> Authenticator::Authenticate(const grpc::ServerContextBase& ctx) const {
  if (options_.disabled) return Identity::Superuser("anonymous");
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  if (it != md.end()) {
    std::string value(it->second.data(), it->second.size());
    constexpr char kBearer[] = "Bearer ";
    if (value.size() <= sizeof(kBearer) - 1 ||
        value.compare(0, sizeof(kBearer) - 1, kBearer) != 0) {
      return absl::UnauthenticatedError(
          "malformed authorization metadata: expected `Bearer <token>`");
    }
    return tokens_->Authenticate(std::string_view(value).substr(sizeof(kBearer) - 1));
  }
  if (auto name = CertificateName(ctx)) {
    Identity id;
    id.name = "cert:" + *name;
    std::optional<std::vector<Scope>> mapped;
    if (options_.identity_map != nullptr) mapped = options_.identity_map->Lookup(*name);
    if (mapped) {
      id.scopes = *mapped;
    } else {
      id.scopes = {Scope{Scope::Kind::kWrite, "device", *name}};
    }
    return id;
  }
  return absl::UnauthenticatedError(
      "no credential: send `authorization: Bearer <token>` metadata or a client certificate");
}

absl::Duration Authenticator::RecordFailure(const std::string& peer) const {
  absl::MutexLock l(&mu_);
  const absl::Time now = absl::Now();
  auto [it, inserted] =
      peers_.try_emplace(peer, Peer{static_cast<double>(options_.failure_burst), now, 0});
  Peer& p = it->second;
  p.tokens =
      std::min<double>(options_.failure_burst,
                       p.tokens + absl::ToDoubleSeconds(now - p.updated) * options_.failure_rate);
  p.updated = now;
  if (p.tokens >= 1) {
    p.tokens -= 1;
    p.excess = 0;
    return absl::ZeroDuration();
  }
  p.excess = std::min(p.excess + 1, 20);
  absl::Duration d = absl::Milliseconds(100) * (1 << std::min(p.excess, 10));
  // Forget quiet peers now and then so the table stays small.
  if (peers_.size() > 10000) {
    for (auto i = peers_.begin(); i != peers_.end();) {
      auto cur = i++;
      if (now - cur->second.updated > absl::Minutes(10)) peers_.erase(cur);
    }
  }
  return std::min(d, options_.max_delay);
}

void Authenticator::Reject(const grpc::ServerContextBase& ctx, std::function<void()> finish) const {
  absl::Duration delay = RecordFailure(PeerAddress(ctx.peer()));
  if (delay <= absl::ZeroDuration()) {
    finish();
    return;
  }
  absl::MutexLock l(&mu_);
  delayed_.emplace(absl::Now() + delay, std::move(finish));
}

void Authenticator::DelayLoop() {
  while (true) {
    std::vector<std::function<void()>> due;
    {
      absl::MutexLock l(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::Milliseconds(20));
      const absl::Time now = absl::Now();
      while (!delayed_.empty() && (stop_ || delayed_.begin()->first <= now)) {
        due.push_back(std::move(delayed_.begin()->second));
        delayed_.erase(delayed_.begin());
      }
      if (stop_ && due.empty()) return;
    }
    for (auto& f : due) f();
  }
}

}  // namespace telemdb::auth
