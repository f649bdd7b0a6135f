#include "storage/crypto/key_ring.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/crypto/openssl_util.h"

namespace telemdb::storage::crypto {
namespace {

constexpr char kIdLabel[] = "telemdb key id v1";
constexpr char kCheckLabel[] = "telemdb key check v1";

}  // namespace

std::string KeyIdString(uint32_t id) { return absl::StrFormat("%08x", id); }

uint32_t KeyRing::DeriveId(std::string_view key) {
  std::string mac = HmacSha256(key, kIdLabel);
  const auto* b = reinterpret_cast<const unsigned char*>(mac.data());
  return static_cast<uint32_t>(b[0]) | static_cast<uint32_t>(b[1]) << 8 |
         static_cast<uint32_t>(b[2]) << 16 | static_cast<uint32_t>(b[3]) << 24;
}

std::string KeyRing::CheckValue(std::string_view key) { return HmacSha256(key, kCheckLabel); }

absl::StatusOr<std::shared_ptr<const KeyRing>> KeyRing::FromKeys(std::vector<Material> keys) {
  if (keys.empty()) return absl::InvalidArgumentError("no encryption key given");
  std::shared_ptr<KeyRing> ring(new KeyRing());
  for (auto& m : keys) {
    if (m.bytes.size() != kKeyBytes) {
      Cleanse(m.bytes.data(), m.bytes.size());
      return absl::InvalidArgumentError(absl::StrCat("encryption key ", m.source, " has ",
                                                     m.bytes.size(), " bytes; it must have 32"));
    }
    Key k;
    k.id = DeriveId(m.bytes);
    std::memcpy(k.bytes.data(), m.bytes.data(), kKeyBytes);
    Cleanse(m.bytes.data(), m.bytes.size());
    k.source = m.source;
    if (k.id == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "encryption key ", k.source, " derives the reserved key id 0; generate another key"));
    }
    const Key* same = ring->Find(k.id);
    if (same != nullptr) {
      if (same->bytes != k.bytes) {
        return absl::InvalidArgumentError(
            absl::StrCat("encryption keys ", same->source, " and ", k.source,
                         " derive the same key id ", KeyIdString(k.id), "; generate another key"));
      }
      Cleanse(k.bytes.data(), k.bytes.size());
      continue;  // the same key twice
    }
    ring->keys_.push_back(std::move(k));
  }
  return std::shared_ptr<const KeyRing>(std::move(ring));
}

absl::StatusOr<std::string> KeyRing::ReadKeyFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = absl::StrCat("cannot open encryption key file ", path, ": ", strerror(err));
    if (err == ENOENT) return absl::NotFoundError(msg);
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
    return absl::UnavailableError(msg);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot stat encryption key file ", path));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("encryption key file ", path, " is not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrFormat(
        "encryption key file %s has mode %04o; it must be readable by its owner only "
        "(chmod 600 %s)",
        path, st.st_mode & 07777, path));
  }
  std::string key(kKeyBytes + 1, '\0');
  size_t got = 0;
  while (got < key.size()) {
    ssize_t n = ::read(fd, key.data() + got, key.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got != kKeyBytes || st.st_size != static_cast<off_t>(kKeyBytes)) {
    Cleanse(key.data(), key.size());
    const bool hexlike = st.st_size == 64 || st.st_size == 65;
    return absl::InvalidArgumentError(
        absl::StrCat("encryption key file ", path, " has ", static_cast<int64_t>(st.st_size),
                     " bytes; it must hold exactly 32 raw bytes (head -c 32 /dev/urandom > key)",
                     hexlike ? "; it looks like hex text, which is not accepted" : ""));
  }
  key.resize(kKeyBytes);
  return key;
}

absl::StatusOr<std::shared_ptr<const KeyRing>> KeyRing::LoadFiles(
    const std::string& active_file, const std::vector<std::string>& old_files) {
  std::vector<Material> keys;
  auto cleanse_all = [&] {
    for (auto& m : keys) Cleanse(m.bytes.data(), m.bytes.size());
  };
  std::vector<std::string> files = {active_file};
  files.insert(files.end(), old_files.begin(), old_files.end());
  for (const auto& f : files) {
    auto key = ReadKeyFile(f);
    if (!key.ok()) {
      cleanse_all();
      return key.status();
    }
    keys.push_back({*std::move(key), f});
  }
  return FromKeys(std::move(keys));
}

KeyRing::~KeyRing() {
  for (auto& k : keys_) Cleanse(k.bytes.data(), k.bytes.size());
}

const Key* KeyRing::Find(uint32_t id) const {
  for (const auto& k : keys_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

}  // namespace telemdb::storage::crypto
