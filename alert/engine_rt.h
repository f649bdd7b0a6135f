// The alert engine's runtime records (engine.h): per rule, its instances with their states
// and windows; the routes from a series to the instances it feeds; the effects of a round.
// Internal to alert/engine*.cc.
#ifndef TELEMDB_ALERT_ENGINE_RT_H_
#define TELEMDB_ALERT_ENGINE_RT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "alert/engine.h"
#include "alert/window.h"
#include "query/engine/predicate.h"

namespace telemdb::alert {

struct AlertEngine::Instance {
  storage::TagSet group;
  std::string key;  // GroupKey(group)
  InstanceState st;
  BucketRing ring;              // threshold and rate rules
  int64_t last_ts = INT64_MIN;  // absence rules: the greatest timestamp seen
  bool late = false;            // a late point touched the last evaluated window
  int64_t late_ts = 0;          // ... the earliest such point
  int64_t last_row_ns = 0;      // timestamp of its last `_alerts` row
  size_t bytes = 0;             // counted in state_bytes_
};

struct AlertEngine::RuleRt {
  Rule rule;
  std::shared_ptr<const query::Predicate> where;  // tags only; null: no WHERE
  absl::flat_hash_map<std::string, std::unique_ptr<Instance>> instances;
  size_t ring_buckets = 0;
  int64_t activated_ns = 0;       // created, loaded or resumed: absence of listed groups
  int64_t last_tick = INT64_MIN;  // end of the last evaluated window
  int64_t next_due = INT64_MIN;
  bool needs_bootstrap = true;
  absl::flat_hash_map<storage::SeriesId, uint64_t> boot_snap;  // seam of the last bootstrap
  uint64_t boot_max_snap = 0;
  std::vector<Instance*> late_dirty;
  bool scheduled_late = false;
  int64_t scheduled_late_ts = 0;
  int64_t last_late_eval_ns = 0;
  RuleStatus status;
};

struct Route {
  AlertEngine::RuleRt* rule;
  AlertEngine::Instance* inst;
};
// Bytes counted per route entry in the engine's state.
inline constexpr size_t kRouteBytesPerEntry = sizeof(Route) + 16;

struct AlertEngine::Effect {
  RuleRt* rt = nullptr;
  Instance* inst = nullptr;
  AlertEvent event;
  bool transition = true;  // false: a reminder
};

}  // namespace telemdb::alert

#endif  // TELEMDB_ALERT_ENGINE_RT_H_
