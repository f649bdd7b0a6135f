// AnomalyOptions: the options of anomaly_score() and anomalies() (docs/query.md), written in
// queries as a string "key=value,key=value" (whitespace around keys and values is ignored).
// Every option has a default; the defaults are the parameter set the NAB figures in
// bench/nab/README.md were measured with, the same for every series.
//
// Thread safety: plain values and pure functions.
#ifndef TELEMDB_QUERY_PREDICT_ANOMALY_OPTIONS_H_
#define TELEMDB_QUERY_PREDICT_ANOMALY_OPTIONS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace telemdb::predict {

struct AnomalyOptions {
  // Values before a point that form its robust baseline (median and MAD) for the value,
  // level and volatility components. Range [16, 100000]. Default: 500.
  int64_t window = 500;
  // Past nonconformity values each component's new value is ranked against (its p-value).
  // Range [64, 100000]. Default: 1000.
  int64_t calibration = 1000;
  // Length of the shape embedding (the last `dim` values) of the nearest-neighbour component.
  // Range [1, 64]. Default: 8.
  int64_t dim = 8;
  // Past embeddings the nearest neighbour is searched among; 0 turns the shape measure off
  // (several times cheaper). Range 0 or [16, 20000]. Default: 1000.
  int64_t neighbours = 1000;
  // Values averaged by the level component. Range [2, 1000]. Default: 5.
  int64_t short_window = 5;
  // Steps over which the volatility component averages |x_i - x_(i-1)|. Range [2, 1000].
  // Default: 20.
  int64_t volatility = 20;
  // Points over which a surprise is compared with the most surprising recent one. Range
  // [0, 10000] (0: no suppression). Default: 200.
  int64_t suppress = 200;

  // Parses "key=value,...": keys window, calibration, dim, neighbours, short, volatility,
  // suppress; integer values. Errors: InvalidArgument naming an unknown key (and listing the
  // known ones), a value that is not an integer, or one out of range.
  static absl::StatusOr<AnomalyOptions> Parse(std::string_view text);
  // "key=value,..." with the keys sorted and default values left out ("" for the defaults).
  std::string Canonical() const;
  // Values before a point its score depends on (the look-back): suppress + calibration +
  // max(window + 1, 2 * dim + neighbours (0 without the shape measure), volatility + 1,
  // short) + 1.
  int64_t Memory() const;
};

// Checks `text` and returns AnomalyOptions::Canonical() of it. Errors: as Parse.
absl::StatusOr<std::string> CanonicalAnomalyOptions(std::string_view text);

}  // namespace telemdb::predict

#endif  // TELEMDB_QUERY_PREDICT_ANOMALY_OPTIONS_H_
