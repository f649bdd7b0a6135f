// ClusterQuerier: the Querier (query/engine/querier.h) of a coordinating node. The unchanged
// single-node engine runs over it, so every statement, function, transform, GROUP BY, FILL,
// ORDER and LIMIT means exactly what it means on one node; what differs is where the data
// comes from:
//   Select           a kSelect sub-query to each shard the query needs (all, or the ones
//                    its tag matchers pin: shard_pinning.h); a series lives on one shard;
//   Fields, TagKeys, TagValues, Measurements
//                    node-wide listings from a set of nodes covering every shard (field
//                    types unify over the whole measurement, so a pinned query still
//                    needs every shard's schema): ~one sub-query per node, not per shard;
//   Open             blocks fetched ahead by Prefetch (kReads of <= 32 series, in parallel):
//                    raw blocks, or per-bucket summaries (pre-aggregates) that the engine
//                    merges across series and shards exactly as it merges stored chunks'
//                    pre-aggregates. A range not fetched ahead (e.g. a transform's
//                    look-back) is fetched on demand for that series; a summary the engine
//                    cannot use (it asks to decode it) is replaced by the bucket's raw points,
//                    fetched on demand too;
//   Last             kLast, fetched ahead by PrefetchLast or on demand;
//   Delete           Unimplemented.
// Ids are this querier's own (one per canonical key, in order of discovery): replicas of a
// shard number their series differently, so sub-queries name series by canonical key.
//
// One ClusterQuerier serves one query (its caches are the query's snapshot of the cluster).
// Listing calls cannot return an error through the Querier interface: a failed one returns
// an empty list and records the error, which the coordinator checks before the first frame
// leaves (listing_error()), so an answer is never silently partial.
//
// Thread safety: thread-safe (one mutex); the engine calls it from the query's thread.
#ifndef TELEMDB_QUERY_DISTRIBUTED_CLUSTER_QUERIER_H_
#define TELEMDB_QUERY_DISTRIBUTED_CLUSTER_QUERIER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "query/distributed/fan_out.h"
#include "query/distributed/sub_query.h"
#include "query/engine/querier.h"

namespace telemdb::query::distributed {

class ClusterQuerier : public Querier {
 public:
  // `data_shards`: the shards Select asks (sorted); listings ask every shard of `sharding`.
  // `max_points`: the most points and summaries fetched per query (0: no limit).
  // REQUIRES: fan_out outlives this.
  ClusterQuerier(ShardFanOut* fan_out, Sharding sharding, std::vector<uint32_t> data_shards,
                 uint64_t max_points);

  // What to fetch ahead for one series: raw blocks of [start, end), or with interval > 0 one
  // summary per GROUP BY time(interval, offset) bucket.
  struct ReadSpec {
    SeriesId id = storage::kInvalidSeriesId;
    int64_t start = INT64_MIN;
    int64_t end = INT64_MAX;
    int64_t interval = 0;
    int64_t offset = 0;
  };
  // Errors: as the fan-out (Unavailable naming a shard no replica answered for, ...);
  // ResourceExhausted past max_points.
  absl::Status Prefetch(const std::vector<ReadSpec>& reads);
  absl::Status PrefetchLast(const std::vector<SeriesId>& ids);

  // The first error of a listing call, OK if none.
  absl::Status listing_error() const;
  uint64_t points_fetched() const;

  // Querier.
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

  // Raw blocks covering [start, end) of series `id` (fetched now if not cached).
  absl::StatusOr<std::shared_ptr<const SeriesData>> Raw(SeriesId id, int64_t start, int64_t end);

 private:
  struct Entry {
    std::string key;
    ValueType type;
    uint32_t shard;
  };
  struct Fetched {
    int64_t start, end, interval, offset;
    std::shared_ptr<const SeriesData> data;
  };

  SubQuery Base(SubQueryKind kind, uint32_t shard) const;
  absl::StatusOr<std::vector<PartialResult>> Listing(SubQueryKind kind, std::string measurement,
                                                     std::string tag_key, uint64_t limit);
  void RecordListingError(const absl::Status& s);
  absl::Status Fetch(const std::vector<ReadSpec>& reads);
  absl::StatusOr<Entry> EntryOf(SeriesId id) const;

  ShardFanOut* fan_out_;
  const Sharding sharding_;
  const std::vector<uint32_t> data_shards_;
  const uint64_t max_points_;

  mutable absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);  // id - 1
  std::map<std::string, SeriesId> by_key_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<SeriesId>> selected_ ABSL_GUARDED_BY(mu_);
  std::map<SeriesId, std::vector<Fetched>> fetched_ ABSL_GUARDED_BY(mu_);
  std::map<SeriesId, std::optional<LastValue>> last_ ABSL_GUARDED_BY(mu_);
  std::map<std::tuple<int, std::string, std::string, uint64_t>, std::vector<std::string>> names_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::pair<std::string, ValueType>>> fields_
      ABSL_GUARDED_BY(mu_);
  absl::Status listing_error_ ABSL_GUARDED_BY(mu_);
  uint64_t points_fetched_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace telemdb::query::distributed

#endif  // TELEMDB_QUERY_DISTRIBUTED_CLUSTER_QUERIER_H_
