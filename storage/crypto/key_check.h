// KEYCHECK: the small plaintext file `<data-dir>/KEYCHECK` that lets Db::Open tell a wrong or
// missing key before RocksDB reads a byte. It names the directory's active key id and, for
// every key the directory was ever written with, the key's check value
// HMAC-SHA256(key, "telemdb key check v1") — never a key. Text, one item per line:
//
//   # telemdb key check: which keys this data directory is encrypted with (no key material)
//   version 1
//   active 5d1c09e2
//   key 5d1c09e2 <64 hex digits: check value>
//   key 0a77f3b1 <64 hex digits: check value>
//
// Thread safety: functions over the caller's data; the file is replaced atomically.
#ifndef TELEMDB_STORAGE_CRYPTO_KEY_CHECK_H_
#define TELEMDB_STORAGE_CRYPTO_KEY_CHECK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace telemdb::storage::crypto {

inline constexpr char kKeyCheckFile[] = "KEYCHECK";

struct KeyCheck {
  uint32_t active = 0;
  std::vector<std::pair<uint32_t, std::string>> keys;  // key id -> 32-byte check value

  // The check value recorded for `id`, or nullptr.
  const std::string* Find(uint32_t id) const;
};

std::string EncodeKeyCheck(const KeyCheck& kc);
// Errors: DataLoss naming the line when the text is malformed.
absl::StatusOr<KeyCheck> ParseKeyCheck(std::string_view text);

// Reads `<dir>/KEYCHECK`; nullopt when it does not exist. Errors: DataLoss (malformed),
// Unavailable (I/O).
absl::StatusOr<std::optional<KeyCheck>> ReadKeyCheck(const std::string& dir);
// Replaces `<dir>/KEYCHECK` atomically and durably (temp file, fsync, rename, fsync dir).
absl::Status WriteKeyCheck(const std::string& dir, const KeyCheck& kc);

}  // namespace telemdb::storage::crypto

#endif  // TELEMDB_STORAGE_CRYPTO_KEY_CHECK_H_
