// Building query-language text from names and values given on the command line, for the
// commands that are written in terms of queries (series, last).
//
// Thread safety: pure functions.
#ifndef TELEMDB_CLI_COMMANDS_QUERY_TEXT_H_
#define TELEMDB_CLI_COMMANDS_QUERY_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

namespace telemdb::cli {

// A name as the query language wants it: bare when it is [A-Za-z_][A-Za-z0-9_]* and not a
// reserved word, else in double quotes with \" and \\ escaped.
std::string QuoteName(std::string_view name);

// " WHERE (c1) AND (c2)" for the given conditions, "" for none.
std::string WhereClause(const std::vector<std::string>& conditions);

// "m,k1=v1,k2=v2": the measurement and the non-empty tags, sorted by key, unescaped (the
// form of SHOW SERIES).
std::string SeriesKey(std::string_view measurement,
                      std::vector<std::pair<std::string, std::string>> tags);

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_COMMANDS_QUERY_TEXT_H_
