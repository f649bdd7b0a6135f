// SeriesIndex: the in-memory map from series identity to SeriesId, with inverted postings for
// tag matchers, persisted in the `series`, `series_meta` and `postings` column families and
// rebuilt from them at open.
//
// A new series is first *reserved* by the write path (it gets its id, and the cardinality
// limit is checked), then *committed* when its WAL record is durable and applied. Until then
// it is invisible to readers. Ids are never reused.
//
// Thread safety: thread-safe (one reader/writer lock).
#ifndef TELEMDB_STORAGE_SERIES_INDEX_H_
#define TELEMDB_STORAGE_SERIES_INDEX_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/types.h"

namespace re2 {
class RE2;
}

namespace telemdb::storage {

class KvBatch;
class KvStore;
namespace wal {
struct NewSeries;
}

struct TagMatcher {
  enum class Op : uint8_t { kEqual, kNotEqual, kRegex, kNotRegex, kExists, kNotExists };
  Op op = Op::kEqual;
  std::string key;
  std::string value;                   // kEqual / kNotEqual
  std::shared_ptr<const re2::RE2> re;  // kRegex / kNotRegex; full match semantics
};

// Series of one measurement (and optionally some fields) whose tags satisfy every matcher.
// kNotEqual and kNotRegex also match series that lack the tag.
struct SeriesSelector {
  std::string measurement;
  std::vector<std::string> fields;  // empty: every field
  std::vector<TagMatcher> matchers;
};

struct SeriesInfo {
  SeriesId id = kInvalidSeriesId;
  ValueType type = ValueType::kFloat;
  SeriesKey key;
};

class SeriesIndex {
 public:
  SeriesIndex() = default;
  SeriesIndex(const SeriesIndex&) = delete;
  SeriesIndex& operator=(const SeriesIndex&) = delete;

  // Rebuilds the index from the store. Errors: DataLoss for malformed entries.
  absl::Status Load(KvStore* store);

  // Finds a committed series. Returns kInvalidSeriesId when absent.
  SeriesId Find(std::string_view key_bytes, ValueType* type = nullptr) const;

  // Finds the series of `key_bytes` (committed or reserved) or reserves a new id for it.
  // Errors: InvalidArgument when the series exists with another type; ResourceExhausted
  // when a new series would exceed `max_series`.
  struct Resolved {
    SeriesId id;
    bool is_new;  // reserved, not yet committed: the WAL record must define it
  };
  absl::StatusOr<Resolved> FindOrReserve(std::string_view key_bytes, ValueType type,
                                         uint64_t max_series);

  // Gives back reservations of a write that failed before it reached the WAL.
  void Release(const std::vector<wal::NewSeries>& reserved);

  // Makes series `id` visible and adds its rows to `persist`. Idempotent (replay).
  // Errors: DataLoss when `key_bytes` is malformed.
  absl::Status Commit(SeriesId id, ValueType type, std::string_view key_bytes, KvBatch* persist);

  // Removes committed series (measurement delete); adds the deletions to `persist`.
  void Remove(const std::vector<SeriesId>& ids, KvBatch* persist);

  std::vector<SeriesId> Select(const SeriesSelector& selector) const;
  // Calls fn(id, type) for every committed series, in id order, under the read lock.
  void ForEach(const std::function<void(SeriesId, ValueType)>& fn) const;
  std::optional<SeriesInfo> Get(SeriesId id) const;
  // Calls fn(i, type, canonical key) for every live ids[i], in order, under the read lock
  // (taken once per 4096 ids, so writers creating series wait at most that long); the key
  // view is valid only during the call; fn returns false to stop. fn must not call back
  // into the index.
  void ForEachKey(const SeriesId* ids, size_t n,
                  absl::FunctionRef<bool(size_t, ValueType, std::string_view)> fn) const;
  std::optional<ValueType> TypeOf(SeriesId id) const;

  std::vector<std::string> Measurements() const;
  // (field, type) pairs of a measurement, sorted; a field whose series differ in type
  // appears once per type.
  std::vector<std::pair<std::string, ValueType>> Fields(std::string_view measurement) const;
  // Tag keys used by a measurement's series (every measurement when empty), sorted.
  std::vector<std::string> TagKeys(std::string_view measurement) const;
  // Values of tag `key` (restricted to a measurement when not empty), sorted, at most `limit`.
  std::vector<std::string> TagValues(std::string_view key, std::string_view measurement,
                                     size_t limit) const;

  uint64_t size() const;    // committed, live series
  SeriesId max_id() const;  // highest id ever assigned (committed or reserved)
  uint64_t memory_bytes() const;

 private:
  struct Entry {
    const char* key = nullptr;
    uint32_t key_len = 0;
    uint32_t measurement = 0;  // interned name id
    uint32_t field = 0;        // interned name id
    ValueType type = ValueType::kFloat;
    bool live = false;
  };
  struct Pending {
    SeriesId id;
    ValueType type;
    uint32_t refs;  // writes in flight that define this series
  };

  const char* StoreKey(std::string_view key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint32_t Intern(std::string_view name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AddLocked(SeriesId id, ValueType type, std::string_view key_bytes,
                         bool add_tag_postings) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<SeriesId> MatchLocked(const std::vector<SeriesId>& candidates,
                                    const TagMatcher& m) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  std::string_view KeyOf(const Entry& e) const { return std::string_view(e.key, e.key_len); }

  mutable absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);  // by id; [0] unused
  absl::flat_hash_map<std::string_view, SeriesId> by_key_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Pending> pending_ ABSL_GUARDED_BY(mu_);
  // Interned measurement and field names.
  std::vector<std::string> names_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> name_ids_ ABSL_GUARDED_BY(mu_);
  // measurement id -> field id -> series ids (ascending).
  absl::flat_hash_map<uint32_t, absl::btree_map<uint32_t, std::vector<SeriesId>>> by_field_
      ABSL_GUARDED_BY(mu_);
  // "tagkey\0tagvalue" -> series ids (ascending).
  absl::btree_map<std::string, std::vector<SeriesId>> postings_ ABSL_GUARDED_BY(mu_);
  // Schema of each measurement, kept up to date so planning a query costs nothing like the
  // number of series: series per (field, type) and per tag key.
  struct MeasurementSchema {
    absl::btree_map<uint32_t, std::array<uint32_t, 5>> field_types;  // field id -> per type
    absl::btree_map<std::string, uint32_t> tag_keys;
  };
  absl::flat_hash_map<uint32_t, MeasurementSchema> schemas_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<char[]>> arena_ ABSL_GUARDED_BY(mu_);
  size_t arena_used_ ABSL_GUARDED_BY(mu_) = 0;
  size_t arena_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t live_ ABSL_GUARDED_BY(mu_) = 0;
  SeriesId next_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_SERIES_INDEX_H_
