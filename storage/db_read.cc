// Reads: series cursors and the last-value cache.
#include "absl/strings/str_cat.h"
#include "storage/db_impl.h"
#include "storage/key_layout.h"
#include "util/status_macros.h"

namespace telemdb::storage {

absl::StatusOr<std::unique_ptr<SeriesCursor>> DbImpl::Read(SeriesId id, int64_t start,
                                                           int64_t end) {
  auto type = index_.TypeOf(id);
  if (!type) return absl::NotFoundError(absl::StrCat("no series with id ", id));
  start = std::max(start, RetentionCutoff());
  if (start >= end) {
    return std::make_unique<SeriesCursor>(id, *type, start, end, nullptr, codec::Columns());
  }
  // The head first, then RocksDB: a seal writes its chunk before it drops the frozen run,
  // so every point is seen at least once (duplicates of the same write are merged).
  codec::Columns head;
  head_.Read(id, start, end, &head);
  auto it = kv_->NewIterator(Cf::kChunks, keys::ChunkSeekKey(id, PartitionStart(start)),
                             keys::ChunkSeekKey(id, end));
  return std::make_unique<SeriesCursor>(id, *type, start, end, std::move(it), std::move(head));
}

absl::StatusOr<std::unique_ptr<SeriesCursor>> DbImpl::ReadAt(SeriesId id, int64_t start,
                                                             int64_t end, uint64_t* applied_seq) {
  auto type = index_.TypeOf(id);
  if (!type) return absl::NotFoundError(absl::StrCat("no series with id ", id));
  start = std::max(start, RetentionCutoff());
  // The head copy, the RocksDB iterator (an implicit snapshot) and the seq are taken
  // together: no write is applied meanwhile, so a later write cannot reach the cursor
  // through a seal either.
  absl::MutexLock l(&apply_mu_);
  *applied_seq = apply_seq_;
  if (start >= end) {
    return std::make_unique<SeriesCursor>(id, *type, start, end, nullptr, codec::Columns());
  }
  codec::Columns head;
  head_.Read(id, start, end, &head);
  auto it = kv_->NewIterator(Cf::kChunks, keys::ChunkSeekKey(id, PartitionStart(start)),
                             keys::ChunkSeekKey(id, end));
  return std::make_unique<SeriesCursor>(id, *type, start, end, std::move(it), std::move(head));
}

absl::StatusOr<std::optional<LastPoint>> DbImpl::Last(SeriesId id) {
  bool known = false;
  auto cached = head_.CachedLast(id, &known);
  const int64_t cutoff = RetentionCutoff();
  if (known) {
    if (cached && cached->ts < cutoff) return std::optional<LastPoint>();
    return cached;
  }
  if (!index_.TypeOf(id)) return absl::NotFoundError(absl::StrCat("no series with id ", id));
  // Load: the last partition holding chunks, merged with the head.
  int64_t from = cutoff;
  {
    auto it =
        kv_->NewIterator(Cf::kChunks, keys::ChunkSeekKey(id, INT64_MIN), keys::ChunkSeriesEnd(id));
    it->SeekToLast();
    keys::ChunkKeyParts parts;
    if (it->Valid() && keys::ParseChunkKey(it->key(), &parts)) {
      from = std::max(from, PartitionStart(parts.min_ts));
    }
    RETURN_IF_ERROR(it->status());
  }
  codec::Columns all;
  {
    ASSIGN_OR_RETURN(auto cursor, Read(id, from, INT64_MAX));
    RETURN_IF_ERROR(cursor->ReadAll(&all));
  }
  std::optional<LastPoint> loaded;
  if (all.size() > 0) {
    size_t i = all.size() - 1;
    LastPoint p;
    p.ts = all.ts[i];
    switch (all.type) {
      case ValueType::kFloat:
        p.value = Value::Float(all.floats[i]);
        break;
      case ValueType::kInt:
        p.value = Value::Int(all.ints[i]);
        break;
      case ValueType::kBool:
        p.value = Value::Bool(all.ints[i] != 0);
        break;
      case ValueType::kString:
        p.value = Value::String(all.strings[i]);
        break;
    }
    loaded = p;
  }
  head_.InstallLast(id, loaded);
  cached = head_.CachedLast(id, &known);
  if (cached && cached->ts < cutoff) return std::optional<LastPoint>();
  return cached;
}

}  // namespace telemdb::storage
