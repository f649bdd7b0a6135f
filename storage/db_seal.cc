// Sealing heads into chunks, and WAL checkpoints.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "storage/codec/chunk.h"
#include "storage/db_impl.h"
#include "storage/key_layout.h"
#include "util/coding.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::storage {
namespace {

constexpr size_t kSealBatchSeries = 1024;
constexpr uint64_t kSeqBlock = 1 << 20;

int64_t MonotonicSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Slice(const codec::Columns& in, size_t lo, size_t hi, codec::Columns* out) {
  out->Clear();
  out->type = in.type;
  out->ts.assign(in.ts.begin() + lo, in.ts.begin() + hi);
  switch (in.type) {
    case ValueType::kFloat:
      out->floats.assign(in.floats.begin() + lo, in.floats.begin() + hi);
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      out->ints.assign(in.ints.begin() + lo, in.ints.begin() + hi);
      break;
    case ValueType::kString:
      out->strings.assign(in.strings.begin() + lo, in.strings.begin() + hi);
      break;
  }
}

}  // namespace

uint64_t DbImpl::NextSeq() {
  absl::MutexLock l(&seq_mu_);
  if (next_seq_ > seq_hwm_) {
    // Persist a new high-water mark before handing out sequences below it.
    uint64_t hwm = next_seq_ + kSeqBlock;
    KvBatch b;
    std::string v;
    PutFixed64(&v, hwm);
    b.Put(Cf::kMeta, keys::kSeqHighWaterKey, v);
    absl::Status s = kv_->Write(&b, /*sync=*/true);
    if (!s.ok()) Log(LogLevel::kError, "seq.persist_failed", {{"error", s.ToString()}});
    seq_hwm_ = hwm;
  }
  return next_seq_++;
}

absl::Status DbImpl::AddChunks(SeriesId id, const codec::Columns& cols, uint64_t seq,
                               KvBatch* batch) {
  size_t lo = 0;
  codec::Columns part;
  const size_t target = options_.chunk_target_points;
  while (lo < cols.size()) {
    int64_t p = PartitionStart(cols.ts[lo]);
    size_t hi = lo;
    while (hi < cols.size() && PartitionStart(cols.ts[hi]) == p) hi++;
    // Split an oversized partition run into even pieces of at most `target` points.
    size_t n = hi - lo, pieces = (n + target - 1) / target;
    for (size_t k = 0; k < pieces; k++) {
      size_t a = lo + n * k / pieces, b = lo + n * (k + 1) / pieces;
      Slice(cols, a, b, &part);
      ASSIGN_OR_RETURN(std::string chunk, codec::EncodeChunk(part, EncodeOpts()));
      batch->Put(Cf::kChunks, keys::ChunkKey(id, part.ts.front(), seq), chunk);
    }
    batch->Put(Cf::kMeta, keys::DirtyKey(id, p), "");
    lo = hi;
  }
  return absl::OkStatus();
}

absl::Status DbImpl::SealSeries(const std::vector<SeriesId>& ids) {
  struct Sealed {
    SeriesId id;
    uint64_t generation;
  };
  std::vector<Sealed> sealed;
  KvBatch batch;
  codec::Columns cols;
  for (SeriesId id : ids) {
    if (!head_.Freeze(id, NextSeq())) continue;
    uint64_t seq, gen;
    if (!head_.ReadFrozen(id, &cols, &seq, &gen)) continue;
    if (cols.size() > 0) RETURN_IF_ERROR(AddChunks(id, cols, seq, &batch));
    sealed.push_back({id, gen});
  }
  if (sealed.empty()) return absl::OkStatus();
  absl::MutexLock l(&chunk_mu_);
  for (auto& s : sealed) {
    if (head_.FrozenGeneration(s.id) == s.generation) continue;
    // A delete changed the frozen run after we encoded it: rebuild the whole batch.
    batch.Clear();
    for (auto& t : sealed) {
      uint64_t seq;
      if (head_.ReadFrozen(t.id, &cols, &seq, &t.generation) && cols.size() > 0) {
        RETURN_IF_ERROR(AddChunks(t.id, cols, seq, &batch));
      }
    }
    break;
  }
  if (batch.count() > 0) RETURN_IF_ERROR(kv_->Write(&batch, /*sync=*/false));
  chunks_sealed_ += sealed.size();
  if (options_.hooks.after_chunk_write) options_.hooks.after_chunk_write();
  for (const auto& s : sealed) head_.DropFrozen(s.id, s.generation);
  return absl::OkStatus();
}

