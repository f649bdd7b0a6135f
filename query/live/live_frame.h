// LiveFrame: the rows of one series group (measurement + tag set) that a live consumer
// receives, columnar like query results (query/engine/result.h): a time array and one typed
// Column per field, with validity (a field missing from a row is null). Frames of a
// subscription with history carry `history` until the seam.
//
// Thread safety: plain values.
#ifndef TELEMDB_QUERY_LIVE_LIVE_FRAME_H_
#define TELEMDB_QUERY_LIVE_LIVE_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "query/engine/result.h"
#include "query/live/live_event.h"
#include "query/live/live_selector.h"
#include "storage/codec/chunk.h"
#include "storage/types.h"

namespace telemdb::query {

struct LiveFrame {
  std::string measurement;
  storage::TagSet tags;
  std::vector<std::string> fields;  // one per column
  std::vector<int64_t> time;
  std::vector<Column> columns;
  bool history = false;  // read from storage (the `since` part), not live

  size_t rows() const { return time.size(); }
  uint64_t Values() const;  // non-null cells
  size_t Bytes() const;     // approximate heap bytes
};

// The wanted fields of a written group as a frame; *ids gets the series of each column.
// Returns false when the group has none of the wanted fields (or no rows with them).
bool FrameFromGroup(const LiveGroup& group, const LiveSelector& selector, LiveFrame* out,
                    std::vector<storage::SeriesId>* column_ids);

// Rows of several series of one group (sorted, one point per timestamp each) merged on time
// into a frame; each input becomes one column.
void MergeColumns(const std::vector<std::string>& names,
                  const std::vector<storage::codec::Columns>& inputs, LiveFrame* out);

// Nulls every cell of column `c`, then drops rows that no longer hold a value. Returns the
// values removed.
uint64_t NullColumn(LiveFrame* frame, size_t c);

// Splits `frame` into frames of at most `max_rows` rows (the same group).
std::vector<LiveFrame> SplitRows(LiveFrame&& frame, size_t max_rows);

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_LIVE_LIVE_FRAME_H_
