// The one place OpenSSL meets telemdb: error translation, the cipher objects we use (fetched
// once, since OpenSSL 3 looks implicitly fetched ciphers up on every init), random bytes and
// HMAC-SHA256. Nothing here holds keys beyond a call.
//
// Thread safety: every function is thread-safe.
#ifndef TELEMDB_STORAGE_CRYPTO_OPENSSL_UTIL_H_
#define TELEMDB_STORAGE_CRYPTO_OPENSSL_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

typedef struct evp_cipher_st EVP_CIPHER;

namespace telemdb::storage::crypto {

inline constexpr size_t kKeyBytes = 32;  // AES-256

// The OpenSSL error queue (drained) after `what` failed, as Internal.
absl::Status OpenSslError(std::string_view what);

// AES-256-CTR and AES-256-GCM, fetched once for the life of the process. Never null (the
// process aborts at first use if OpenSSL lacks AES, which Debian's never does).
const EVP_CIPHER* Aes256Ctr();
const EVP_CIPHER* Aes256Gcm();

// Fills `out` with `n` bytes from OpenSSL's CSPRNG. Errors: Internal.
absl::Status RandomBytes(void* out, size_t n);

// HMAC-SHA256(key, message): 32 bytes.
std::string HmacSha256(std::string_view key, std::string_view message);

// Lower-case hex of `bytes`.
std::string Hex(std::string_view bytes);

// Overwrites `n` bytes at `p` with zeros in a way the compiler keeps.
void Cleanse(void* p, size_t n);

}  // namespace telemdb::storage::crypto

#endif  // TELEMDB_STORAGE_CRYPTO_OPENSSL_UTIL_H_
