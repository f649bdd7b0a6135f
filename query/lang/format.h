// Canonical text of a parsed query: for logs, error messages and round-trip tests.
//
// For every Statement s returned by Parse, Parse(Format(s)) == s and Format is idempotent on its
// own output. Canonical choices: keywords upper case, function names lower case (avg -> mean),
// identifiers bare unless they need double quotes, times as RFC 3339 UTC strings, durations
// largest unit first (1h30m), default parameters omitted (derivative(x, 1s) -> derivative(x)),
// FILL(null) and ORDER BY time ASC omitted, SHOW FIELDS -> SHOW FIELD KEYS, <> -> !=.
//
// Thread safety: pure functions.
#ifndef TELEMDB_QUERY_LANG_FORMAT_H_
#define TELEMDB_QUERY_LANG_FORMAT_H_

#include <string>
#include <string_view>

#include "query/lang/ast.h"

namespace telemdb::query::lang {

std::string Format(const Statement& statement);

// One select item, with " AS alias" if it has one: derivative(mean(velocity), 1m) AS accel.
std::string FormatSelectItem(const SelectItem& item);

std::string FormatCondition(const Condition& condition);

// A name, double-quoted (with \" and \\ escapes) unless it is a bare word that is neither
// reserved nor `time`.
std::string FormatIdentifier(std::string_view name);

// A single-quoted string literal with \' and \\ escapes.
std::string FormatString(std::string_view value);

std::string FormatLiteral(const Literal& literal);

// "=", "!=", "<", "<=", ">", ">=", "=~", "!~".
std::string_view CompareOpText(CompareOp op);

}  // namespace telemdb::query::lang

#endif  // TELEMDB_QUERY_LANG_FORMAT_H_
