// SHOW statements, DELETE and IsWriteStatement.
#include "gmock/gmock.h"
#include "query/engine/engine_test_util.h"
#include "query/lang/parser.h"

namespace telemdb::query::testing {
namespace {

using storage::Value;
using ::testing::ElementsAre;

std::vector<std::string> Rows(const CollectingSink& s) {
  std::vector<std::string> out;
  for (const ResultFrame& g : s.Groups()) {
    for (size_t r = 0; r < g.rows(); r++) {
      std::string row;
      for (const Column& c : g.columns) row += (row.empty() ? "" : " ") + c.DebugString(r);
      out.push_back(row);
    }
  }
  return out;
}

class ShowTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Write("cpu", {{"host", "a"}, {"dc", "x"}},
          {{kT0, {{"usage", Value::Float(1)}, {"cores", Value::Int(4)}}},
           {kT0 + kHour, {{"usage", Value::Float(2)}}}});
    Write("cpu", {{"host", "b"}}, {{kT0, {{"usage", Value::Float(3)}}}});
    Write("disk", {{"host", "a"}}, {{kT0, {{"free", Value::Float(9)}, {"ok", Value::Bool(true)}}}});
  }
};

TEST_F(ShowTest, Listings) {
  EXPECT_THAT(Rows(Run("SHOW MEASUREMENTS")), ElementsAre("'cpu'", "'disk'"));
  auto fields = Run("SHOW FIELD KEYS FROM cpu");
  EXPECT_EQ(fields.schema().columns,
            (std::vector<std::string>{"measurement", "field_key", "field_type"}));
  EXPECT_FALSE(fields.schema().has_time);
  EXPECT_THAT(Rows(fields), ElementsAre("'cpu' 'cores' 'integer'", "'cpu' 'usage' 'float'"));
  EXPECT_EQ(Rows(Run("SHOW FIELDS")).size(), 4u);
  EXPECT_THAT(Rows(Run("SHOW TAG KEYS FROM cpu")), ElementsAre("'cpu' 'dc'", "'cpu' 'host'"));
  EXPECT_THAT(Rows(Run("SHOW TAG VALUES FROM cpu WITH KEY = host")),
              ElementsAre("'host' 'a'", "'host' 'b'"));
  EXPECT_THAT(Rows(Run("SHOW SERIES FROM cpu")), ElementsAre("'cpu,dc=x,host=a'", "'cpu,host=b'"));
  EXPECT_THAT(Rows(Run("SHOW SERIES WHERE host = 'a'")),
              ElementsAre("'cpu,dc=x,host=a'", "'disk,host=a'"));
  EXPECT_THAT(Rows(Run("SHOW SERIES FROM cpu WHERE dc = '' OR host =~ /z/")),
              ElementsAre("'cpu,host=b'"));
  EXPECT_TRUE(Rows(Run("SHOW SERIES FROM nosuch")).empty());
}

TEST_F(ShowTest, DeleteRangeOfSelectedSeries) {
  auto d = Run("DELETE FROM cpu WHERE host = 'a' AND time >= " + std::to_string(kT0 + kHour));
  EXPECT_THAT(Rows(d), ElementsAre("2"));  // usage and cores of host a
  EXPECT_THAT(Rows(Run("SELECT count(usage) FROM cpu GROUP BY host")), ElementsAre("1", "1"));
  // An OR of tags deletes tag set by tag set.
  Run("DELETE FROM cpu WHERE host = 'b' OR dc = 'x'");
  EXPECT_TRUE(Run("SELECT count(usage) FROM cpu").frames().empty());
  EXPECT_THAT(Rows(Run("SHOW SERIES FROM cpu")), ElementsAre("'cpu,dc=x,host=a'", "'cpu,host=b'"));
  // Without WHERE the measurement goes, series and all.
  Run("DELETE FROM cpu");
  EXPECT_THAT(Rows(Run("SHOW MEASUREMENTS")), ElementsAre("'disk'"));
  EXPECT_THAT(Rows(Run("DELETE FROM nosuch")), ElementsAre("0"));
  EXPECT_THAT(RunStatus("DELETE FROM disk WHERE free = 'x'"),
              ::telemdb::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ShowTest, OnlyDeleteIsAWriteStatement) {
  lang::ParseOptions o;
  EXPECT_TRUE(IsWriteStatement(*lang::Parse("DELETE FROM cpu", o)));
  EXPECT_FALSE(IsWriteStatement(*lang::Parse("SHOW SERIES", o)));
  EXPECT_FALSE(IsWriteStatement(*lang::Parse("SELECT usage FROM cpu", o)));
}

}  // namespace
}  // namespace telemdb::query::testing
