// Internal: execution of the statements other than SELECT: SHOW MEASUREMENTS, SHOW FIELD
// KEYS, SHOW TAG KEYS, SHOW TAG VALUES, SHOW SERIES and DELETE. Their results have no time
// column and fixed column names (docs/query.md#semantics); each takes LIMIT/OFFSET (per
// measurement for FIELD KEYS and TAG KEYS), TAG KEYS and TAG VALUES a WHERE on tags:
//   SHOW MEASUREMENTS  name
//   SHOW FIELD KEYS    measurement, field_key, field_type (float, integer, boolean, string)
//   SHOW TAG KEYS      measurement, tag_key
//   SHOW TAG VALUES    key, value
//   SHOW SERIES        key ("m,k1=v1,k2=v2": measurement and sorted tags, no field)
//   DELETE             series_deleted (storage series touched)
//
// Thread safety: reentrant.
#ifndef TELEMDB_QUERY_ENGINE_SHOW_H_
#define TELEMDB_QUERY_ENGINE_SHOW_H_

#include "absl/status/status.h"
#include "query/engine/context.h"
#include "query/engine/exec_options.h"
#include "query/engine/querier.h"
#include "query/engine/result.h"
#include "query/lang/ast.h"

namespace telemdb::query::internal {

// REQUIRES: `statement` is not a SELECT.
absl::Status ExecuteMeta(const lang::Statement& statement, Querier& querier,
                         const ExecOptions& options, Context& ctx, ResultSink& sink,
                         QueryStats* stats);

}  // namespace telemdb::query::internal

#endif  // TELEMDB_QUERY_ENGINE_SHOW_H_
