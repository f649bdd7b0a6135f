#include "bench/nab/baselines.h"

#include <algorithm>
#include <cmath>

namespace telemdb::nab {

std::vector<double> NeverFiresScores(size_t rows) { return std::vector<double>(rows, 0.0); }

std::vector<double> Gauss3SigmaScores(const std::vector<double>& v, size_t window) {
  std::vector<double> out(v.size(), 0.0);
  for (size_t i = 0; i < v.size(); i++) {
    const size_t from = i > window ? i - window : 0;
    const size_t n = i - from;
    if (n < 30) continue;
    double mean = 0;
    for (size_t k = from; k < i; k++) mean += v[k];
    mean /= static_cast<double>(n);
    double ss = 0;
    for (size_t k = from; k < i; k++) ss += (v[k] - mean) * (v[k] - mean);
    const double sd = std::sqrt(ss / static_cast<double>(n - 1));
    out[i] = std::fabs(v[i] - mean) > 3 * sd ? 1.0 : 0.0;
  }
  return out;
}

}  // namespace telemdb::nab
