#include "query/distributed/coordinator.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <thread>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "query/distributed/cluster_querier.h"
#include "query/distributed/shard_pinning.h"
#include "query/engine/aggregator.h"
#include "query/engine/engine.h"
#include "query/engine/plan.h"
#include "query/lang/parser.h"
#include "util/status_macros.h"

namespace telemdb::query::distributed {
namespace {

// Passes frames on unless a listing failed (the engine cannot see those errors: listings
// return plain vectors), so that no frame of a possibly incomplete answer leaves.
class CheckedSink : public ResultSink {
 public:
  CheckedSink(ResultSink* sink, const ClusterQuerier* querier) : sink_(sink), querier_(querier) {}
  absl::Status Start(const ResultSchema& schema) override {
    RETURN_IF_ERROR(querier_->listing_error());
    return sink_->Start(schema);
  }
  absl::Status Write(ResultFrame&& frame) override {
    RETURN_IF_ERROR(querier_->listing_error());
    return sink_->Write(std::move(frame));
  }

 private:
  ResultSink* sink_;
  const ClusterQuerier* querier_;
};

// Whether every item over field f can be answered from pre-aggregates.
bool SummariesServe(const SelectPlan& plan, size_t f) {
  bool any = false;
  for (const PlannedItem& it : plan.items) {
    if (it.field != static_cast<int>(f)) continue;
    if (!it.aggregate || !Aggregator::UsesHeaders(it.aggregate->function, plan.fields[f].type)) {
      return false;
    }
    any = true;
  }
  return any;
}

// What the engine will read for `plan`, fetched ahead in one parallel round.
absl::Status FetchAhead(const SelectPlan& plan, const ExecOptions& options, bool summaries,
                        ClusterQuerier* querier) {
  if (plan.groups.empty() || plan.range.empty()) return absl::OkStatus();
  if (plan.last_cache) {
    std::vector<SeriesId> ids;
    for (const Group& g : plan.groups) {
      for (const Entity& e : g.entities) {
        for (SeriesId id : e.series) {
          if (id != storage::kInvalidSeriesId) ids.push_back(id);
        }
      }
    }
    return querier->PrefetchLast(ids);
  }
  std::vector<bool> used(plan.fields.size(), false);
  for (const PlannedItem& it : plan.items) used[static_cast<size_t>(it.field)] = true;
  std::vector<bool> summarize(plan.fields.size(), false);
  const bool may_summarize = summaries && plan.aggregated && !plan.multi_row && !plan.point_time &&
                             options.use_preaggregates;
  for (size_t f = 0; f < plan.fields.size(); f++) {
    summarize[f] =
        may_summarize && plan.fields[f].type != ValueType::kString && SummariesServe(plan, f);
  }
  int64_t interval = std::numeric_limits<int64_t>::max(), offset = 0;  // one bucket
  if (plan.group_by_time) {
    interval = plan.group_by_time->interval_ns;
    offset = plan.group_by_time->offset_ns;
  }
  std::vector<ClusterQuerier::ReadSpec> reads;
  for (const Group& g : plan.groups) {
    for (const Entity& e : g.entities) {
      for (size_t f = 0; f < plan.fields.size(); f++) {
        const SeriesId id = e.series[f];
        if (id == storage::kInvalidSeriesId) continue;
        if (!e.filter && !used[f]) continue;  // only a filter reads WHERE-only fields
        ClusterQuerier::ReadSpec r{id, plan.range.start, plan.range.end, 0, 0};
        if (summarize[f] && !e.filter && e.stored[f] == plan.fields[f].type) {
          r.interval = interval;
          r.offset = offset;
        }
        reads.push_back(r);
      }
    }
  }
  return querier->Prefetch(reads);
}

// The planner's schema look-ups (the field list, then "is this a tag?" per key of the WHERE
// and GROUP BY), asked all at once instead of one round trip after the other; the planner
// then finds them in the querier's cache.
void WarmSchema(const lang::SelectStatement& stmt, ClusterQuerier* querier) {
  std::vector<std::string> keys = stmt.group_by_tags;
  CollectKeys(stmt.where, &keys);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<std::thread> threads;
  threads.emplace_back([&] { querier->Fields(stmt.measurement); });
  for (const std::string& k : keys) {
    threads.emplace_back([&, k] { querier->TagValues(k, stmt.measurement, 1); });
  }
  for (auto& t : threads) t.join();
}

}  // namespace

Coordinator::Coordinator(const ShardReplicas* replicas, PartialQueryClient* client,
                         CoordinatorOptions options)
    : replicas_(replicas), client_(client), options_(std::move(options)) {}

absl::Status Coordinator::Execute(const lang::Statement& statement, const ExecOptions& options,
                                  Context& ctx, ResultSink& sink, QueryStats* stats,
                                  CoordinatorStats* cstats, const QuerierWrap& wrap) {
  if (std::holds_alternative<lang::DeleteStatement>(statement)) {
    return absl::UnimplementedError(
        "DELETE is not supported through the cluster coordinator; deletes must go through the "
        "ingest log so that every replica applies them");
  }
  const Sharding& sharding = options_.sharding;
  if (sharding.shards == 0) return absl::InvalidArgumentError("cluster: shards must be > 0");
  std::vector<uint32_t> shards = ShardsFor(statement, sharding);
  ShardFanOut fan_out(replicas_, client_, options_.fan_out, &ctx, rotation_.fetch_add(1));
  auto querier =
      std::make_unique<ClusterQuerier>(&fan_out, sharding, shards, options_.max_points_fetched);
  const auto* select = std::get_if<lang::SelectStatement>(&statement);
  if (select != nullptr) WarmSchema(*select, querier.get());
  if (select != nullptr && shards.size() < sharding.shards) {
    // Pinned by `<shard tag> = '...'`: valid only if the shard tag is no field here.
    for (const auto& [name, type] : querier->Fields(select->measurement)) {
      if (name != sharding.shard_tag) continue;
      shards.clear();
      for (uint32_t s = 0; s < sharding.shards; s++) shards.push_back(s);
      querier =
          std::make_unique<ClusterQuerier>(&fan_out, sharding, shards, options_.max_points_fetched);
      break;
    }
    RETURN_IF_ERROR(querier->listing_error());
  }
  // The caller's read scope around the cluster's querier (the fetch-ahead and listing
  // checks use the querier itself).
  std::unique_ptr<Querier> wrapped = wrap ? wrap(*querier) : nullptr;
  Querier& reader = wrapped ? *wrapped : *querier;
  absl::Status status;
  if (select != nullptr) {
    QueryStats plan_stats;
    auto plan = PlanSelect(*select, reader, options, &plan_stats);
    RETURN_IF_ERROR(querier->listing_error());
    if (plan.ok()) {
      status = FetchAhead(*plan, options, options_.summaries, querier.get());
    }
    // A planning error is returned by the engine's own planning below, unchanged.
  }
  if (status.ok()) {
    CheckedSink checked(&sink, querier.get());
    status = query::Execute(statement, reader, options, ctx, checked, stats);
    absl::Status listing = querier->listing_error();
    if (!listing.ok()) status = listing;
  }
  if (cstats != nullptr) {
    cstats->shards = shards.size();
    cstats->sub_queries = fan_out.stats().sub_queries;
    cstats->retries = fan_out.stats().retries;
    cstats->points_fetched = querier->points_fetched();
  }
  return status;
}

absl::Status Coordinator::Run(const lang::Statement& statement, const QuerierWrap& wrap,
                              const ExecOptions& options, Context& ctx, ResultSink& sink,
                              QueryStats* stats) {
  return Execute(statement, options, ctx, sink, stats, nullptr, wrap);
}

absl::Status Coordinator::WithQuerier(const QuerierWrap& wrap, Context& ctx,
                                      const std::function<absl::Status(Querier&)>& fn) {
  const Sharding& sharding = options_.sharding;
  if (sharding.shards == 0) return absl::InvalidArgumentError("cluster: shards must be > 0");
  std::vector<uint32_t> shards;
  for (uint32_t s = 0; s < sharding.shards; s++) shards.push_back(s);
  ShardFanOut fan_out(replicas_, client_, options_.fan_out, &ctx, rotation_.fetch_add(1));
  ClusterQuerier querier(&fan_out, sharding, shards, options_.max_points_fetched);
  std::unique_ptr<Querier> wrapped = wrap ? wrap(querier) : nullptr;
  absl::Status status = fn(wrapped ? *wrapped : querier);
  // A listing that failed on some shard returned a short list: the error wins.
  RETURN_IF_ERROR(querier.listing_error());
  return status;
}

absl::Status Coordinator::ExecuteText(std::string_view text, const ExecOptions& options,
                                      Context& ctx, ResultSink& sink, QueryStats* stats,
                                      CoordinatorStats* cstats) {
  lang::ParseOptions popts;
  popts.now_ns = options.now_ns;
  ASSIGN_OR_RETURN(lang::Statement stmt, lang::Parse(text, popts));
  return Execute(stmt, options, ctx, sink, stats, cstats);
}

}  // namespace telemdb::query::distributed
