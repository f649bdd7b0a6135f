// The read side of the executor: Scanner opens cursors and keeps the query's accounts (stats,
// the points limit, deadline and cancellation, checked after every block); EntityReader joins
// the series of one entity (one tag set) on timestamp into batches of rows.
//
// Thread safety: not thread-safe; one per query.
#ifndef TELEMDB_QUERY_ENGINE_SCAN_H_
#define TELEMDB_QUERY_ENGINE_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "query/engine/context.h"
#include "query/engine/exec_options.h"
#include "query/engine/querier.h"
#include "query/engine/result.h"

namespace telemdb::query {

class Scanner {
 public:
  Scanner(Querier* querier, Context* ctx, const ExecOptions* options, QueryStats* stats)
      : querier_(querier), ctx_(ctx), options_(options), stats_(stats) {}

  Querier& querier() { return *querier_; }
  const ExecOptions& options() const { return *options_; }
  QueryStats& stats() { return *stats_; }

  // A cursor over [start, end) whose reads are accounted.
  class Cursor {
   public:
    QueryCursor& operator*() { return *cursor_; }
    QueryCursor* operator->() { return cursor_.get(); }

   private:
    friend class Scanner;
    std::unique_ptr<QueryCursor> cursor_;
    CursorStats seen_;
  };
  absl::StatusOr<Cursor> Open(SeriesId id, int64_t start, int64_t end);
  // Next block, with accounting and limit checks. False at the end.
  absl::StatusOr<bool> Next(Cursor* c);
  // Decodes the current block into `out`, converting to `want` (int to float) if needed.
  absl::Status Decode(Cursor* c, ValueType want, storage::codec::Columns* out);
  // Adds what the cursor read since the last call to the query stats; checks the points
  // limit, the deadline and cancellation.
  absl::Status Account(Cursor* c);
  // Deadline and cancellation only.
  absl::Status Check() const { return ctx_->Check(); }

 private:
  Querier* querier_;
  Context* ctx_;
  const ExecOptions* options_;
  QueryStats* stats_;
};

// Rows of one entity: for every timestamp where at least one of the read fields has a point,
// one row with each field's value or null. Columns are indexed by planned field; fields not
// read have empty columns.
struct RowBatch {
  std::vector<int64_t> ts;
  std::vector<Column> fields;
  size_t size() const { return ts.size(); }
};

class EntityReader {
 public:
  // Reads fields `read` (planned field indices) of the entity whose series are `series`
  // (kInvalidSeriesId: absent), wanted as type `want` (per planned field), over [start, end).
  // Errors: as Scanner::Open.
  static absl::StatusOr<std::unique_ptr<EntityReader>> Open(Scanner* scanner,
                                                            const std::vector<SeriesId>& series,
                                                            const std::vector<ValueType>& want,
                                                            const std::vector<int>& read,
                                                            int64_t start, int64_t end);

  // The next rows, at most `max_rows`, ascending; false when there are no more.
  absl::StatusOr<bool> Next(size_t max_rows, RowBatch* out);

 private:
  struct Stream {
    int field = -1;
    ValueType want = ValueType::kFloat;
    Scanner::Cursor cursor;
    storage::codec::Columns buf;
    size_t pos = 0;
    bool done = false;
  };
  explicit EntityReader(Scanner* scanner) : scanner_(scanner) {}
  absl::Status Fill(Stream* s);  // ensures pos < buf.size() unless done

  Scanner* scanner_;
  std::vector<Stream> streams_;
  std::vector<ValueType> want_;  // per planned field
};

// Appends value i of `c` to `col` (same type family).
void AppendValue(const storage::codec::Columns& c, size_t i, Column* col);

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_SCAN_H_
