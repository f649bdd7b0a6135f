#include "storage/crypto/aes_ctr_provider.h"

#include <openssl/evp.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "rocksdb/env_encryption.h"
#include "storage/crypto/openssl_util.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace telemdb::storage::crypto {
namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// counter += blocks, as a 128-bit big-endian integer (mod 2^128).
void AddToCounter(unsigned char* ctr, uint64_t blocks) {
  unsigned carry = 0;
  for (int i = 15; i >= 0; i--) {
    unsigned sum = ctr[i] + static_cast<unsigned>(blocks & 0xff) + carry;
    ctr[i] = static_cast<unsigned char>(sum);
    carry = sum >> 8;
    blocks >>= 8;
    if (blocks == 0 && carry == 0) break;
  }
}

// rocksdb::Status from a failed crypto call. Called from RocksDB threads: no throw.
rocksdb::Status ToRocks(const absl::Status& s) {
  if (s.ok()) return rocksdb::Status::OK();
  std::string msg(s.message());
  if (absl::IsDataLoss(s)) return rocksdb::Status::Corruption(msg);
  if (absl::IsNotFound(s) || absl::IsFailedPrecondition(s) || absl::IsInvalidArgument(s)) {
    return rocksdb::Status::InvalidArgument(msg);
  }
  return rocksdb::Status::IOError(msg);
}

class AesCtrStream : public rocksdb::BlockAccessCipherStream {
 public:
  AesCtrStream(const Key& key, const FilePrefix& prefix) : key_(key), counter0_(prefix.counter0) {}
  ~AesCtrStream() override { Cleanse(key_.bytes.data(), key_.bytes.size()); }

  size_t BlockSize() override { return 16; }
  rocksdb::Status Encrypt(uint64_t offset, char* data, size_t n) override {
    return ToRocks(AesCtrXor(key_, counter0_, offset, data, n));
  }
  rocksdb::Status Decrypt(uint64_t offset, char* data, size_t n) override {
    return ToRocks(AesCtrXor(key_, counter0_, offset, data, n));
  }

 protected:
  void AllocateScratch(std::string&) override {}
  rocksdb::Status EncryptBlock(uint64_t index, char* data, char*) override {
    return Encrypt(index * 16, data, 16);
  }
  rocksdb::Status DecryptBlock(uint64_t index, char* data, char*) override {
    return Decrypt(index * 16, data, 16);
  }

 private:
  Key key_;
  const std::array<unsigned char, 16> counter0_;
};

// The stream of a file cut short before its prefix was complete (a crash right after the
// file was created): such a file holds no data, so any non-empty read or write is an error.
class TruncatedFileStream : public rocksdb::BlockAccessCipherStream {
 public:
  explicit TruncatedFileStream(std::string fname) : fname_(std::move(fname)) {}
  size_t BlockSize() override { return 16; }
  rocksdb::Status Encrypt(uint64_t, char*, size_t n) override { return Check(n); }
  rocksdb::Status Decrypt(uint64_t, char*, size_t n) override { return Check(n); }

 protected:
  void AllocateScratch(std::string&) override {}
  rocksdb::Status EncryptBlock(uint64_t, char*, char*) override { return Check(16); }
  rocksdb::Status DecryptBlock(uint64_t, char*, char*) override { return Check(16); }

 private:
  rocksdb::Status Check(size_t n) const {
    if (n == 0) return rocksdb::Status::OK();
    return rocksdb::Status::Corruption(
        absl::StrCat(fname_, ": encrypted file ends inside its encryption prefix"));
  }
  std::string fname_;
};

class AesCtrProvider : public rocksdb::EncryptionProvider {
 public:
  explicit AesCtrProvider(std::shared_ptr<const KeyRing> keys) : keys_(std::move(keys)) {}

  const char* Name() const override { return "TelemdbAes256CtrProvider"; }
  size_t GetPrefixLength() const override { return kPrefixBytes; }

  rocksdb::Status CreateNewPrefix(const std::string&, char* prefix, size_t length) const override {
    if (length < kPrefixBytes) return rocksdb::Status::InvalidArgument("prefix buffer too small");
    FilePrefix p;
    p.key_id = keys_->active().id;
    absl::Status s = RandomBytes(p.counter0.data(), p.counter0.size());
    if (!s.ok()) return ToRocks(s);
    std::memset(prefix, 0, length);
    EncodeFilePrefix(p, prefix);
    return rocksdb::Status::OK();
  }

