// Db::Open: RocksDB, the series index, and WAL replay.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/db_impl.h"
#include "storage/key_layout.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_writer.h"
#include "util/coding.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::storage {
namespace {

constexpr char kFormatVersion[] = "1";

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const Options& options) {
  if (options.dir.empty()) return absl::InvalidArgumentError("Options::dir is required");
  if (options.partition <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("Options::partition must be positive");
  }
  if (options.chunk_target_points == 0 || options.head_seal_points == 0) {
    return absl::InvalidArgumentError("chunk_target_points and head_seal_points must be > 0");
  }
  auto db = std::make_unique<DbImpl>(options);
  RETURN_IF_ERROR(db->OpenImpl());
  return std::unique_ptr<Db>(std::move(db));
}

DbImpl::DbImpl(const Options& options)
    : options_(options), partition_ns_(absl::ToInt64Nanoseconds(options.partition)) {
  wal_dir_ = options_.dir + "/wal";
}

int64_t DbImpl::Now() const { return options_.now ? options_.now() : absl::GetCurrentTimeNanos(); }

int64_t DbImpl::PartitionStart(int64_t ts) const {
  int64_t q = FloorDiv(ts, partition_ns_);
  // Saturate rather than overflow at the extremes of int64.
  if (q < INT64_MIN / partition_ns_) return INT64_MIN;
  return q * partition_ns_;
}

int64_t DbImpl::RetentionCutoff() const {
  if (options_.retention <= absl::ZeroDuration()) return INT64_MIN;
  return Now() - absl::ToInt64Nanoseconds(options_.retention);
}

absl::Status DbImpl::OpenImpl() {
  wal::WalFs* fs = options_.wal_fs ? options_.wal_fs : wal::WalFs::Default();
  if (::mkdir(options_.dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(
        absl::StrCat("cannot create data directory ", options_.dir, ": ", std::strerror(errno)));
  }
  ASSIGN_OR_RETURN(at_rest_, crypto::AtRest::Open(
                                 {options_.dir, options_.encryption_keys, options_.rocksdb_env}));
  KvOptions ko;
  ko.memtable_bytes = options_.rocksdb_memtable_bytes;
  ko.block_cache_bytes = options_.rocksdb_block_cache_bytes;
  ko.env = at_rest_->rocksdb_env();
  ko.info_log_through_env = at_rest_->enabled();
  if (options_.retention > absl::ZeroDuration()) {
    // Drop a chunk once its whole partition is older than the cutoff. Called from RocksDB's
    // compaction threads: no allocation, no throw.
    ko.drop_chunk = [this](uint64_t, int64_t min_ts) noexcept {
      int64_t p = PartitionStart(min_ts);
      return p <= INT64_MAX - partition_ns_ && p + partition_ns_ <= RetentionCutoff();
    };
  }
  ASSIGN_OR_RETURN(kv_, KvStore::Open(options_.dir + "/rocksdb", ko));
  RETURN_IF_ERROR(LoadMeta());
  RETURN_IF_ERROR(index_.Load(kv_.get()));
  index_.ForEach([&](SeriesId id, ValueType type) { head_.AddSeries(id, type); });
  uint64_t next_segment = 1;
  RETURN_IF_ERROR(fs->CreateDir(wal_dir_));
  RETURN_IF_ERROR(ReplayWal(&next_segment));
  CommitLogOptions lo;
  lo.dir = wal_dir_;
  lo.fs = fs;
  lo.first_segment = next_segment;
  lo.segment_bytes = options_.wal_segment_bytes;
  lo.async_sync_interval = options_.async_sync_interval;
  lo.cipher = at_rest_->wal_cipher();
  lo.after_sync_hook = options_.hooks.after_wal_sync;
  ASSIGN_OR_RETURN(log_, CommitLog::Open(lo));
  opened_ = true;
  if (options_.background) StartBackground();
  return absl::OkStatus();
}

absl::Status DbImpl::LoadMeta() {
  ASSIGN_OR_RETURN(auto version, kv_->Get(Cf::kMeta, keys::kFormatVersionKey));
  KvBatch batch;
  if (!version) {
    batch.Put(Cf::kMeta, keys::kFormatVersionKey, kFormatVersion);
  } else if (*version != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory has format version ", *version, "; this build reads ", kFormatVersion));
  }
  ASSIGN_OR_RETURN(auto hwm, kv_->Get(Cf::kMeta, keys::kSeqHighWaterKey));
  {
    absl::MutexLock l(&seq_mu_);
    if (hwm) {
      if (hwm->size() != 8) return absl::DataLossError("malformed sequence high-water mark");
      seq_hwm_ = DecodeFixed64(hwm->data());
      next_seq_ = seq_hwm_ + 1;  // anything below may have been used before a crash
    }
  }
  DedupWindow::Options dopt;
  dedup_ = std::make_unique<DedupWindow>(dopt);
  {
    // Format 1 state (keyed by producer alone): restored as identity-unknown, so it never
    // matches an identity's write, and rewritten in format 2 in the same batch.
    auto it = kv_->NewIterator(Cf::kMeta, keys::kLegacyDedupPrefix, "dedup0");
    bool legacy = false;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string_view producer = it->key().substr(sizeof(keys::kLegacyDedupPrefix) - 1);
      RETURN_IF_ERROR(dedup_->RestoreLegacy(producer, it->value()));
      batch.Delete(Cf::kMeta, std::string(it->key()));
      legacy = true;
    }
    RETURN_IF_ERROR(it->status());
    if (legacy) {
      for (auto& [key, state] : dedup_->Snapshot(Now())) {
        batch.Put(Cf::kMeta, keys::DedupKey(key), state);
      }
    }
  }
  {
    auto it = kv_->NewIterator(Cf::kMeta, keys::kDedupPrefix, "dedupid0");
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string_view key = it->key().substr(sizeof(keys::kDedupPrefix) - 1);
      RETURN_IF_ERROR(dedup_->Restore(key, it->value()));
    }
    RETURN_IF_ERROR(it->status());
  }
  if (batch.count() > 0) RETURN_IF_ERROR(kv_->Write(&batch, /*sync=*/true));
  return absl::OkStatus();
}

