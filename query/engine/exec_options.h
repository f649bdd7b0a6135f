// ExecOptions: the limits and settings of one query execution, and QueryStats: what it did.
// Every limit fails the query with ResourceExhausted naming the limit and its value.
//
// Thread safety: plain structs.
#ifndef TELEMDB_QUERY_ENGINE_EXEC_OPTIONS_H_
#define TELEMDB_QUERY_ENGINE_EXEC_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace telemdb::query {

struct ExecOptions {
  // The instant now() evaluates to (ns since the epoch, UTC) when ExecuteText parses.
  // Default: 0; servers set the wall clock.
  int64_t now_ns = 0;

  // --- Limits ---
  // Storage series (one per measurement, tag set and field) a query may select.
  // Default: 100,000.
  uint64_t max_series = 100'000;
  // Points read from storage: decoded from chunks or taken from the head. Points answered by
  // chunk pre-aggregates do not count. Default: 2,000,000,000.
  uint64_t max_points_scanned = 2'000'000'000;
  // Rows the query returns over all groups (SHOW statements count their rows too).
  // Default: 10,000,000.
  uint64_t max_result_rows = 10'000'000;
  // Time buckets one group may span (GROUP BY time over its range). Default: 1,000,000.
  uint64_t max_buckets = 1'000'000;
  // Values distinct(), median(), percentile(), mode(), top(), bottom() and
  // time_to_threshold(..., 'holt') may hold at once
  // (over all buckets of a group). Default: 50,000,000.
  uint64_t max_buffered_values = 50'000'000;

  // --- Streaming ---
  // Rows per frame handed to the sink. Default: 10,000.
  size_t max_frame_rows = 10'000;
  // ... and bytes: a frame is cut once its values pass this size (approximate: 8 bytes per
  // number, the length of each string), so a frame of long strings stays far below any
  // message limit. Default: 1 MiB.
  size_t max_frame_bytes = 1 << 20;

  // --- InfluxQL compatibility (docs/query.md#influxql-compatibility) ---
  // The HTTP /query adapter turns these on; gRPC and the CLI keep the defaults.
  // percentile(f, p) takes InfluxQL's nearest rank instead of interpolating: the value at
  // index floor(n * p / 100 + 0.5) - 1 of the bucket's sorted values, null when that index is
  // outside [0, n). median() still interpolates. Default: false.
  bool percentile_nearest_rank = false;
  // derivative, difference, moving_average, non_negative_derivative, non_negative_difference,
  // cumulative_sum and elapsed contribute nothing where they have no value (their first
  // point or bucket, the first n - 1 for moving_average, a null input, a negative value of
  // non_negative_*); a row to which no select item contributes is left out instead of being
  // returned with nulls. Default: false.
  bool omit_transform_warmup_rows = false;
  // Row times of aggregates without GROUP BY time as InfluxQL reports them: a lone first, last,
  // min, max (or percentile with percentile_nearest_rank) reports the chosen point's time
  // (ties: the earliest point); a lone integral reports 0 (the epoch); anything else the
  // range start, or 0 without one. Without it only a lone first or last reports its point's
  // time. Default: false.
  bool influxql_times = false;

  // --- Tuning / testing ---
  // Answer whole-chunk buckets from chunk header pre-aggregates. Default: true.
  bool use_preaggregates = true;
  // Answer last(field) without GROUP BY time from the last-value cache. Default: true.
  bool use_last_cache = true;
};

// What one query did. Filled as the query runs (also when it fails).
struct QueryStats {
  uint64_t series_matched = 0;        // storage series selected after tag predicates
  uint64_t groups = 0;                // result groups produced
  uint64_t chunks_read = 0;           // chunk values fetched from storage
  uint64_t chunks_preaggregated = 0;  // chunks answered from header pre-aggregates
  uint64_t chunks_decoded = 0;        // chunks decoded into points
  uint64_t points_decoded = 0;        // points decoded from chunks
  uint64_t head_points = 0;           // points read from the head (memory)
  uint64_t points_scanned = 0;        // points_decoded + head_points (the limit's measure)
  uint64_t bytes_read = 0;            // chunk bytes fetched
  uint64_t last_cache_hits = 0;       // series answered by the last-value cache
  uint64_t rows = 0;                  // rows returned
  uint64_t frames = 0;                // frames handed to the sink
  int64_t elapsed_ns = 0;             // wall time of Execute

  std::string DebugString() const;
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_EXEC_OPTIONS_H_
