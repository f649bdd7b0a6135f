#include "auth/authenticator.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/audit_log.h"

namespace telemdb::auth {

namespace {
int TransportIndex(std::string_view t) {
  return t == "grpc" ? 0 : t == "http" ? 1 : t == "mqtt" ? 2 : 3;
}

std::array<unsigned char, 32> Sha256(std::string_view data) {
  std::array<unsigned char, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}
}  // namespace

uint64_t Authenticator::failures(std::string_view transport) const {
  return failures_[TransportIndex(transport)].load();
}

Authenticator::Authenticator(TokenStore* tokens, AuthenticatorOptions options, AuditLog* audit)
    : tokens_(tokens),
      options_(options),
      audit_(audit),
      throttle_(options.throttle),
      node_token_sha256_(Sha256(options.node_token)) {
  delay_thread_ = std::thread([this] { DelayLoop(); });
}

Authenticator::~Authenticator() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  delay_thread_.join();
}

absl::StatusOr<Identity> Authenticator::Authenticate(const Credentials& c) const {
  if (options_.disabled) return Identity::Superuser("anonymous");
  absl::StatusOr<Identity> id;
  if (!c.malformed.empty()) {
    id = absl::UnauthenticatedError(c.malformed);
  } else if (c.token && !options_.node_token.empty() && c.token->starts_with("tdbnode_")) {
    // Compared as hashes, so the time taken says nothing about the secret.
    if (CRYPTO_memcmp(node_token_sha256_.data(), Sha256(*c.token).data(), 32) == 0) {
      id = Identity{"cluster-node", Identity::Kind::kToken, {Scope{Scope::Kind::kAdmin, "", ""}}};
    } else {
      id = absl::UnauthenticatedError("invalid token");
    }
  } else if (c.token) {
    id = tokens_->Authenticate(*c.token, c.peer);
  } else if (c.certificate_name) {
    Identity cert;
    cert.name = "cert:" + *c.certificate_name;
    cert.kind = Identity::Kind::kCertificate;
    std::optional<std::vector<Scope>> mapped;
    if (options_.identity_map != nullptr)
      mapped = options_.identity_map->Lookup(*c.certificate_name);
    if (mapped) {
      cert.scopes = *mapped;
    } else {
      // The name is data, not a pattern: a CN of `*` must not write every device.
      cert.scopes = {Scope{Scope::Kind::kWrite, "device", EscapeGlob(*c.certificate_name)}};
    }
    id = std::move(cert);
  } else {
    id = absl::UnauthenticatedError(
        "no credential: send a bearer token (gRPC `authorization: Bearer <token>` metadata, "
        "HTTP `Authorization` header) or a client certificate");
  }
  if (!id.ok()) failures_[TransportIndex(c.transport)]++;
  if (!id.ok() && audit_ != nullptr) {
    audit_->RecordRepeated("auth.failure", c.peer, std::string(id.status().message()),
                           {{"transport", c.transport}});
  }
  return id;
}

void Authenticator::Reject(std::string_view peer, std::function<void()> finish) const {
  absl::Duration delay = throttle_.RecordFailure(peer, absl::Now());
  if (delay <= absl::ZeroDuration()) {
    finish();
    return;
  }
  {
    absl::MutexLock l(&mu_);
    // Each held answer is a call kept open; past this many, answer at once rather than hold
    // memory for a flood (the throttle still counts the failures).
    constexpr size_t kMaxHeld = 10'000;
    if (delayed_.size() < kMaxHeld) {
      delayed_.emplace(absl::Now() + delay, std::move(finish));
      return;
    }
  }
  finish();
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
