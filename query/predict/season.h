// DetectSeason: the dominant period of a regular series, for forecast() with season 0.
//
// The series (at most its last kMaxFitValues values) is detrended by a least-squares line,
// then its autocorrelation r_k is computed for lags k = 1 .. min(max_season, n / 3). The season
// is the lag with the highest r_k among local maxima (r_{k-1} <= r_k >= r_{k+1}, k >= 2) with
// r_k >= kMinSeasonAutocorrelation; 0 when there is none (or the series is constant).
// Cost: O(n * max lag) once per call.
//
// Thread safety: pure function.
#ifndef TELEMDB_QUERY_PREDICT_SEASON_H_
#define TELEMDB_QUERY_PREDICT_SEASON_H_

#include <cstdint>
#include <vector>

namespace telemdb::predict {

inline constexpr double kMinSeasonAutocorrelation = 0.3;
inline constexpr int64_t kMaxDetectedSeason = 2048;

int64_t DetectSeason(const std::vector<double>& y, int64_t max_season);

}  // namespace telemdb::predict

#endif  // TELEMDB_QUERY_PREDICT_SEASON_H_
