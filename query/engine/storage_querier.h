// StorageQuerier: the Querier over a storage::Db. A thin adapter: selection and listings go to
// the series index, cursors to Db::Read (narrowed to the retention cutoff so that chunk
// headers are only trusted for live points), last values to Db::Last, deletes to Db::Delete.
//
// Thread safety: thread-safe (as storage::Db). The Db must outlive the querier and every
// cursor it opened.
#ifndef TELEMDB_QUERY_ENGINE_STORAGE_QUERIER_H_
#define TELEMDB_QUERY_ENGINE_STORAGE_QUERIER_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "query/engine/querier.h"

namespace telemdb::storage {
class Db;
}

namespace telemdb::query {

class StorageQuerier : public Querier {
 public:
  // REQUIRES: db != nullptr and outlives this object.
  explicit StorageQuerier(storage::Db* db) : db_(db) {}

  absl::StatusOr<std::vector<SeriesId>> Select(const storage::SeriesSelector& selector) override;
  absl::StatusOr<SeriesMeta> Describe(SeriesId id) override;
  absl::Status DescribeKeys(absl::Span<const SeriesId> ids, KeyFn fn) override;
  absl::StatusOr<std::unique_ptr<QueryCursor>> Open(SeriesId id, int64_t start,
                                                    int64_t end) override;
  absl::StatusOr<std::optional<LastValue>> Last(SeriesId id) override;
  std::vector<std::string> Measurements() override;
  std::vector<std::pair<std::string, ValueType>> Fields(std::string_view measurement) override;
  std::vector<std::string> TagKeys(std::string_view measurement) override;
  std::vector<std::string> TagValues(std::string_view key, std::string_view measurement,
                                     size_t limit) override;
  absl::StatusOr<uint64_t> Delete(const DeleteRequest& request) override;

 private:
  storage::Db* db_;
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_STORAGE_QUERIER_H_
