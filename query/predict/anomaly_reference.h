// Test support: the anomaly detector's definition (anomaly_detector.h) computed in batch with
// plain loops (sorting, counting, brute force), independently of the streaming structures.
// Streaming and batch must agree exactly.
#ifndef TELEMDB_QUERY_PREDICT_ANOMALY_REFERENCE_H_
#define TELEMDB_QUERY_PREDICT_ANOMALY_REFERENCE_H_

#include <vector>

#include "query/predict/anomaly_options.h"

namespace telemdb::predict::testing {

// The score of every value of `x` in order (NaN for NaN values, which are skipped).
std::vector<double> PlainAnomalyScores(const std::vector<double>& x, const AnomalyOptions& o);

}  // namespace telemdb::predict::testing

#endif  // TELEMDB_QUERY_PREDICT_ANOMALY_REFERENCE_H_
