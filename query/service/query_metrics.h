// QueryMetrics: queries run and their latency, by front door (grpc, http) and kind (select,
// show, delete), for /metrics. Recording is a few atomic adds.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_QUERY_SERVICE_QUERY_METRICS_H_
#define TELEMDB_QUERY_SERVICE_QUERY_METRICS_H_

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "query/lang/ast.h"
#include "util/histogram.h"

namespace telemdb::query {

class QueryMetrics {
 public:
  enum class Door : int { kGrpc = 0, kHttp = 1 };
  enum class Kind : int { kSelect = 0, kShow = 1, kDelete = 2 };
  static Kind KindOf(const lang::Statement& statement);

  QueryMetrics();
  void Record(Door door, Kind kind, bool ok, double seconds);

  struct Entry {
    std::string door, kind;
    uint64_t failed = 0;
    Histogram::Snapshot latency;  // every query, failed ones included
  };
  std::vector<Entry> Take() const;

 private:
  static constexpr int kDoors = 2, kKinds = 3;
  std::array<std::unique_ptr<Histogram>, kDoors * kKinds> latency_;
  std::array<std::atomic<uint64_t>, kDoors * kKinds> failed_{};
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_SERVICE_QUERY_METRICS_H_