absl::Status DbImpl::SealAll() {
  absl::MutexLock seal(&seal_mu_);
  std::vector<SeriesId> batch;
  const SeriesId max = head_.max_series();
  for (SeriesId id = 1; id <= max; id++) {
    Head::SealInfo info = head_.Inspect(id);
    if (info.points == 0 || info.frozen) continue;
    batch.push_back(id);
    if (batch.size() >= kSealBatchSeries) {
      RETURN_IF_ERROR(SealSeries(batch));
      batch.clear();
    }
  }
  return SealSeries(batch);
}

absl::Status DbImpl::SealDue() {
  absl::MutexLock seal(&seal_mu_);
  const int64_t now_s = MonotonicSeconds();
  const int64_t max_age = absl::ToInt64Seconds(options_.head_max_age);
  const bool memory_pressure = head_.heap_bytes() > options_.head_memory_budget / 4 * 3;
  // WAL pressure: seal the series that pin the oldest segments.
  uint64_t wal_segments = 0;
  const uint64_t wal_bytes = WalBytesOnDisk(&wal_segments);
  uint64_t pinned_below = 0;
  if (wal_bytes > options_.wal_max_bytes && wal_segments > 1) {
    uint64_t current = log_ ? log_->current_segment() : 0;
    pinned_below = current - wal_segments / 2;
  }
  std::vector<SeriesId> due;
  std::vector<std::pair<size_t, SeriesId>> by_size;
  const SeriesId max = head_.max_series();
  for (SeriesId id = 1; id <= max; id++) {
    Head::SealInfo info = head_.Inspect(id);
    if (info.points == 0 || info.frozen) continue;
    if (info.points >= options_.head_seal_points || now_s - info.age_origin >= max_age ||
        (pinned_below != 0 && info.min_segment != 0 && info.min_segment < pinned_below)) {
      due.push_back(id);
    } else if (memory_pressure) {
      by_size.emplace_back(info.bytes, id);
    }
  }
  if (memory_pressure) {
    // Seal the largest heads until about half the budget would be free.
    std::sort(by_size.rbegin(), by_size.rend());
    uint64_t freed = 0, goal = head_.heap_bytes() - options_.head_memory_budget / 2;
    for (const auto& [bytes, id] : by_size) {
      if (freed >= goal) break;
      due.push_back(id);
      freed += bytes;
    }
  }
  for (size_t i = 0; i < due.size(); i += kSealBatchSeries) {
    std::vector<SeriesId> part(due.begin() + i,
                               due.begin() + std::min(due.size(), i + kSealBatchSeries));
    RETURN_IF_ERROR(SealSeries(part));
  }
  return absl::OkStatus();
}

uint64_t DbImpl::WalBytesOnDisk(uint64_t* segments) const {
  *segments = 0;
  wal::WalFs* fs = options_.wal_fs ? options_.wal_fs : wal::WalFs::Default();
  auto names = fs->ListDir(wal_dir_);
  if (!names.ok()) return 0;
  uint64_t bytes = 0;
  for (const auto& n : *names) {
    struct stat st;
    if (n.size() == 24 && n.substr(20) == ".wal" &&
        ::stat((wal_dir_ + "/" + n).c_str(), &st) == 0) {
      bytes += static_cast<uint64_t>(st.st_size);
      (*segments)++;
    }
  }
  return bytes;
}

absl::Status DbImpl::CheckpointWal() {
  absl::MutexLock m(&maintenance_mu_);
  const uint64_t current = log_->current_segment();
  const uint64_t min_pinned = head_.MinSegment();
  const uint64_t cut = min_pinned == 0 ? current : std::min(min_pinned, current);
  KvBatch batch;
  {
    absl::MutexLock l(&unpersisted_mu_);
    for (const auto& ns : unpersisted_) {
      if (index_.TypeOf(ns.id)) {
        batch.Put(Cf::kSeries, ns.key, keys::SeriesIdValue(ns.id));
        batch.Put(Cf::kSeriesMeta, keys::SeriesMetaKey(ns.id),
                  keys::SeriesMetaValue(ns.type, ns.key));
      }
    }
  }
  for (auto& [key, state] : dedup_->Snapshot(Now())) {
    batch.Put(Cf::kMeta, keys::DedupKey(key), state);
  }
  if (batch.count() > 0) RETURN_IF_ERROR(kv_->Write(&batch, /*sync=*/false));
  RETURN_IF_ERROR(kv_->SyncWal());
  {
    absl::MutexLock l(&unpersisted_mu_);
    unpersisted_.clear();
  }
  if (options_.hooks.before_segment_delete) options_.hooks.before_segment_delete();
  return log_->DeleteSegmentsBefore(cut);
}

}  // namespace telemdb::storage
