#include "query/distributed/shard_pinning.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <variant>

#include "util/shard.h"

namespace telemdb::query::distributed {
namespace {

using Pins = std::optional<std::set<uint32_t>>;

Pins Pin(const lang::Condition& c, const Sharding& s) {
  switch (c.kind) {
    case lang::Condition::Kind::kComparison: {
      const lang::Comparison& cmp = c.comparison;
      if (cmp.key != s.shard_tag || cmp.op != lang::CompareOp::kEq ||
          cmp.value.kind != lang::Literal::Kind::kString || cmp.value.text.empty()) {
        return std::nullopt;
      }
      return std::set<uint32_t>{ShardOf(cmp.value.text, s.shards)};
    }
    case lang::Condition::Kind::kTime:
      return std::nullopt;
    case lang::Condition::Kind::kAnd: {
      Pins out;
      for (const auto& op : c.operands) {
        Pins p = Pin(op, s);
        if (!p) continue;
        if (!out) {
          out = std::move(p);
        } else {
          std::set<uint32_t> both;
          std::set_intersection(out->begin(), out->end(), p->begin(), p->end(),
                                std::inserter(both, both.end()));
          out = std::move(both);
        }
      }
      return out;
    }
    case lang::Condition::Kind::kOr: {
      std::set<uint32_t> all;
      for (const auto& op : c.operands) {
        Pins p = Pin(op, s);
        if (!p) return std::nullopt;
        all.insert(p->begin(), p->end());
      }
      return all;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<uint32_t>> PinnedShards(const std::optional<lang::Condition>& where,
                                                  const Sharding& sharding) {
  if (!where || sharding.shard_tag.empty() || sharding.shards == 0) return std::nullopt;
  Pins p = Pin(*where, sharding);
  if (!p) return std::nullopt;
  return std::vector<uint32_t>(p->begin(), p->end());
}

std::vector<uint32_t> ShardsFor(const lang::Statement& statement, const Sharding& sharding) {
  if (const auto* select = std::get_if<lang::SelectStatement>(&statement)) {
    if (auto pinned = PinnedShards(select->where, sharding)) return *pinned;
  }
  std::vector<uint32_t> all(sharding.shards);
  for (uint32_t i = 0; i < sharding.shards; i++) all[i] = i;
  return all;
}

}  // namespace telemdb::query::distributed
