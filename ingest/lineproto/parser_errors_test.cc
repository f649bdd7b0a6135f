// Every rejection of the parser, with its line, column and message.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest/lineproto/parser.h"
#include "util/status_matchers.h"

namespace telemdb::lineproto {
namespace {

using ::telemdb::testing::StatusIs;
using ::testing::HasSubstr;

struct ErrorCase {
  const char* input;
  int64_t column;
  const char* reason;  // expected substring of the reason
};

absl::Status ParseStatus(std::string_view text, ParseOptions options = ParseOptions()) {
  return ParseLines(text, options, [](const Point&) { return absl::OkStatus(); }).status();
}

TEST(ParserErrorsTest, EveryRejection) {
  const std::vector<ErrorCase> cases = {
      {"m", 2, "missing fields"},
      {"m,t=1", 6, "missing fields"},
      {"m  ", 4, "missing fields"},
      {",t=1 f=1", 1, "missing measurement"},
      {"  ,t=1 f=1", 3, "missing measurement"},
      {"m,=v f=1", 3, "missing tag key"},
      {"m,t=1, f=1", 7, "missing tag key"},
      {"m,t f=1", 4, "expected '=' after tag key \"t\""},
      {"m,t,u=1 f=1", 4, "expected '=' after tag key \"t\""},
      {"m,t= f=1", 5, "missing value for tag key \"t\""},
      {"m,t=a=b f=1", 6, "unescaped '=' in the value of tag key \"t\""},
      {"m,a=1,a=2 f=1", 7, "duplicate tag key \"a\""},
      {"m,b=1,a=2,b=3 f=1", 11, "duplicate tag key \"b\""},
      {"m =1", 3, "missing field key"},
      {"m f=1,", 7, "missing field key"},
      {"m f=1,,g=2", 7, "missing field key"},
      {"m temp 1", 7, "expected '=' after field key \"temp\""},
      {"m temp,x=1", 7, "expected '=' after field key \"temp\""},
      {"m f", 4, "expected '=' after field key \"f\""},
      {"m f= 1", 5, "missing value for field key \"f\""},
      {"m f=", 5, "missing value for field key \"f\""},
      {"m f=1,f=2", 7, "duplicate field key \"f\""},
      {"m a=1,b=2,c=3,b=4i 1", 15, "duplicate field key \"b\""},
      {"m f=\"abc", 5, "unterminated string value for field key \"f\""},
      {"m f=\"a\\\"", 5, "unterminated string value for field key \"f\""},
      {"m f=\"a\"x", 8, "expected ',' or ' ' after the string value of field key \"f\""},
      {"m f=abc", 5,
       "invalid value \"abc\" for field key \"f\": invalid value (strings must be "
       "double-quoted"},
      {"m f=tru", 5, "strings must be double-quoted"},
      {"m f=+1", 5, "invalid value \"+1\" for field key \"f\": invalid number"},
      {"m f=1.5i", 5, "invalid number"},
      {"m f=0x10", 5, "invalid number"},
      {"m f=1e", 5, "invalid number"},
      {"m f=-", 5, "invalid number"},
      {"m f=.", 5, "invalid number"},
      {"m f=1\"", 5, "invalid number"},
      {"m f=NaN", 5, "NaN and Inf are not valid line-protocol values"},
      {"m f=nan", 5, "NaN and Inf are not valid"},
      {"m f=-Inf", 5, "NaN and Inf are not valid"},
      {"m f=Infinity", 5, "NaN and Inf are not valid"},
      {"m f=1e999", 5, "float out of range"},
      {"m f=-1e400", 5, "float out of range"},
      {"m f=9223372036854775808i", 5, "integer out of range"},
      {"m f=-9223372036854775809i", 5, "integer out of range"},
      {"m f=9223372036854775808u", 5,
       "unsigned integer out of range (values are stored as int64; max 9223372036854775807)"},
      {"m f=99999999999999999999u", 5, "unsigned integer out of range"},
      {"m f=-1u", 5, "unsigned integer cannot be negative"},
      {"m f=1 12x", 7, "invalid timestamp \"12x\""},
      {"m f=1 1.5", 7, "invalid timestamp \"1.5\""},
      {"m f=1 -", 7, "invalid timestamp \"-\""},
      {"m f=1 99999999999999999999", 7, "out of range for precision ns"},
      {"m f=1 1 2", 9, "unexpected text after the timestamp"},
      {"m f=1 1 # trailing comment", 9, "unexpected text after the timestamp"},
      {"m,t=\xff f=1", 5, "invalid UTF-8"},
      {"m f=\"ok \xc3\x28\"", 9, "invalid UTF-8"},
      {"m\xc0\xaf f=1", 2, "invalid UTF-8"},             // overlong
      {"m f\xed\xa0\x80=1", 4, "invalid UTF-8"},         // surrogate
      {"m,t=\xf4\x90\x80\x80 f=1", 5, "invalid UTF-8"},  // > U+10FFFF
      {"m f=\"\xe2\x82\"", 6, "invalid UTF-8"},          // truncated
  };
  for (const ErrorCase& c : cases) {
    std::string want = absl::StrCat("line 1, column ", c.column, ": ");
    EXPECT_THAT(ParseStatus(c.input),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::AllOf(::testing::StartsWith(want), HasSubstr(c.reason))))
        << "input: " << c.input;
  }
}

TEST(ParserErrorsTest, TimestampOverflowAfterScaling) {
  ParseOptions options;
  options.precision = Precision::kSeconds;
  EXPECT_THAT(ParseStatus("m f=1 9223372037", options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 1, column 7: timestamp \"9223372037\" out of range for "
                                 "precision s")));
  options.precision = Precision::kMilliseconds;
  EXPECT_THAT(ParseStatus("m f=1 -9223372036855", options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("out of range")));
}

