#include "query/distributed/fan_out.h"

#include <algorithm>
#include <map>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "util/status_macros.h"

namespace telemdb::query::distributed {

bool Retryable(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kCancelled:
      return false;
    default:
      return true;
  }
}

ShardFanOut::ShardFanOut(const ShardReplicas* replicas, PartialQueryClient* client,
                         FanOutOptions options, const Context* ctx, uint64_t rotation)
    : replicas_(replicas), client_(client), options_(options), ctx_(ctx), rotation_(rotation) {}

bool ShardFanOut::Failed(const std::string& node_id) const {
  absl::MutexLock l(&mu_);
  return failed_.count(node_id) > 0;
}

void ShardFanOut::MarkFailed(const std::string& node_id) {
  absl::MutexLock l(&mu_);
  failed_.insert(node_id);
}

absl::StatusOr<PartialResult> ShardFanOut::RunOne(const SubQuery& q) {
  const std::vector<ReplicaHandle> replicas = replicas_->ReplicasOf(q.shard);
  const std::string what = absl::StrCat("shard ", q.shard, " of ", q.sharding.shards, " (",
                                        SubQueryKindName(q.kind), " sub-query)");
  if (replicas.empty()) {
    return absl::UnavailableError(absl::StrCat(what, ": no live replica holds the shard"));
  }
  // Healthy replicas first, from the rotating start; replicas that already failed in this
  // query last (they may have recovered, and are better than no answer).
  std::vector<const ReplicaHandle*> order;
  const size_t first = options_.prefer_first ? 0 : (rotation_ + q.shard) % replicas.size();
  for (int pass = 0; pass < 2; pass++) {
    for (size_t k = 0; k < replicas.size(); k++) {
      const ReplicaHandle& r = replicas[(first + k) % replicas.size()];
      if (Failed(r.node_id) == (pass == 1)) order.push_back(&r);
    }
  }
  std::vector<std::string> errors;
  for (size_t k = 0; k < order.size(); k++) {
    if (ctx_ != nullptr) {
      absl::Status alive = ctx_->Check();
      if (!alive.ok()) return alive;
    }
    absl::Time deadline = absl::Now() + options_.attempt_timeout;
    if (ctx_ != nullptr) deadline = std::min(deadline, ctx_->deadline());
    stats_.sub_queries++;
    if (k > 0) stats_.retries++;
    auto r = client_->Execute(*order[k], q, deadline);
    if (r.ok()) return r;
    if (!Retryable(r.status())) {
      return absl::Status(r.status().code(), absl::StrCat(what, " on ", order[k]->node_id, ": ",
                                                          r.status().message()));
    }
    if (r.status().code() == absl::StatusCode::kDeadlineExceeded && ctx_ != nullptr &&
        absl::Now() >= ctx_->deadline()) {
      return ctx_->Check();
    }
    MarkFailed(order[k]->node_id);
    errors.push_back(absl::StrCat(
        order[k]->node_id, order[k]->address.empty() ? "" : " at " + order[k]->address, ": ",
        absl::StatusCodeToString(r.status().code()), ": ", r.status().message()));
  }
  return absl::UnavailableError(
      absl::StrCat(what, ": no replica answered (", absl::StrJoin(errors, "; "), ")"));
}

void ShardFanOut::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 1) {
    fn(0);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    while (true) {
      const size_t i = next.fetch_add(1);
      if (i >= n) return;
      fn(i);
    }
  };
  const size_t threads = std::min<size_t>(n, std::max(1, options_.parallelism));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; t++) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

absl::StatusOr<std::vector<PartialResult>> ShardFanOut::Run(const std::vector<SubQuery>& queries) {
  std::vector<absl::StatusOr<PartialResult>> results(queries.size(), absl::UnknownError("not run"));
  ParallelFor(queries.size(), [&](size_t i) { results[i] = RunOne(queries[i]); });
  std::vector<PartialResult> out;
  out.reserve(results.size());
  for (auto& r : results) {
    if (!r.ok()) return r.status();
    out.push_back(*std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<PartialResult>> ShardFanOut::RunCovering(const SubQuery& q) {
  if (ctx_ != nullptr) RETURN_IF_ERROR(ctx_->Check());
  // Greedy cover: each shard goes to a node already chosen if one holds it, else to its
  // first healthy replica from the rotating start.
  struct Pick {
    ReplicaHandle replica;
    std::vector<uint32_t> shards;
  };
  std::vector<Pick> picks;
  std::map<std::string, size_t> chosen;
  std::vector<uint32_t> leftover;  // shards without a replica: Run reports them
  for (uint32_t shard = 0; shard < q.sharding.shards; shard++) {
    const std::vector<ReplicaHandle> reps = replicas_->ReplicasOf(shard);
    if (reps.empty()) {
      leftover.push_back(shard);
      continue;
    }
    bool placed = false;
    for (const ReplicaHandle& r : reps) {
      auto it = chosen.find(r.node_id);
      if (it != chosen.end()) {
        picks[it->second].shards.push_back(shard);
        placed = true;
        break;
      }
    }
    if (placed) continue;
    const size_t first = options_.prefer_first ? 0 : (rotation_ + shard) % reps.size();
    const ReplicaHandle* pick = &reps[first];
    for (size_t k = 0; k < reps.size(); k++) {
      const ReplicaHandle& r = reps[(first + k) % reps.size()];
      if (!Failed(r.node_id)) {
        pick = &r;
        break;
      }
    }
    chosen[pick->node_id] = picks.size();
    picks.push_back(Pick{*pick, {shard}});
  }
  std::vector<absl::StatusOr<PartialResult>> results(picks.size(), absl::UnknownError("not run"));
  ParallelFor(picks.size(), [&](size_t i) {
    SubQuery one = q;
    one.shard = picks[i].shards.front();
    absl::Time deadline = absl::Now() + options_.attempt_timeout;
    if (ctx_ != nullptr) deadline = std::min(deadline, ctx_->deadline());
    stats_.sub_queries++;
    results[i] = client_->Execute(picks[i].replica, one, deadline);
  });
  std::vector<PartialResult> out;
  std::vector<SubQuery> again;
  for (size_t i = 0; i < picks.size(); i++) {
    if (results[i].ok()) {
      out.push_back(*std::move(results[i]));
      continue;
    }
    if (!Retryable(results[i].status())) {
      return absl::Status(
          results[i].status().code(),
          absl::StrCat(SubQueryKindName(q.kind), " sub-query on ", picks[i].replica.node_id, ": ",
                       results[i].status().message()));
    }
    MarkFailed(picks[i].replica.node_id);
    stats_.retries++;
    for (uint32_t shard : picks[i].shards) {
      again.push_back(q);
      again.back().shard = shard;
    }
  }
  for (uint32_t shard : leftover) {
    again.push_back(q);
    again.back().shard = shard;
  }
  if (!again.empty()) {
    ASSIGN_OR_RETURN(std::vector<PartialResult> more, Run(again));
    for (auto& r : more) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace telemdb::query::distributed
