// The small file interface every WAL byte goes through, so tests can inject faults (failed
// writes, failed fsyncs, power cuts that drop what was never synced).
//
// Thread safety: a WalFs may be used from any thread; a WalFile from one thread at a time.
#ifndef TELEMDB_STORAGE_WAL_WAL_FILE_H_
#define TELEMDB_STORAGE_WAL_WAL_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace telemdb::storage::wal {

// An append-only file.
class WalFile {
 public:
  virtual ~WalFile() = default;
  // Errors: ResourceExhausted when the disk is full, Internal/Unavailable for other I/O errors.
  virtual absl::Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync). An error means nothing appended
  // since the last successful Sync may be durable, and the file must not be used again.
  virtual absl::Status Sync() = 0;
  virtual absl::Status Close() = 0;
  virtual uint64_t Size() const = 0;
  // Cuts the file back to `size` bytes (after a failed append) and appends from there.
  virtual absl::Status Truncate(uint64_t size) = 0;
};

// The directory operations the WAL needs.
class WalFs {
 public:
  virtual ~WalFs() = default;
  // Creates (truncating) a file for appending.
  virtual absl::StatusOr<std::unique_ptr<WalFile>> NewFile(const std::string& path) = 0;
  // Reads a whole file. Errors: NotFound, Internal.
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // File names (not paths) in `dir`, unsorted.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  virtual absl::Status CreateDir(const std::string& dir) = 0;
  virtual absl::Status DeleteFile(const std::string& path) = 0;
  // Cuts a file back to `size` bytes. Not durable until SyncFile(path).
  virtual absl::Status Truncate(const std::string& path, uint64_t size) = 0;
  // Makes a file's contents and size durable (fsync).
  virtual absl::Status SyncFile(const std::string& path) = 0;
  // Makes file creations and deletions in `dir` durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;

  // The real POSIX file system. Never null; lives forever.
  static WalFs* Default();
};

// Maps errno from a failed call on `path` to a Status (ENOSPC/EDQUOT/EFBIG -> ResourceExhausted).
absl::Status ErrnoToStatus(int err, std::string_view what, std::string_view path);

}  // namespace telemdb::storage::wal

#endif  // TELEMDB_STORAGE_WAL_WAL_FILE_H_
