#include "query/lang/time_range.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "util/status_macros.h"

namespace telemdb::query::lang {
namespace {

bool ContainsTime(const Condition& c) {
  if (c.kind == Condition::Kind::kTime) return true;
  return std::any_of(c.operands.begin(), c.operands.end(), ContainsTime);
}

void Intersect(const TimeComparison& t, TimeRange* range) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // The instant just after t, saturating: nothing is after the last representable instant.
  const int64_t after = t.ns == kMax ? kMax : t.ns + 1;
  switch (t.op) {
    case CompareOp::kGe:
      range->start = std::max(range->start, t.ns);
      break;
    case CompareOp::kGt:
      range->start = std::max(range->start, after);
      break;
    case CompareOp::kLt:
      range->end = std::min(range->end, t.ns);
      break;
    case CompareOp::kLe:
      range->end = std::min(range->end, after);
      break;
    case CompareOp::kEq:
      range->start = std::max(range->start, t.ns);
      range->end = std::min(range->end, after);
      break;
    default:  // not produced by the parser; nothing satisfies it in a range
      range->end = range->start;
      break;
  }
}

// Walks a conjunction: time leaves narrow the range, everything else goes to `rest`.
absl::Status Collect(const Condition& c, TimeRange* range, std::vector<Condition>* rest) {
  switch (c.kind) {
    case Condition::Kind::kTime:
      Intersect(c.time, range);
      return absl::OkStatus();
    case Condition::Kind::kAnd:
      for (const Condition& operand : c.operands) RETURN_IF_ERROR(Collect(operand, range, rest));
      return absl::OkStatus();
    case Condition::Kind::kOr:
    case Condition::Kind::kComparison:
      if (ContainsTime(c)) {
        return absl::InvalidArgumentError(
            "time conditions must be ANDed with the rest of the WHERE clause");
      }
      rest->push_back(c);
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SplitWhere> SplitTimeRange(const std::optional<Condition>& where) {
  SplitWhere split;
  if (!where.has_value()) return split;
  std::vector<Condition> rest;
  RETURN_IF_ERROR(Collect(*where, &split.range, &rest));
  if (!rest.empty()) split.rest = Condition::And(std::move(rest));
  return split;
}

}  // namespace telemdb::query::lang
