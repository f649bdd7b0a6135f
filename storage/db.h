// Db: the storage engine's public facade. One database per server.
//
// Write path:  validate (whole batch) -> resolve SeriesIds -> WAL append (group commit,
//              fsync for SYNC) -> apply to the head -> ack.
// Background:  seal full/old heads into chunks in RocksDB; merge small and overlapping chunks;
//              delete WAL segments whose points are all sealed and synced in RocksDB.
// Read path:   SeriesIndex selects series; Read() returns a cursor merging chunks and head.
//
// Thread safety: thread-safe. Close() (or the destructor) must not race other calls.
#ifndef TELEMDB_STORAGE_DB_H_
#define TELEMDB_STORAGE_DB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/apply_observer.h"
#include "storage/head/head.h"
#include "storage/options.h"
#include "storage/series_cursor.h"
#include "storage/series_index.h"
#include "storage/types.h"
#include "util/histogram.h"

namespace telemdb::storage {

struct WriteOptions {
  std::optional<AckMode> ack_mode;  // default: Options::default_ack_mode
  std::string producer_id;          // with `sequence`: idempotent retries; empty: none
  uint64_t sequence = 0;
  // The producer's numbering epoch: a change starts its idempotency window afresh (a device
  // that lost its sequence numbers sends a new epoch). 0: none. Default: 0.
  uint64_t producer_epoch = 0;
  // Who writes (the authenticated identity's name): idempotency windows are kept per
  // (identity, producer_id), so one identity's keys never touch another's. Default: "".
  std::string identity;
  // Called with the validated batch (tags sorted, every name and value checked) before
  // anything else happens; an error rejects the batch with that error and nothing is
  // stored. Front doors check write scopes here, so that authorization sees only
  // well-formed input and a malformed batch is refused as such. Default: none.
  std::function<absl::Status(const std::vector<SeriesBatch>&)> authorize;
};

struct WriteResult {
  uint64_t points = 0;     // values accepted (0 for a duplicate)
  bool duplicate = false;  // (producer_id, sequence) was applied before: acked again
};

// Which points a Delete removes: [start, end) of the selected series of a measurement, or
// the whole measurement (its series leave the index too).
struct DeleteSpec {
  std::string measurement;
  std::vector<TagMatcher> matchers;
  std::vector<std::string> fields;  // empty: all
  int64_t start = INT64_MIN;
  int64_t end = INT64_MAX;
  bool whole_measurement = false;  // ignores matchers, fields and range
};

struct Stats {
  uint64_t series = 0;
  uint64_t head_points = 0;
  uint64_t head_bytes = 0;
  uint64_t stored_points = 0;  // points in sealed chunks
  uint64_t stored_chunks = 0;
  uint64_t wal_bytes = 0;  // bytes of WAL segments on disk
  uint64_t wal_segments = 0;
  std::vector<std::pair<std::string, uint64_t>> cf_bytes;  // per column family
  uint64_t disk_bytes = 0;                                 // everything in the data directory
  uint64_t memory_bytes = 0;  // head + index + RocksDB memtables and cache
  // Encryption at rest: the active key id (0: off); files (RocksDB files, WAL segments) not
  // yet under it; the last rekey: "" (none since open), "running", "done", "failed: <why>".
  uint32_t encryption_key_id = 0;
  uint64_t files_under_old_keys = 0;
  std::string rekey_state;
};

// Cheap figures for monitoring (/metrics): no chunk scan, no directory walk beyond the WAL.
struct EngineMetrics {
  uint64_t series = 0;
  uint64_t head_points = 0;
  uint64_t head_bytes = 0;
  uint64_t memory_bytes = 0;
  uint64_t wal_bytes = 0;  // on disk
  uint64_t wal_segments = 0;
  uint64_t wal_bytes_written = 0;  // since open
  std::vector<std::pair<std::string, uint64_t>> cf_bytes;
  uint64_t chunks_sealed = 0;      // since open
  uint64_t partitions_merged = 0;  // since open
  uint64_t compactions = 0;        // Compact() calls that succeeded, since open
  Histogram::Snapshot wal_fsync_seconds;
};

class Db {
 public:
  // Opens (creating if needed) the database in options.dir, replaying the WAL.
  // Errors: DataLoss for corruption (naming the place), InvalidArgument for bad options,
  // Unavailable for I/O errors.
  static absl::StatusOr<std::unique_ptr<Db>> Open(const Options& options);
  virtual ~Db() = default;

  // Seals every head, syncs, and stops background work. Idempotent.
  virtual absl::Status Close() = 0;

