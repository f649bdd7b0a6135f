#include "query/distributed/cluster_querier.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"
#include "storage/key_layout.h"
#include "util/status_macros.h"

namespace telemdb::query::distributed {
namespace {

using storage::codec::Columns;

// Series per kRead sub-query.
constexpr size_t kReadBatchSeries = 32;

// Appends the points of `from` with ts in [lo, hi] (inclusive) to `to`.
void AppendRange(const Columns& from, int64_t lo, int64_t hi, Columns* to) {
  const size_t i = std::lower_bound(from.ts.begin(), from.ts.end(), lo) - from.ts.begin();
  const size_t j = std::upper_bound(from.ts.begin(), from.ts.end(), hi) - from.ts.begin();
  if (i >= j) return;
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

// Replays fetched blocks over [start, end) (a sub-range of what was fetched). A summary
// block is decoded by fetching the series' raw points of the cursor's range.
class ReplayCursor : public QueryCursor {
 public:
  ReplayCursor(ClusterQuerier* querier, SeriesId id, std::shared_ptr<const SeriesData> data,
               int64_t start, int64_t end)
      : querier_(querier), id_(id), data_(std::move(data)), start_(start), end_(end) {
    // The range really read: narrowed like the replica narrowed the fetch (retention).
    start_ = std::max(start_, data_->start);
    end_ = std::min(end_, data_->end);
  }

  absl::StatusOr<bool> Next() override {
    if (!data_->summaries.empty()) {
      while (++pos_ < data_->summaries.size()) {
        const storage::codec::ChunkHeader& h = data_->summaries[pos_];
        if (h.max_ts < start_ || h.min_ts >= end_) continue;
        block_ = Block{h.min_ts, h.max_ts, h.count, &h};
        stats_.chunks_read++;
        return true;
      }
      return false;
    }
    while (++pos_ < data_->blocks.size()) {
      const PartialBlock& b = data_->blocks[pos_];
      if (b.max_ts < start_ || b.min_ts >= end_) continue;
      block_ = Block{b.min_ts, b.max_ts, b.count, b.header ? &*b.header : nullptr};
      stats_.chunks_read++;
      return true;
    }
    return false;
  }
  const Block& block() const override { return block_; }
  absl::Status Decode(Columns* out) override {
    out->Clear();
    out->type = data_->type;
    const bool summary = !data_->summaries.empty();
    const int64_t lo =
        std::max(summary ? data_->summaries[pos_].min_ts : data_->blocks[pos_].min_ts, start_);
    const int64_t hi =
        std::min(summary ? data_->summaries[pos_].max_ts : data_->blocks[pos_].max_ts, end_ - 1);
    if (summary) {
      if (raw_ == nullptr) {
        ASSIGN_OR_RETURN(raw_, querier_->Raw(id_, start_, end_));
      }
      for (const PartialBlock& r : raw_->blocks) {
        if (r.max_ts < lo || r.min_ts > hi) continue;
        AppendRange(r.points, lo, hi, out);
      }
    } else {
      AppendRange(data_->blocks[pos_].points, lo, hi, out);
    }
    stats_.chunks_decoded++;
    stats_.points_decoded += out->size();
    return absl::OkStatus();
  }
  CursorStats stats() const override { return stats_; }
  int64_t start() const override { return start_; }
  int64_t end() const override { return end_; }

 private:
  ClusterQuerier* querier_;
  SeriesId id_;
  std::shared_ptr<const SeriesData> data_;
  std::shared_ptr<const SeriesData> raw_;
  int64_t start_, end_;
  size_t pos_ = static_cast<size_t>(-1);
  Block block_;
  CursorStats stats_;
};

std::string SelectorKey(const storage::SeriesSelector& s) {
  std::string k = s.measurement;
  k.push_back('\0');
  for (const auto& f : s.fields) absl::StrAppend(&k, f, std::string(1, '\0'));
  k.push_back('\1');
  for (const auto& m : s.matchers) {
    absl::StrAppend(&k, static_cast<int>(m.op), std::string(1, '\0'), m.key, std::string(1, '\0'),
                    m.value, std::string(1, '\0'), m.re ? m.re->pattern() : "",
                    std::string(1, '\0'));
  }
  return k;
}

uint64_t PointsOf(const SeriesData& d) {
  uint64_t n = d.summaries.size();
  for (const auto& b : d.blocks) n += b.points.size();
  return n;
}

}  // namespace

ClusterQuerier::ClusterQuerier(ShardFanOut* fan_out, Sharding sharding,
                               std::vector<uint32_t> data_shards, uint64_t max_points)
    : fan_out_(fan_out),
      sharding_(std::move(sharding)),
      data_shards_(std::move(data_shards)),
      max_points_(max_points) {}

SubQuery ClusterQuerier::Base(SubQueryKind kind, uint32_t shard) const {
  SubQuery q;
  q.kind = kind;
  q.shard = shard;
  q.sharding = sharding_;
  q.max_points = max_points_;
  return q;
}

absl::Status ClusterQuerier::listing_error() const {
  absl::MutexLock l(&mu_);
  return listing_error_;
}

uint64_t ClusterQuerier::points_fetched() const {
  absl::MutexLock l(&mu_);
  return points_fetched_;
}

void ClusterQuerier::RecordListingError(const absl::Status& s) {
  absl::MutexLock l(&mu_);
  if (listing_error_.ok()) listing_error_ = s;
}

absl::StatusOr<ClusterQuerier::Entry> ClusterQuerier::EntryOf(SeriesId id) const {
  absl::MutexLock l(&mu_);
  if (id == 0 || id > entries_.size()) {
    return absl::NotFoundError(absl::StrCat("no series with id ", id));
  }
  return entries_[id - 1];
}

absl::StatusOr<std::vector<SeriesId>> ClusterQuerier::Select(
    const storage::SeriesSelector& selector) {
  const std::string cache_key = SelectorKey(selector);
  {
    absl::MutexLock l(&mu_);
    auto it = selected_.find(cache_key);
    if (it != selected_.end()) return it->second;
  }
  std::vector<SubQuery> qs;
  for (uint32_t shard : data_shards_) {
    qs.push_back(Base(SubQueryKind::kSelect, shard));
    qs.back().selector = selector;
  }
  ASSIGN_OR_RETURN(std::vector<PartialResult> results, fan_out_->Run(qs));
  absl::MutexLock l(&mu_);
  std::vector<SeriesId> ids;
  for (size_t i = 0; i < results.size(); i++) {
    for (auto& [key, type] : results[i].series) {
      auto [it, inserted] = by_key_.emplace(key, entries_.size() + 1);
      if (inserted) entries_.push_back(Entry{key, type, qs[i].shard});
      ids.push_back(it->second);
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  selected_[cache_key] = ids;
  return ids;
}

absl::StatusOr<SeriesMeta> ClusterQuerier::Describe(SeriesId id) {
  ASSIGN_OR_RETURN(Entry e, EntryOf(id));
  ASSIGN_OR_RETURN(storage::SeriesKey key, storage::keys::ParseSeriesKey(e.key));
  return SeriesMeta{id, e.type, std::move(key)};
}

absl::Status ClusterQuerier::DescribeKeys(absl::Span<const SeriesId> ids, KeyFn fn) {
  for (size_t i = 0; i < ids.size(); i++) {
    auto e = EntryOf(ids[i]);
    if (!e.ok()) continue;
    RETURN_IF_ERROR(fn(i, e->type, e->key));
  }
  return absl::OkStatus();
}

absl::Status ClusterQuerier::Fetch(const std::vector<ReadSpec>& reads) {
  // One kRead per (shard, range, bucketing).
  std::map<std::tuple<uint32_t, int64_t, int64_t, int64_t, int64_t>, std::vector<SeriesId>> groups;
  for (const ReadSpec& r : reads) {
    ASSIGN_OR_RETURN(Entry e, EntryOf(r.id));
    groups[{e.shard, r.start, r.end, r.interval, r.offset}].push_back(r.id);
  }
  std::vector<SubQuery> qs;
  std::vector<const std::vector<SeriesId>*> ids;
  std::vector<std::vector<SeriesId>> batches;
  for (const auto& [g, members] : groups) {
    // Batches of kReadBatchSeries series: answers stay small messages, and a shard's
    // replica reads them on several threads.
    for (size_t from = 0; from < members.size(); from += kReadBatchSeries) {
      const size_t to = std::min(members.size(), from + kReadBatchSeries);
      SubQuery q = Base(SubQueryKind::kRead, std::get<0>(g));
      q.start = std::get<1>(g);
      q.end = std::get<2>(g);
      q.bucket_interval = std::get<3>(g);
      q.bucket_offset = std::get<4>(g);
      batches.emplace_back(members.begin() + from, members.begin() + to);
      for (SeriesId id : batches.back()) q.series.push_back(EntryOf(id)->key);
      qs.push_back(std::move(q));
    }
  }
  for (const auto& b : batches) ids.push_back(&b);
  if (qs.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<PartialResult> results, fan_out_->Run(qs));
  absl::MutexLock l(&mu_);
  for (size_t i = 0; i < results.size(); i++) {
    if (results[i].data.size() != ids[i]->size()) {
      return absl::InternalError(absl::StrCat("shard ", qs[i].shard, " answered ",
                                              results[i].data.size(), " series for ",
                                              ids[i]->size(), " asked"));
    }
    for (size_t k = 0; k < ids[i]->size(); k++) {
      auto data = std::make_shared<SeriesData>(std::move(results[i].data[k]));
      points_fetched_ += PointsOf(*data);
      if (!data->found) {
        data->start = qs[i].start;
        data->end = qs[i].end;
      }
      fetched_[(*ids[i])[k]].push_back(
          Fetched{qs[i].start, qs[i].end, qs[i].bucket_interval, qs[i].bucket_offset, data});
    }
  }
  if (max_points_ > 0 && points_fetched_ > max_points_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the query fetched more than ", max_points_,
                     " points from the cluster (limit max_points_fetched); narrow it"));
  }
  return absl::OkStatus();
}

absl::Status ClusterQuerier::Prefetch(const std::vector<ReadSpec>& reads) { return Fetch(reads); }

absl::Status ClusterQuerier::PrefetchLast(const std::vector<SeriesId>& ids) {
  std::map<uint32_t, std::vector<SeriesId>> by_shard;
  for (SeriesId id : ids) {
    ASSIGN_OR_RETURN(Entry e, EntryOf(id));
    by_shard[e.shard].push_back(id);
  }
  std::vector<SubQuery> qs;
  std::vector<const std::vector<SeriesId>*> members;
  for (const auto& [shard, m] : by_shard) {
    qs.push_back(Base(SubQueryKind::kLast, shard));
    for (SeriesId id : m) qs.back().series.push_back(EntryOf(id)->key);
    members.push_back(&m);
  }
  if (qs.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<PartialResult> results, fan_out_->Run(qs));
  absl::MutexLock l(&mu_);
  for (size_t i = 0; i < results.size(); i++) {
    if (results[i].last.size() != members[i]->size()) {
      return absl::InternalError(absl::StrCat("shard ", qs[i].shard, " answered ",
                                              results[i].last.size(), " last values for ",
                                              members[i]->size(), " asked"));
    }
    for (size_t k = 0; k < members[i]->size(); k++) {
      last_[(*members[i])[k]] = std::move(results[i].last[k]);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const SeriesData>> ClusterQuerier::Raw(SeriesId id, int64_t start,
                                                                      int64_t end) {
  if (end <= start) {  // nothing to read: no sub-query (a replica rejects empty ranges)
    auto empty = std::make_shared<SeriesData>();
    empty->start = start;
    empty->end = end;
    return std::shared_ptr<const SeriesData>(std::move(empty));
  }
  {
    absl::MutexLock l(&mu_);
    for (const Fetched& f : fetched_[id]) {
      if (f.interval == 0 && f.start <= start && f.end >= end) return f.data;
    }
  }
  RETURN_IF_ERROR(Fetch({ReadSpec{id, start, end, 0, 0}}));
  absl::MutexLock l(&mu_);
  return fetched_[id].back().data;
}

absl::StatusOr<std::unique_ptr<QueryCursor>> ClusterQuerier::Open(SeriesId id, int64_t start,
                                                                  int64_t end) {
  RETURN_IF_ERROR(EntryOf(id).status());
  std::shared_ptr<const SeriesData> data;
  {
    absl::MutexLock l(&mu_);
    for (const Fetched& f : fetched_[id]) {
      // Summaries only for exactly the range they were made for; raw blocks for any
      // sub-range.
      if (f.interval > 0 ? (f.start == start && f.end == end)
                         : (f.start <= start && f.end >= end)) {
        data = f.data;
        break;
      }
    }
  }
  if (data == nullptr) {
    ASSIGN_OR_RETURN(data, Raw(id, start, end));
  }
  return std::unique_ptr<QueryCursor>(new ReplayCursor(this, id, std::move(data), start, end));
}

absl::StatusOr<std::optional<LastValue>> ClusterQuerier::Last(SeriesId id) {
  {
    absl::MutexLock l(&mu_);
    auto it = last_.find(id);
    if (it != last_.end()) return it->second;
  }
  RETURN_IF_ERROR(PrefetchLast({id}));
  absl::MutexLock l(&mu_);
  return last_[id];
}

absl::StatusOr<std::vector<PartialResult>> ClusterQuerier::Listing(SubQueryKind kind,
                                                                   std::string measurement,
                                                                   std::string tag_key,
                                                                   uint64_t limit) {
  SubQuery q = Base(kind, 0);
  q.measurement = std::move(measurement);
  q.tag_key = std::move(tag_key);
  q.limit = limit;
  auto r = fan_out_->RunCovering(q);
  if (!r.ok()) RecordListingError(r.status());
  return r;
}

std::vector<std::pair<std::string, ValueType>> ClusterQuerier::Fields(
    std::string_view measurement) {
  {
    absl::MutexLock l(&mu_);
    auto it = fields_.find(std::string(measurement));
    if (it != fields_.end()) return it->second;
  }
  auto r = Listing(SubQueryKind::kFields, std::string(measurement), "", 0);
  if (!r.ok()) return {};
  std::set<std::pair<std::string, ValueType>> all;
  for (const auto& p : *r) all.insert(p.fields.begin(), p.fields.end());
  std::vector<std::pair<std::string, ValueType>> out(all.begin(), all.end());
  absl::MutexLock l(&mu_);
  fields_[std::string(measurement)] = out;
  return out;
}

namespace {
std::vector<std::string> UnionNames(const std::vector<PartialResult>& results, size_t limit) {
  std::set<std::string> all;
  for (const auto& p : results) all.insert(p.names.begin(), p.names.end());
  std::vector<std::string> out(all.begin(), all.end());
  if (limit > 0 && out.size() > limit) out.resize(limit);
  return out;
}
}  // namespace

std::vector<std::string> ClusterQuerier::Measurements() {
  auto key = std::make_tuple(static_cast<int>(SubQueryKind::kMeasurements), std::string(),
                             std::string(), uint64_t{0});
  {
    absl::MutexLock l(&mu_);
    auto it = names_.find(key);
    if (it != names_.end()) return it->second;
  }
  auto r = Listing(SubQueryKind::kMeasurements, "", "", 0);
  if (!r.ok()) return {};
  std::vector<std::string> out = UnionNames(*r, 0);
  absl::MutexLock l(&mu_);
  names_[key] = out;
  return out;
}

std::vector<std::string> ClusterQuerier::TagKeys(std::string_view measurement) {
  auto key = std::make_tuple(static_cast<int>(SubQueryKind::kTagKeys), std::string(measurement),
                             std::string(), uint64_t{0});
  {
    absl::MutexLock l(&mu_);
    auto it = names_.find(key);
    if (it != names_.end()) return it->second;
  }
  auto r = Listing(SubQueryKind::kTagKeys, std::string(measurement), "", 0);
  if (!r.ok()) return {};
  std::vector<std::string> out = UnionNames(*r, 0);
  absl::MutexLock l(&mu_);
  names_[key] = out;
  return out;
}

std::vector<std::string> ClusterQuerier::TagValues(std::string_view tag_key,
                                                   std::string_view measurement, size_t limit) {
  auto key = std::make_tuple(static_cast<int>(SubQueryKind::kTagValues), std::string(measurement),
                             std::string(tag_key), uint64_t{limit});
  {
    absl::MutexLock l(&mu_);
    auto it = names_.find(key);
    if (it != names_.end()) return it->second;
  }
  auto r = Listing(SubQueryKind::kTagValues, std::string(measurement), std::string(tag_key), limit);
  if (!r.ok()) return {};
  std::vector<std::string> out = UnionNames(*r, limit);
  absl::MutexLock l(&mu_);
  names_[key] = out;
  return out;
}

absl::StatusOr<uint64_t> ClusterQuerier::Delete(const DeleteRequest&) {
  return absl::UnimplementedError(
      "DELETE is not supported through the cluster coordinator; deletes must go through the "
      "ingest log so that every replica applies them");
}

}  // namespace telemdb::query::distributed
