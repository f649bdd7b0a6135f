// MinimizeBounded: a deterministic Nelder-Mead minimizer over a box, used to fit the
// smoothing parameters of holt_winters(), forecast() and time_to_threshold(..., 'holt').
//
// The box [lo_i, hi_i] is mapped to unconstrained coordinates with a logistic transform, so
// every evaluated point lies inside it (on an edge only when rounding saturates the logistic). The
// search starts from the best point of a small grid (each coordinate at 0.2, 0.5 and 0.8 of its
// range; at most 3^d points), then runs the standard simplex moves (reflection 1, expansion 2,
// contraction 0.5, shrink 0.5) until the simplex's function values differ by less than `tolerance`
// (relative) or `max_evaluations` is spent. The result is a function of the inputs only: no
// randomness, no clock.
//
// Thread safety: pure function (calls `f` from the calling thread only).
#ifndef TELEMDB_QUERY_PREDICT_NELDER_MEAD_H_
#define TELEMDB_QUERY_PREDICT_NELDER_MEAD_H_

#include <functional>
#include <vector>

namespace telemdb::predict {

struct MinimizeOptions {
  // Stop when (max - min) of the simplex values <= tolerance * (|min| + 1e-12).
  // Default: 1e-8.
  double tolerance = 1e-8;
  // Function evaluations, grid included. Default: 400.
  int max_evaluations = 400;
};

struct MinimizeResult {
  std::vector<double> x;  // the best point found, inside the box
  double value = 0;       // f(x)
  int evaluations = 0;
};

// REQUIRES: lo.size() == hi.size() >= 1, lo[i] < hi[i]. `f` may return +infinity or NaN for
// points it rejects (treated as +infinity).
MinimizeResult MinimizeBounded(const std::function<double(const std::vector<double>&)>& f,
                               const std::vector<double>& lo, const std::vector<double>& hi,
                               const MinimizeOptions& options = {});

}  // namespace telemdb::predict

#endif  // TELEMDB_QUERY_PREDICT_NELDER_MEAD_H_
