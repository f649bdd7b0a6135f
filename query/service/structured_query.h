// Converts the structured form of a query (telemdb.v1.StructuredQuery) into the query
// language's syntax tree, so both forms run through the same planner and engine.
//
// Thread safety: pure function.
#ifndef TELEMDB_QUERY_SERVICE_STRUCTURED_QUERY_H_
#define TELEMDB_QUERY_SERVICE_STRUCTURED_QUERY_H_

#include "absl/status/statusor.h"
#include "query/lang/ast.h"

namespace telemdb::v1 {
class StructuredQuery;
}

namespace telemdb::query {

// Errors: InvalidArgument naming the offending part (unknown function, missing measurement,
// bad parameter); the result is checked like a parsed query (Format + Parse round trip).
absl::StatusOr<lang::Statement> FromStructured(const v1::StructuredQuery& q);

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_SERVICE_STRUCTURED_QUERY_H_
