// TokenStore: bearer tokens (API keys) with scopes, kept in the database as SHA-256 hashes.
//
// A token is `tdb_<id>_<secret>`: a 12-character id ([a-z2-7]) that names it in lists and
// logs, and a 256-bit random secret in base64url (43 characters). Only the hash of the secret
// is stored; the whole token is shown once, at creation or rotation. Every character is in
// [A-Za-z0-9_-].
//
// Thread safety: thread-safe.
#ifndef TELEMDB_SERVER_AUTH_TOKEN_STORE_H_
#define TELEMDB_SERVER_AUTH_TOKEN_STORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/auth/scopes.h"

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
};

struct CreatedToken {
  TokenInfo info;
  std::string token;  // the full secret token: shown once, never stored
};

class TokenStore {
 public:
  // `now` returns ns since the epoch. Default: the real clock.
  explicit TokenStore(storage::Db* db, std::function<int64_t()> now = {});

  // Loads every token. Errors: DataLoss for malformed records.
  absl::Status Load();
  bool empty() const;

  // Errors: InvalidArgument for bad scopes or a negative expiry.
  absl::StatusOr<CreatedToken> Create(const std::vector<std::string>& scopes,
                                      const std::string& description, absl::Duration expires_in);
  // Checks a presented token. Errors: Unauthenticated ("invalid token", "token expired",
  // "token revoked"); never says whether an id exists.
  absl::StatusOr<Identity> Authenticate(std::string_view token);
  std::vector<TokenInfo> List() const;
  // A new secret for token `id`; the old one stays valid for `overlap`, then stops working.
  // Errors: NotFound.
  absl::StatusOr<CreatedToken> Rotate(const std::string& id, absl::Duration overlap);
  // Errors: NotFound.
  absl::Status Revoke(const std::string& id);

 private:
  struct Record {
    TokenInfo info;
    std::vector<Scope> scopes;
    std::string hash;           // hex SHA-256 of the current secret
    std::string previous_hash;  // of the secret before the last rotation
    int64_t previous_expires_ns = 0;
    int64_t last_persisted_use_ns = 0;
  };
  absl::Status Persist(const Record& r);
  int64_t Now() const;

  storage::Db* db_;
  std::function<int64_t()> now_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Record> tokens_ ABSL_GUARDED_BY(mu_);
};

// Splits `tdb_<id>_<secret>`; false when malformed.
bool ParseToken(std::string_view token, std::string* id, std::string* secret);

}  // namespace telemdb::auth

#endif  // TELEMDB_SERVER_AUTH_TOKEN_STORE_H_