absl::Status DbImpl::ReplayWal(uint64_t* next_segment) {
  wal::WalFs* fs = options_.wal_fs ? options_.wal_fs : wal::WalFs::Default();
  ASSIGN_OR_RETURN(auto names, fs->ListDir(wal_dir_));
  std::vector<uint64_t> segments;
  for (const auto& n : names) {
    uint64_t num;
    if (wal::ParseSegmentName(n, &num)) segments.push_back(num);
  }
  std::sort(segments.begin(), segments.end());
  auto started = std::chrono::steady_clock::now();
  uint64_t records = 0, points = 0;
  wal::DecodedWrite rec;
  wal::DeleteRecord del;
  crypto::RecordCipher* cipher = at_rest_->wal_cipher();
  std::string plaintext;
  for (size_t i = 0; i < segments.size(); i++) {
    const uint64_t seg = segments[i];
    const std::string path = wal::SegmentPath(wal_dir_, seg);
    const bool last = i + 1 == segments.size();
    ASSIGN_OR_RETURN(std::string contents, fs->ReadFile(path));
    auto scan = wal::ScanSegment(contents, seg, [&](const wal::RecordView& r) -> absl::Status {
      std::string_view payload = r.payload;
      if (cipher != nullptr) {
        RETURN_IF_ERROR(wal::OpenRecordPayload(*cipher, seg, r, &plaintext));
        payload = plaintext;
      } else if (r.key_id != wal::kPlaintextKeyId) {
        return absl::FailedPreconditionError(absl::StrCat("WAL segment ", seg, " offset ", r.offset,
                                                          " is encrypted with key id ", r.key_id,
                                                          " and no key is configured"));
      }
      records++;
      if (r.type == wal::RecordType::kWriteBatch) {
        absl::Status s = wal::DecodeWriteRecord(payload, &rec);
        if (!s.ok()) {
          return absl::DataLossError(
              absl::StrCat("WAL segment ", seg, " offset ", r.offset, ": ", s.message()));
        }
        for (const auto& g : rec.groups) {
          for (const auto& f : g.fields) points += f.size();
        }
        ApplyWrite(rec.meta, rec.new_series, rec.groups, rec.ids, seg);
      } else {
        absl::Status s = wal::DecodeDeleteRecord(payload, &del);
        if (!s.ok()) {
          return absl::DataLossError(
              absl::StrCat("WAL segment ", seg, " offset ", r.offset, ": ", s.message()));
        }
        RETURN_IF_ERROR(ApplyDelete(del));
      }
      if (head_.heap_bytes() > options_.head_memory_budget / 4 * 3) {
        RETURN_IF_ERROR(SealDue());
      }
      return absl::OkStatus();
    });
    if (!scan.ok()) return scan.status();
    if (!scan->corrupt) continue;
    if (scan->records == 0 && contents.size() < wal::kSegmentHeaderSize) {
      // A crash while the segment was being created: no header, so no record either. Drop
      // it, or it would sit between later segments and read as damage next time.
      Log(LogLevel::kWarning, "wal.empty_segment_removed",
          {{"segment", seg}, {"bytes", static_cast<uint64_t>(contents.size())}});
      RETURN_IF_ERROR(fs->DeleteFile(path));
      RETURN_IF_ERROR(fs->SyncDir(wal_dir_));
      if (last) segments.pop_back();
      continue;
    }
    const uint64_t dropped = contents.size() - scan->corrupt_offset;
    if (last && !scan->valid_after_corruption) {
      Log(LogLevel::kWarning, "wal.torn_tail_discarded",
          {{"segment", seg},
           {"offset", scan->corrupt_offset},
           {"bytes", dropped},
           {"reason", scan->corrupt_reason}});
      RETURN_IF_ERROR(fs->Truncate(
          path, scan->corrupt_offset < wal::kSegmentHeaderSize ? 0 : scan->corrupt_offset));
      // Durably: an unsynced truncation can be undone by the next power cut, and the torn
      // bytes would then sit before later segments and read as damage.
      RETURN_IF_ERROR(fs->SyncFile(path));
      continue;
    }
    std::string where = absl::StrCat("WAL segment ", seg, " (", path, ") is corrupt at offset ",
                                     scan->corrupt_offset, " (", scan->corrupt_reason, ")");
    if (!options_.wal_point_in_time_recovery) {
      return absl::DataLossError(
          absl::StrCat(where,
                       " and valid records follow; refusing to open. To recover up to this point, "
                       "open with point-in-time recovery (telemdbd --wal-recovery=point-in-time), "
                       "which drops everything after it"));
    }
    uint64_t later_bytes = 0;
    for (size_t j = i + 1; j < segments.size(); j++) {
      auto later = fs->ReadFile(wal::SegmentPath(wal_dir_, segments[j]));
      if (later.ok()) later_bytes += later->size();
    }
    Log(LogLevel::kWarning, "wal.point_in_time_recovery",
        {{"segment", seg},
         {"offset", scan->corrupt_offset},
         {"dropped_bytes_in_segment", dropped},
         {"dropped_later_segments", static_cast<uint64_t>(segments.size() - i - 1)},
         {"dropped_later_bytes", later_bytes}});
    RETURN_IF_ERROR(fs->Truncate(path, scan->corrupt_offset));
    RETURN_IF_ERROR(fs->SyncFile(path));
    for (size_t j = i + 1; j < segments.size(); j++) {
      RETURN_IF_ERROR(fs->DeleteFile(wal::SegmentPath(wal_dir_, segments[j])));
    }
    RETURN_IF_ERROR(fs->SyncDir(wal_dir_));
    segments.resize(i + 1);
    break;
  }
  if (!segments.empty()) *next_segment = segments.back() + 1;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (records > 0) {
    Log(LogLevel::kInfo, "wal.replayed",
        {{"segments", static_cast<uint64_t>(segments.size())},
         {"records", records},
         {"points", points},
         {"seconds", secs}});
  }
  return absl::OkStatus();
}

