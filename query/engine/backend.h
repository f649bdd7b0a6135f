// QueryBackend: where a front door's statements and listings run. On one node the front
// doors read this node's Querier directly; a cluster node (telemdbd --cluster) gives them a
// backend that runs everything through the coordinator (query/distributed/coordinator.h),
// reading each shard from one of its replicas (docs/cluster-query.md).
//
// The front door still authenticates and authorizes the statement; `wrap` puts the caller's
// read scope (query/service/query_access.h, ScopedQuerier) around whatever querier the
// backend reads, so listings and plans see only what the caller may read.
//
// Thread safety: implementations must be reentrant.
#ifndef TELEMDB_QUERY_ENGINE_BACKEND_H_
#define TELEMDB_QUERY_ENGINE_BACKEND_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "query/engine/context.h"
#include "query/engine/exec_options.h"
#include "query/engine/querier.h"
#include "query/engine/result.h"
#include "query/lang/ast.h"

namespace telemdb::query {

// Wraps the backend's querier (e.g. in the caller's read scope). Empty: read it as it is.
using QuerierWrap = std::function<std::unique_ptr<Querier>(Querier& base)>;

class QueryBackend {
 public:
  virtual ~QueryBackend() = default;
  // As query::Execute (engine.h), reading through wrap(querier).
  virtual absl::Status Run(const lang::Statement& statement, const QuerierWrap& wrap,
                           const ExecOptions& options, Context& ctx, ResultSink& sink,
                           QueryStats* stats) = 0;
  // Calls fn with a querier over all the data, wrapped by `wrap` (listings: measurements,
  // fields, series, tag keys and values). Errors: fn's, or the backend's (a cluster shard
  // that no replica answered for: Unavailable).
  virtual absl::Status WithQuerier(const QuerierWrap& wrap, Context& ctx,
                                   const std::function<absl::Status(Querier&)>& fn) = 0;
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_BACKEND_H_
