// DbImpl: the implementation of Db, split by verb: db_open.cc (open and WAL replay),
// db_write.cc (write path and apply), db_read.cc (reads, last value), db_seal.cc (sealing
// heads into chunks, WAL checkpoints), db_merge.cc (background chunk merging), db_admin.cc
// (delete, flush, compact, stats, snapshot).
//
// Locks, in acquisition order: maintenance_mu_ -> (log paused) -> chunk_mu_ -> (Head stripes,
// index). The log thread takes chunk_mu_ when it applies a delete, so nobody may wait for
// the log while holding chunk_mu_.
//   chunk_mu_ serializes every change to stored chunks: seal commits, merge commits, deletes.
//   maintenance_mu_ serializes WAL checkpoints and snapshots.
//   seal_mu_ (taken before chunk_mu_, never while holding maintenance_mu_) serializes the
//   sealers, SealAll and SealDue, so a flush never skips a series whose run a background
//   seal has frozen: it waits for that seal and then seals what arrived meanwhile.
#ifndef TELEMDB_STORAGE_DB_IMPL_H_
#define TELEMDB_STORAGE_DB_IMPL_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "storage/codec/chunk.h"
#include "storage/commit_log.h"
#include "storage/crypto/at_rest.h"
#include "storage/db.h"
#include "storage/dedup_window.h"
#include "storage/head/head.h"
#include "storage/kv_store.h"
#include "storage/series_index.h"
#include "storage/wal/batch_record.h"

namespace telemdb::storage {

class DbImpl : public Db {
 public:
  explicit DbImpl(const Options& options);
  ~DbImpl() override;

  absl::Status OpenImpl();

  absl::Status Close() override;
  absl::StatusOr<uint64_t> Validate(std::vector<SeriesBatch>* groups) override;
  absl::Status SyncWal() override;
  absl::StatusOr<WriteResult> Write(std::vector<SeriesBatch>* groups,
                                    const WriteOptions& options) override;
  const SeriesIndex& index() const override { return index_; }
  absl::StatusOr<std::unique_ptr<SeriesCursor>> Read(SeriesId id, int64_t start,
                                                     int64_t end) override;
  absl::StatusOr<std::optional<LastPoint>> Last(SeriesId id) override;
  absl::StatusOr<std::unique_ptr<SeriesCursor>> ReadAt(SeriesId id, int64_t start, int64_t end,
                                                       uint64_t* applied_seq) override;
  void SetApplyObserver(ApplyObserver* observer) override;
  uint64_t applied_seq() const override;
  absl::StatusOr<uint64_t> Delete(const DeleteSpec& spec) override;
  absl::Status Flush() override;
  absl::Status Compact() override;
  absl::StatusOr<Stats> GetStats() override;
  EngineMetrics Metrics() override;
  absl::Status StartRekey() override;
  absl::Status Rekey() override;
  absl::Status Snapshot(const std::string& dir) override;
  absl::Status SealDue() override;
  absl::Status MergeDue() override;
  absl::Status CheckpointWal() override;
  absl::Status PutMeta(std::string_view key, std::string_view value) override;
  absl::Status DeleteMeta(std::string_view key) override;
  absl::Status WriteMeta(const MetaOps& ops) override;
  absl::StatusOr<std::optional<std::string>> GetMeta(std::string_view key) override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanMeta(
      std::string_view prefix) override;
  absl::Status health() const override;
  int64_t RetentionCutoff() const override;
  // How sealing, merging and deletes encode chunks (Options::chunk_aggregates_min_points).
  codec::EncodeOptions EncodeOpts() const {
    codec::EncodeOptions e;
    e.aggregates_min_points = options_.chunk_aggregates_min_points;
    return e;
  }

 private:
  // db_open.cc
  absl::Status LoadMeta();
  absl::Status ReplayWal(uint64_t* next_segment);
  void StartBackground();
  void BackgroundLoop();

  // db_write.cc: the apply steps, shared by live writes and replay. Run on the log thread.
  void ApplyWrite(const wal::WriteRecordMeta& meta, const std::vector<wal::NewSeries>& created,
                  const std::vector<SeriesBatch>& groups,
                  const std::vector<std::vector<SeriesId>>& ids, uint64_t segment);
  absl::Status ApplyDelete(const wal::DeleteRecord& d);

  // db_seal.cc
  uint64_t NextSeq();
  // Seals the heads of `ids` (those with points and no seal in progress).
  absl::Status SealSeries(const std::vector<SeriesId>& ids);
  absl::Status SealAll();
  // Encodes `cols` (sorted, unique) as chunks under `seq`, split by partition and size, and
  // adds them and their partitions' dirty markers to `batch`.
  absl::Status AddChunks(SeriesId id, const codec::Columns& cols, uint64_t seq, KvBatch* batch);

  // db_merge.cc
  absl::Status MergePartition(SeriesId id, int64_t partition_start);

  int64_t Now() const;
  int64_t PartitionStart(int64_t ts) const;
  int64_t partition_ns() const { return partition_ns_; }
  uint64_t WalBytesOnDisk(uint64_t* segments) const;

  const Options options_;
  const int64_t partition_ns_;
  std::string wal_dir_;
  std::unique_ptr<crypto::AtRest> at_rest_;  // before kv_ and log_: outlives both
  std::unique_ptr<KvStore> kv_;
  SeriesIndex index_;
  Head head_;
  std::unique_ptr<DedupWindow> dedup_;
  std::unique_ptr<CommitLog> log_;

  // Serializes head appends of live writes with ReadAt's snapshots; counts applied batches.
  mutable absl::Mutex apply_mu_;
  uint64_t apply_seq_ ABSL_GUARDED_BY(apply_mu_) = 0;
  // Called on the log thread only; changed under observer_mu_ (which the log thread takes).
  absl::Mutex observer_mu_;
  ApplyObserver* observer_ ABSL_GUARDED_BY(observer_mu_) = nullptr;

  absl::Mutex seq_mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(seq_mu_) = 1;
  uint64_t seq_hwm_ ABSL_GUARDED_BY(seq_mu_) = 0;

  absl::Mutex maintenance_mu_;
  absl::Mutex seal_mu_;
  absl::Mutex chunk_mu_ ABSL_ACQUIRED_AFTER(maintenance_mu_, seal_mu_);
  // Series whose index rows failed to reach RocksDB; retried before WAL segments go.
  absl::Mutex unpersisted_mu_;
  std::vector<wal::NewSeries> unpersisted_ ABSL_GUARDED_BY(unpersisted_mu_);

  absl::Mutex bg_mu_;
  bool bg_stop_ ABSL_GUARDED_BY(bg_mu_) = false;
  bool bg_kick_ ABSL_GUARDED_BY(bg_mu_) = false;
  std::thread bg_thread_;
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> chunks_sealed_{0};
  std::atomic<uint64_t> partitions_merged_{0};
  std::atomic<uint64_t> compactions_{0};
  std::atomic<bool> opened_{false};
};

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_DB_IMPL_H_
