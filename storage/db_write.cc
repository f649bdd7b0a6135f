// The write path: validate, resolve series, WAL (group commit), apply to the head.
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "storage/batch_validator.h"
#include "storage/db_impl.h"
#include "storage/key_layout.h"
#include "storage/wal/wal_writer.h"
#include "storage/write_error.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::storage {

absl::StatusOr<uint64_t> DbImpl::Validate(std::vector<SeriesBatch>* groups) {
  if (closed_) return absl::UnavailableError("database is closing");
  ValidationContext ctx{&options_.limits, Now(), RetentionCutoff()};
  return ValidateBatch(groups, ctx);
}

absl::Status DbImpl::SyncWal() {
  if (closed_) return absl::UnavailableError("database is closing");
  RETURN_IF_ERROR(log_->health());
  return log_->SyncNow();
}

absl::StatusOr<WriteResult> DbImpl::Write(std::vector<SeriesBatch>* groups,
                                          const WriteOptions& wo) {
  if (closed_) return absl::UnavailableError("database is closing");
  RETURN_IF_ERROR(log_->health());
  const int64_t now = Now();
  ValidationContext ctx{&options_.limits, now, RetentionCutoff()};
  ASSIGN_OR_RETURN(uint64_t points, ValidateBatch(groups, ctx));
  if (wo.authorize) RETURN_IF_ERROR(wo.authorize(*groups));

  const uint64_t head_bytes = head_.heap_bytes();
  if (head_bytes > options_.head_memory_budget) {
    {
      absl::MutexLock l(&bg_mu_);
      bg_kick_ = true;
    }
    return absl::ResourceExhaustedError(
        absl::StrCat("server over its memory budget for unsealed data (", head_bytes, " of ",
                     options_.head_memory_budget, " bytes); retry after 200ms"));
  }

  const bool idempotent = !wo.producer_id.empty();
  const std::string dedup_key =
      idempotent ? DedupWindow::Key(wo.identity, wo.producer_id) : std::string();
  if (idempotent && dedup_->Begin(dedup_key, wo.producer_epoch, wo.sequence, now) ==
                        DedupWindow::Outcome::kDuplicate) {
    return WriteResult{0, true};
  }
  bool applied = false;
  auto finish_dedup = [&] {
    if (idempotent) dedup_->Finish(dedup_key, wo.producer_epoch, wo.sequence, now, applied);
  };

  // Resolve every column's series; reserve ids for new ones.
  std::vector<std::vector<SeriesId>> ids(groups->size());
  std::vector<wal::NewSeries> created;
  absl::flat_hash_set<SeriesId> created_ids;
  std::string key;
  for (size_t g = 0; g < groups->size(); g++) {
    const SeriesBatch& grp = (*groups)[g];
    key.clear();
    keys::AppendGroupPrefix(&key, grp.measurement, grp.tags);
    const size_t prefix = key.size();
    ids[g].resize(grp.fields.size());
    for (size_t f = 0; f < grp.fields.size(); f++) {
      key.resize(prefix);
      keys::AppendField(&key, grp.fields[f].name);
      auto r = index_.FindOrReserve(key, grp.fields[f].type, options_.limits.max_series);
      if (!r.ok()) {
        index_.Release(created);
        finish_dedup();
        BatchError where{static_cast<int64_t>(g), DescribeGroup(grp),
                         ClientText(grp.fields[f].name), -1};
        return MakeBatchError(r.status().code(), where,
                              absl::StrCat("series ", g, " (", where.series, ") field \"",
                                           where.field, "\": ", r.status().message()));
      }
      ids[g][f] = r->id;
      if (r->is_new && created_ids.insert(r->id).second) {
        created.push_back({r->id, grp.fields[f].type, key});
      }
    }
  }

  wal::WriteRecordMeta meta{wo.producer_id, wo.sequence, now, wo.identity, wo.producer_epoch};
  CommitLog::Request req;
  req.framed.assign(wal::kRecordHeaderSize, '\0');
  wal::EncodeWriteRecord(meta, created, *groups, ids, &req.framed);
  wal::FinishRecord(&req.framed, wal::RecordType::kWriteBatch, wal::kPlaintextKeyId);
  req.sync = wo.ack_mode.value_or(options_.default_ack_mode) == AckMode::kSync;
  req.apply = [&](uint64_t segment) {
    ApplyWrite(meta, created, *groups, ids, segment);
    applied = true;
  };
  absl::Status s = log_->Submit(std::move(req));
  if (!applied) index_.Release(created);
  finish_dedup();
  if (!s.ok()) return s;
  return WriteResult{points, false};
}

void DbImpl::ApplyWrite(const wal::WriteRecordMeta& meta,
                        const std::vector<wal::NewSeries>& created,
                        const std::vector<SeriesBatch>& groups,
                        const std::vector<std::vector<SeriesId>>& ids, uint64_t segment) {
  if (!created.empty()) {
    KvBatch batch;
    std::vector<wal::NewSeries> fresh;
    for (const auto& ns : created) {
      absl::Status s = index_.Commit(ns.id, ns.type, ns.key, &batch);
      if (!s.ok()) {
        Log(LogLevel::kError, "index.commit_failed", {{"series", ns.id}, {"error", s.ToString()}});
        continue;
      }
      head_.AddSeries(ns.id, ns.type);
      fresh.push_back(ns);
    }
    if (batch.count() > 0) {
      // Not synced: the WAL record holds the definitions until a checkpoint syncs RocksDB.
      absl::Status s = kv_->Write(&batch, /*sync=*/false);
      if (!s.ok()) {
        Log(LogLevel::kError, "index.persist_failed", {{"error", s.ToString()}});
        absl::MutexLock l(&unpersisted_mu_);
        unpersisted_.insert(unpersisted_.end(), fresh.begin(), fresh.end());
      }
    }
  }
  uint64_t seq;
  {
    // ReadAt() snapshots the head under the same lock, so a snapshot holds a write entirely
    // or not at all, and knows which.
    absl::MutexLock l(&apply_mu_);
    for (size_t g = 0; g < groups.size(); g++) {
      const SeriesBatch& grp = groups[g];
      for (size_t f = 0; f < grp.fields.size(); f++) {
        head_.Append(ids[g][f], grp.timestamps.data(), grp.fields[f], grp.timestamps.size(),
                     segment);
      }
    }
    seq = ++apply_seq_;
  }
  {
    absl::MutexLock l(&observer_mu_);
    if (observer_ != nullptr) observer_->OnApply(seq, groups, ids);
  }
  if (!meta.producer_id.empty()) {
    dedup_->Record(DedupWindow::Key(meta.identity, meta.producer_id), meta.epoch, meta.sequence,
                   meta.arrival_ns);
  }
}

}  // namespace telemdb::storage

namespace telemdb::storage {

void DbImpl::SetApplyObserver(ApplyObserver* observer) {
  absl::MutexLock l(&observer_mu_);
  observer_ = observer;
}

uint64_t DbImpl::applied_seq() const {
  absl::MutexLock l(&apply_mu_);
  return apply_seq_;
}

}  // namespace telemdb::storage
