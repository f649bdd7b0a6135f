// LiveEvent: the wanted groups of one applied write batch, copied flat. The hub builds it on
// the WAL's log thread, so the copy must be cheap: a SeriesBatch copy costs one allocation
// per string and vector (~26,000 for a 10,000-value batch of 1,000 devices, milliseconds);
// this one copies every byte into four arrays and describes the groups with views
// (LiveGroup, LiveColumn) into them. Immutable once built; shared by every listener.
//
// Thread safety: immutable after BuildLiveEvent; views live as long as the event.
#ifndef TELEMDB_QUERY_LIVE_LIVE_EVENT_H_
#define TELEMDB_QUERY_LIVE_LIVE_EVENT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/types.h"

namespace telemdb::query {

// One field column of a group.
struct LiveColumn {
  std::string_view name;
  storage::ValueType type = storage::ValueType::kFloat;
  storage::SeriesId id = storage::kInvalidSeriesId;
  const double* floats = nullptr;             // kFloat
  const int64_t* ints = nullptr;              // kInt
  const uint8_t* bools = nullptr;             // kBool
  const std::string_view* strings = nullptr;  // kString
  const uint8_t* valid = nullptr;             // null: every row has a value

  bool IsValid(size_t r) const { return valid == nullptr || valid[r] != 0; }
  // The value as a double (bools 0/1, strings NaN).
  double AsDouble(size_t r) const;
};

// One (measurement, tag set) of the batch.
struct LiveGroup {
  std::string_view measurement;
  const std::pair<std::string_view, std::string_view>* tags = nullptr;  // sorted by key
  size_t n_tags = 0;
  const int64_t* ts = nullptr;
  size_t rows = 0;
  const LiveColumn* columns = nullptr;
  size_t n_columns = 0;

  storage::TagSet Tags() const;  // a copy
  uint64_t Values() const;       // valid field values
};

struct LiveEvent {
  uint64_t seq = 0;
  int64_t applied_ns = 0;  // wall clock when the batch was applied
  std::vector<LiveGroup> groups;
  size_t bytes = 0;  // heap held
  uint64_t values = 0;

  // Backing arrays (the views above point into them).
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::string bytes_arena;
  std::vector<std::pair<std::string_view, std::string_view>> tag_views;
  std::vector<LiveColumn> columns;
  std::vector<std::string_view> strings;
};
using LiveEventPtr = std::shared_ptr<const LiveEvent>;

// Recycles events: their arrays keep their capacity, so building one on the log thread
// rarely allocates (fresh large buffers also cost page faults). Holds at most 16 events of
// at most 4 MiB each. Thread-safe; events may outlive the pool's owner (they hold it).
class LiveEventPool : public std::enable_shared_from_this<LiveEventPool> {
 public:
  std::shared_ptr<LiveEvent> Take();

 private:
  void Give(LiveEvent* e);
  std::mutex mu_;
  std::vector<std::unique_ptr<LiveEvent>> free_;
};

// Copies the groups `wanted(g)` selects (ids[g][f]: the series of groups[g].fields[f]), in
// an event from `pool` (null: a new one). Returns null when none is wanted.
std::shared_ptr<LiveEvent> BuildLiveEvent(uint64_t seq,
                                          const std::vector<storage::SeriesBatch>& groups,
                                          const std::vector<std::vector<storage::SeriesId>>& ids,
                                          const std::function<bool(size_t g)>& wanted,
                                          LiveEventPool* pool = nullptr);

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_LIVE_LIVE_EVENT_H_
