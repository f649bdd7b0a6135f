#include "cli/write/csv_table.h"

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace telemdb::cli {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Cells(const CsvTable& t, size_t i) {
  std::vector<std::string> out;
  for (auto c : t.cells(t.records()[i])) out.emplace_back(c);
  return out;
}

TEST(CsvTableTest, Rfc4180) {
  std::string text = "time,a,b\r\n1,\"x,y\",\"say \"\"hi\"\"\"\n\n2,,\"two\nlines\"\n3,z,";
  CsvTable t = CsvTable::Parse(text);
  ASSERT_EQ(t.records().size(), 4u);
  EXPECT_THAT(Cells(t, 0), ElementsAre("time", "a", "b"));
  EXPECT_THAT(Cells(t, 1), ElementsAre("1", "x,y", "say \"hi\""));
  EXPECT_THAT(Cells(t, 2), ElementsAre("2", "", "two\nlines"));
  EXPECT_THAT(Cells(t, 3), ElementsAre("3", "z", ""));
  EXPECT_EQ(t.records()[1].line, 2);
  EXPECT_EQ(t.records()[2].line, 4);
  EXPECT_EQ(t.records()[3].line, 6);
}

TEST(CsvTableTest, MalformedRecordsCarryAnError) {
  CsvTable t = CsvTable::Parse("a,b\n\"x\"y,1\n2,3\n\"open,4\n");
  ASSERT_EQ(t.records().size(), 4u);
  EXPECT_EQ(t.records()[1].error, "unexpected text after a quoted cell");
  EXPECT_EQ(t.records()[2].error, "");
  EXPECT_EQ(t.records()[3].error, "unterminated quoted cell");
}

// Found by csv_fuzzer: after "unexpected text after a quoted cell", the next quoted cell of
// the same record took the rest of the input as its value (and was parsed again after it).
TEST(CsvTableTest, QuotedCellAfterAnErrorStaysItself) {
  const std::string text = "\"x\"y,\"ok\"\n2,3\n";
  CsvTable t = CsvTable::Parse(text);
  ASSERT_EQ(t.records().size(), 2u);
  EXPECT_EQ(t.records()[0].error, "unexpected text after a quoted cell");
  EXPECT_THAT(Cells(t, 0), ElementsAre("x", "ok"));
  EXPECT_THAT(Cells(t, 1), ElementsAre("2", "3"));
  // The fuzzer's input: cells never hold more bytes than the input.
  std::string crash;
  ASSERT_TRUE(absl::Base64Unescape(
      "dAAAAABja18xLCx0aW1lZmFsc2UsInNheSAiZWZhbHNlLCJzYXkgIiJoaSIiIg0RMFp0AAAAAGMiDQosCmki"
      "IiINCiwKZmFsZSwic2F5ICIiaGkiIiINEQo=",
      &crash));
  CsvTable c = CsvTable::Parse(crash);
  size_t bytes = 0;
  for (const auto& r : c.records()) {
    for (auto cell : c.cells(r)) bytes += cell.size();
  }
  EXPECT_LE(bytes, crash.size());
}

}  // namespace
}  // namespace telemdb::cli
