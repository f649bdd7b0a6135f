#include "query/engine/engine.h"

#include <variant>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "query/engine/executor.h"
#include "query/engine/frame_writer.h"
#include "query/engine/plan.h"
#include "query/engine/scan.h"
#include "query/engine/show.h"
#include "query/lang/lexer.h"
#include "query/lang/parser.h"
#include "util/absl_compat.h"
#include "util/status_macros.h"

namespace telemdb::query {
namespace {

absl::Status ExecuteSelect(const lang::SelectStatement& stmt, Querier& querier,
                           const ExecOptions& options, Context& ctx, ResultSink& sink,
                           QueryStats* stats) {
  RETURN_IF_ERROR(ctx.Check());
  ASSIGN_OR_RETURN(SelectPlan plan, PlanSelect(stmt, querier, options, stats));
  Scanner scan(&querier, &ctx, &options, stats);
  FrameWriter out(&sink, plan.schema, options, stats, &ctx);
  RETURN_IF_ERROR(out.Start());
  if (!plan.aggregated) return internal::ExecuteRaw(plan, &scan, &out);
  if (plan.last_cache) return internal::ExecuteLastCache(plan, &scan, &out);
  return internal::ExecuteAggregate(plan, &scan, &out);
}

}  // namespace

absl::Status Execute(const lang::Statement& statement, Querier& querier, const ExecOptions& options,
                     Context& ctx, ResultSink& sink, QueryStats* stats) {
  QueryStats local;
  if (stats == nullptr) stats = &local;
  *stats = QueryStats();
  const absl::Time start = absl::Now();
  absl::Status s;
  if (const auto* select = std::get_if<lang::SelectStatement>(&statement)) {
    s = ExecuteSelect(*select, querier, options, ctx, sink, stats);
  } else {
    s = internal::ExecuteMeta(statement, querier, options, ctx, sink, stats);
  }
  stats->elapsed_ns = absl::ToInt64Nanoseconds(absl::Now() - start);
  return s;
}

absl::Status ExecuteText(std::string_view text, Querier& querier, const ExecOptions& options,
                         Context& ctx, ResultSink& sink, QueryStats* stats) {
  lang::ParseOptions popts;
  popts.now_ns = options.now_ns;
  ASSIGN_OR_RETURN(lang::Statement stmt, lang::Parse(text, popts));
  return Execute(stmt, querier, options, ctx, sink, stats);
}

bool IsWriteStatement(const lang::Statement& statement) {
  return std::holds_alternative<lang::DeleteStatement>(statement);
}

}  // namespace telemdb::query
