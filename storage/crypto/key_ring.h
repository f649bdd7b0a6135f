// KeyRing: the encryption keys of a database (docs/security.md, "Encryption at rest"). One key
// is active (new files and WAL records are written with it); the others are only read, so
// data written under them stays readable until `Db::Rekey` has moved it to the active key.
//
// A key file holds exactly 32 random bytes (`head -c 32 /dev/urandom > telemdb.key`), must be
// readable by its owner only (mode 0600 or 0400) and must live outside the data directory.
// A key's id is derived from the key itself: the first 4 bytes (little-endian) of
// HMAC-SHA256(key, "telemdb key id v1"), so nobody has to number keys and an id can never be
// attached to the wrong key. Id 0 means "plaintext" and is never a key's id.
//
// Thread safety: immutable after creation; share it freely (std::shared_ptr<const KeyRing>).
// Key bytes are wiped when the ring is destroyed.
#ifndef TELEMDB_STORAGE_CRYPTO_KEY_RING_H_
#define TELEMDB_STORAGE_CRYPTO_KEY_RING_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace telemdb::storage::crypto {

struct Key {
  uint32_t id = 0;
  std::array<unsigned char, 32> bytes{};
  std::string source;  // the key file's path (for messages), or a label for in-memory keys
};

// The key's bytes as a string_view.
inline std::string_view KeyBytes(const Key& k) {
  return std::string_view(reinterpret_cast<const char*>(k.bytes.data()), k.bytes.size());
}

// The key id as printed in messages and KEYCHECK: 8 lower-case hex digits.
std::string KeyIdString(uint32_t id);

class KeyRing {
 public:
  struct Material {
    std::string bytes;   // exactly 32 bytes
    std::string source;  // for messages
  };
  // The first key is active. A key given twice is kept once. Errors: InvalidArgument for a
  // key that is not 32 bytes, for two different keys with the same id, or for a key whose
  // derived id is 0 (generate another key).
  static absl::StatusOr<std::shared_ptr<const KeyRing>> FromKeys(std::vector<Material> keys);

  // Reads the active key file and older ones (see ReadKeyFile).
  static absl::StatusOr<std::shared_ptr<const KeyRing>> LoadFiles(
      const std::string& active_file, const std::vector<std::string>& old_files);

  // Reads one key file. Errors: FailedPrecondition when the file's mode lets anyone but its
  // owner read it (the message names the file and its mode), InvalidArgument when it is not
  // a regular file of exactly 32 bytes, NotFound/PermissionDenied when it cannot be opened.
  static absl::StatusOr<std::string> ReadKeyFile(const std::string& path);

  // The derived id of `key` (32 bytes) and its key-check value (32 bytes,
  // HMAC-SHA256(key, "telemdb key check v1")), which proves a key without revealing it.
  static uint32_t DeriveId(std::string_view key);
  static std::string CheckValue(std::string_view key);

  ~KeyRing();
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  const Key& active() const { return keys_.front(); }
  // nullptr when no key has this id.
  const Key* Find(uint32_t id) const;
  const std::vector<Key>& keys() const { return keys_; }

 private:
  KeyRing() = default;
  std::vector<Key> keys_;
};

}  // namespace telemdb::storage::crypto

#endif  // TELEMDB_STORAGE_CRYPTO_KEY_RING_H_
