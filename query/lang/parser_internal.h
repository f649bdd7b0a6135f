// The recursive-descent parser behind Parse (parser.h). Internal to query/lang: the methods
// are split by phase over parser.cc (cursor, statements, SHOW, DELETE), parser_select.cc
// (SELECT) and parser_where.cc (conditions and time values).
//
// Thread safety: a Parser is single-use and not shared between threads.
#ifndef TELEMDB_QUERY_LANG_PARSER_INTERNAL_H_
#define TELEMDB_QUERY_LANG_PARSER_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "query/lang/ast.h"
#include "query/lang/lexer.h"
#include "query/lang/parser.h"

namespace telemdb::query::lang {

// "A", "A or B", "A, B or C".
std::string JoinAlternatives(std::initializer_list<std::string_view> items);

class Parser {
 public:
  // REQUIRES: tokens end with a kEnd token (as Tokenize returns them).
  Parser(std::vector<Token> tokens, const ParseOptions& opts);

  absl::StatusOr<Statement> ParseStatement();

 private:
  // Which comparisons a WHERE may hold.
  enum class WhereMode {
    kAny,       // SELECT
    kTagsOnly,  // DELETE, SHOW SERIES: string/regex comparisons and time
  };

  // A number argument with an optional leading '-'.
  struct Number {
    bool is_integer = false;
    int64_t integer = 0;
    double value = 0;              // also set for integers
    const Token* token = nullptr;  // the first token ('-' or the number)
    std::string text;              // as written, for messages
  };

  // ---- cursor and errors (parser.cc)
  const Token& Peek(size_t k = 0) const;
  const Token& Next();
  const Token& Previous() const;
  bool AtKeyword(std::string_view keyword, size_t k = 0) const;
  bool AcceptKeyword(std::string_view keyword);
  bool Accept(TokenKind kind);
  absl::Status ErrorAt(const Token& at, std::string_view message) const;
  // "expected <what>, found <found>[ (<hint>)]" at `found`.
  absl::Status Expected(std::string_view what, const Token& found,
                        std::string_view hint = {}) const;
  absl::Status ExpectKeyword(std::string_view keyword, std::string_view what);
  absl::Status Expect(TokenKind kind, std::string_view what);
  // An identifier: a bare word that is not reserved, or a double-quoted name. A reserved word
  // in its place gets a hint to quote it.
  absl::StatusOr<std::string> ParseName(std::string_view what);
  // A measurement name, possibly qualified: m, rp.m, db.rp.m or db..m (with any part quoted);
  // returns the last part (db and rp are ignored: one database per server).
  absl::StatusOr<std::string> ParseMeasurement(std::string_view what);
  // FROM <measurement>, if present.
  absl::StatusOr<std::optional<std::string>> ParseOptionalFrom();
  // A regex token compiled with RE2; its pattern. `after` names what it follows.
  absl::StatusOr<std::string> ParseRegex(std::string_view after);
  // Optional ';' then the end; otherwise "expected <alternatives or> end of query".
  absl::Status ExpectEnd(const std::vector<std::string_view>& alternatives);
  absl::StatusOr<Number> ParseNumber(std::string_view what);

  // ---- statements (parser.cc)
  absl::StatusOr<Statement> ParseDelete();
  absl::StatusOr<Statement> ParseShow();
  absl::StatusOr<Statement> ParseShowMeasurements();
  absl::StatusOr<Statement> ParseShowTagKeys();
  absl::StatusOr<Statement> ParseShowTagValues();
  absl::StatusOr<KeyMatch> ParseKeyMatch();
  // [WHERE tags] (when `where` is set) [LIMIT n] [OFFSET k], then the end. `before` lists
  // what could still have come before these clauses, for the error message.
  absl::Status ParseShowTail(std::string_view statement, std::optional<Condition>* where,
                             ShowPaging* paging, std::vector<std::string_view> before);

  // ---- SELECT (parser_select.cc)
  absl::StatusOr<Statement> ParseSelect();
  absl::StatusOr<SelectItem> ParseSelectItem(std::string_view after);
  // Arithmetic over one term (a field or function call) and numeric constants: the term goes
  // to `item`, the steps to item->math (parser_math.cc).
  struct MathOperand {
    bool constant = false;
    double value = 0;              // when constant
    std::vector<MathStep> steps;   // otherwise: what applies to the term so far
    const Token* token = nullptr;  // where it starts
  };
  absl::StatusOr<MathOperand> ParseAdditive(SelectItem* item, const Token** term, int depth);
  absl::StatusOr<MathOperand> ParseMultiplicative(SelectItem* item, const Token** term, int depth);
  absl::StatusOr<MathOperand> ParseUnary(SelectItem* item, const Token** term, int depth);
  absl::StatusOr<MathOperand> Combine(MathOperand lhs, const Token& op, MathOperand rhs);
  absl::Status ParseTerm(SelectItem* item, std::string_view after);
  // tz('...') at the end of a SELECT: always an error saying why and what to use instead.
  absl::Status RefuseTz();
  absl::Status ParseCall(SelectItem* item);
  absl::Status ParseAggregateArgs(const FunctionInfo& info, SelectItem* item);
  absl::Status ParseParamAndClose(const FunctionInfo& info, Call* call);
  // An integer in [lo, hi]; `what` names it in the error.
  absl::StatusOr<int64_t> ParseBoundedInteger(std::string_view what, int64_t lo, int64_t hi);
  // A string of anomaly detector options, checked and stored in canonical form.
  absl::Status ParseDetectorOptions(const FunctionInfo& info, Call* call);
  absl::Status ParseGroupBy(SelectStatement* stmt);
  absl::Status ParseFill(SelectStatement* stmt);
  absl::Status ParseOrderBy(SelectStatement* stmt);
  absl::StatusOr<int64_t> ParsePositiveInteger(std::string_view clause);
  absl::Status CheckSelectList(const SelectStatement& stmt,
                               const std::vector<const Token*>& item_tokens,
                               const Token* fill_token) const;

  // ---- WHERE (parser_where.cc)
  absl::StatusOr<Condition> ParseWhere(WhereMode mode, std::string_view statement);
  absl::StatusOr<Condition> ParseOr(int depth);
  absl::StatusOr<Condition> ParseAnd(int depth);
  absl::StatusOr<Condition> ParsePrimary(int depth);
  absl::StatusOr<Condition> ParseTimeComparison();
  absl::StatusOr<int64_t> ParseTimeValue(const Token& op);
  absl::StatusOr<Literal> ParseLiteral(const Token& op_token, CompareOp op);

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  ParseOptions opts_;
  WhereMode where_mode_ = WhereMode::kAny;
  std::string_view where_statement_;  // "DELETE" / "SHOW SERIES" in kTagsOnly
  std::vector<size_t> time_tokens_;   // indexes of `time` tokens parsed in the current WHERE
  std::string_view item_after_;       // what the select item being parsed follows ("SELECT")
};

}  // namespace telemdb::query::lang

#endif  // TELEMDB_QUERY_LANG_PARSER_INTERNAL_H_
