#include "absl/strings/str_cat.h"
#include "query/engine/exec_options.h"

namespace telemdb::query {

std::string QueryStats::DebugString() const {
  return absl::StrCat("series_matched=", series_matched, " groups=", groups,
                      " chunks_read=", chunks_read, " chunks_preaggregated=", chunks_preaggregated,
                      " chunks_decoded=", chunks_decoded, " points_decoded=", points_decoded,
                      " head_points=", head_points, " points_scanned=", points_scanned,
                      " bytes_read=", bytes_read, " last_cache_hits=", last_cache_hits,
                      " rows=", rows, " frames=", frames, " elapsed_ns=", elapsed_ns);
}

}  // namespace telemdb::query
