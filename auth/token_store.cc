#include "auth/token_store.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "storage/db.h"
#include "util/absl_compat.h"
#include "util/status_macros.h"

namespace telemdb::auth {
namespace {

constexpr char kPrefix[] = "tdb_";
constexpr size_t kIdLen = 12;
constexpr size_t kSecretLen = 43;  // 32 random bytes in unpadded base64url
constexpr char kRecordPrefix[] = "token/";

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return absl::InternalError("OpenSSL RAND_bytes failed");
  }
  return out;
}

std::string Base64Url(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      out.push_back(kAlphabet[(acc >> (bits - 6)) & 63]);
      bits -= 6;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

std::string Base32Lower(const std::string& bytes, size_t len) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 5 && out.size() < len) {
      out.push_back(kAlphabet[(acc >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; i++) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

bool SameHash(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

absl::StatusOr<std::pair<std::string, std::string>> NewSecret() {
  ASSIGN_OR_RETURN(std::string raw, RandomBytes(32));
  std::string secret = Base64Url(raw);
  return std::make_pair(secret, Sha256Hex(secret));
}

}  // namespace

bool ParseToken(std::string_view token, std::string* id, std::string* secret) {
  const size_t p = sizeof(kPrefix) - 1;
  if (token.size() != p + kIdLen + 1 + kSecretLen || token.substr(0, p) != kPrefix ||
      token[p + kIdLen] != '_') {
    return false;
  }
  *id = std::string(token.substr(p, kIdLen));
  *secret = std::string(token.substr(p + kIdLen + 1));
  return true;
}

TokenStore::TokenStore(storage::Db* db, TokenStoreOptions options)
    : db_(db), options_(std::move(options)) {}

TokenStore::TokenStore(storage::Db* db, std::function<int64_t()> now) : db_(db) {
  options_.now = std::move(now);
}

int64_t TokenStore::Now() const {
  return options_.now ? options_.now() : absl::GetCurrentTimeNanos();
}

namespace {

// A name from the network in an error message: at most 64 bytes of it.
std::string Quoted(std::string_view s) {
  std::string out(s.substr(0, 64));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return absl::StrCat("\"", out, s.size() > 64 ? "...\"" : "\"");
}

bool HasAdmin(const std::vector<Scope>& scopes) {
  for (const auto& s : scopes) {
    if (s.kind == Scope::Kind::kAdmin) return true;
  }
  return false;
}

// ns since the epoch `from + d`, or an error when it cannot be stored: past year 9999, or
// (sooner) past the last instant int64 nanoseconds hold, 2262-04-11T23:47:16Z.
absl::StatusOr<int64_t> Deadline(int64_t from_ns, absl::Duration d, std::string_view what) {
  const absl::Time t = absl::FromUnixNanos(from_ns) + d;
  const absl::Time limit = std::min(absl::FromUnixSeconds(kMaxExpirySeconds),
                                    absl::FromUnixNanos(std::numeric_limits<int64_t>::max()));
  if (t >= limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        Sv(what), " ", absl::FormatDuration(d), " ends after ",
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", limit, absl::UTCTimeZone()),
        ", the latest expiry a token can have (year 9999 at most, and what int64 nanoseconds "
        "hold); give a shorter one, or 0 for never"));
  }
  return absl::ToUnixNanos(t);
}

}  // namespace

TokenRecord TokenStore::ToShared(const Record& r) {
  TokenRecord t;
  t.id = r.info.id;
  t.description = r.info.description;
  t.scopes = r.info.scopes;
  t.created_ns = r.info.created_ns;
  t.expires_ns = r.info.expires_ns;
  t.revoked = r.info.revoked;
  t.hash = r.hash;
  t.previous_hash = r.previous_hash;
  t.previous_expires_ns = r.previous_expires_ns;
  return t;
}

absl::Status TokenStore::Persist(const Record& r) {
  nlohmann::json j = {{"id", r.info.id},
                      {"description", r.info.description},
                      {"scopes", r.info.scopes},
                      {"created_ns", r.info.created_ns},
                      {"expires_ns", r.info.expires_ns},
                      {"last_used_ns", r.info.last_used_ns},
                      {"revoked", r.info.revoked},
                      {"hash", r.hash},
                      {"previous_hash", r.previous_hash},
                      {"previous_expires_ns", r.previous_expires_ns},
                      {"last_peer", r.info.last_peer}};
  return db_->PutMeta(absl::StrCat(kRecordPrefix, r.info.id), j.dump());
}

absl::Status TokenStore::Load() {
  ASSIGN_OR_RETURN(auto rows, db_->ScanMeta(kRecordPrefix));
  absl::MutexLock l(&mu_);
  tokens_.clear();
  for (const auto& [key, value] : rows) {
    auto j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("id") || !j.contains("hash")) {
      return absl::DataLossError(absl::StrCat("malformed token record ", key));
    }
    Record r;
    r.info.id = j.value("id", "");
    r.info.description = j.value("description", "");
    r.info.scopes = j.value("scopes", std::vector<std::string>());
    r.info.created_ns = j.value("created_ns", int64_t{0});
    r.info.expires_ns = j.value("expires_ns", int64_t{0});
    r.info.last_used_ns = j.value("last_used_ns", int64_t{0});
    r.info.revoked = j.value("revoked", false);
    r.hash = j.value("hash", "");
    r.previous_hash = j.value("previous_hash", "");
    r.previous_expires_ns = j.value("previous_expires_ns", int64_t{0});
    r.info.last_peer = j.value("last_peer", "");
    r.last_persisted_use_ns = r.info.last_used_ns;
    auto scopes = ParseScopes(r.info.scopes);
    if (!scopes.ok())
      return absl::DataLossError(
          absl::StrCat("token ", r.info.id, ": ", scopes.status().message()));
    r.scopes = *scopes;
    r.info.admin = HasAdmin(r.scopes);
    tokens_[r.info.id] = std::move(r);
  }
  return absl::OkStatus();
}

