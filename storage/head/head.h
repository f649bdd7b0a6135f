// Head: the in-memory open chunks of every series — points accepted (and in the WAL) but not
// yet sealed into RocksDB — plus each series' last-value cache.
//
// Per series: an *active* compressed stream of in-order points, a small buffer of
// out-of-order or re-written points (a later write of the same timestamp wins), and at most
// one *frozen* run that the sealer is writing to RocksDB (still readable until it is there).
//
// Memory: heap_bytes() tracks every byte held; the owner seals to keep it under budget.
//
// Thread safety: thread-safe. Series are guarded by striped mutexes; a reader copies what it
// needs under the stripe lock.
#ifndef TELEMDB_STORAGE_HEAD_HEAD_H_
#define TELEMDB_STORAGE_HEAD_HEAD_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "storage/codec/chunk.h"
#include "storage/head/head_stream.h"
#include "storage/types.h"

namespace telemdb::storage {

// The last reading of a series.
struct LastPoint {
  int64_t ts = 0;
  Value value;
};

class Head {
 public:
  Head();
  ~Head();
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  // Creates the state of series `id` (idempotent). REQUIRES: before any other call for `id`.
  void AddSeries(SeriesId id, ValueType type);
  // Releases every point of series `id` (measurement delete).
  void DropSeries(SeriesId id);

  // Appends the valid rows [0, n) of `col` at timestamps `ts`, read from WAL segment
  // `segment`. REQUIRES: AddSeries(id, col.type).
  void Append(SeriesId id, const int64_t* ts, const FieldColumn& col, size_t n, uint64_t segment);

  // Points of [start, end) held by the head, sorted, one per timestamp (newest write wins).
  // Returns false when there are none. `out->type` is set.
  bool Read(SeriesId id, int64_t start, int64_t end, codec::Columns* out) const;

  // --- Sealing -------------------------------------------------------------------------
  struct SealInfo {
    uint32_t points = 0;       // active + out-of-order points
    size_t bytes = 0;          // heap bytes of the active run
    int64_t age_origin = 0;    // monotonic seconds when the oldest unsealed point arrived
    uint64_t min_segment = 0;  // oldest WAL segment holding unsealed points; 0 = none
    bool frozen = false;       // a seal is in progress
  };
  SealInfo Inspect(SeriesId id) const;

  // Moves the active run of `id` into its frozen slot under chunk sequence `seq`. Returns
  // false when there is nothing to seal or a seal is already in progress.
  bool Freeze(SeriesId id, uint64_t seq);
  // The frozen points of `id`, sorted and deduplicated; sets *seq and *generation (bumped by
  // every change to the frozen run, e.g. a delete). Returns false when nothing is frozen.
  bool ReadFrozen(SeriesId id, codec::Columns* out, uint64_t* seq, uint64_t* generation) const;
  // The frozen run's generation; 0 when nothing is frozen.
  uint64_t FrozenGeneration(SeriesId id) const;
  // Drops the frozen run once it is in RocksDB, if it is still at `generation`. Returns false
  // (and keeps it) when it changed meanwhile: the caller must read and write it again.
  bool DropFrozen(SeriesId id, uint64_t generation);

  // Removes points in [start, end) from the active and frozen runs. Returns true when the
  // last-value cache had to be invalidated.
  void DeleteRange(SeriesId id, int64_t start, int64_t end);

  // --- Last-value cache ------------------------------------------------------------------
  // Returns the cached last point; nullopt when unknown (never loaded since open or a
  // delete), in which case *known is false; known and empty: the series has no points.
  std::optional<LastPoint> CachedLast(SeriesId id, bool* known) const;
  // Installs a last point loaded from storage unless a newer write is already known.
  void InstallLast(SeriesId id, const std::optional<LastPoint>& loaded);

  // Oldest WAL segment still holding unsealed points, over every series; 0 = none.
  uint64_t MinSegment() const;
  // Bytes held by unsealed points (what the head budget limits).
  uint64_t heap_bytes() const { return heap_bytes_.load(std::memory_order_relaxed); }
  // Bytes of the fixed per-series slots (allocated 65,536 series at a time).
  uint64_t slot_bytes() const { return slot_bytes_.load(std::memory_order_relaxed); }
  uint64_t points() const { return points_.load(std::memory_order_relaxed); }
  SeriesId max_series() const { return max_id_.load(std::memory_order_acquire); }

 private:
  struct Run;     // points of one active or frozen run
  struct Frozen;  // a run being sealed
  struct Series;  // per-series state
  static constexpr int kStripes = 4096;
  static constexpr int kBlockBits = 16;
  static constexpr size_t kBlockSize = size_t{1} << kBlockBits;
  static constexpr size_t kMaxBlocks = 65536;

  absl::Mutex& Stripe(SeriesId id) const { return stripes_[id & (kStripes - 1)]; }
  Series* Get(SeriesId id) const;
  void Account(int64_t delta_bytes, int64_t delta_points);

  mutable std::array<absl::Mutex, kStripes> stripes_;
  std::unique_ptr<std::atomic<Series*>[]> blocks_;
  absl::Mutex grow_mu_;
  std::atomic<SeriesId> max_id_{0};
  std::atomic<int64_t> heap_bytes_{0};
  std::atomic<int64_t> points_{0};
  std::atomic<uint64_t> slot_bytes_{0};
  std::atomic<uint64_t> generations_{0};
};

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_HEAD_HEAD_H_
