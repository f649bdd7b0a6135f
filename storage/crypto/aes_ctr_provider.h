// AesCtrProvider: RocksDB's EncryptionProvider (rocksdb/env_encryption.h) done with real
// AES-256-CTR from OpenSSL. RocksDB's encrypted file system asks it for a prefix at the start
// of every new file and for a cipher stream per opened file; it then encrypts every byte
// after the prefix at its file offset, so random reads stay random.
//
// File prefix (the first kPrefixBytes = 4096 bytes of every file RocksDB writes; one page, so
// data stays page-aligned on disk):
//
//   offset  size  field
//        0     8  magic "TMDBENC1"
//        8     1  version (1)
//        9     1  cipher (1 = AES-256-CTR)
//       10     2  reserved (0)
//       12     4  key id (u32 LE): the key this file is encrypted with
//       16    16  initial counter block, random per file
//       32     4  crc32c (LE) of bytes [0, 32)
//       36  4060  zero
//
// The byte at file offset `o` (>= 4096) is XORed with AES-256(key, counter0 + o/16)[o%16],
// the counter being the 16-byte block read as a big-endian integer (mod 2^128), exactly as
// OpenSSL's CTR mode counts.
//
// Thread safety: the provider and its streams are thread-safe.
#ifndef TELEMDB_STORAGE_CRYPTO_AES_CTR_PROVIDER_H_
#define TELEMDB_STORAGE_CRYPTO_AES_CTR_PROVIDER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "storage/crypto/key_ring.h"

namespace rocksdb {
class EncryptionProvider;
}

namespace telemdb::storage::crypto {

inline constexpr size_t kPrefixBytes = 4096;
inline constexpr size_t kPrefixHeaderBytes = 36;  // the part of the prefix that is not zero
inline constexpr char kPrefixMagic[8] = {'T', 'M', 'D', 'B', 'E', 'N', 'C', '1'};
inline constexpr uint8_t kPrefixVersion = 1;
inline constexpr uint8_t kCipherAes256Ctr = 1;

struct FilePrefix {
  uint32_t key_id = 0;
  std::array<unsigned char, 16> counter0{};
};

// Writes a prefix for `p` into out[0, kPrefixBytes).
void EncodeFilePrefix(const FilePrefix& p, char* out);
// Parses a prefix from the first bytes of a file. Errors: DataLoss when it is too short, does
// not start with the magic (a file we did not encrypt) or fails its checksum;
// FailedPrecondition for an unknown version or cipher.
absl::StatusOr<FilePrefix> ParseFilePrefix(std::string_view bytes);

// XORs `data` (at file offset `offset`) with the AES-256-CTR key stream of (key, counter0).
// Encryption and decryption are the same operation. Errors: Internal (OpenSSL).
absl::Status AesCtrXor(const Key& key, const std::array<unsigned char, 16>& counter0,
                       uint64_t offset, char* data, size_t n);

// The provider for RocksDB's NewEncryptedFS. New files use keys->active(); existing files are
// read with the key their prefix names.
std::shared_ptr<rocksdb::EncryptionProvider> NewAesCtrProvider(std::shared_ptr<const KeyRing> keys);

}  // namespace telemdb::storage::crypto

#endif  // TELEMDB_STORAGE_CRYPTO_AES_CTR_PROVIDER_H_