  rocksdb::Status AddCipher(const std::string&, const char*, size_t, bool) override {
    return rocksdb::Status::NotSupported("keys come from telemdb's key ring");
  }

  rocksdb::Status CreateCipherStream(
      const std::string& fname, const rocksdb::EnvOptions&, rocksdb::Slice& prefix,
      std::unique_ptr<rocksdb::BlockAccessCipherStream>* result) override {
    if (prefix.size() < kPrefixBytes) {
      result->reset(new TruncatedFileStream(fname));
      return rocksdb::Status::OK();
    }
    auto p = ParseFilePrefix(std::string_view(prefix.data(), prefix.size()));
    if (!p.ok())
      return ToRocks(absl::DataLossError(absl::StrCat(fname, ": ", p.status().message())));
    const Key* key = keys_->Find(p->key_id);
    if (key == nullptr) {
      return rocksdb::Status::InvalidArgument(
          absl::StrCat(fname, " is encrypted with key id ", KeyIdString(p->key_id),
                       ", which is not among the configured keys (--encryption-old-key-file)"));
    }
    result->reset(new AesCtrStream(*key, *p));
    return rocksdb::Status::OK();
  }

 private:
  const std::shared_ptr<const KeyRing> keys_;
};

}  // namespace

void EncodeFilePrefix(const FilePrefix& p, char* out) {
  std::memset(out, 0, kPrefixHeaderBytes);
  std::memcpy(out, kPrefixMagic, sizeof kPrefixMagic);
  out[8] = static_cast<char>(kPrefixVersion);
  out[9] = static_cast<char>(kCipherAes256Ctr);
  EncodeFixed32(out + 12, p.key_id);
  std::memcpy(out + 16, p.counter0.data(), 16);
  EncodeFixed32(out + 32, crc32c::Value(out, 32));
}

absl::StatusOr<FilePrefix> ParseFilePrefix(std::string_view b) {
  if (b.size() < kPrefixHeaderBytes) {
    return absl::DataLossError(
        absl::StrCat("file of ", b.size(), " bytes is too short for an encryption prefix"));
  }
  if (std::memcmp(b.data(), kPrefixMagic, sizeof kPrefixMagic) != 0) {
    return absl::DataLossError("no telemdb encryption prefix (the file is not encrypted by us)");
  }
  if (DecodeFixed32(b.data() + 32) != crc32c::Value(b.data(), 32)) {
    return absl::DataLossError("encryption prefix fails its checksum");
  }
  if (static_cast<uint8_t>(b[8]) != kPrefixVersion ||
      static_cast<uint8_t>(b[9]) != kCipherAes256Ctr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "unsupported encryption prefix version ", static_cast<int>(static_cast<uint8_t>(b[8])),
        " cipher ", static_cast<int>(static_cast<uint8_t>(b[9]))));
  }
  FilePrefix p;
  p.key_id = DecodeFixed32(b.data() + 12);
  std::memcpy(p.counter0.data(), b.data() + 16, 16);
  return p;
}

absl::Status AesCtrXor(const Key& key, const std::array<unsigned char, 16>& counter0,
                       uint64_t offset, char* data, size_t n) {
  if (n == 0) return absl::OkStatus();
  unsigned char ctr[16];
  std::memcpy(ctr, counter0.data(), 16);
  AddToCounter(ctr, offset / 16);
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), Aes256Ctr(), key.bytes.data(), ctr, nullptr) != 1) {
    return OpenSslError("AES-256-CTR init");
  }
  int outl = 0;
  if (const size_t skip = offset % 16; skip > 0) {
    unsigned char junk[16] = {0};
    if (EVP_EncryptUpdate(ctx.get(), junk, &outl, junk, static_cast<int>(skip)) != 1) {
      return OpenSslError("AES-256-CTR");
    }
  }
  auto* p = reinterpret_cast<unsigned char*>(data);
  while (n > 0) {
    const int len = static_cast<int>(n < (1u << 30) ? n : (1u << 30));
    if (EVP_EncryptUpdate(ctx.get(), p, &outl, p, len) != 1) return OpenSslError("AES-256-CTR");
    p += len;
    n -= static_cast<size_t>(len);
  }
  return absl::OkStatus();
}

std::shared_ptr<rocksdb::EncryptionProvider> NewAesCtrProvider(
    std::shared_ptr<const KeyRing> keys) {
  return std::make_shared<AesCtrProvider>(std::move(keys));
}

}  // namespace telemdb::storage::crypto
