// Internal to the aggregator implementation: constructors of the concrete aggregators and
// small helpers shared by aggregator.cc and aggregator_buffered.cc.
//
// Thread safety: as Aggregator.
#ifndef TELEMDB_QUERY_ENGINE_AGGREGATOR_IMPL_H_
#define TELEMDB_QUERY_ENGINE_AGGREGATOR_IMPL_H_

#include <memory>
#include <string>
#include <vector>

#include "query/engine/aggregator.h"

namespace telemdb::query::internal {

template <typename T>
void GrowVector(std::vector<T>* v, size_t front, size_t back, const T& init) {
  if (front > 0) v->insert(v->begin(), front, init);
  v->resize(v->size() + back, init);
}

std::unique_ptr<Aggregator> MakeStddev(storage::ValueType input, std::string field);
std::unique_ptr<Aggregator> MakePercentile(storage::ValueType input, std::string field, double p,
                                           bool nearest_rank = false, bool point_time = false);
// min or max remembering the chosen point's time (the earliest on ties).
std::unique_ptr<Aggregator> MakeExtremeAt(storage::ValueType input, std::string field, bool max);
std::unique_ptr<Aggregator> MakeMode(storage::ValueType input, std::string field);
std::unique_ptr<Aggregator> MakeTopBottom(storage::ValueType input, std::string field, bool top,
                                          int64_t n);
std::unique_ptr<Aggregator> MakeIntegral(storage::ValueType input, std::string field,
                                         int64_t unit_ns);
std::unique_ptr<Aggregator> MakeDistinct(storage::ValueType input, std::string field);
std::unique_ptr<Aggregator> MakePredictLinear(storage::ValueType input, std::string field,
                                              const lang::Call& call);
std::unique_ptr<Aggregator> MakeTimeToThreshold(storage::ValueType input, std::string field,
                                                const lang::Call& call);

}  // namespace telemdb::query::internal

#endif  // TELEMDB_QUERY_ENGINE_AGGREGATOR_IMPL_H_
