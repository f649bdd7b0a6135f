// DELETE and SHOW statements.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/lang/parser.h"
#include "query/lang/parser_test_util.h"

namespace telemdb::query::lang {
namespace {

TEST(ParseDeleteTest, WholeMeasurement) {
  const DeleteStatement d = ParseAs<DeleteStatement>("DELETE FROM motors");
  EXPECT_EQ(d.measurement, "motors");
  EXPECT_FALSE(d.where.has_value());
  EXPECT_EQ(ParseAs<DeleteStatement>("delete from \"my m\";").measurement, "my m");
}

TEST(ParseDeleteTest, TagsAndTime) {
  const DeleteStatement d = ParseAs<DeleteStatement>(
      "DELETE FROM motors WHERE device = 'p1' AND line =~ /^A/ AND time < now() - 30d");
  ASSERT_TRUE(d.where.has_value());
  ASSERT_EQ(d.where->operands.size(), 3u);
  EXPECT_EQ(d.where->operands[0].comparison.key, "device");
  EXPECT_EQ(d.where->operands[1].comparison.op, CompareOp::kMatch);
  EXPECT_EQ(d.where->operands[2], Condition::Time(CompareOp::kLt, kTestNow - 30 * 86400 * kSecond));
  EXPECT_EQ(ParseError("DELETE FROM m WHERE (a = 'x' OR b != 'y') AND time >= 0"), "OK");
}

TEST(ParseShowTest, Measurements) {
  EXPECT_TRUE(std::holds_alternative<ShowMeasurementsStatement>(*ParseQuery("SHOW MEASUREMENTS")));
  EXPECT_TRUE(std::holds_alternative<ShowMeasurementsStatement>(*ParseQuery("show measurements;")));
}

TEST(ParseShowTest, FieldKeys) {
  EXPECT_EQ(ParseAs<ShowFieldKeysStatement>("SHOW FIELDS").measurement, std::nullopt);
  EXPECT_EQ(ParseAs<ShowFieldKeysStatement>("SHOW FIELDS FROM m").measurement, "m");
  EXPECT_EQ(ParseAs<ShowFieldKeysStatement>("SHOW FIELD KEYS").measurement, std::nullopt);
  EXPECT_EQ(ParseAs<ShowFieldKeysStatement>("SHOW FIELD KEYS FROM \"a b\"").measurement, "a b");
}

TEST(ParseShowTest, TagKeys) {
  EXPECT_EQ(ParseAs<ShowTagKeysStatement>("SHOW TAG KEYS").measurement, std::nullopt);
  EXPECT_EQ(ParseAs<ShowTagKeysStatement>("SHOW TAG KEYS FROM motors").measurement, "motors");
}

TEST(ParseShowTest, TagValues) {
  ShowTagValuesStatement s = ParseAs<ShowTagValuesStatement>("SHOW TAG VALUES WITH KEY = device");
  EXPECT_EQ(s.measurement, std::nullopt);
  EXPECT_EQ(s.key.values, std::vector<std::string>{"device"});
  s = ParseAs<ShowTagValuesStatement>("SHOW TAG VALUES FROM motors WITH KEY = \"site id\"");
  EXPECT_EQ(s.measurement, "motors");
  EXPECT_EQ(s.key.values, std::vector<std::string>{"site id"});
  EXPECT_EQ(ParseAs<ShowTagValuesStatement>("SHOW TAG VALUES WITH KEY = 'line'").key.values,
            std::vector<std::string>{"line"});
  EXPECT_EQ(ParseAs<ShowTagValuesStatement>("show tag values with key = name").key.values,
            std::vector<std::string>{"name"});
}

TEST(ParseShowTest, Series) {
  ShowSeriesStatement s = ParseAs<ShowSeriesStatement>("SHOW SERIES");
  EXPECT_EQ(s.measurement, std::nullopt);
  EXPECT_FALSE(s.where.has_value());
  s = ParseAs<ShowSeriesStatement>("SHOW SERIES FROM motors WHERE device =~ /p/ AND time > 0");
  EXPECT_EQ(s.measurement, "motors");
  ASSERT_TRUE(s.where.has_value());
  EXPECT_EQ(s.where->operands.size(), 2u);
  s = ParseAs<ShowSeriesStatement>("SHOW SERIES WHERE line = 'A'");
  EXPECT_EQ(s.measurement, std::nullopt);
  EXPECT_EQ(s.where->comparison.key, "line");
}

TEST(ParseShowTest, ContextualWordsAreNamesElsewhere) {
  // MEASUREMENTS, FIELD(S), KEYS, TAG, VALUES, SERIES, WITH, KEY are not reserved.
  const SelectStatement s = ParseSelectOk(
      "SELECT measurements, fields, field, keys, tag, values, series, with, key "
      "FROM tag WHERE key = 'k'");
  EXPECT_EQ(s.items.size(), 9u);
  EXPECT_EQ(ParseAs<ShowTagValuesStatement>("SHOW TAG VALUES FROM with WITH KEY = key").key.values,
            std::vector<std::string>{"key"});
}

}  // namespace
}  // namespace telemdb::query::lang
