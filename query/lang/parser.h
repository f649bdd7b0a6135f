// Parser of telemdb's InfluxQL-flavoured query language; the grammar is in docs/query.md.
//
//   ParseOptions opts;
//   opts.now_ns = absl::ToUnixNanos(absl::Now());
//   ASSIGN_OR_RETURN(Statement stmt, Parse("SELECT mean(v) FROM m GROUP BY time(1m)", opts));
//
// Parse validates everything that does not need the schema (see ast.h), so the result can be
// planned directly. It accepts arbitrary bytes: it never crashes or asserts on bad input, its
// recursion is bounded by ParseOptions::max_nesting, and its work is linear in the input.
//
// Errors: InvalidArgument "line L, column C: expected X, found Y" (1-based; columns count
// UTF-8 characters) for every lexical, syntactic and validation error; it is the first error.
//
// Thread safety: Parse is a pure function; call it concurrently freely.
#ifndef TELEMDB_QUERY_LANG_PARSER_H_
#define TELEMDB_QUERY_LANG_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "query/lang/ast.h"

namespace telemdb::query::lang {

struct ParseOptions {
  // The instant now() evaluates to, in ns since the Unix epoch. Default: 0 (the epoch), so
  // callers serving users must set it; tests fix it to get deterministic trees.
  int64_t now_ns = 0;
  // Deepest nesting of parentheses allowed in WHERE. Default: 64.
  int max_nesting = 64;
  // Longest query accepted, in bytes. Default: 1 MiB.
  size_t max_query_bytes = size_t{1} << 20;
};

// Parses one statement, optionally followed by ';'.
absl::StatusOr<Statement> Parse(std::string_view text, const ParseOptions& opts);

// True if `word` (ASCII case-insensitive) is reserved: SELECT, FROM, WHERE, AND, OR, GROUP, BY,
// FILL, ORDER, LIMIT, SLIMIT, AS, ASC, DESC, DELETE, SHOW. Reserved words are names only when
// double-quoted.
bool IsReservedWord(std::string_view word);

}  // namespace telemdb::query::lang

#endif  // TELEMDB_QUERY_LANG_PARSER_H_