bool TokenStore::empty() const {
  absl::MutexLock l(&mu_);
  return tokens_.empty();
}

absl::StatusOr<CreatedToken> TokenStore::Create(
    const std::vector<std::string>& scopes, const std::string& description,
    absl::Duration expires_in,
    const std::function<absl::Status(const CreatedToken&)>& before_store) {
  if (scopes.empty()) return absl::InvalidArgumentError("a token needs at least one scope");
  if (expires_in < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("expiry must not be negative");
  }
  Record r;
  ASSIGN_OR_RETURN(r.scopes, ParseScopes(scopes));
  ASSIGN_OR_RETURN(std::string id_bytes, RandomBytes(8));
  r.info.id = Base32Lower(id_bytes, kIdLen);
  r.info.description = description;
  for (const auto& s : r.scopes) r.info.scopes.push_back(s.ToString());
  r.info.admin = HasAdmin(r.scopes);
  r.info.created_ns = Now();
  if (expires_in > absl::ZeroDuration()) {
    ASSIGN_OR_RETURN(r.info.expires_ns, Deadline(r.info.created_ns, expires_in, "lifetime"));
  }
  ASSIGN_OR_RETURN(auto secret, NewSecret());
  r.hash = secret.second;
  CreatedToken out{r.info, absl::StrCat(kPrefix, r.info.id, "_", secret.first)};
  absl::MutexLock change(&change_mu_);
  if (before_store) RETURN_IF_ERROR(before_store(out));
  RETURN_IF_ERROR(Persist(r));
  {
    absl::MutexLock l(&mu_);
    tokens_[r.info.id] = std::move(r);
  }
  Announce(out.info.id);
  return out;
}