TEST(ParserErrorsTest, LineNumberInMessage) {
  std::string text;
  for (int i = 0; i < 11; ++i) text += "readings,name=truck_1 fuel=1 1\n";
  text += "readings,name=truck_1 fuel=1,temp 1\n";
  EXPECT_THAT(ParseStatus(text),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "line 12, column 34: expected '=' after field key \"temp\""));
}

TEST(ParserErrorsTest, ColumnsCountFromLineStartIncludingIndentAndCrlf) {
  EXPECT_THAT(ParseStatus("# c\r\n\t  m f=x\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2, column 8:")));
}

TEST(ParserErrorsTest, NewlineInsideStringEndsTheLine) {
  EXPECT_THAT(ParseStatus("m f=\"a\nb\" 1"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 1, column 5: unterminated string")));
}

TEST(ParserErrorsTest, StopModeReportsOnceAndKeepsEarlierPoints) {
  int points = 0;
  std::vector<LineError> errors;
  Parser parser(ParseOptions{});
  absl::Status s = parser.Parse(
      "m f=1\nm f=\nm f=3\n",
      [&](const Point&) {
        ++points;
        return absl::OkStatus();
      },
      [&](const LineError& e) { errors.push_back(e); });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          "line 2, column 5: missing value for field key \"f\""));
  EXPECT_EQ(points, 1);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line_number, 2);
  EXPECT_EQ(errors[0].column, 5);
  EXPECT_EQ(parser.stats().bad_lines, 1);
}

TEST(ParserErrorsTest, SkipModeReportsEachBadLineAndContinues) {
  ParseOptions options;
  options.on_error = OnError::kSkip;
  std::vector<int64_t> good;
  std::vector<std::string> bad;
  Parser parser(options);
  absl::Status s = parser.Parse(
      "m f=1 1\nm f=oops 2\nm f=3 3\r\nm,t f=1\n# fine\nm f=5 5\nm f=1,f=2\n",
      [&](const Point& p) {
        good.push_back(p.line_number);
        return absl::OkStatus();
      },
      [&](const LineError& e) {
        bad.push_back(e.ToStatus().ToString());
        EXPECT_FALSE(e.line.empty());
        EXPECT_NE(e.line.back(), '\r');
      });
  ASSERT_OK(s);
  EXPECT_THAT(good, ::testing::ElementsAre(1, 3, 6));
  ASSERT_EQ(bad.size(), 3u);
  EXPECT_THAT(bad[0], HasSubstr("line 2, column 5: invalid value \"oops\""));
  EXPECT_THAT(bad[1], HasSubstr("line 4, column 4: expected '=' after tag key \"t\""));
  EXPECT_THAT(bad[2], HasSubstr("line 7, column 7: duplicate field key \"f\""));
  EXPECT_EQ(parser.stats().lines, 7);
  EXPECT_EQ(parser.stats().points, 3);
  EXPECT_EQ(parser.stats().bad_lines, 3);
}

TEST(ParserErrorsTest, ManyFieldDuplicatesFoundBySort) {
  std::string line = "m ";
  for (int i = 0; i < 100; ++i) line += "f" + std::to_string(i) + "=1,";
  line += "f42=2";
  EXPECT_THAT(ParseStatus(line), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("duplicate field key \"f42\"")));
}

TEST(ParserErrorsTest, NamesInMessagesAreEscaped) {
  EXPECT_THAT(ParseStatus("m t\"x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("field key \"t\\\"x\"")));
}

TEST(ParserErrorsTest, LongTokensAreQuotedCut) {
  // A device sending a 6 KB timestamp or a megabyte key gets a short error naming the fault.
  const std::string ts(6000, '7');
  auto s = ParseStatus("m f=1 " + ts + "x");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("timestamp \"777777")));
  EXPECT_THAT(s.message(), HasSubstr("...[5937 more bytes]"));
  EXPECT_LT(s.message().size(), 200u);
  const std::string key(1 << 20, 'k');
  auto k = ParseStatus("m " + key + " 1");
  EXPECT_THAT(k, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more bytes]")));
  EXPECT_LT(k.message().size(), 300u);
}

}  // namespace
}  // namespace telemdb::lineproto
