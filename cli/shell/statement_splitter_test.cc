#include "cli/shell/statement_splitter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace telemdb::cli {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Split(const std::vector<std::string>& lines) {
  StatementSplitter s;
  std::vector<std::string> out;
  for (const auto& l : lines) s.AddLine(l, &out);
  if (auto rest = s.Flush()) out.push_back(*rest);
  return out;
}

TEST(StatementSplitterTest, SemicolonsAndBlankLines) {
  EXPECT_THAT(Split({"SHOW MEASUREMENTS; SHOW TAG KEYS;"}),
              ElementsAre("SHOW MEASUREMENTS", "SHOW TAG KEYS"));
  EXPECT_THAT(Split({"SELECT a", "  FROM m", "", "SHOW SERIES"}),
              ElementsAre("SELECT a\n  FROM m", "SHOW SERIES"));
  EXPECT_THAT(Split({"", "  ", ";"}), ElementsAre());
}

TEST(StatementSplitterTest, QuotesHideSemicolons) {
  EXPECT_THAT(Split({"SELECT a FROM m WHERE t = 'x;y' AND u =~ /a;b/;"}),
              ElementsAre("SELECT a FROM m WHERE t = 'x;y' AND u =~ /a;b/"));
  EXPECT_THAT(Split({"SELECT \"a;\\\"b\" FROM m;"}), ElementsAre("SELECT \"a;\\\"b\" FROM m"));
  // A blank line inside a string does not end the statement.
  EXPECT_THAT(Split({"SELECT a FROM m WHERE t = 'x", "", "y';"}),
              ElementsAre("SELECT a FROM m WHERE t = 'x\n\ny'"));
}

TEST(StatementSplitterTest, EmptyTracksContinuation) {
  StatementSplitter s;
  std::vector<std::string> out;
  EXPECT_TRUE(s.empty());
  s.AddLine("SELECT a", &out);
  EXPECT_FALSE(s.empty());
  s.AddLine("FROM m;", &out);
  EXPECT_TRUE(s.empty());
  EXPECT_THAT(out, ElementsAre("SELECT a\nFROM m"));
}

}  // namespace
}  // namespace telemdb::cli
