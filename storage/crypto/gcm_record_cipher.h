// GcmRecordCipher: AES-256-GCM for WAL records (see record_cipher.h).
//
// Nonces are never random per record (random 96-bit nonces wear out after ~2^32 records per
// key): each is an 8-byte random salt followed by a 4-byte counter, and a fresh salt is drawn
// when the counter wraps. Two records share a nonce only if two salts collide (~2^-64 per
// pair), so one key can seal far more records than a WAL will ever hold.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_STORAGE_CRYPTO_GCM_RECORD_CIPHER_H_
#define TELEMDB_STORAGE_CRYPTO_GCM_RECORD_CIPHER_H_

#include <array>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/crypto/key_ring.h"
#include "storage/crypto/record_cipher.h"

namespace telemdb::storage::crypto {

class GcmRecordCipher : public RecordCipher {
 public:
  // REQUIRES: keys != nullptr. Errors: Internal when no random salt can be drawn.
  static absl::StatusOr<std::unique_ptr<GcmRecordCipher>> Create(
      std::shared_ptr<const KeyRing> keys);

  uint32_t active_key_id() const override { return keys_->active().id; }
  absl::Status Seal(std::string_view aad, std::string_view plaintext, std::string* out) override;
  absl::Status Open(uint32_t key_id, std::string_view aad, std::string_view sealed,
                    std::string* plaintext) const override;

  // Seal with a caller-chosen nonce: for known-answer tests only.
  static absl::Status SealWithNonce(const Key& key, const unsigned char* nonce,
                                    std::string_view aad, std::string_view plaintext,
                                    std::string* out);

 private:
  explicit GcmRecordCipher(std::shared_ptr<const KeyRing> keys) : keys_(std::move(keys)) {}

  const std::shared_ptr<const KeyRing> keys_;
  absl::Mutex mu_;
  std::array<unsigned char, 8> salt_ ABSL_GUARDED_BY(mu_){};
  uint32_t counter_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace telemdb::storage::crypto

#endif  // TELEMDB_STORAGE_CRYPTO_GCM_RECORD_CIPHER_H_
