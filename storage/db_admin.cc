// Admin operations: delete, flush, compact, stats, snapshot.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "storage/codec/chunk.h"
#include "storage/db_impl.h"
#include "storage/key_layout.h"
#include "storage/wal/wal_writer.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::storage {

absl::StatusOr<uint64_t> DbImpl::Delete(const DeleteSpec& spec) {
  if (closed_) return absl::UnavailableError("database is closing");
  RETURN_IF_ERROR(log_->health());
  if (spec.measurement.empty()) return absl::InvalidArgumentError("delete needs a measurement");
  if (!spec.whole_measurement && spec.start >= spec.end) {
    return absl::InvalidArgumentError("delete range is empty (start must be before end)");
  }
  SeriesSelector sel;
  sel.measurement = spec.measurement;
  if (!spec.whole_measurement) {
    sel.fields = spec.fields;
    sel.matchers = spec.matchers;
  }
  wal::DeleteRecord rec;
  rec.ids = index_.Select(sel);
  if (rec.ids.empty()) return 0;
  rec.start = spec.whole_measurement ? INT64_MIN : spec.start;
  rec.end = spec.whole_measurement ? INT64_MAX : spec.end;
  rec.drop_series = spec.whole_measurement;
  std::string payload;
  wal::EncodeDeleteRecord(rec, &payload);
  CommitLog::Request req;
  wal::AppendRecord(&req.framed, wal::RecordType::kDelete, wal::kPlaintextKeyId, payload);
  req.sync = true;
  absl::Status applied;
  req.apply = [&](uint64_t) { applied = ApplyDelete(rec); };
  RETURN_IF_ERROR(log_->Submit(std::move(req)));
  RETURN_IF_ERROR(applied);
  Log(LogLevel::kInfo, "delete.applied",
      {{"measurement", spec.measurement},
       {"series", static_cast<uint64_t>(rec.ids.size())},
       {"whole_measurement", spec.whole_measurement}});
  return rec.ids.size();
}

absl::Status DbImpl::ApplyDelete(const wal::DeleteRecord& d) {
  absl::MutexLock l(&chunk_mu_);
  KvBatch batch;
  codec::Columns cols, kept;
  for (SeriesId id : d.ids) {
    if (d.drop_series) {
      head_.DropSeries(id);
      batch.DeleteRange(Cf::kChunks, keys::ChunkSeekKey(id, INT64_MIN), keys::ChunkSeriesEnd(id));
      batch.DeleteRange(Cf::kMeta, keys::DirtyKey(id, INT64_MIN),
                        keys::DirtyKey(id + 1, INT64_MIN));
      continue;
    }
    head_.DeleteRange(id, d.start, d.end);
    auto it = kv_->NewIterator(Cf::kChunks, keys::ChunkSeekKey(id, PartitionStart(d.start)),
                               keys::ChunkSeekKey(id, d.end));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto h = codec::DecodeChunkHeader(it->value());
      if (!h.ok()) {
        return absl::DataLossError(
            absl::StrCat("delete: chunk of series ", id, ": ", h.status().message()));
      }
      if (h->max_ts < d.start) continue;
      if (h->min_ts >= d.start && h->max_ts < d.end) {
        batch.Delete(Cf::kChunks, it->key());
        continue;
      }
      // Cut the range out of a chunk that straddles an edge; it keeps its key and sequence.
      RETURN_IF_ERROR(codec::DecodeChunk(it->value(), &cols));
      kept.Clear();
      kept.type = cols.type;
      for (size_t i = 0; i < cols.size(); i++) {
        if (cols.ts[i] < d.start || cols.ts[i] >= d.end) AppendPoint(cols, i, &kept);
      }
      if (kept.size() == cols.size()) continue;
      batch.Delete(Cf::kChunks, it->key());
      if (kept.size() > 0) {
        keys::ChunkKeyParts parts;
        keys::ParseChunkKey(it->key(), &parts);
        ASSIGN_OR_RETURN(std::string chunk, codec::EncodeChunk(kept, EncodeOpts()));
        batch.Put(Cf::kChunks, keys::ChunkKey(id, kept.ts.front(), parts.seq), chunk);
        batch.Put(Cf::kMeta, keys::DirtyKey(id, PartitionStart(kept.ts.front())), "");
      }
    }
    RETURN_IF_ERROR(it->status());
  }
  if (d.drop_series) index_.Remove(d.ids, &batch);
  if (batch.count() == 0) return absl::OkStatus();
  return kv_->Write(&batch, /*sync=*/false);
}

absl::Status DbImpl::Flush() {
  if (closed_) return absl::UnavailableError("database is closing");
  RETURN_IF_ERROR(log_->Rotate());
  RETURN_IF_ERROR(SealAll());
  return CheckpointWal();
}

absl::Status DbImpl::Compact() {
  RETURN_IF_ERROR(Flush());
  RETURN_IF_ERROR(MergeDue());
  for (Cf cf : {Cf::kChunks, Cf::kSeries, Cf::kSeriesMeta, Cf::kPostings, Cf::kMeta}) {
    RETURN_IF_ERROR(kv_->CompactAll(cf));
  }
  compactions_++;
  return absl::OkStatus();
}

