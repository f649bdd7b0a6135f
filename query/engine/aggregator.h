// Aggregator: the per-bucket state of one aggregate function over one field, for a dense run
// of buckets ("slots") of one group. The executor feeds it runs of points that lie in one
// bucket (tight loops over decoded arrays: one virtual call per run, never per point) or, for
// a stored chunk that lies inside one bucket and the query range, the chunk header's
// pre-aggregates. It then asks for one value per slot.
//
// Semantics (docs/query.md#semantics has the full list):
//   count: points; int.  sum: float, or int for int fields (exact; OutOfRange if the result
//   leaves int64).  mean: float (int sums are exact before dividing).  min, max, spread: the
//   field's type; NaN values are ignored (NaN only when every value is NaN).  first, last:
//   the value with the smallest / greatest timestamp; between series of a group at the same
//   timestamp, the one fed first (the series sorting first) wins.  stddev: sample (n - 1),
//   null for one point.  median, percentile(p): float, NaN ignored, linear interpolation
//   between closest ranks: rank = p / 100 * (n - 1).  integral(unit): trapezoids between
//   consecutive points of one series inside the bucket, summed over the group's series,
//   divided by unit; nothing is interpolated to the bucket edges.  distinct: the set of
//   values, ascending.  predict_linear(horizon): the least-squares line of the bucket's points
//   at the last point's time + horizon.  time_to_threshold(threshold[, method]): seconds from
//   the last point until the line (or Holt's trend) reaches the threshold (predict/trend.h).
// Bool and string fields take only count, first, last, distinct and mode.
//
// Thread safety: not thread-safe; one per query thread.
#ifndef TELEMDB_QUERY_ENGINE_AGGREGATOR_H_
#define TELEMDB_QUERY_ENGINE_AGGREGATOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "query/engine/result.h"
#include "query/lang/ast.h"
#include "storage/codec/chunk.h"
#include "storage/types.h"

namespace telemdb::query {

class Aggregator {
 public:
  // Makes the aggregator of `call` over values of type `input` (ints and bools arrive through
  // AddInts). Errors: InvalidArgument naming the function and `field` when the function does
  // not apply to the type (e.g. "mean(state): field state is string; string fields take only
  // count, first, last and distinct").
  // `nearest_rank`: percentile() as InfluxQL computes it. `point_time`: min, max and
  // percentile also remember the chosen point's time (PointTime), so they do not use chunk
  // headers.
  static absl::StatusOr<std::unique_ptr<Aggregator>> Make(const lang::Call& call,
                                                          storage::ValueType input,
                                                          std::string_view field,
                                                          bool nearest_rank = false,
                                                          bool point_time = false);
  // The result type of `call` over `input` (assumes Make would succeed).
  static storage::ValueType OutputType(lang::Function f, storage::ValueType input);
  // True if the function can be answered from chunk header pre-aggregates for `input`.
  static bool UsesHeaders(lang::Function f, storage::ValueType input);

  virtual ~Aggregator() = default;

  // Adds `front` empty slots before slot 0 and `back` after the last one.
  virtual void Grow(size_t front, size_t back) = 0;
  virtual size_t size() const = 0;

  // Whether AddHeader can take this chunk (right type, no int sum overflow, ...).
  virtual bool CanUseHeader(const storage::codec::ChunkHeader& h) const { return false; }
  virtual void AddHeader(size_t slot, const storage::codec::ChunkHeader& h) {}
  // A run of points of one series in one bucket: ts ascending.
  virtual void AddFloats(size_t slot, const int64_t* ts, const double* v, size_t n) {}
  virtual void AddInts(size_t slot, const int64_t* ts, const int64_t* v, size_t n) {}
  virtual void AddStrings(size_t slot, const int64_t* ts, const std::string* v, size_t n) {}
  // The points fed so far belonged to one series; the next ones to another (integral).
  virtual void EndSeries() {}

  // Whether the slot received any point.
  virtual bool HasPoints(size_t slot) const = 0;
  // Appends the slot's value (null when it has no points or the value is undefined) to
  // `out`, whose type is output_type(). Errors: OutOfRange when an int result overflows.
  virtual absl::Status Emit(size_t slot, Column* out) const = 0;
  // first / last (and min, max, percentile made with point_time): the timestamp of the chosen
  // point. REQUIRES: HasPoints(slot).
  virtual int64_t PointTime(size_t slot) const { return 0; }
  // distinct, top, bottom: appends every value of the slot to `out` and its time to `times`:
  // distinct's values ascending at `bucket_time`; top's and bottom's at their own times.
  virtual void EmitAll(size_t slot, int64_t bucket_time, Column* out,
                       std::vector<int64_t>* times) const {}
  // Values held in memory (median, percentile, distinct, mode, top, bottom), for
  // ExecOptions::max_buffered_values.
  virtual uint64_t buffered() const { return 0; }

  storage::ValueType input_type() const { return input_; }
  storage::ValueType output_type() const { return output_; }

 protected:
  Aggregator(storage::ValueType input, storage::ValueType output, std::string field)
      : input_(input), output_(output), field_(std::move(field)) {}

  storage::ValueType input_;
  storage::ValueType output_;
  std::string field_;
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_AGGREGATOR_H_
