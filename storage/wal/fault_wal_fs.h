// FaultWalFs: a WalFs over the real file system that remembers what was made durable, so
// tests can simulate a power cut, and can inject write and fsync failures.
//
// PowerCut() kills the "machine": from then on every operation fails with Unavailable and
// changes nothing. DropUnsynced() then rewrites the files as the disk would hold them after
// the power came back: each file cut back to its last synced size, optionally followed by a
// torn (random) part of what was written after it. Files whose creation was never made
// durable by SyncDir() disappear.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_STORAGE_WAL_FAULT_WAL_FS_H_
#define TELEMDB_STORAGE_WAL_FAULT_WAL_FS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "storage/wal/wal_file.h"

namespace telemdb::storage::wal {

class FaultWalFs : public WalFs {
 public:
  FaultWalFs();

  absl::StatusOr<std::unique_ptr<WalFile>> NewFile(const std::string& path) override;
  absl::StatusOr<std::string> ReadFile(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override;
  absl::Status CreateDir(const std::string& dir) override;
  absl::Status DeleteFile(const std::string& path) override;
  // A truncation is not durable until SyncFile: a power cut before it brings the cut bytes
  // back (what a real disk may do with a truncate that was never fsynced).
  absl::Status Truncate(const std::string& path, uint64_t size) override;
  absl::Status SyncFile(const std::string& path) override;
  absl::Status SyncDir(const std::string& dir) override;

  // --- Faults ---
  // Sync() reports success without making anything durable (a WAL that "skips" fsync);
  // tests use it to prove the power-cut test catches a missing fsync.
  void set_sync_is_noop(bool v);
  // The next `n` appends fail with ResourceExhausted (disk full) without writing.
  void FailAppends(int n);
  // The next `n` syncs fail with Unavailable (EIO).
  void FailSyncs(int n);

  void PowerCut();
  // REQUIRES: PowerCut() was called. `tear_seed` != 0 keeps a random prefix of each file's
  // unsynced tail and overwrites part of it with garbage.
  void DropUnsynced(uint64_t tear_seed = 0);
  // Brings the file system back to life (after DropUnsynced).
  void Revive();
  // Truncate() calls that cut durable bytes, so far.
  int truncations() const;

  // Called by files.
  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
    bool durable_entry = false;  // its directory entry survived a SyncDir
    // A truncation of durable bytes not yet synced: where, and the bytes it cut.
    uint64_t cut_at = 0;
    std::string cut_bytes;
  };
  absl::Status OnAppend(const std::string& path, std::string_view data, bool* do_write);
  absl::Status OnSync(const std::string& path);
  bool dead() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, FileState> files_ ABSL_GUARDED_BY(mu_);
  bool dead_ ABSL_GUARDED_BY(mu_) = false;
  bool sync_is_noop_ ABSL_GUARDED_BY(mu_) = false;
  int fail_appends_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_syncs_ ABSL_GUARDED_BY(mu_) = 0;
  int truncations_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace telemdb::storage::wal

#endif  // TELEMDB_STORAGE_WAL_FAULT_WAL_FS_H_
