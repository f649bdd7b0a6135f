// The query engine: executes a parsed statement against a Querier and streams the result into
// a ResultSink. This is what the gRPC query service, the CLI and benchmarks call.
//
//   StorageQuerier querier(db);
//   ExecOptions opts;  opts.now_ns = NowNs();  opts.max_series = 50'000;
//   Context ctx(absl::Now() + absl::Seconds(30));   // Cancel() it when the client goes away
//   QueryStats stats;
//   MySink sink;                                    // e.g. turns frames into gRPC messages
//   absl::Status s = ExecuteText("SELECT mean(temp) FROM motors GROUP BY time(1m)", querier,
//                                opts, ctx, sink, &stats);
//
// The result is announced by ResultSink::Start (schema) and arrives as frames, group by group
// (see result.h); nothing is materialised beyond one group of aggregated rows or one window
// of raw rows. What each statement computes is specified in docs/query.md#semantics.
//
// Errors (the query stops at the first one; frames already delivered stay delivered):
//   InvalidArgument   parse errors (with line/column) and schema errors (unknown field or
//                     tag, a function that does not apply to a field's type, ...);
//   ResourceExhausted a limit of ExecOptions, naming it;
//   DeadlineExceeded / Cancelled from the Context;
//   OutOfRange        an int result (sum, spread, difference) overflowing int64;
//   DataLoss, Unavailable, ... from storage; whatever the sink returns.
// The caller checks rights: IsWriteStatement tells which statements need the admin right.
//
// Thread safety: Execute is reentrant; concurrent queries share the Querier, each with its
// own Context, sink and stats.
#ifndef TELEMDB_QUERY_ENGINE_ENGINE_H_
#define TELEMDB_QUERY_ENGINE_ENGINE_H_

#include <string_view>

#include "absl/status/status.h"
#include "query/engine/context.h"
#include "query/engine/exec_options.h"
#include "query/engine/querier.h"
#include "query/engine/result.h"
#include "query/lang/ast.h"

namespace telemdb::query {

// Executes one statement. `stats` may be null; when set it is filled even on error.
absl::Status Execute(const lang::Statement& statement, Querier& querier, const ExecOptions& options,
                     Context& ctx, ResultSink& sink, QueryStats* stats);

// Parses `text` (now() = options.now_ns) and executes it.
absl::Status ExecuteText(std::string_view text, Querier& querier, const ExecOptions& options,
                         Context& ctx, ResultSink& sink, QueryStats* stats);

// True for statements that change data (DELETE): the caller must hold the admin right.
bool IsWriteStatement(const lang::Statement& statement);

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_ENGINE_H_
