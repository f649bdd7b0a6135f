// AuditLog: an append-only trail of authentication failures, permission denials, token
// changes, admin operations and configuration changes, as JSON lines in its own file
// (docs/security.md, "Audit log").
//
// Tamper evidence: every record carries `mac`, an HMAC-SHA256 (keyed by a server secret kept
// in the database) over the previous record's `mac` and this record's content, so editing or
// deleting a line breaks the chain at that line; the newest link (sequence and mac) is also
// anchored in the database after every write, so cutting the tail is detected too. Open()
// compares the file's tail with the anchor: a tail that was cut while the server was down
// becomes a persistent `audit.gap` that Verify() reports until an operator acknowledges it
// (AcknowledgeGaps). A torn last line (a crash mid-write) is truncated away, with an
// `audit.torn_tail_repaired` record saying how many bytes went.
//
// Writing never blocks a request on the disk: records are queued and a writer thread appends
// them in batches, one fdatasync per batch (RecordDurable waits for its batch; admin actions
// use it). The queue is bounded: past `max_queued` records are dropped and counted, and an
// `audit.dropped` record says how many. Repetitive events (authentication failures, denials)
// go through RecordRepeated: per (event, who) and interval the first is written at once and
// the rest are counted into one `repeated` record when the interval ends, so a flood of bad
// logins costs a few records per address per interval, not one fsync each.
//
// Every value is made safe before it is written: client text is capped (util/client_text.h,
// 1 KiB per value, marked as cut) and invalid UTF-8 escaped, so no bytes a client sends can
// make the encoder fail. No secrets ever enter the log (token ids only, never tokens).
//
// Thread safety: thread-safe.
#ifndef TELEMDB_AUTH_AUDIT_LOG_H_
#define TELEMDB_AUTH_AUDIT_LOG_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/crypto/record_cipher.h"

namespace telemdb::storage {
class Db;
}  // namespace telemdb::storage

namespace telemdb::auth {

struct VerifyResult {
  bool ok = false;
  uint64_t records = 0;
  std::string problem;  // which line and what is wrong, when !ok
  // Gaps found at start (the log's tail was cut while the server was down), each described;
  // unacknowledged ones make `ok` false.
  std::vector<std::string> gaps;
  uint64_t unacknowledged_gaps = 0;
};

struct AuditOptions {
  // Interval over which RecordRepeated folds repeats of one (event, who). Default: 10 s.
  absl::Duration repeat_interval = absl::Seconds(10);
  // Distinct (event, who) keys tracked per interval; further ones are folded into
  // who = "(other)". Default: 10,000.
  size_t max_repeat_keys = 10'000;
  // Records waiting for the writer; past it Record() drops and counts. Default: 10,000.
  size_t max_queued = 10'000;
  // Bytes of one value (client text is cut there). Default: 1024.
  size_t max_value_bytes = 1024;
};

struct AuditCounters {
  uint64_t written = 0;  // records appended
  uint64_t dropped = 0;  // records lost to a full queue
  uint64_t folded = 0;   // repeats counted into `repeated` records
  uint64_t write_errors = 0;
};

class AuditLog {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  // Opens (creating) the log at `path`; the HMAC secret, the anchor and gap records live in
  // `db`. With a `cipher` (encryption at rest), each record's content is sealed with
  // AES-256-GCM: {"seq","key","sealed","mac"}; the chain still verifies without the key.
  // Errors: the file cannot be opened or repaired; the database fails.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(
      const std::string& path, storage::Db* db,
      std::unique_ptr<storage::crypto::RecordCipher> cipher = nullptr,
      AuditOptions options = AuditOptions());
  // Writes what is queued (and the pending repeat counts), then stops the writer.
  ~AuditLog();

  // Queues one record: {"seq", "ts", "event", "who", "outcome", fields...}. Never blocks on
  // the disk; failures to write are logged and counted, never returned.
  void Record(const std::string& event, const std::string& who, const std::string& outcome,
              const Fields& fields = {});
  // The same, and waits until the record is durable. Errors: Unavailable when it could not
  // be written.
  absl::Status RecordDurable(const std::string& event, const std::string& who,
                             const std::string& outcome, const Fields& fields = {});
  // A record of a kind that can come in floods: the first per (event, fold key) and
  // interval is written; the others are counted into one record
  // {"outcome":"repeated","count":N,...} at the interval's end. The fold key defaults to
  // `who`.
  void RecordRepeated(const std::string& event, const std::string& who, const std::string& outcome,
                      const Fields& fields = {}, const std::string& fold_key = "");
  // Waits until everything queued so far is durable (pending repeat counts are written too).
  absl::Status Flush();

  // Re-reads the whole file and checks the chain, the anchor and recorded gaps.
  absl::StatusOr<VerifyResult> Verify();
  // Marks every recorded gap as acknowledged by `who` (an `audit.gap_acknowledged` record
  // names them). Returns how many were acknowledged.
  absl::StatusOr<uint64_t> AcknowledgeGaps(const std::string& who);

  AuditCounters counters() const;
  const std::string& path() const { return path_; }

 private:
  struct Pending {
    std::string event, who, outcome;
    Fields fields;
    absl::Time ts;
  };
  struct Repeat {
    uint64_t count = 0;  // repeats after the first, this interval
    std::string event, who, outcome;
    Fields fields;
  };

  AuditLog(std::string path, storage::Db* db, AuditOptions options);
  // Reads the file, repairs a torn tail, and compares the tail with the anchor. Returns the
  // records to write first (repair and gap events).
  absl::StatusOr<std::vector<Pending>> Recover();
  // Queues `p` (or drops it when the queue is full: returns 0); returns its ticket.
  uint64_t EnqueueLocked(Pending p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriterLoop();
  // Appends `batch` (formats, chains, writes, syncs, anchors); called by the writer only.
  bool WriteBatch(std::vector<Pending>* batch);
  std::string Format(const Pending& p, uint64_t seq) const;
  void FoldRepeatsLocked(std::vector<Pending>* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  storage::Db* const db_;
  const AuditOptions options_;
  std::string secret_;  // HMAC key, 32 bytes
  std::unique_ptr<storage::crypto::RecordCipher> cipher_;

  // Owned by the writer thread (and Open before it starts).
  int fd_ = -1;
  uint64_t seq_ = 0;
  std::string last_mac_;

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t enqueued_ ABSL_GUARDED_BY(mu_) = 0;  // tickets handed out
  uint64_t done_ ABSL_GUARDED_BY(mu_) = 0;      // tickets written (or failed)
  // Tickets of the last batch that failed to be written.
  uint64_t failed_lo_ ABSL_GUARDED_BY(mu_) = 1, failed_hi_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t flush_requested_ ABSL_GUARDED_BY(mu_) = 0;  // Flush() calls
  uint64_t flush_done_ ABSL_GUARDED_BY(mu_) = 0;       // ... whose repeats were written
  uint64_t dropped_unreported_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, Repeat> repeats_ ABSL_GUARDED_BY(mu_);
  absl::Time interval_end_ ABSL_GUARDED_BY(mu_);
  AuditCounters counters_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex file_mu_;  // serializes WriteBatch and Verify/AcknowledgeGaps reads
  std::thread writer_;
};

}  // namespace telemdb::auth

#endif  // TELEMDB_AUTH_AUDIT_LOG_H_
