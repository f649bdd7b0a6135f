// CommitLog: group commit over the WAL. Writers submit framed records; one log thread writes
// every pending record with one write, makes them durable with one fdatasync (shared by all
// SYNC writers of the group), then runs each record's apply step in log order, then wakes the
// writers. ASYNC writers are woken after the write(2) and covered by a periodic fsync.
//
// Ordering: apply steps run on the log thread in exactly the order of the records in the
// WAL, so the state in memory equals the state replay rebuilds.
//
// Failure: a failed write or fsync fails every request of its group and breaks the log for
// good (later submits fail with Unavailable) — an fsync error is never retried as if the data
// were safe. A write that failed for lack of space is cut off the segment (so no torn record
// remains) and the log keeps working: the writer gets ResourceExhausted and may retry later.
//
// Thread safety: Submit() from any thread; the rest from the owner.
#ifndef TELEMDB_STORAGE_COMMIT_LOG_H_
#define TELEMDB_STORAGE_COMMIT_LOG_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/wal/wal_file.h"
#include "util/histogram.h"

namespace telemdb::storage {

namespace wal {
class WalWriter;
}
namespace crypto {
class RecordCipher;
}

struct CommitLogOptions {
  std::string dir;             // the WAL directory
  wal::WalFs* fs = nullptr;    // REQUIRES: not null
  uint64_t first_segment = 1;  // segment number to create
  uint64_t segment_bytes = 64ull << 20;
  absl::Duration async_sync_interval = absl::Milliseconds(100);
  // Seals every record (encryption at rest); not owned, outlives the log. Default: none.
  crypto::RecordCipher* cipher = nullptr;
  // Called on the log thread between "WAL synced" and apply (test hook). Default: none.
  std::function<void()> after_sync_hook;
};

class CommitLog {
 public:
  static absl::StatusOr<std::unique_ptr<CommitLog>> Open(const CommitLogOptions& options);
  ~CommitLog();  // stops the thread, syncs and closes the segment

  struct Request {
    std::string framed;  // one or more framed records (wal::AppendRecord)
    bool sync = true;    // SYNC: durable before apply; ASYNC: written before apply
    // Runs on the log thread after the record is written (and synced when `sync`), with the
    // segment number that holds it. Must not block on the log.
    std::function<void(uint64_t segment)> apply;
  };
  // Appends `req` and waits until it is applied. Errors: Unavailable when the log is broken
  // or closed; ResourceExhausted when the disk is full; the I/O error otherwise.
  absl::Status Submit(Request req);

  // Blocks new groups, waits for the current one, runs `fn`, then resumes.
  absl::Status WithWritesPaused(const std::function<absl::Status()>& fn);
  // Syncs the current segment now (ASYNC data included).
  absl::Status SyncNow();
  // Deletes segment files numbered below `segment` (never the current one).
  absl::Status DeleteSegmentsBefore(uint64_t segment);
  // Starts a new segment (the old one is synced and closed).
  absl::Status Rotate();

  uint64_t current_segment() const;
  uint64_t bytes_written() const;  // since open
  // Durations of WAL fsyncs (seconds), group commits and timer syncs alike.
  const Histogram& fsync_seconds() const { return fsync_seconds_; }
  absl::Status health() const;  // OK, or why the log is broken

 private:
  struct Pending;
  explicit CommitLog(const CommitLogOptions& o);
  void Run();
  void SyncLoop();
  // writer_->Sync(), timed into fsync_seconds_. REQUIRES: io_mu_ held.
  absl::Status TimedSync() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);

  CommitLogOptions options_;
  mutable absl::Mutex mu_;
  absl::CondVar work_cv_;
  absl::CondVar done_cv_;
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status broken_ ABSL_GUARDED_BY(mu_);
  bool unsynced_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t bytes_written_ ABSL_GUARDED_BY(mu_) = 0;
  Histogram fsync_seconds_{Histogram::LatencyBounds()};
  // The writer is used by the log thread, and by others only while holding `io_mu_`.
  absl::Mutex io_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::unique_ptr<wal::WalWriter> writer_ ABSL_GUARDED_BY(io_mu_);
  std::thread thread_;
  std::thread sync_thread_;
};

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_COMMIT_LOG_H_
