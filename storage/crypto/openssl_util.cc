#include "storage/crypto/openssl_util.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "util/absl_compat.h"

namespace telemdb::storage::crypto {
namespace {

const EVP_CIPHER* Fetch(const char* name) {
  EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (c == nullptr) {
    std::fprintf(stderr, "telemdb: OpenSSL has no %s\n", name);
    std::abort();
  }
  return c;  // kept for the life of the process
}

}  // namespace

absl::Status OpenSslError(std::string_view what) {
  std::string msg = absl::StrCat("OpenSSL ", Sv(what), " failed");
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    absl::StrAppend(&msg, ": ", buf);
  }
  return absl::InternalError(msg);
}

const EVP_CIPHER* Aes256Ctr() {
  static const EVP_CIPHER* c = Fetch("AES-256-CTR");
  return c;
}

const EVP_CIPHER* Aes256Gcm() {
  static const EVP_CIPHER* c = Fetch("AES-256-GCM");
  return c;
}

absl::Status RandomBytes(void* out, size_t n) {
  if (n == 0) return absl::OkStatus();
  if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(n)) != 1) {
    return OpenSslError("RAND_bytes");
  }
  return absl::OkStatus();
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len);
  std::string result(reinterpret_cast<const char*>(out), len);
  OPENSSL_cleanse(out, sizeof out);
  return result;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

void Cleanse(void* p, size_t n) { OPENSSL_cleanse(p, n); }

}  // namespace telemdb::storage::crypto
