#include "query/lang/lexer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::query::lang {
namespace {

using ::telemdb::testing::StatusIs;
using ::testing::ElementsAre;

std::vector<TokenKind> Kinds(std::string_view query) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(query);
  EXPECT_TRUE(tokens.ok()) << tokens.status();
  std::vector<TokenKind> kinds;
  if (tokens.ok()) {
    for (const Token& t : *tokens) kinds.push_back(t.kind);
  }
  return kinds;
}

Token Single(std::string_view query) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(query);
  EXPECT_TRUE(tokens.ok()) << tokens.status();
  if (!tokens.ok() || tokens->size() != 2) {
    ADD_FAILURE() << "expected one token in " << query;
    return Token{};
  }
  return (*tokens)[0];
}

std::string LexError(std::string_view query) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(query);
  EXPECT_THAT(tokens, StatusIs(absl::StatusCode::kInvalidArgument));
  return tokens.ok() ? "OK" : std::string(tokens.status().message());
}

// Names and values are UTF-8 everywhere; a query that is not is refused at the first bad
// byte (line and column in characters), inside strings and names alike, overlong and
// truncated sequences included. Valid multi-byte text is untouched.
TEST(LexerTest, InvalidUtf8IsRefusedWhereItStands) {
  EXPECT_EQ(LexError("SELECT v FROM m WHERE d = '\xff'"),
            "line 1, column 28: expected UTF-8 text, found the byte 0xff");
  EXPECT_EQ(LexError("SELECT \"t\xc3\xa9mp\" FROM m\nWHERE d = '\xc0\xaf'"),
            "line 2, column 12: expected UTF-8 text, found the byte 0xc0");
  EXPECT_EQ(LexError("SELECT v FROM m\xe2\x82"),
            "line 1, column 16: expected UTF-8 text, found the byte 0xe2");
  EXPECT_EQ(Single("'t\xc3\xa9mp \xe2\x82\xac'").kind, TokenKind::kString);
}

TEST(LexerTest, EmptyInputIsJustEnd) {
  EXPECT_THAT(Kinds(""), ElementsAre(TokenKind::kEnd));
  EXPECT_THAT(Kinds(" \t\r\n "), ElementsAre(TokenKind::kEnd));
}

TEST(LexerTest, Operators) {
  EXPECT_THAT(
      Kinds("= != <> < <= > >= =~ !~ ( ) , ; * + -"),
      ElementsAre(TokenKind::kEq, TokenKind::kNe, TokenKind::kNe, TokenKind::kLt, TokenKind::kLe,
                  TokenKind::kGt, TokenKind::kGe, TokenKind::kMatch, TokenKind::kNotMatch,
                  TokenKind::kLParen, TokenKind::kRParen, TokenKind::kComma, TokenKind::kSemicolon,
                  TokenKind::kStar, TokenKind::kPlus, TokenKind::kMinus, TokenKind::kEnd));
  // No spaces needed.
  EXPECT_THAT(Kinds("a>=5"),
              ElementsAre(TokenKind::kIdent, TokenKind::kGe, TokenKind::kInteger, TokenKind::kEnd));
}

TEST(LexerTest, Identifiers) {
  const Token t = Single("_Motor_2");
  EXPECT_EQ(t.kind, TokenKind::kIdent);
  EXPECT_EQ(t.value, "_Motor_2");
  const Token q = Single(R"("my \"odd\" name \\ here")");
  EXPECT_EQ(q.kind, TokenKind::kQuotedIdent);
  EXPECT_EQ(q.value, R"(my "odd" name \ here)");
  EXPECT_EQ(Single(R"("a\b")").value, R"(a\b)");  // other backslashes are kept
}

TEST(LexerTest, Strings) {
  const Token t = Single(R"('it\'s \\ a\ttest')");
  EXPECT_EQ(t.kind, TokenKind::kString);
  EXPECT_EQ(t.value, R"(it's \ a\ttest)");
  EXPECT_EQ(Single("''").value, "");
  EXPECT_EQ(Single("'two\nlines'").value, "two\nlines");
}

TEST(LexerTest, Regexes) {
  const Token t = Single(R"(/^a\/b\d+\\/)");
  EXPECT_EQ(t.kind, TokenKind::kRegex);
  EXPECT_EQ(t.value, R"(^a/b\d+\\)");
}

