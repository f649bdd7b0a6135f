#include "cli/write/csv_table.h"

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

}  // namespace
}  // namespace telemdb::cli
