#include "bench/nab/nab_score.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace telemdb::nab {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A scored row: what it adds when it is a detection.
struct Row {
  double score;
  int file;
  int64_t index;
  int window;    // global window id, or -1 for a false positive
  double value;  // weighted sweep score of a detection here
};

// Per-row sweep values of every scored (non-probationary) row of every file.
std::vector<Row> SweepRows(const std::vector<NabFile>& files,
                           const std::vector<std::vector<double>>& scores, const Profile& p,
                           std::vector<int>* window_file) {
  std::vector<Row> rows;
  const double max_tp = ScaledSigmoid(-1.0);
  int window_base = 0;
  for (size_t f = 0; f < files.size(); f++) {
    const NabFile& file = files[f];
    const int64_t n = file.rows();
    const int64_t probation = ProbationRows(n);
    size_t w = 0;   // next window not yet ended
    int prev = -1;  // the most recent window that ended before the row
    for (int64_t i = 0; i < n; i++) {
      while (w < file.windows.size() && file.windows[w].last < i) prev = static_cast<int>(w++);
      if (i < probation) continue;
      Row r{scores[f][i], static_cast<int>(f), i, -1, 0};
      if (w < file.windows.size() && i >= file.windows[w].first) {
        const Window& win = file.windows[w];
        const double pos =
            -static_cast<double>(win.last - i + 1) / static_cast<double>(win.width());
        r.window = window_base + static_cast<int>(w);
        r.value = p.tp * ScaledSigmoid(pos) / max_tp;
      } else if (prev >= 0) {
        const Window& win = file.windows[prev];
        const double pos = static_cast<double>(std::llabs(i - win.last)) /
                           static_cast<double>(std::max<int64_t>(win.width() - 1, 1));
        r.value = p.fp * ScaledSigmoid(pos);
      } else {
        r.value = -p.fp;
      }
      rows.push_back(r);
    }
    for (size_t k = 0; k < file.windows.size(); k++) window_file->push_back(static_cast<int>(f));
    window_base += static_cast<int>(file.windows.size());
  }
  return rows;
}

void Finish(const std::vector<NabFile>& files, const std::vector<std::vector<double>>& scores,
            ProfileResult* r) {
  int64_t windows = 0;
  for (const NabFile& f : files) windows += static_cast<int64_t>(f.windows.size());
  r->null_raw = -r->profile.fn * static_cast<double>(windows);
  r->perfect_raw = r->profile.tp * static_cast<double>(windows);
  r->normalized = 100.0 * (r->raw - r->null_raw) / (r->perfect_raw - r->null_raw);
  // Per-file outcomes at the threshold.
  const double max_tp = ScaledSigmoid(-1.0);
  r->files.clear();
  r->detections = 0;
  for (size_t f = 0; f < files.size(); f++) {
    const NabFile& file = files[f];
    FileOutcome o;
    o.key = file.key();
    o.windows = static_cast<int64_t>(file.windows.size());
    o.first_offset.assign(file.windows.size(), -1);
    const int64_t probation = ProbationRows(file.rows());
    int prev = -1;
    size_t w = 0;
    for (int64_t i = 0; i < file.rows(); i++) {
      while (w < file.windows.size() && file.windows[w].last < i) prev = static_cast<int>(w++);
      if (i < probation || !(scores[f][i] >= r->threshold)) continue;
      r->detections++;
      if (w < file.windows.size() && i >= file.windows[w].first) {
        if (o.first_offset[w] < 0) o.first_offset[w] = i - file.windows[w].first;
        continue;
      }
      o.false_positives++;
      if (prev >= 0) {
        const Window& win = file.windows[prev];
        o.raw += r->profile.fp *
                 ScaledSigmoid(static_cast<double>(std::llabs(i - win.last)) /
                               static_cast<double>(std::max<int64_t>(win.width() - 1, 1)));
      } else {
        o.raw -= r->profile.fp;
      }
    }
    for (size_t k = 0; k < file.windows.size(); k++) {
      const Window& win = file.windows[k];
      if (o.first_offset[k] < 0) {
        o.raw -= r->profile.fn;
        continue;
      }
      o.detected++;
      const int64_t i = win.first + o.first_offset[k];
      o.raw +=
          r->profile.tp *
          ScaledSigmoid(-static_cast<double>(win.last - i + 1) / static_cast<double>(win.width())) /
          max_tp;
    }
    r->files.push_back(std::move(o));
  }
}

}  // namespace

const std::vector<Profile>& NabProfiles() {
  static const std::vector<Profile> kProfiles = {
      {"standard", 1, 1, 0.11},
      {"reward_low_FP_rate", 1, 1, 0.22},
      {"reward_low_FN_rate", 1, 2, 0.11},
  };
  return kProfiles;
}

double ScaledSigmoid(double y) {
  if (y > 3.0) return -1.0;
  return 2.0 / (1.0 + std::exp(5.0 * y)) - 1.0;
}

int64_t ProbationRows(int64_t rows) {
  return std::min<int64_t>(static_cast<int64_t>(std::floor(0.15 * static_cast<double>(rows))), 750);
}

ProfileResult ScoreCorpus(const std::vector<NabFile>& files,
                          const std::vector<std::vector<double>>& scores, const Profile& profile) {
  std::vector<int> window_file;
  std::vector<Row> rows = SweepRows(files, scores, profile, &window_file);
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.score > b.score; });
  std::vector<double> best(window_file.size(), -profile.fn);
  double windows_sum = -profile.fn * static_cast<double>(window_file.size());
  double fp_sum = 0;
  double best_total = windows_sum;  // no detection at all
  double best_threshold = kInf;
  for (size_t k = 0; k < rows.size();) {
    const double t = rows[k].score;
    for (; k < rows.size() && rows[k].score == t; k++) {
      const Row& r = rows[k];
      if (r.window < 0) {
        fp_sum += r.value;
      } else if (r.value > best[r.window]) {
        windows_sum += r.value - best[r.window];
        best[r.window] = r.value;
      }
    }
    if (std::isnan(t)) continue;
    if (windows_sum + fp_sum > best_total) {
      best_total = windows_sum + fp_sum;
      best_threshold = t;
    }
  }
  ProfileResult result;
  result.profile = profile;
  result.threshold = best_threshold;
  result.raw = best_total;
  Finish(files, scores, &result);
  return result;
}

ProfileResult ScoreAtThreshold(const std::vector<NabFile>& files,
                               const std::vector<std::vector<double>>& scores,
                               const Profile& profile, double threshold) {
  ProfileResult result;
  result.profile = profile;
  result.threshold = threshold;
  Finish(files, scores, &result);
  result.raw = 0;
  for (const FileOutcome& o : result.files) result.raw += o.raw;
  result.normalized =
      100.0 * (result.raw - result.null_raw) / (result.perfect_raw - result.null_raw);
  return result;
}

}  // namespace telemdb::nab
