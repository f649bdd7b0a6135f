// AtRest: encryption at rest of one data directory (docs/security.md, "Encryption at rest").
// Db::Open creates one before anything else touches the directory. It
//   - checks the configured keys against `<dir>/KEYCHECK` (creating it for a new directory),
//     so a wrong, missing or unexpected key fails the open with a clear message instead of
//     garbage; an encrypted directory opened without a key and a plaintext directory opened
//     with one fail too (converting a plaintext directory in place is not supported);
//   - gives RocksDB an Env whose files are AES-256-CTR encrypted (aes_ctr_provider.h), and
//     the WAL a RecordCipher (AES-256-GCM, gcm_record_cipher.h);
//   - reports which files are still under older keys and runs a rekey.
// Without keys it only checks that the directory is not encrypted and hands the base Env on.
//
// Thread safety: thread-safe. Keep it alive until RocksDB and the WAL are closed.
#ifndef TELEMDB_STORAGE_CRYPTO_AT_REST_H_
#define TELEMDB_STORAGE_CRYPTO_AT_REST_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/crypto/key_check.h"
#include "storage/crypto/key_ring.h"
#include "storage/crypto/record_cipher.h"

namespace telemdb::storage::crypto {

struct AtRestOptions {
  std::string dir;                      // the data directory (exists). REQUIRED.
  std::shared_ptr<const KeyRing> keys;  // null: no encryption
  void* base_env = nullptr;             // rocksdb::Env* whose file system is wrapped; null: default
};

// Which keys the files of the data directory are under (RocksDB files by their prefix, WAL
// segments by their first record).
struct KeyUsage {
  std::map<uint32_t, uint64_t> files_per_key;
  uint64_t files_under_old_keys = 0;       // files whose key id is not the active one
  std::vector<std::string> old_key_files;  // their paths (the first 20)
};

class AtRest {
 public:
  // Errors: FailedPrecondition for a key that does not match the directory, a directory that
  // is encrypted without keys configured (or plaintext with keys), files under a key that is
  // not configured; InvalidArgument for a key file inside the data directory; DataLoss for a
  // damaged KEYCHECK; Unavailable for I/O errors.
  static absl::StatusOr<std::unique_ptr<AtRest>> Open(const AtRestOptions& options);
  ~AtRest();

  bool enabled() const { return keys_ != nullptr; }
  uint32_t active_key_id() const { return enabled() ? keys_->active().id : 0; }
  // The rocksdb::Env* for KvOptions::env (the base Env when encryption is off).
  void* rocksdb_env() const;
  // The WAL's cipher; null when encryption is off.
  RecordCipher* wal_cipher() const { return wal_cipher_.get(); }

  // Reads the prefix of every RocksDB file and the first record of every WAL segment. With
  // `strict` (at open), a RocksDB file without a valid prefix is DataLoss; otherwise (while
  // RocksDB works) files that vanish or are half-created are skipped.
  absl::StatusOr<KeyUsage> ScanKeyUsage(bool strict = false) const;

  // Moves everything to the active key: runs `compact` (Db::Compact: rotates and checkpoints
  // the WAL, rewrites every SST), then re-encrypts the small RocksDB files it never rewrites
  // (IDENTITY, OPTIONS-*, LOG.old.*), then checks that no file is left under an older key.
  // Blocking. Errors: FailedPrecondition when encryption is off or a rekey is running; the
  // first failure of a step otherwise; Internal when files remain under old keys (named).
  absl::Status Rekey(const std::function<absl::Status()>& compact);
  // Rekey on a background thread; progress in rekey_state(). OK if one is already running.
  absl::Status StartRekey(std::function<absl::Status()> compact);
  // Waits for a background rekey to finish (Db::Close calls it first).
  void StopRekey();
  // "" (none since open), "running", "done", or "failed: <why>".
  std::string rekey_state() const;

  // Writes this directory's KEYCHECK into `dir` (a snapshot). No-op when encryption is off.
  absl::Status CopyKeyCheckTo(const std::string& dir) const;

 private:
  struct Rep;
  explicit AtRest(const AtRestOptions& options);
  absl::Status Verify();
  absl::Status RewriteStaticFiles();
  // The rekey itself; REQUIRES: rekey_running_ was set by the caller. Clears it.
  absl::Status RunRekey(const std::function<absl::Status()>& compact);

  const std::string dir_;
  const std::shared_ptr<const KeyRing> keys_;
  void* const base_env_;
  std::unique_ptr<Rep> rep_;
  std::unique_ptr<RecordCipher> wal_cipher_;
  KeyCheck key_check_;

  mutable absl::Mutex mu_;
  bool rekey_running_ ABSL_GUARDED_BY(mu_) = false;
  std::string rekey_state_ ABSL_GUARDED_BY(mu_);
  std::thread rekey_thread_;  // joined by StopRekey
  absl::Mutex thread_mu_;     // guards rekey_thread_ (start and join)
};

}  // namespace telemdb::storage::crypto

#endif  // TELEMDB_STORAGE_CRYPTO_AT_REST_H_