TEST(LexerTest, Numbers) {
  Token t = Single("42");
  EXPECT_EQ(t.kind, TokenKind::kInteger);
  EXPECT_EQ(t.integer, 42u);
  EXPECT_EQ(Single("18446744073709551615").integer, 18446744073709551615u);
  t = Single("4.25");
  EXPECT_EQ(t.kind, TokenKind::kFloat);
  EXPECT_EQ(t.number, 4.25);
  EXPECT_EQ(Single(".5").number, 0.5);
  EXPECT_EQ(Single("1e3").number, 1000.0);
  EXPECT_EQ(Single("2.5E-2").number, 0.025);
  EXPECT_EQ(Single("1e+2").number, 100.0);
  // A sign is a separate token; the parser applies it.
  EXPECT_THAT(Kinds("-5"), ElementsAre(TokenKind::kMinus, TokenKind::kInteger, TokenKind::kEnd));
}

TEST(LexerTest, Durations) {
  EXPECT_EQ(Single("15m").duration_ns, 15 * 60'000'000'000);
  EXPECT_EQ(Single("1h30m").duration_ns, 90 * 60'000'000'000);
  EXPECT_EQ(Single("10µs").duration_ns, 10'000);
  EXPECT_EQ(Single("10us").duration_ns, 10'000);
  EXPECT_EQ(Single("1700000000s").kind, TokenKind::kDuration);
}

TEST(LexerTest, PositionsCountLinesAndCharacters) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize("SELECT x\n  FROM \"µ\" µ");
  ASSERT_FALSE(tokens.ok());  // the bare µ is not a token
  EXPECT_EQ(tokens.status().message(),
            "line 2, column 12: expected a name, value or operator, found unexpected character "
            "'µ'");
  tokens = Tokenize("SELECT x\n  FROM \"µµ\" y");
  ASSERT_TRUE(tokens.ok());
  const Token& y = (*tokens)[4];
  EXPECT_EQ(y.text, "y");
  EXPECT_EQ(y.line, 2);
  EXPECT_EQ(y.column, 13);  // µ is one column each
  const Token& from = (*tokens)[2];
  EXPECT_EQ(from.line, 2);
  EXPECT_EQ(from.column, 3);
}

TEST(LexerTest, Errors) {
  EXPECT_EQ(LexError("a ! b"), "line 1, column 3: expected '!=' or '!~', found '!'");
  EXPECT_EQ(LexError("a = 'open"),
            "line 1, column 5: unterminated string; expected closing ', found end of query");
  EXPECT_EQ(LexError("\n\"open"),
            "line 2, column 1: unterminated quoted identifier; expected closing \", found end "
            "of query");
  EXPECT_EQ(LexError("a =~ /open\\/"),
            "line 1, column 6: unterminated regular expression; expected closing /, found end "
            "of query");
  EXPECT_EQ(LexError("\"\""),
            "line 1, column 1: expected a name between double quotes, found \"\"");
  EXPECT_EQ(LexError("99999999999999999999"),
            "line 1, column 1: integer '99999999999999999999' is out of range");
  EXPECT_EQ(LexError("1e999"), "line 1, column 1: number '1e999' is out of range");
  EXPECT_EQ(LexError("5x"),
            "line 1, column 1: invalid duration '5x': unknown unit 'x' (expected one of ns, us, "
            "µs, ms, s, m, h, d, w)");
  EXPECT_EQ(LexError("1.5h"),
            "line 1, column 1: invalid duration '1.5h': expected whole numbers before each unit");
  EXPECT_EQ(LexError("a @"),
            "line 1, column 3: expected a name, value or operator, found unexpected character "
            "'@'");
  EXPECT_EQ(LexError("\x01"),
            "line 1, column 1: expected a name, value or operator, found unexpected character "
            "'\\x01'");
}

TEST(LexerTest, DescribeToken) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize("FROM \"q d\" 's' /r/");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(DescribeToken((*tokens)[0]), "'FROM'");
  EXPECT_EQ(DescribeToken((*tokens)[1]), "\"q d\"");
  EXPECT_EQ(DescribeToken((*tokens)[2]), "string 's'");
  EXPECT_EQ(DescribeToken((*tokens)[3]), "/r/");
  EXPECT_EQ(DescribeToken((*tokens)[4]), "end of query");
  const std::string long_name(60, 'a');
  tokens = Tokenize(long_name);
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(DescribeToken((*tokens)[0]), "'" + std::string(40, 'a') + "...'");
}

}  // namespace
}  // namespace telemdb::query::lang
