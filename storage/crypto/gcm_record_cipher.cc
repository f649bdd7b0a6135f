#include "storage/crypto/gcm_record_cipher.h"

#include <openssl/evp.h>

#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "storage/crypto/openssl_util.h"

namespace telemdb::storage::crypto {
namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

// EVP_*Update take int lengths: feed large inputs in pieces.
constexpr size_t kPiece = 1u << 30;

bool Update(EVP_CIPHER_CTX* ctx, bool encrypt, unsigned char* out, const unsigned char* in,
            size_t n) {
  while (n > 0) {
    int len = static_cast<int>(n < kPiece ? n : kPiece);
    int outl = 0;
    int ok = encrypt ? EVP_EncryptUpdate(ctx, out, &outl, in, len)
                     : EVP_DecryptUpdate(ctx, out, &outl, in, len);
    if (ok != 1) return false;
    if (out != nullptr) out += outl;
    in += len;
    n -= static_cast<size_t>(len);
  }
  return true;
}

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

absl::StatusOr<std::unique_ptr<GcmRecordCipher>> GcmRecordCipher::Create(
    std::shared_ptr<const KeyRing> keys) {
  std::unique_ptr<GcmRecordCipher> c(new GcmRecordCipher(std::move(keys)));
  absl::MutexLock l(&c->mu_);
  if (absl::Status s = RandomBytes(c->salt_.data(), c->salt_.size()); !s.ok()) return s;
  return c;
}

absl::Status GcmRecordCipher::SealWithNonce(const Key& key, const unsigned char* nonce,
                                            std::string_view aad, std::string_view plaintext,
                                            std::string* out) {
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), Aes256Gcm(), key.bytes.data(), nonce, nullptr) != 1) {
    return OpenSslError("AES-256-GCM init");
  }
  const size_t start = out->size();
  out->resize(start + kNonceBytes + plaintext.size() + kTagBytes);
  auto* p = reinterpret_cast<unsigned char*>(out->data() + start);
  std::memcpy(p, nonce, kNonceBytes);
  int outl = 0;
  if (!Update(ctx.get(), true, nullptr, U(aad), aad.size()) ||
      !Update(ctx.get(), true, p + kNonceBytes, U(plaintext), plaintext.size()) ||
      EVP_EncryptFinal_ex(ctx.get(), p + kNonceBytes + plaintext.size(), &outl) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          p + kNonceBytes + plaintext.size()) != 1) {
    out->resize(start);
    return OpenSslError("AES-256-GCM seal");
  }
  return absl::OkStatus();
}

absl::Status GcmRecordCipher::Seal(std::string_view aad, std::string_view plaintext,
                                   std::string* out) {
  unsigned char nonce[kNonceBytes];
  {
    absl::MutexLock l(&mu_);
    if (counter_ == UINT32_MAX) {
      if (absl::Status s = RandomBytes(salt_.data(), salt_.size()); !s.ok()) return s;
      counter_ = 0;
    }
    std::memcpy(nonce, salt_.data(), salt_.size());
    const uint32_t c = counter_++;
    for (int i = 0; i < 4; i++) nonce[8 + i] = static_cast<unsigned char>(c >> (24 - 8 * i));
  }
  return SealWithNonce(keys_->active(), nonce, aad, plaintext, out);
}

absl::Status GcmRecordCipher::Open(uint32_t key_id, std::string_view aad, std::string_view sealed,
                                   std::string* plaintext) const {
  const Key* key = keys_->Find(key_id);
  if (key == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("key id ", KeyIdString(key_id), " is not among the configured keys"));
  }
  if (sealed.size() < kOverhead) {
    return absl::DataLossError(
        absl::StrCat("sealed payload of ", sealed.size(), " bytes is shorter than nonce and tag"));
  }
  const size_t n = sealed.size() - kOverhead;
  const unsigned char* p = U(sealed);
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_DecryptInit_ex2(ctx.get(), Aes256Gcm(), key->bytes.data(), p, nullptr) != 1) {
    return OpenSslError("AES-256-GCM init");
  }
  plaintext->resize(n);
  auto* out = reinterpret_cast<unsigned char*>(plaintext->data());
  unsigned char tag[kTagBytes];
  std::memcpy(tag, p + kNonceBytes + n, kTagBytes);
  int outl = 0;
  if (!Update(ctx.get(), false, nullptr, U(aad), aad.size()) ||
      !Update(ctx.get(), false, out, p + kNonceBytes, n) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) != 1) {
    plaintext->clear();
    return OpenSslError("AES-256-GCM open");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out + n, &outl) != 1) {
    Cleanse(plaintext->data(), plaintext->size());
    plaintext->clear();
    return absl::DataLossError(absl::StrCat(
        "authentication failed (AES-256-GCM tag mismatch, key id ", KeyIdString(key_id), ")"));
  }
  return absl::OkStatus();
}

}  // namespace telemdb::storage::crypto
