#include "storage/crypto/at_rest.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rocksdb/env.h"
#include "rocksdb/env_encryption.h"
#include "rocksdb/file_system.h"
#include "storage/crypto/aes_ctr_provider.h"
#include "storage/crypto/gcm_record_cipher.h"
#include "storage/crypto/openssl_util.h"
#include "storage/wal/wal_format.h"
#include "storage/wal/wal_writer.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::storage::crypto {
namespace {

namespace fs = std::filesystem;

constexpr char kRekeyTmpSuffix[] = ".rekey.tmp";

// Up to `n` bytes from the start of `path` ("" when it cannot be read).
std::string ReadHead(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string out(n, '\0');
  in.read(out.data(), static_cast<std::streamsize>(n));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

bool StartsWithPrefixMagic(const std::string& path) {
  std::string head = ReadHead(path, sizeof kPrefixMagic);
  return head.size() == sizeof kPrefixMagic &&
         std::memcmp(head.data(), kPrefixMagic, sizeof kPrefixMagic) == 0;
}

std::vector<std::string> WalSegments(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir + "/wal", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    uint64_t n;
    if (wal::ParseSegmentName(it->path().filename().string(), &n)) out.push_back(it->path());
  }
  return out;
}

bool HasData(const std::string& dir) {
  std::error_code ec;
  return fs::exists(dir + "/rocksdb/CURRENT", ec) || !WalSegments(dir).empty();
}

// The key id of a WAL segment's first record, when it has a structurally valid one.
std::optional<uint32_t> FirstRecordKeyId(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char h[wal::kSegmentHeaderSize + wal::kRecordHeaderSize];
  if (!in.read(h, sizeof h)) return std::nullopt;
  const char* r = h + wal::kSegmentHeaderSize;
  const uint32_t len = DecodeFixed32(r + 4);
  if (len > wal::kMaxRecordPayload) return std::nullopt;
  std::string payload(len, '\0');
  if (!in.read(payload.data(), len)) return std::nullopt;
  uint32_t crc = crc32c::Extend(crc32c::Value(r + 4, wal::kRecordHeaderSize - 4), payload.data(),
                                payload.size());
  if (crc != DecodeFixed32(r)) return std::nullopt;
  return DecodeFixed32(r + 9);
}

// True when `inner` names a path inside directory `outer`.
bool IsInside(const std::string& inner, const std::string& outer) {
  char a[PATH_MAX], b[PATH_MAX];
  if (::realpath(inner.c_str(), a) == nullptr || ::realpath(outer.c_str(), b) == nullptr) {
    return false;
  }
  std::string dir = b;
  if (dir.back() != '/') dir.push_back('/');
  return absl::StartsWith(a, dir);
}

std::string WrongKeyMessage(const Key& key, uint32_t dir_id, bool several) {
  return absl::StrCat("encryption key ", key.source, " (key id ", KeyIdString(key.id),
                      ") does not match the key this data directory was written with (key id ",
                      KeyIdString(dir_id), ")",
                      several ? ", and neither does any older key given" : "",
                      ". To move the directory to a new key, give its current key too "
                      "(--encryption-old-key-file)");
}

}  // namespace

struct AtRest::Rep {
  std::shared_ptr<rocksdb::FileSystem> fs;
  std::unique_ptr<rocksdb::Env> env;
};

AtRest::AtRest(const AtRestOptions& o)
    : dir_(o.dir), keys_(o.keys), base_env_(o.base_env), rep_(std::make_unique<Rep>()) {}

AtRest::~AtRest() { StopRekey(); }

absl::StatusOr<std::unique_ptr<AtRest>> AtRest::Open(const AtRestOptions& options) {
  std::unique_ptr<AtRest> at(new AtRest(options));
  RETURN_IF_ERROR(at->Verify());
  if (!at->enabled()) return at;
  std::shared_ptr<rocksdb::FileSystem> base =
      options.base_env ? static_cast<rocksdb::Env*>(options.base_env)->GetFileSystem()
                       : rocksdb::FileSystem::Default();
  at->rep_->fs = rocksdb::NewEncryptedFS(base, NewAesCtrProvider(at->keys_));
  if (at->rep_->fs == nullptr) return absl::InternalError("cannot create RocksDB's encrypted FS");
  at->rep_->env = rocksdb::NewCompositeEnv(at->rep_->fs);
  ASSIGN_OR_RETURN(at->wal_cipher_, GcmRecordCipher::Create(at->keys_));
  Log(LogLevel::kInfo, "encryption.enabled",
      {{"key_id", KeyIdString(at->keys_->active().id)},
       {"keys", static_cast<uint64_t>(at->keys_->keys().size())}});
  return at;
}

void* AtRest::rocksdb_env() const { return enabled() ? rep_->env.get() : base_env_; }

