#include "query/service/query_metrics.h"

#include "query/engine/engine.h"

namespace telemdb::query {

QueryMetrics::QueryMetrics() {
  for (auto& h : latency_) h = std::make_unique<Histogram>(Histogram::LatencyBounds());
}

QueryMetrics::Kind QueryMetrics::KindOf(const lang::Statement& statement) {
  if (std::holds_alternative<lang::SelectStatement>(statement)) return Kind::kSelect;
  if (IsWriteStatement(statement)) return Kind::kDelete;
  return Kind::kShow;
}

void QueryMetrics::Record(Door door, Kind kind, bool ok, double seconds) {
  const int i = static_cast<int>(door) * kKinds + static_cast<int>(kind);
  latency_[i]->Observe(seconds);
  if (!ok) failed_[i]++;
}

std::vector<QueryMetrics::Entry> QueryMetrics::Take() const {
  static const char* kDoorNames[kDoors] = {"grpc", "http"};
  static const char* kKindNames[kKinds] = {"select", "show", "delete"};
  std::vector<Entry> out;
  for (int d = 0; d < kDoors; d++) {
    for (int k = 0; k < kKinds; k++) {
      const int i = d * kKinds + k;
      out.push_back({kDoorNames[d], kKindNames[k], failed_[i].load(), latency_[i]->Take()});
    }
  }
  return out;
}

}  // namespace telemdb::query
