// TokenRecord: the part of a bearer token that every node of a cluster shares, and its one
// serialized form (docs/format/token_record.md): the id, the hashes of the current and the
// previous secret, scopes, description, creation, expiry and revocation. What each node keeps
// for itself (last use, last peer, idle-expiry bookkeeping) is not in it.
//
// The serialized form travels between nodes (cluster/token_sync.cc puts it in a JetStream
// key-value bucket), so ParseTokenRecord treats it as untrusted input and checks every field.
//
// Thread safety: values and pure functions.
#ifndef TELEMDB_AUTH_TOKEN_RECORD_H_
#define TELEMDB_AUTH_TOKEN_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace telemdb::auth {

// The version written in field "v"; a reader refuses other versions.
inline constexpr int kTokenRecordVersion = 1;
// A serialized record longer than this is refused.
inline constexpr size_t kMaxTokenRecordBytes = 64 * 1024;
// The longest description a record may carry (what the admin front doors accept).
inline constexpr size_t kMaxTokenDescriptionBytes = 1024;

struct TokenRecord {
  std::string id;  // 12 characters of [a-z2-7]
  std::string description;
  std::vector<std::string> scopes;  // canonical scope texts, at least one
  int64_t created_ns = 0;           // > 0
  int64_t expires_ns = 0;           // 0: never
  bool revoked = false;
  std::string hash;                 // hex SHA-256 of the current secret (64 lowercase digits)
  std::string previous_hash;        // of the secret before the last rotation, or ""
  int64_t previous_expires_ns = 0;  // when the previous secret stops working

  bool operator==(const TokenRecord&) const = default;
};

// The record as compact JSON with sorted keys (the same record always gives the same bytes).
std::string SerializeTokenRecord(const TokenRecord& r);

// Parses and checks a serialized record. Errors: InvalidArgument naming the field and what
// is wrong with it (not JSON, another version, an unknown or missing field, a wrong type, an
// id, hash or scope that is malformed, a negative time, a description or record too long).
absl::StatusOr<TokenRecord> ParseTokenRecord(std::string_view text);

// True when `id` has the shape of a token id (12 characters of [a-z2-7]).
bool IsTokenId(std::string_view id);

}  // namespace telemdb::auth

#endif  // TELEMDB_AUTH_TOKEN_RECORD_H_