absl::Status AtRest::Verify() {
  const std::string current = dir_ + "/rocksdb/CURRENT";
  ASSIGN_OR_RETURN(std::optional<KeyCheck> kc, ReadKeyCheck(dir_));
  if (!enabled()) {
    if (kc || StartsWithPrefixMagic(current)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", dir_, " is encrypted",
          kc ? absl::StrCat(" (key id ", KeyIdString(kc->active), ", see KEYCHECK)") : "",
          " but no encryption key is configured; start with --encryption-key-file"));
    }
    return absl::OkStatus();
  }
  for (const Key& k : keys_->keys()) {
    if (IsInside(k.source, dir_)) {
      return absl::InvalidArgumentError(absl::StrCat("encryption key file ", k.source,
                                                     " is inside the data directory ", dir_,
                                                     "; keys must live outside it"));
    }
  }
  bool write = false;
  if (!kc) {
    if (StartsWithPrefixMagic(current)) {
      // KEYCHECK was lost: CURRENT ("MANIFEST-<n>\n") still proves or disproves the key.
      std::string data = ReadHead(current, kPrefixBytes + 4096);
      auto prefix = ParseFilePrefix(data);
      if (!prefix.ok()) {
        return absl::DataLossError(absl::StrCat(current, ": ", prefix.status().message()));
      }
      const Key* key = keys_->Find(prefix->key_id);
      if (key == nullptr) {
        return absl::FailedPreconditionError(
            absl::StrCat(WrongKeyMessage(keys_->active(), prefix->key_id, keys_->keys().size() > 1),
                         " (", dir_, "/KEYCHECK is missing)"));
      }
      std::string body = data.substr(std::min(data.size(), kPrefixBytes));
      RETURN_IF_ERROR(AesCtrXor(*key, prefix->counter0, kPrefixBytes, body.data(), body.size()));
      if (!absl::StartsWith(body, "MANIFEST-") || !absl::EndsWith(body, "\n")) {
        return absl::FailedPreconditionError(
            absl::StrCat("encryption key ", key->source, " does not decrypt ", current, " (", dir_,
                         "/KEYCHECK is missing): wrong key or damaged file"));
      }
      Log(LogLevel::kWarning, "encryption.keycheck_recreated", {{"dir", dir_}});
    } else if (HasData(dir_)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", dir_,
          " holds unencrypted data but an encryption key is configured; "
          "encrypting an existing plaintext directory in place is not supported: start with "
          "the key on a new, empty data directory, or without --encryption-key-file"));
    }
    kc.emplace();
    kc->active = keys_->active().id;
    write = true;
  } else {
    for (const Key& k : keys_->keys()) {
      const std::string* check = kc->Find(k.id);
      if (check != nullptr && *check != KeyRing::CheckValue(KeyBytes(k))) {
        return absl::FailedPreconditionError(WrongKeyMessage(k, k.id, false));
      }
    }
    if (keys_->Find(kc->active) == nullptr) {
      return absl::FailedPreconditionError(
          WrongKeyMessage(keys_->active(), kc->active, keys_->keys().size() > 1));
    }
  }
  for (const Key& k : keys_->keys()) {
    if (kc->Find(k.id) == nullptr) {
      kc->keys.emplace_back(k.id, KeyRing::CheckValue(KeyBytes(k)));
      write = true;
    }
  }
  if (kc->active != keys_->active().id) {
    kc->active = keys_->active().id;
    write = true;
  }
  // Every file must be under a key we have: find out now rather than inside RocksDB.
  ASSIGN_OR_RETURN(KeyUsage usage, ScanKeyUsage(/*strict=*/true));
  for (const auto& [id, files] : usage.files_per_key) {
    if (keys_->Find(id) != nullptr) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        files, " files of data directory ", dir_, " are encrypted with key id ", KeyIdString(id),
        ", which is not among the configured keys; give that key with "
        "--encryption-old-key-file"));
  }
  if (write) RETURN_IF_ERROR(WriteKeyCheck(dir_, *kc));
  key_check_ = *std::move(kc);
  return absl::OkStatus();
}

absl::StatusOr<KeyUsage> AtRest::ScanKeyUsage(bool strict) const {
  KeyUsage usage;
  if (!enabled()) return usage;
  const uint32_t active = keys_->active().id;
  auto count = [&](uint32_t id, const std::string& path) {
    usage.files_per_key[id]++;
    if (id == active) return;
    usage.files_under_old_keys++;
    if (usage.old_key_files.size() < 20) usage.old_key_files.push_back(path);
  };
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir_ + "/rocksdb", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code fec;
    if (!it->is_regular_file(fec) || it->file_size(fec) < kPrefixHeaderBytes) continue;
    const std::string path = it->path();
    const std::string head = ReadHead(path, kPrefixHeaderBytes);
    if (head.size() < kPrefixHeaderBytes) continue;  // deleted meanwhile (compaction)
    auto prefix = ParseFilePrefix(head);
    if (!prefix.ok()) {
      if (!strict) continue;  // e.g. a file being created right now
      return absl::DataLossError(absl::StrCat(path, ": ", prefix.status().message()));
    }
    count(prefix->key_id, path);
  }
  for (const std::string& seg : WalSegments(dir_)) {
    if (auto id = FirstRecordKeyId(seg)) count(*id, seg);
  }
  return usage;
}

