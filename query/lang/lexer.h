// The lexer of the query language: query text -> tokens with 1-based line and column.
//
// Tokens are views into the query text plus decoded values, so the text must outlive them.
// Keywords are not distinguished here: every bare word is a kIdent and the parser decides
// (case-insensitively) whether it is a keyword in its position. A '/' is division (kSlash)
// right after ')', a non-reserved bare word, a quoted name, a number or a duration, and starts
// a regex everywhere else (after =~, !~, '(', ',', a reserved word, ...). A '.' directly after
// a name, a quoted name or another such '.' (no blank between) is a kDot, as in
// "telegraf"."autogen"."cpu"; elsewhere it can only start a number (.5). Columns count UTF-8
// characters, not bytes.
//
// Errors: Tokenize returns InvalidArgument "line L, column C: ..." for an unexpected
// character, an unterminated string / quoted identifier / regex, an empty quoted identifier,
// a number out of range or an invalid duration.
//
// Thread safety: pure functions.
#ifndef TELEMDB_QUERY_LANG_LEXER_H_
#define TELEMDB_QUERY_LANG_LEXER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace telemdb::query::lang {

enum class TokenKind : uint8_t {
  kEnd,          // end of the query (always the last token)
  kIdent,        // bare word: [A-Za-z_][A-Za-z0-9_]*
  kQuotedIdent,  // "any text", \" and \\ escaped
  kString,       // 'any text', \' and \\ escaped
  kRegex,        // /pattern/, \/ escaped
  kInteger,      // 42 (unsigned; the parser applies a leading '-')
  kFloat,        // 4.2, .5, 1e-3, 2.5E+4
  kDuration,     // 15m, 1h30m, 1700000000s
  kLParen,
  kRParen,
  kComma,
  kSemicolon,
  kStar,
  kPlus,
  kMinus,
  kSlash,     // '/' as division (see above)
  kDot,       // '.' joining the parts of a qualified name
  kEq,        // =
  kNe,        // != or <>
  kLt,        // <
  kLe,        // <=
  kGt,        // >
  kGe,        // >=
  kMatch,     // =~
  kNotMatch,  // !~
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;    // exactly as written in the query
  std::string value;        // kIdent: the word; kQuotedIdent, kString: unescaped; kRegex: pattern
  uint64_t integer = 0;     // kInteger
  double number = 0;        // kFloat, finite
  int64_t duration_ns = 0;  // kDuration, >= 0
  int line = 1;
  int column = 1;
};

// Splits `query` into tokens, the last one kEnd.
absl::StatusOr<std::vector<Token>> Tokenize(std::string_view query);

// How a token is named after "found" in messages: 'FROM', "my m", string 'abc', /re/,
// end of query.
std::string DescribeToken(const Token& token);

// InvalidArgument("line L, column C: <message>").
absl::Status SyntaxError(int line, int column, std::string_view message);

}  // namespace telemdb::query::lang

#endif  // TELEMDB_QUERY_LANG_LEXER_H_