void DbImpl::StartBackground() {
  bg_thread_ = std::thread([this] { BackgroundLoop(); });
}

void DbImpl::BackgroundLoop() {
  auto last_merge = std::chrono::steady_clock::now();
  auto last_checkpoint = last_merge;
  while (true) {
    {
      absl::MutexLock l(&bg_mu_);
      bg_mu_.AwaitWithTimeout(absl::Condition(
                                  +[](DbImpl* d) ABSL_EXCLUSIVE_LOCKS_REQUIRED(d->bg_mu_) {
                                    return d->bg_stop_ || d->bg_kick_;
                                  },
                                  this),
                              absl::Seconds(1));
      if (bg_stop_) return;
      bg_kick_ = false;
    }
    absl::Status s = SealDue();
    if (!s.ok()) Log(LogLevel::kError, "seal.failed", {{"error", s.ToString()}});
    auto now = std::chrono::steady_clock::now();
    if (now - last_checkpoint >= std::chrono::seconds(5)) {
      s = CheckpointWal();
      if (!s.ok()) Log(LogLevel::kError, "wal.checkpoint_failed", {{"error", s.ToString()}});
      last_checkpoint = now;
    }
    if (now - last_merge >= absl::ToChronoSeconds(options_.merge_interval)) {
      s = MergeDue();
      if (!s.ok()) Log(LogLevel::kError, "merge.failed", {{"error", s.ToString()}});
      last_merge = std::chrono::steady_clock::now();
    }
  }
}

DbImpl::~DbImpl() { (void)Close(); }

absl::Status DbImpl::Close() {
  if (closed_.exchange(true)) return absl::OkStatus();
  if (at_rest_) at_rest_->StopRekey();  // it compacts through kv_
  {
    absl::MutexLock l(&bg_mu_);
    bg_stop_ = true;
  }
  if (bg_thread_.joinable()) bg_thread_.join();
  absl::Status s;
  if (opened_ && log_ && log_->health().ok()) {
    // Rotate first so the final checkpoint can delete every segment: the next open then
    // has nothing to replay.
    s = log_->Rotate();
    if (s.ok()) s = SealAll();
    if (s.ok()) s = CheckpointWal();
  }
  log_.reset();
  if (kv_) {
    absl::Status c = kv_->Close();
    if (s.ok()) s = c;
  }
  return s;
}

absl::Status DbImpl::health() const {
  if (closed_) return absl::UnavailableError("database is closed");
  return log_->health();
}

}  // namespace telemdb::storage