  // Writes a batch atomically: either every point is applied (durable when SYNC) or none.
  // Sorts each group's tags. Order: validate, then options.authorize, then the rest.
  // Errors: InvalidArgument (naming series, field, row: see write_error.h), whatever
  // options.authorize returns (PermissionDenied), ResourceExhausted (over memory budget or
  // cardinality limit; retry later), Unavailable (closing, or the WAL failed).
  virtual absl::StatusOr<WriteResult> Write(std::vector<SeriesBatch>* groups,
                                            const WriteOptions& options) = 0;

  // Validates `groups` exactly as Write does first (and sorts each group's tags), without
  // any effect: cluster mode checks a request on the node that receives it before
  // publishing it. Returns the number of points. Errors: as Write's validation, and
  // Unavailable while closing. Type conflicts with existing series are Write's (they
  // depend on this node's index).
  virtual absl::StatusOr<uint64_t> Validate(std::vector<SeriesBatch>* groups) = 0;

  // Fsyncs the WAL: every write that returned before this call (ASYNC ones included) is
  // durable when it returns OK. Cluster mode writes a batch of log messages ASYNC and
  // syncs once before acknowledging them. Errors: Unavailable (closing, or the WAL failed).
  virtual absl::Status SyncWal() = 0;

  virtual const SeriesIndex& index() const = 0;

  // A cursor over series `id` in [start, end). Errors: NotFound for an unknown series.
  virtual absl::StatusOr<std::unique_ptr<SeriesCursor>> Read(SeriesId id, int64_t start,
                                                             int64_t end) = 0;
  // The last point (greatest timestamp) of a series; nullopt when it has none.
  virtual absl::StatusOr<std::optional<LastPoint>> Last(SeriesId id) = 0;

  // Read(), and the apply sequence number of what the cursor holds (apply_observer.h): it
  // holds every point of the writes with seq <= *applied_seq and none of later writes.
  // Errors: as Read.
  virtual absl::StatusOr<std::unique_ptr<SeriesCursor>> ReadAt(SeriesId id, int64_t start,
                                                               int64_t end,
                                                               uint64_t* applied_seq) = 0;
  // Sets the observer of applied writes (nullptr: none). It must outlive the Db or be
  // replaced first; after this returns, the previous one is no longer called.
  virtual void SetApplyObserver(ApplyObserver* observer) = 0;
  // The seq of the last applied write batch (0 before the first since open).
  virtual uint64_t applied_seq() const = 0;

  // Removes points (see DeleteSpec). Durable like a SYNC write. Returns the series touched.
  virtual absl::StatusOr<uint64_t> Delete(const DeleteSpec& spec) = 0;
  // Seals every head, syncs RocksDB and drops WAL segments that are no longer needed.
  virtual absl::Status Flush() = 0;
  // Flush, then merges every partition with more than one chunk, then compacts RocksDB.
  virtual absl::Status Compact() = 0;
  virtual absl::StatusOr<Stats> GetStats() = 0;
  // Cheap figures for monitoring (never scans chunks).
  virtual EngineMetrics Metrics() = 0;
  // Moves all data to the active encryption key (after a restart with a new key and the old
  // one as an older key): Compact, then re-encrypt the small files compaction does not
  // rewrite. Runs in the background; Stats::rekey_state and files_under_old_keys report
  // progress. Errors: FailedPrecondition when encryption is off.
  virtual absl::Status StartRekey() = 0;
  // The same, blocking until done. Errors: FailedPrecondition when encryption is off or a
  // rekey is running; Internal naming files still under older keys; any Compact error.
  virtual absl::Status Rekey() = 0;
  // A consistent copy of the database in `dir` (must not exist) that opens as a database.
  virtual absl::Status Snapshot(const std::string& dir) = 0;

  // One round of each background task (they also run on their own unless
  // Options::background is false).
  virtual absl::Status SealDue() = 0;
  virtual absl::Status MergeDue() = 0;
  virtual absl::Status CheckpointWal() = 0;

  // A small durable key-value space for the server's own records (tokens, audit anchors),
  // kept apart from telemdb's internal metadata. Writes are synced.
  virtual absl::Status PutMeta(std::string_view key, std::string_view value) = 0;
  virtual absl::Status DeleteMeta(std::string_view key) = 0;
  // Puts (value set) and deletes (nullopt) applied atomically, with one sync.
  using MetaOps = std::vector<std::pair<std::string, std::optional<std::string>>>;
  virtual absl::Status WriteMeta(const MetaOps& ops) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetMeta(std::string_view key) = 0;
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanMeta(
      std::string_view prefix) = 0;

  // OK while the database accepts writes; otherwise why not.
  virtual absl::Status health() const = 0;
  // The retention cutoff now: points before it are expired (INT64_MIN when retention is off).
  virtual int64_t RetentionCutoff() const = 0;
};

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_DB_H_
