#include "query/distributed/partial_executor.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "query/engine/buckets.h"
#include "storage/key_layout.h"
#include "util/shard.h"
#include "util/status_macros.h"

namespace telemdb::query::distributed {
namespace {

using storage::codec::Columns;

absl::Status Validate(const SubQuery& q) {
  if (q.sharding.shards == 0) return absl::InvalidArgumentError("sub-query: shards must be > 0");
  if (q.shard >= q.sharding.shards) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sub-query: shard ", q.shard, " out of range (shards ", q.sharding.shards, ")"));
  }
  switch (q.kind) {
    case SubQueryKind::kSelect:
      if (q.selector.measurement.empty()) {
        return absl::InvalidArgumentError("sub-query select: empty measurement");
      }
      for (const auto& m : q.selector.matchers) {
        const bool regex =
            m.op == storage::TagMatcher::Op::kRegex || m.op == storage::TagMatcher::Op::kNotRegex;
        if (regex && m.re == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat(
              "sub-query select: regex matcher on tag \"", m.key, "\" without a regex"));
        }
      }
      return absl::OkStatus();
    case SubQueryKind::kFields:
      if (q.measurement.empty()) {
        return absl::InvalidArgumentError("sub-query fields: empty measurement");
      }
      return absl::OkStatus();
    case SubQueryKind::kTagValues:
      if (q.tag_key.empty())
        return absl::InvalidArgumentError("sub-query tag values: empty tag key");
      return absl::OkStatus();
    case SubQueryKind::kTagKeys:
    case SubQueryKind::kMeasurements:
    case SubQueryKind::kLast:
      return absl::OkStatus();
    case SubQueryKind::kRead:
      if (q.end <= q.start) {
        return absl::InvalidArgumentError(
            absl::StrCat("sub-query read: empty range [", q.start, ", ", q.end, ")"));
      }
      if (q.bucket_interval < 0) {
        return absl::InvalidArgumentError("sub-query read: negative bucket interval");
      }
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("sub-query: unknown kind ", static_cast<int>(q.kind)));
}

// The node's ids of `keys` (kInvalidSeriesId for keys it does not have).
absl::StatusOr<std::vector<SeriesId>> Resolve(const std::vector<std::string>& keys,
                                              Querier& local) {
  std::vector<SeriesId> ids(keys.size(), storage::kInvalidSeriesId);
  // One Select per measurement, narrowed to the fields asked for.
  std::map<std::string, std::set<std::string>> fields;
  std::map<std::string, size_t> wanted;  // key -> index
  for (size_t i = 0; i < keys.size(); i++) {
    ASSIGN_OR_RETURN(storage::SeriesKey k, storage::keys::ParseSeriesKey(keys[i]));
    fields[k.measurement].insert(k.field);
    wanted.emplace(keys[i], i);
  }
  for (const auto& [measurement, f] : fields) {
    storage::SeriesSelector sel;
    sel.measurement = measurement;
    sel.fields.assign(f.begin(), f.end());
    ASSIGN_OR_RETURN(std::vector<SeriesId> found, local.Select(sel));
    RETURN_IF_ERROR(
        local.DescribeKeys(found, [&](size_t i, ValueType, std::string_view key) -> absl::Status {
          auto it = wanted.find(std::string(key));
          if (it != wanted.end()) ids[it->second] = found[i];
          return absl::OkStatus();
        }));
  }
  return ids;
}

void AppendPoints(const Columns& from, size_t i, size_t j, Columns* to) {
  to->ts.insert(to->ts.end(), from.ts.begin() + i, from.ts.begin() + j);
  switch (from.type) {
    case ValueType::kFloat:
      to->floats.insert(to->floats.end(), from.floats.begin() + i, from.floats.begin() + j);
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      to->ints.insert(to->ints.end(), from.ints.begin() + i, from.ints.begin() + j);
      break;
    case ValueType::kString:
      to->strings.insert(to->strings.end(), from.strings.begin() + i, from.strings.begin() + j);
      break;
  }
}