namespace {

uint64_t DirectoryBytes(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

}  // namespace

absl::StatusOr<Stats> DbImpl::GetStats() {
  Stats st;
  st.series = index_.size();
  st.head_points = head_.points();
  st.head_bytes = head_.heap_bytes();
  auto it = kv_->NewIterator(Cf::kChunks);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto h = codec::DecodeChunkHeader(it->value());
    if (!h.ok()) continue;  // reads of that series report it
    st.stored_points += h->count;
    st.stored_chunks++;
  }
  RETURN_IF_ERROR(it->status());
  st.wal_bytes = WalBytesOnDisk(&st.wal_segments);
  for (Cf cf : {Cf::kSeries, Cf::kSeriesMeta, Cf::kPostings, Cf::kChunks, Cf::kMeta}) {
    st.cf_bytes.emplace_back(CfName(cf), kv_->CfBytes(cf));
  }
  st.disk_bytes = DirectoryBytes(options_.dir);
  st.memory_bytes =
      head_.heap_bytes() + head_.slot_bytes() + index_.memory_bytes() + kv_->MemoryBytes();
  st.encryption_key_id = at_rest_->active_key_id();
  ASSIGN_OR_RETURN(crypto::KeyUsage usage, at_rest_->ScanKeyUsage());
  st.files_under_old_keys = usage.files_under_old_keys;
  st.rekey_state = at_rest_->rekey_state();
  return st;
}

EngineMetrics DbImpl::Metrics() {
  EngineMetrics m;
  m.series = index_.size();
  m.head_points = head_.points();
  m.head_bytes = head_.heap_bytes();
  m.memory_bytes =
      head_.heap_bytes() + head_.slot_bytes() + index_.memory_bytes() + kv_->MemoryBytes();
  m.wal_bytes = WalBytesOnDisk(&m.wal_segments);
  m.wal_bytes_written = log_->bytes_written();
  for (Cf cf : {Cf::kSeries, Cf::kSeriesMeta, Cf::kPostings, Cf::kChunks, Cf::kMeta}) {
    m.cf_bytes.emplace_back(CfName(cf), kv_->CfBytes(cf));
  }
  m.chunks_sealed = chunks_sealed_.load();
  m.partitions_merged = partitions_merged_.load();
  m.compactions = compactions_.load();
  m.wal_fsync_seconds = log_->fsync_seconds().Take();
  return m;
}

absl::Status DbImpl::StartRekey() {
  if (closed_) return absl::UnavailableError("database is closing");
  return at_rest_->StartRekey([this] { return Compact(); });
}

absl::Status DbImpl::Rekey() {
  if (closed_) return absl::UnavailableError("database is closing");
  return at_rest_->Rekey([this] { return Compact(); });
}

absl::Status DbImpl::Snapshot(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    return absl::AlreadyExistsError(absl::StrCat("snapshot directory ", dir, " already exists"));
  }
  if (!std::filesystem::create_directories(dir, ec) || ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create snapshot directory ", dir, ": ", ec.message()));
  }
  ::chmod(dir.c_str(), 0700);
  RETURN_IF_ERROR(at_rest_->CopyKeyCheckTo(dir));
  absl::MutexLock m(&maintenance_mu_);  // no WAL segment is deleted meanwhile
  // Pause the log first: its apply step for a delete takes chunk_mu_.
  return log_->WithWritesPaused([&]() -> absl::Status {
    absl::MutexLock c(&chunk_mu_);  // no chunk changes meanwhile
    RETURN_IF_ERROR(log_->SyncNow());
    RETURN_IF_ERROR(kv_->Checkpoint(dir + "/rocksdb"));
    std::filesystem::create_directories(dir + "/wal", ec);
    if (ec) return absl::InternalError(absl::StrCat("snapshot: ", ec.message()));
    for (const auto& entry : std::filesystem::directory_iterator(wal_dir_, ec)) {
      uint64_t n;
      if (!wal::ParseSegmentName(entry.path().filename().string(), &n)) continue;
      std::filesystem::copy_file(entry.path(), dir + "/wal/" + entry.path().filename().string(),
                                 ec);
      if (ec) return absl::InternalError(absl::StrCat("snapshot: copy WAL: ", ec.message()));
    }
    Log(LogLevel::kInfo, "snapshot.created", {{"dir", dir}});
    return absl::OkStatus();
  });
}

}  // namespace telemdb::storage

namespace telemdb::storage {

absl::Status DbImpl::PutMeta(std::string_view key, std::string_view value) {
  KvBatch b;
  b.Put(Cf::kMeta, keys::AppKey(key), value);
  return kv_->Write(&b, /*sync=*/true);
}

absl::Status DbImpl::DeleteMeta(std::string_view key) {
  KvBatch b;
  b.Delete(Cf::kMeta, keys::AppKey(key));
  return kv_->Write(&b, /*sync=*/true);
}

absl::Status DbImpl::WriteMeta(const MetaOps& ops) {
  if (ops.empty()) return absl::OkStatus();
  KvBatch b;
  for (const auto& [key, value] : ops) {
    if (value.has_value()) {
      b.Put(Cf::kMeta, keys::AppKey(key), *value);
    } else {
      b.Delete(Cf::kMeta, keys::AppKey(key));
    }
  }
  return kv_->Write(&b, /*sync=*/true);
}

absl::StatusOr<std::optional<std::string>> DbImpl::GetMeta(std::string_view key) {
  return kv_->Get(Cf::kMeta, keys::AppKey(key));
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> DbImpl::ScanMeta(
    std::string_view prefix) {
  std::string lower = keys::AppKey(prefix);
  std::string upper = lower;
  upper.push_back('\xff');
  std::vector<std::pair<std::string, std::string>> out;
  auto it = kv_->NewIterator(Cf::kMeta, lower, upper);
  const size_t strip = sizeof(keys::kAppPrefix) - 1;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(std::string(it->key().substr(strip)), std::string(it->value()));
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

}  // namespace telemdb::storage