absl::Status TokenStore::CheckUsable(Record& r, bool previous, int64_t now, bool* report_idle) {
  if (r.info.revoked) return absl::UnauthenticatedError("token revoked");
  if (r.info.expires_ns != 0 && now >= r.info.expires_ns) {
    return absl::UnauthenticatedError("token expired");
  }
  if (previous && now >= r.previous_expires_ns) {
    return absl::UnauthenticatedError("token expired (replaced by rotation)");
  }
  if (options_.idle_expiry > absl::ZeroDuration() &&
      (!r.info.admin || options_.idle_expiry_admin)) {
    const int64_t since = std::max(r.info.created_ns, r.info.last_used_ns);
    if (absl::Nanoseconds(now - since) > options_.idle_expiry) {
      *report_idle = !r.idle_reported;
      r.idle_reported = true;
      return absl::UnauthenticatedError(absl::StrCat(
          "token expired (unused for more than ", absl::FormatDuration(options_.idle_expiry), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Identity> TokenStore::Authenticate(std::string_view token, std::string_view peer) {
  std::string id, secret;
  if (!ParseToken(token, &id, &secret)) return absl::UnauthenticatedError("invalid token");
  const std::string hash = Sha256Hex(secret);
  const int64_t now = Now();
  bool persist = false;
  bool report_idle = false;
  Identity identity;
  absl::Status usable;
  {
    absl::MutexLock l(&mu_);
    auto it = tokens_.find(id);
    if (it == tokens_.end()) return absl::UnauthenticatedError("invalid token");
    Record& r = it->second;
    bool current = SameHash(hash, r.hash);
    bool previous = !current && !r.previous_hash.empty() && SameHash(hash, r.previous_hash);
    if (!current && !previous) return absl::UnauthenticatedError("invalid token");
    usable = CheckUsable(r, previous, now, &report_idle);
    if (usable.ok()) {
      r.info.last_used_ns = now;
      if (r.info.last_peer != Sv(peer)) r.info.last_peer = std::string(peer);
      // Persisted at most once a minute: a synced write per request would cost more than
      // the request.
      if (now - r.last_persisted_use_ns > 60'000'000'000LL) {
        r.last_persisted_use_ns = now;
        persist = true;
      }
      identity.name = r.info.id;
      identity.kind = Identity::Kind::kToken;
      identity.scopes = r.scopes;
    }
  }
  if (report_idle && options_.on_event) {
    options_.on_event(
        "token.expired_idle", id,
        absl::StrCat("unused for more than ", absl::FormatDuration(options_.idle_expiry)));
  }
  if (!usable.ok()) return usable;
  // Last use is best effort: skipped while a change is being made (and tried again a minute
  // later), so that authentication never waits for a change (which may wait for its hook).
  if (persist && change_mu_.TryLock()) {
    Record current;
    {
      absl::MutexLock l(&mu_);
      auto it = tokens_.find(id);
      if (it != tokens_.end()) current = it->second;
    }
    if (!current.info.id.empty()) (void)Persist(current);
    change_mu_.Unlock();
  }
  return identity;
}

std::vector<TokenInfo> TokenStore::List() const {
  absl::MutexLock l(&mu_);
  std::vector<TokenInfo> out;
  for (const auto& [id, r] : tokens_) out.push_back(r.info);
  std::sort(out.begin(), out.end(), [](const TokenInfo& a, const TokenInfo& b) {
    return a.created_ns != b.created_ns ? a.created_ns < b.created_ns : a.id < b.id;
  });
  return out;
}

absl::StatusOr<CreatedToken> TokenStore::Rotate(const std::string& id, absl::Duration overlap) {
  if (overlap < absl::ZeroDuration())
    return absl::InvalidArgumentError("overlap must not be negative");
  ASSIGN_OR_RETURN(auto secret, NewSecret());
  absl::MutexLock change(&change_mu_);
  Record copy;
  {
    absl::MutexLock l(&mu_);
    auto it = tokens_.find(id);
    if (it == tokens_.end()) return absl::NotFoundError(absl::StrCat("no token with id ", id));
    if (it->second.info.revoked) {
      return absl::FailedPreconditionError(absl::StrCat("token ", id, " is revoked"));
    }
    Record& r = it->second;
    ASSIGN_OR_RETURN(int64_t previous_expires, Deadline(Now(), overlap, "overlap"));
    r.previous_hash = r.hash;
    r.previous_expires_ns = previous_expires;
    r.hash = secret.second;
    copy = r;
  }
  RETURN_IF_ERROR(Persist(copy));
  Announce(id);
  return CreatedToken{copy.info, absl::StrCat(kPrefix, id, "_", secret.first)};
}

absl::Status TokenStore::Revoke(const std::string& id) {
  absl::MutexLock change(&change_mu_);
  Record copy;
  {
    absl::MutexLock l(&mu_);
    auto it = tokens_.find(id);
    if (it == tokens_.end()) return absl::NotFoundError(absl::StrCat("no token with id ", id));
    it->second.info.revoked = true;
    copy = it->second;
  }
  RETURN_IF_ERROR(Persist(copy));
  Announce(id);
  return absl::OkStatus();
}

void TokenStore::SetOnChange(ChangeHook hook) {
  absl::MutexLock l(&mu_);
  on_change_ = std::move(hook);
}

void TokenStore::Announce(const std::string& id) {
  ChangeHook hook;
  std::string record;
  {
    absl::MutexLock l(&mu_);
    auto it = tokens_.find(id);
    if (!on_change_ || it == tokens_.end()) return;
    hook = on_change_;
    record = SerializeTokenRecord(ToShared(it->second));
  }
  hook(id, record);
}

absl::Status TokenStore::Apply(std::string_view record, std::string_view key) {
  ASSIGN_OR_RETURN(TokenRecord in, ParseTokenRecord(record));
  if (!key.empty() && key != in.id) {
    return absl::InvalidArgumentError(
        absl::StrCat("token record for ", in.id, " arrived under key ", Quoted(key),
                     "; a token's record must be stored under its id"));
  }
  ASSIGN_OR_RETURN(std::vector<Scope> scopes, ParseScopes(in.scopes));
  in.scopes.clear();
  for (const auto& s : scopes) in.scopes.push_back(s.ToString());  // canonical, as Create
  absl::MutexLock change(&change_mu_);
  bool keep_revoked = false;
  Record copy;
  {
    absl::MutexLock l(&mu_);
    auto [it, fresh] = tokens_.try_emplace(in.id);
    Record& r = it->second;
    if (!fresh) {
      const TokenRecord have = ToShared(r);
      if (have == in) return absl::OkStatus();  // ours, coming back
      keep_revoked = have.revoked && !in.revoked;
    }
    if (!keep_revoked) {
      // Shared fields from the record; last use and idle bookkeeping stay this node's.
      r.info.id = in.id;
      r.info.description = in.description;
      r.info.scopes = in.scopes;
      r.info.created_ns = in.created_ns;
      r.info.expires_ns = in.expires_ns;
      r.info.revoked = in.revoked;
      r.info.admin = HasAdmin(scopes);
      r.scopes = std::move(scopes);
      r.hash = in.hash;
      r.previous_hash = in.previous_hash;
      r.previous_expires_ns = in.previous_expires_ns;
      copy = r;
    }
  }
  if (keep_revoked) {
    // Revoked wins; announce the revocation again so that the others learn it too.
    Announce(in.id);
    return absl::OkStatus();
  }
  return Persist(copy);
}

std::vector<std::pair<std::string, std::string>> TokenStore::SharedRecords() const {
  std::vector<std::pair<std::string, std::string>> out;
  {
    absl::MutexLock l(&mu_);
    for (const auto& [id, r] : tokens_) out.emplace_back(id, SerializeTokenRecord(ToShared(r)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace telemdb::auth