// Folds `h`, the pre-aggregates of points all later than those of `acc`, into `acc` (the
// chunk-header semantics of storage/codec/chunk.h: min/max ignore NaN, NaN only if every value
// is; an int sum that overflows is flagged).
void MergeLater(storage::codec::ChunkHeader* acc, const storage::codec::ChunkHeader& h) {
  acc->count += h.count;
  acc->max_ts = h.max_ts;
  if (acc->type == ValueType::kFloat) {
    acc->fsum += h.fsum;
    if (std::isnan(acc->fmin) || (!std::isnan(h.fmin) && h.fmin < acc->fmin)) acc->fmin = h.fmin;
    if (std::isnan(acc->fmax) || (!std::isnan(h.fmax) && h.fmax > acc->fmax)) acc->fmax = h.fmax;
    acc->flast = h.flast;
  } else {
    acc->int_sum_overflowed |= h.int_sum_overflowed;
    acc->int_sum_overflowed |= __builtin_add_overflow(acc->isum, h.isum, &acc->isum);
    acc->imin = std::min(acc->imin, h.imin);
    acc->imax = std::max(acc->imax, h.imax);
    acc->ilast = h.ilast;
  }
}

absl::StatusOr<SeriesData> ReadSeries(const SubQuery& q, SeriesId id, Querier& local,
                                      uint64_t* budget) {
  ASSIGN_OR_RETURN(SeriesMeta meta, local.Describe(id));
  SeriesData out;
  out.found = true;
  out.type = meta.type;
  ASSIGN_OR_RETURN(auto cursor, local.Open(id, q.start, q.end));
  out.start = cursor->start();
  out.end = cursor->end();
  const bool summarize = q.bucket_interval > 0 && meta.type != ValueType::kString;
  const Buckets buckets(summarize ? q.bucket_interval : 1, q.bucket_offset);
  if (summarize && out.start > INT64_MIN && out.end < INT64_MAX) {
    // At most one summary per bucket of the range: no regrowth copies (capped: a sparse
    // series over a long range must not reserve for buckets it will never fill).
    const __int128 n = (static_cast<__int128>(out.end) - out.start) / q.bucket_interval + 2;
    out.summaries.reserve(static_cast<size_t>(std::min<__int128>(n, 1 << 16)));
  }
  Columns cols;
  auto charge = [&](uint64_t n) -> absl::Status {
    if (q.max_points == 0) return absl::OkStatus();
    if (n > *budget) {
      return absl::ResourceExhaustedError(
          absl::StrCat("a shard's answer would carry more than ", q.max_points,
                       " points (limit max_points_fetched); narrow the query or raise the limit"));
    }
    *budget -= n;
    return absl::OkStatus();
  };
  // Summaries: one per bucket, in time order. A bucket's summary folds stored chunks' own
  // pre-aggregates (a chunk inside the range and one bucket is not decoded, as on one node)
  // and the summaries of decoded runs, in time order.
  int64_t open_bucket = 0;
  bool has_acc = false;
  storage::codec::ChunkHeader acc;
  Columns pending;  // decoded points of the open bucket not folded yet
  pending.type = meta.type;
  auto fold = [&](const storage::codec::ChunkHeader& h) {
    if (!has_acc) {
      acc = h;
      acc.has_aggregates = true;
      has_acc = true;
    } else {
      MergeLater(&acc, h);
    }
  };
  auto fold_pending = [&] {
    if (pending.size() == 0) return;
    fold(storage::codec::ComputeHeader(pending));
    pending.Clear();
    pending.type = meta.type;
  };
  auto close = [&]() -> absl::Status {
    fold_pending();
    if (!has_acc) return absl::OkStatus();
    RETURN_IF_ERROR(charge(1));
    out.summaries.push_back(acc);
    has_acc = false;
    return absl::OkStatus();
  };
  auto open = [&](int64_t k) -> absl::Status {
    if ((has_acc || pending.size() > 0) && k != open_bucket) RETURN_IF_ERROR(close());
    open_bucket = k;
    return absl::OkStatus();
  };
  while (true) {
    ASSIGN_OR_RETURN(bool more, cursor->Next());
    if (!more) break;
    const QueryCursor::Block& blk = cursor->block();
    if (summarize && blk.header != nullptr && blk.header->has_aggregates &&
        blk.header->min_ts >= cursor->start() && blk.header->max_ts < cursor->end() &&
        buckets.Index(blk.header->min_ts) == buckets.Index(blk.header->max_ts)) {
      RETURN_IF_ERROR(open(buckets.Index(blk.header->min_ts)));
      fold_pending();  // earlier points first: first/last follow time order
      fold(*blk.header);
      continue;
    }
    RETURN_IF_ERROR(cursor->Decode(&cols));
    if (!summarize) {
      RETURN_IF_ERROR(charge(cols.size()));
      PartialBlock b;
      b.min_ts = blk.min_ts;
      b.max_ts = blk.max_ts;
      b.count = blk.count;
      if (blk.header != nullptr && blk.header->has_aggregates) b.header = *blk.header;
      b.points = std::move(cols);
      cols = Columns();
      out.blocks.push_back(std::move(b));
      continue;
    }
    absl::Status status;
    buckets.ForEachRun(cols.ts.data(), cols.size(), [&](int64_t k, size_t i, size_t j) {
      if (!status.ok()) return;
      status = open(k);
      AppendPoints(cols, i, j, &pending);
    });
    RETURN_IF_ERROR(status);
  }
  if (summarize) RETURN_IF_ERROR(close());
  return out;
}

}  // namespace

