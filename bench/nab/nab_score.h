// The NAB score of a detector's per-row anomaly scores over a corpus, implemented from the
// rules of issue 14 (the same rules as NAB's own scorer):
//
//   - profiles (tp, fn, fp weights): standard (1, 1, 0.11), reward_low_FP_rate (1, 1, 0.22),
//     reward_low_FN_rate (1, 2, 0.11); sigma(y) = 2 / (1 + e^(5y)) - 1 for y <= 3, -1 above;
//   - a detection is a row whose score is >= the threshold; one threshold per profile for the
//     whole corpus, the one that maximizes the score (found by sweeping every distinct score);
//   - the first min(floor(0.15 n), 750) rows of a file are probationary and never scored;
//   - a window (rows [L, R], width W) scores tp * sigma(-(R - i + 1) / W) / sigma(-1) for its
//     earliest detection i, -fn without one; later detections in it add nothing;
//   - a detection outside every window scores fp * sigma(|i - R| / (W - 1)) after a window
//     (R, W of the most recent window that ended before it), -fp when no window came before;
//   - normalized = 100 * (S - S_null) / (S_perfect - S_null), S_null = -fn per window,
//     S_perfect = tp per window.
//
// Thread safety: pure functions over their arguments.
#ifndef TELEMDB_BENCH_NAB_NAB_SCORE_H_
#define TELEMDB_BENCH_NAB_NAB_SCORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "bench/nab/nab_corpus.h"

namespace telemdb::nab {

struct Profile {
  std::string name;
  double tp = 1, fn = 1, fp = 0.11;
};

// standard, reward_low_FP_rate, reward_low_FN_rate, in that order.
const std::vector<Profile>& NabProfiles();

// NAB's scaled sigmoid: 2 / (1 + e^(5y)) - 1 for y <= 3, else -1.
double ScaledSigmoid(double y);

// Rows of a file of `rows` rows that are probationary: min(floor(0.15 rows), 750).
int64_t ProbationRows(int64_t rows);

// What one file contributed at the chosen threshold.
struct FileOutcome {
  std::string key;                    // category/name.csv
  int64_t windows = 0;                // labelled windows
  int64_t detected = 0;               // windows with a detection
  int64_t false_positives = 0;        // detections outside every window (after probation)
  std::vector<int64_t> first_offset;  // per window: earliest detection - window start, or -1
  double raw = 0;                     // the file's share of the raw score
};

struct ProfileResult {
  Profile profile;
  // Detections are scores >= threshold; +infinity when firing never pays off.
  double threshold = 0;
  double raw = 0;  // S
  double null_raw = 0;
  double perfect_raw = 0;
  double normalized = 0;
  int64_t detections = 0;  // scored rows at or above the threshold
  std::vector<FileOutcome> files;
};

// Scores `scores[f][i]` (one per row of files[f], in file order) under `profile`, choosing the
// best threshold. REQUIRES: scores.size() == files.size(), scores[f].size() == files[f].rows().
ProfileResult ScoreCorpus(const std::vector<NabFile>& files,
                          const std::vector<std::vector<double>>& scores, const Profile& profile);

// The raw score S at a fixed threshold, with per-file outcomes filled in `result`.
ProfileResult ScoreAtThreshold(const std::vector<NabFile>& files,
                               const std::vector<std::vector<double>>& scores,
                               const Profile& profile, double threshold);

}  // namespace telemdb::nab

#endif  // TELEMDB_BENCH_NAB_NAB_SCORE_H_
