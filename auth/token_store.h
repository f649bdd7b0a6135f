// TokenStore: bearer tokens (API keys) with scopes, kept in the database as SHA-256 hashes.
//
// A token is `tdb_<id>_<secret>`: a 12-character id ([a-z2-7]) that names it in lists and
// logs, and a 256-bit random secret in base64url (43 characters). Only the hash of the secret
// is stored; the whole token is shown once, at creation or rotation. Every character is in
// [A-Za-z0-9_-].
//
// In a cluster every node keeps its own store, and the stores share their records
// (auth/token_record.h) through a change hook (SetOnChange) and Apply, which carry no
// transport: cluster/token_sync.cc connects them to a JetStream bucket (docs/cluster.md).
//
// Thread safety: thread-safe. Changes (Create, Rotate, Revoke, Apply) are serialized and
// persisted in the order they take effect; Authenticate never waits for one.
#ifndef TELEMDB_AUTH_TOKEN_STORE_H_
#define TELEMDB_AUTH_TOKEN_STORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/scopes.h"
#include "auth/token_record.h"

namespace telemdb::storage {
class Db;
}

namespace telemdb::auth {

struct TokenInfo {
  std::string id;
  std::string description;
  std::vector<std::string> scopes;
  int64_t created_ns = 0;
  int64_t expires_ns = 0;    // 0: never
  int64_t last_used_ns = 0;  // 0: never used
  bool revoked = false;
  std::string last_peer;  // address of the last use ("" when never used)
  bool admin = false;     // holds the admin scope
};

struct CreatedToken {
  TokenInfo info;
  std::string token;  // the full secret token: shown once, never stored
};

struct TokenStoreOptions {
  // Tokens not used for this long stop working ("token expired (unused for ...)"; audited
  // once as `token.expired_idle`). Idle time counts from the last use, or from creation for
  // a token never used. Zero: off. Default: off (--token-idle-expiry).
  absl::Duration idle_expiry = absl::ZeroDuration();
  // Apply idle_expiry to tokens with the admin scope too. Default: false
  // (--token-idle-expiry-admin).
  bool idle_expiry_admin = false;
  // ns since the epoch. Default: the real clock.
  std::function<int64_t()> now;
  // Told about events worth auditing (`token.expired_idle`): (event, token id, details).
  // Default: none.
  std::function<void(const std::string&, const std::string&, const std::string&)> on_event;
};

// The latest instant a lifetime may reach: 9999-12-31T23:59:59Z.
inline constexpr int64_t kMaxExpirySeconds = 253402300799;

class TokenStore {
 public:
  explicit TokenStore(storage::Db* db, TokenStoreOptions options = {});
  // Kept for tests: a store with a fake clock.
  TokenStore(storage::Db* db, std::function<int64_t()> now);

  // Loads every token. Errors: DataLoss for malformed records.
  absl::Status Load();
  bool empty() const;

  // Errors: InvalidArgument for bad scopes, a negative expiry or one past year 9999.
  // `before_store`, when given, runs with the new token before it is stored and can veto it
  // (its error is returned and nothing is stored): the first-start token is stored only once
  // its file is written, so a failed write never locks the operator out.
  absl::StatusOr<CreatedToken> Create(
      const std::vector<std::string>& scopes, const std::string& description,
      absl::Duration expires_in,
      const std::function<absl::Status(const CreatedToken&)>& before_store = {});
  // Checks a presented token, from `peer` (recorded as the token's last use). Errors:
  // Unauthenticated ("invalid token", "token expired", "token revoked", "token expired
  // (unused for ...)"); never says whether an id exists.
  absl::StatusOr<Identity> Authenticate(std::string_view token, std::string_view peer = "");
  std::vector<TokenInfo> List() const;
  // A new secret for token `id`; the old one stays valid for `overlap`, then stops working.
  // Errors: NotFound.
  absl::StatusOr<CreatedToken> Rotate(const std::string& id, absl::Duration overlap);
  // Errors: NotFound.
  absl::Status Revoke(const std::string& id);

  // Told (id, SerializeTokenRecord form) after a Create, Rotate or Revoke is persisted here,
  // and when Apply keeps a revoked record over an incoming one that is not (so the revocation
  // is announced again); never for a last-use update or a record Apply takes. Called on the
  // changing thread, with changes serialized: it may block (it delays the next change, not
  // authentication) and must not call back into this store's change methods. Replaces the
  // previous hook; an empty function removes it. Default: none.
  using ChangeHook = std::function<void(const std::string& id, const std::string& record)>;
  void SetOnChange(ChangeHook hook);

  // Takes a record that changed elsewhere (SerializeTokenRecord form; `key`, when not
  // empty, is the name it arrived under and must be its id), and persists it, keeping this
  // node's last use. A revoked token stays revoked: a record that is not revoked does not
  // replace a revoked one (the hook is told the revoked one instead). Otherwise the record
  // replaces what this store has: among records that are not revoked, the last applied wins.
  // Errors: InvalidArgument for a malformed record (naming the field) or a key that is not
  // its id; errors of the database.
  absl::Status Apply(std::string_view record, std::string_view key = "");

  // Every token's shared record: (id, SerializeTokenRecord form), by id.
  std::vector<std::pair<std::string, std::string>> SharedRecords() const;

 private:
  struct Record {
    TokenInfo info;
    std::vector<Scope> scopes;
    std::string hash;           // hex SHA-256 of the current secret
    std::string previous_hash;  // of the secret before the last rotation
    int64_t previous_expires_ns = 0;
    int64_t last_persisted_use_ns = 0;
    bool idle_reported = false;
  };
  static TokenRecord ToShared(const Record& r);
  absl::Status Persist(const Record& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);
  // Tells the hook about token `id`'s current record. REQUIRES: change_mu_ held, mu_ not.
  void Announce(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);
  int64_t Now() const;
  // Why the token is unusable now (expired, revoked, idle), or OK.
  absl::Status CheckUsable(Record& r, bool previous, int64_t now, bool* report_idle)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::Db* db_;
  TokenStoreOptions options_;
  // Serializes changes and their persisting (taken before mu_): the database always ends
  // with the record memory has. Authenticate takes it only to persist a last use, and then
  // only when it is free.
  absl::Mutex change_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Record> tokens_ ABSL_GUARDED_BY(mu_);
  ChangeHook on_change_ ABSL_GUARDED_BY(mu_);
};

// Splits `tdb_<id>_<secret>`; false when malformed.
bool ParseToken(std::string_view token, std::string* id, std::string* secret);

}  // namespace telemdb::auth

#endif  // TELEMDB_AUTH_TOKEN_STORE_H_
