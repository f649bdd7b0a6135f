// Baseline detectors for the NAB report, computed in the tool (no server): a detector that
// never fires, and a rolling 3-sigma Gaussian.
//
// Thread safety: pure functions.
#ifndef TELEMDB_BENCH_NAB_BASELINES_H_
#define TELEMDB_BENCH_NAB_BASELINES_H_

#include <cstddef>
#include <vector>

namespace telemdb::nab {

// 0 for every row.
std::vector<double> NeverFiresScores(size_t rows);

// 1 when |x - mean| > 3 sd (sample) of the previous `window` values, else 0; 0 while fewer than
// 30 values precede x. Default window: 500 (anomaly_score's baseline window).
std::vector<double> Gauss3SigmaScores(const std::vector<double>& values, size_t window = 500);

}  // namespace telemdb::nab

#endif  // TELEMDB_BENCH_NAB_BASELINES_H_