const char* SubQueryKindName(SubQueryKind kind) {
  switch (kind) {
    case SubQueryKind::kSelect:
      return "select";
    case SubQueryKind::kFields:
      return "fields";
    case SubQueryKind::kTagKeys:
      return "tag keys";
    case SubQueryKind::kTagValues:
      return "tag values";
    case SubQueryKind::kMeasurements:
      return "measurements";
    case SubQueryKind::kRead:
      return "read";
    case SubQueryKind::kLast:
      return "last";
  }
  return "unknown";
}

absl::StatusOr<PartialResult> ExecuteSubQuery(const SubQuery& q, Querier& local) {
  RETURN_IF_ERROR(Validate(q));
  PartialResult r;
  switch (q.kind) {
    case SubQueryKind::kSelect: {
      ASSIGN_OR_RETURN(std::vector<SeriesId> ids, local.Select(q.selector));
      RETURN_IF_ERROR(local.DescribeKeys(
          ids, [&](size_t, ValueType type, std::string_view key) -> absl::Status {
            ASSIGN_OR_RETURN(storage::SeriesKey k, storage::keys::ParseSeriesKey(key));
            if (ShardOfTags(k.tags, q.sharding.shard_tag, q.sharding.shards) == q.shard) {
              r.series.emplace_back(std::string(key), type);
            }
            return absl::OkStatus();
          }));
      break;
    }
    case SubQueryKind::kFields:
      r.fields = local.Fields(q.measurement);
      break;
    case SubQueryKind::kTagKeys:
      r.names = local.TagKeys(q.measurement);
      break;
    case SubQueryKind::kTagValues:
      r.names = local.TagValues(q.tag_key, q.measurement, q.limit);
      break;
    case SubQueryKind::kMeasurements:
      r.names = local.Measurements();
      break;
    case SubQueryKind::kRead: {
      ASSIGN_OR_RETURN(std::vector<SeriesId> ids, Resolve(q.series, local));
      uint64_t budget = q.max_points;
      for (SeriesId id : ids) {
        if (id == storage::kInvalidSeriesId) {
          r.data.emplace_back();
          continue;
        }
        auto data = ReadSeries(q, id, local, &budget);
        if (!data.ok() && data.status().code() == absl::StatusCode::kNotFound) {
          r.data.emplace_back();  // deleted meanwhile
          continue;
        }
        RETURN_IF_ERROR(data.status());
        r.data.push_back(*std::move(data));
      }
      break;
    }
    case SubQueryKind::kLast: {
      ASSIGN_OR_RETURN(std::vector<SeriesId> ids, Resolve(q.series, local));
      for (SeriesId id : ids) {
        if (id == storage::kInvalidSeriesId) {
          r.last.emplace_back();
          continue;
        }
        auto last = local.Last(id);
        if (!last.ok() && last.status().code() == absl::StatusCode::kNotFound) {
          r.last.emplace_back();
          continue;
        }
        RETURN_IF_ERROR(last.status());
        r.last.push_back(*std::move(last));
      }
      break;
    }
  }
  return r;
}

}  // namespace telemdb::query::distributed
