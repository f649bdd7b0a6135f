// RecordCipher: seals and opens WAL record payloads (authenticated encryption). An interface
// so that storage/wal/ knows nothing of OpenSSL; the implementation is GcmRecordCipher.
//
// Sealed payload layout (docs/security.md): nonce (12 bytes) | ciphertext | tag (16 bytes).
//
// Thread safety: implementations are thread-safe.
#ifndef TELEMDB_STORAGE_CRYPTO_RECORD_CIPHER_H_
#define TELEMDB_STORAGE_CRYPTO_RECORD_CIPHER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace telemdb::storage::crypto {

class RecordCipher {
 public:
  static constexpr size_t kNonceBytes = 12;
  static constexpr size_t kTagBytes = 16;
  static constexpr size_t kOverhead = kNonceBytes + kTagBytes;

  virtual ~RecordCipher() = default;

  // The id of the key Seal uses (never 0).
  virtual uint32_t active_key_id() const = 0;

  // Appends nonce | ciphertext | tag of `plaintext` to `out`, under the active key, with `aad`
  // authenticated too. Every call uses a fresh nonce. Errors: Internal (OpenSSL).
  virtual absl::Status Seal(std::string_view aad, std::string_view plaintext, std::string* out) = 0;

  // Replaces *plaintext with the payload `sealed` under key `key_id` with `aad`.
  // Errors: NotFound when no configured key has that id; DataLoss when authentication fails
  // (wrong position, modified bytes, or a sealed payload too short to hold nonce and tag).
  virtual absl::Status Open(uint32_t key_id, std::string_view aad, std::string_view sealed,
                            std::string* plaintext) const = 0;
};

}  // namespace telemdb::storage::crypto

#endif  // TELEMDB_STORAGE_CRYPTO_RECORD_CIPHER_H_
