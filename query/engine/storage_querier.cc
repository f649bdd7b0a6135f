#include "query/engine/storage_querier.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "storage/db.h"
#include "storage/key_layout.h"
#include "storage/series_cursor.h"
#include "util/status_macros.h"

namespace telemdb::query {
namespace {

class StorageCursor : public QueryCursor {
 public:
  StorageCursor(std::unique_ptr<storage::SeriesCursor> cursor, int64_t start, int64_t end)
      : cursor_(std::move(cursor)), start_(start), end_(end) {}

  absl::StatusOr<bool> Next() override {
    ASSIGN_OR_RETURN(bool more, cursor_->Next());
    if (more) {
      const auto& b = cursor_->block();
      block_ = Block{b.min_ts, b.max_ts, b.count, b.header};
    }
    return more;
  }
  const Block& block() const override { return block_; }
  absl::Status Decode(storage::codec::Columns* out) override { return cursor_->Decode(out); }
  CursorStats stats() const override {
    const storage::ReadStats& s = cursor_->stats();
    return CursorStats{s.chunks_read, s.chunks_decoded, s.points_decoded, s.head_points,
                       s.bytes_read};
  }
  int64_t start() const override { return start_; }
  int64_t end() const override { return end_; }

 private:
  std::unique_ptr<storage::SeriesCursor> cursor_;
  int64_t start_, end_;
  Block block_;
};

}  // namespace

absl::StatusOr<std::vector<SeriesId>> StorageQuerier::Select(
    const storage::SeriesSelector& selector) {
  return db_->index().Select(selector);
}

absl::StatusOr<SeriesMeta> StorageQuerier::Describe(SeriesId id) {
  auto info = db_->index().Get(id);
  if (!info) return absl::NotFoundError(absl::StrCat("no series with id ", id));
  return SeriesMeta{info->id, info->type, std::move(info->key)};
}

absl::Status StorageQuerier::DescribeKeys(absl::Span<const SeriesId> ids, KeyFn fn) {
  absl::Status status;
  db_->index().ForEachKey(ids.data(), ids.size(),
                          [&](size_t i, ValueType type, std::string_view key) {
                            status = fn(i, type, key);
                            return status.ok();
                          });
  return status;
}

absl::Status Querier::DescribeKeys(absl::Span<const SeriesId> ids, KeyFn fn) {
  for (size_t i = 0; i < ids.size(); i++) {
    auto meta = Describe(ids[i]);
    if (!meta.ok()) {
      if (meta.status().code() == absl::StatusCode::kNotFound) continue;  // deleted meanwhile
      return meta.status();
    }
    const std::string key =
        storage::keys::SeriesKeyBytes(meta->key.measurement, meta->key.tags, meta->key.field);
    RETURN_IF_ERROR(fn(i, meta->type, key));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<QueryCursor>> StorageQuerier::Open(SeriesId id, int64_t start,
                                                                  int64_t end) {
  // Db::Read applies the same cutoff; knowing it here lets the engine check chunk headers
  // against the range really read.
  start = std::max(start, db_->RetentionCutoff());
  ASSIGN_OR_RETURN(auto cursor, db_->Read(id, start, end));
  return std::unique_ptr<QueryCursor>(new StorageCursor(std::move(cursor), start, end));
}

absl::StatusOr<std::optional<LastValue>> StorageQuerier::Last(SeriesId id) {
  ASSIGN_OR_RETURN(auto last, db_->Last(id));
  if (!last) return std::optional<LastValue>();
  return std::optional<LastValue>(LastValue{last->ts, std::move(last->value)});
}

std::vector<std::string> StorageQuerier::Measurements() { return db_->index().Measurements(); }

std::vector<std::pair<std::string, ValueType>> StorageQuerier::Fields(
    std::string_view measurement) {
  return db_->index().Fields(measurement);
}

std::vector<std::string> StorageQuerier::TagKeys(std::string_view measurement) {
  return db_->index().TagKeys(measurement);
}

std::vector<std::string> StorageQuerier::TagValues(std::string_view key,
                                                   std::string_view measurement, size_t limit) {
  return db_->index().TagValues(key, measurement, limit);
}

absl::StatusOr<uint64_t> StorageQuerier::Delete(const DeleteRequest& request) {
  storage::DeleteSpec spec;
  spec.measurement = request.measurement;
  spec.matchers = request.matchers;
  spec.start = request.start;
  spec.end = request.end;
  spec.whole_measurement = request.whole_measurement;
  return db_->Delete(spec);
}

}  // namespace telemdb::query
