// SubQuery and PartialResult: what a coordinating node asks one shard for, and what the
// shard's replica answers. Transport-independent plain structs: the in-process transport of
// the tests passes them as they are, the gRPC transport (grpc_transport.h) converts them to
// telemdb.v1.PartialQueryRequest/Response.
//
// The coordinator (coordinator.h) runs the single-node query engine over a ClusterQuerier,
// which answers the engine's Querier calls by sub-queries:
//   kSelect        series of the shard matching a selector: canonical key + type each;
//   kFields, kTagKeys, kTagValues, kMeasurements
//                  schema listings of the answering node (every shard it holds: listings
//                  are unions, so asking every shard's replica gives the cluster's listing);
//   kRead          per series (by canonical key: series ids differ between replicas) the
//                  blocks of [start, end): raw points as the node's cursor yields them (with
//                  the stored chunk's pre-aggregates when it has them), or, with
//                  bucket_interval > 0, one pre-aggregate summary per time bucket and no
//                  points (the mergeable partial state: count, sum, min, max, first, last);
//   kLast          per series, the last-value cache's reading.
//
// Thread safety: plain values.
#ifndef TELEMDB_QUERY_DISTRIBUTED_SUB_QUERY_H_
#define TELEMDB_QUERY_DISTRIBUTED_SUB_QUERY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "query/engine/querier.h"
#include "storage/codec/chunk.h"
#include "storage/series_index.h"
#include "storage/types.h"

namespace telemdb::query::distributed {

// Wire values: explicit and append-only.
enum class SubQueryKind : uint8_t {
  kSelect = 1,
  kFields = 2,
  kTagKeys = 3,
  kTagValues = 4,
  kMeasurements = 5,
  kRead = 6,
  kLast = 7,
};
const char* SubQueryKindName(SubQueryKind kind);

// How series map to shards (util/shard.h); the same on every node of a cluster.
struct Sharding {
  uint32_t shards = 1;    // P. REQUIRES: > 0.
  std::string shard_tag;  // the device tag; "" = the whole tag set
};

struct SubQuery {
  SubQueryKind kind = SubQueryKind::kSelect;
  uint32_t shard = 0;  // answer for this shard only (kSelect filters by it)
  Sharding sharding;
  // kSelect: the selector (storage semantics, as Querier::Select).
  storage::SeriesSelector selector;
  // kFields, kTagKeys, kTagValues: the measurement ("" = every one, kTagKeys/kTagValues).
  std::string measurement;
  // kTagValues: the tag key and the most values wanted.
  std::string tag_key;
  uint64_t limit = 0;
  // kRead, kLast: canonical series keys (storage/key_layout.h).
  std::vector<std::string> series;
  // kRead: the range and, when bucket_interval > 0, per-bucket summaries instead of points
  // (GROUP BY time(bucket_interval, bucket_offset) buckets; query/engine/buckets.h).
  int64_t start = INT64_MIN;
  int64_t end = INT64_MAX;
  int64_t bucket_interval = 0;
  int64_t bucket_offset = 0;
  // kRead: the most points (or summaries) the answer may carry; 0 = no limit.
  uint64_t max_points = 0;
};

// One block of a series, in ascending time order; blocks do not overlap.
struct PartialBlock {
  int64_t min_ts = 0;
  int64_t max_ts = 0;
  uint32_t count = 0;
  // Pre-aggregates of exactly this block's points (a stored chunk), or none.
  std::optional<storage::codec::ChunkHeader> header;
  // The points of the block inside [start, end).
  storage::codec::Columns points;
};

struct SeriesData {
  bool found = false;  // the replica has the series (it may lag behind another replica)
  storage::ValueType type = storage::ValueType::kFloat;
  int64_t start = INT64_MIN;  // the range really read (narrowed by retention)
  int64_t end = INT64_MAX;
  std::vector<PartialBlock> blocks;  // raw reads
  // Reads with bucket_interval > 0 (non-string series): one summary per bucket with points,
  // ascending (min_ts, max_ts, count and the pre-aggregates of the bucket's points); no blocks.
  std::vector<storage::codec::ChunkHeader> summaries;
};

struct PartialResult {
  // kSelect: canonical key and type of each series, in the node's id order.
  std::vector<std::pair<std::string, storage::ValueType>> series;
  // kFields: (field, type) pairs.
  std::vector<std::pair<std::string, storage::ValueType>> fields;
  // kTagKeys, kTagValues, kMeasurements: sorted names.
  std::vector<std::string> names;
  // kRead: one per SubQuery::series, in order.
  std::vector<SeriesData> data;
  // kLast: one per SubQuery::series, in order.
  std::vector<std::optional<LastValue>> last;
};

}  // namespace telemdb::query::distributed

#endif  // TELEMDB_QUERY_DISTRIBUTED_SUB_QUERY_H_
