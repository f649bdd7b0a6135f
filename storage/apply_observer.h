// ApplyObserver: told about every write batch once it is applied, i.e. once it is in the WAL
// (fsynced for SYNC writes, written for ASYNC ones: what its ack promises) and visible to
// reads. Live subscriptions and incremental alert evaluation hang off it (query/live/).
//
// Ordering: OnApply runs on the WAL's log thread, in apply order, one call per write batch;
// `seq` grows by one per applied batch since open (batches replayed from the WAL count
// but are applied before any observer can be set). A cursor
// from Db::ReadAt() reports the seq of the head state it saw, so an observer can tell a live
// point from one a reader already has (the "seam" of a subscription with history).
//
// Cost: the call delays the acks of its commit group, so an observer must not block and
// must only copy what it needs and hand it to another thread.
//
// Thread safety: OnApply is called from one thread at a time.
#ifndef TELEMDB_STORAGE_APPLY_OBSERVER_H_
#define TELEMDB_STORAGE_APPLY_OBSERVER_H_

#include <cstdint>
#include <vector>

#include "storage/types.h"

namespace telemdb::storage {

class ApplyObserver {
 public:
  virtual ~ApplyObserver() = default;
  // `groups` are validated (tags sorted); `ids[g][f]` is the series of groups[g].fields[f].
  // Both are valid only during the call.
  virtual void OnApply(uint64_t seq, const std::vector<SeriesBatch>& groups,
                       const std::vector<std::vector<SeriesId>>& ids) = 0;
};

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_APPLY_OBSERVER_H_