absl::Status AtRest::RewriteStaticFiles() {
  rocksdb::Env* env = rep_->env.get();
  const std::string dir = dir_ + "/rocksdb";
  const uint32_t active = keys_->active().id;
  std::vector<std::string> names;
  rocksdb::Status rs = env->GetChildren(dir, &names);
  if (!rs.ok())
    return absl::UnavailableError(absl::StrCat("rekey: list ", dir, ": ", rs.ToString()));
  bool changed = false;
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    if (absl::EndsWith(name, kRekeyTmpSuffix)) {  // left by an interrupted rekey
      (void)env->DeleteFile(path);
      continue;
    }
    // Files RocksDB writes once and never rewrites while open. (MANIFEST and CURRENT are
    // rewritten at every open, LOG is new at every open, SSTs by compaction.)
    const bool is_static =
        name == "IDENTITY" ||
        (absl::StartsWith(name, "OPTIONS-") && !absl::EndsWith(name, ".dbtmp")) ||
        absl::StartsWith(name, "LOG.old.");
    if (!is_static) continue;
    auto prefix = ParseFilePrefix(ReadHead(path, kPrefixHeaderBytes));
    if (!prefix.ok() || prefix->key_id == active) continue;
    std::string data;
    const std::string tmp = path + kRekeyTmpSuffix;
    rs = rocksdb::ReadFileToString(env, path, &data);
    if (rs.ok()) rs = rocksdb::WriteStringToFile(env, data, tmp, /*should_sync=*/true);
    if (rs.ok()) rs = env->RenameFile(tmp, path);
    Cleanse(data.data(), data.size());
    if (!rs.ok()) {
      return absl::UnavailableError(absl::StrCat("rekey: rewrite ", path, ": ", rs.ToString()));
    }
    changed = true;
  }
  if (changed) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      if (fd >= 0) ::close(fd);
      return absl::UnavailableError(absl::StrCat("rekey: fsync ", dir));
    }
    ::close(fd);
  }
  return absl::OkStatus();
}

absl::Status AtRest::Rekey(const std::function<absl::Status()>& compact) {
  if (!enabled()) {
    return absl::FailedPreconditionError("encryption at rest is off: there is nothing to rekey");
  }
  {
    absl::MutexLock l(&mu_);
    if (rekey_running_) return absl::FailedPreconditionError("a rekey is already running");
    rekey_running_ = true;
    rekey_state_ = "running";
  }
  return RunRekey(compact);
}

absl::Status AtRest::RunRekey(const std::function<absl::Status()>& compact) {
  Log(LogLevel::kInfo, "encryption.rekey_started", {{"key_id", KeyIdString(active_key_id())}});
  absl::Status s = compact();
  if (s.ok()) s = RewriteStaticFiles();
  if (s.ok()) {
    auto usage = ScanKeyUsage();
    if (!usage.ok()) {
      s = usage.status();
    } else if (usage->files_under_old_keys > 0) {
      s = absl::InternalError(absl::StrCat(
          usage->files_under_old_keys,
          " files are still under older keys: ", absl::StrJoin(usage->old_key_files, ", ")));
    }
  }
  absl::MutexLock l(&mu_);
  rekey_running_ = false;
  rekey_state_ = s.ok() ? "done" : absl::StrCat("failed: ", s.ToString());
  Log(s.ok() ? LogLevel::kInfo : LogLevel::kError, "encryption.rekey_finished",
      {{"key_id", KeyIdString(active_key_id())}, {"state", rekey_state_}});
  return s;
}

absl::Status AtRest::StartRekey(std::function<absl::Status()> compact) {
  if (!enabled()) {
    return absl::FailedPreconditionError("encryption at rest is off: there is nothing to rekey");
  }
  absl::MutexLock t(&thread_mu_);
  {
    absl::MutexLock l(&mu_);
    if (rekey_running_) return absl::OkStatus();
    rekey_running_ = true;
    rekey_state_ = "running";
  }
  if (rekey_thread_.joinable()) rekey_thread_.join();  // the previous one, finished
  rekey_thread_ = std::thread([this, compact = std::move(compact)] { (void)RunRekey(compact); });
  return absl::OkStatus();
}

void AtRest::StopRekey() {
  absl::MutexLock t(&thread_mu_);
  if (rekey_thread_.joinable()) rekey_thread_.join();
}

std::string AtRest::rekey_state() const {
  absl::MutexLock l(&mu_);
  return rekey_state_;
}

absl::Status AtRest::CopyKeyCheckTo(const std::string& dir) const {
  if (!enabled()) return absl::OkStatus();
  return WriteKeyCheck(dir, key_check_);
}

}  // namespace telemdb::storage::crypto
