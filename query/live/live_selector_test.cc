#include "query/live/live_selector.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "re2/re2.h"
#include "util/status_matchers.h"

namespace telemdb::query {
namespace {

using ::telemdb::testing::StatusIs;
using ::testing::HasSubstr;

LiveSelector Make(const std::string& where, std::vector<std::string> fields = {}) {
  LiveSelectorSpec s;
  s.measurement = "readings";
  s.fields = std::move(fields);
  s.where = where;
  auto sel = LiveSelector::Create(s);
  EXPECT_TRUE(sel.ok()) << sel.status();
  return *sel;
}

TEST(LiveSelectorTest, WhereUsesQuerySemantics) {
  LiveSelector s = Make("fleet = 'East' AND name =~ /truck_1/");
  EXPECT_TRUE(s.MatchesTags({{"fleet", "East"}, {"name", "truck_12"}}));
  EXPECT_TRUE(s.MatchesTags({{"fleet", "East"}, {"name", "old_truck_1"}}));  // partial match
  EXPECT_FALSE(s.MatchesTags({{"fleet", "West"}, {"name", "truck_1"}}));
  EXPECT_FALSE(s.MatchesTags({{"fleet", "East"}}));
  LiveSelector any = Make("");
  EXPECT_TRUE(any.MatchesTags({}));
  LiveSelector ne = Make("fleet != 'East' OR fleet = ''");
  EXPECT_TRUE(ne.MatchesTags({}));
}

TEST(LiveSelectorTest, StructuredMatchersUseStorageSemantics) {
  LiveSelectorSpec s;
  s.measurement = "readings";
  storage::TagMatcher m;
  m.key = "name";
  m.op = storage::TagMatcher::Op::kRegex;
  m.re = std::make_shared<RE2>("truck_1");
  s.matchers.push_back(m);
  auto sel = LiveSelector::Create(s);
  ASSERT_OK(sel.status());
  EXPECT_TRUE(sel->MatchesTags({{"name", "truck_1"}}));
  EXPECT_FALSE(sel->MatchesTags({{"name", "truck_12"}}));  // full match
}

TEST(LiveSelectorTest, FieldsFilter) {
  LiveSelector s = Make("", {"velocity", "fuel_state", "velocity"});
  EXPECT_THAT(s.fields(), ::testing::ElementsAre("fuel_state", "velocity"));
  EXPECT_TRUE(s.WantsField("velocity"));
  EXPECT_FALSE(s.WantsField("heading"));
  EXPECT_TRUE(Make("").WantsField("anything"));
}

TEST(LiveSelectorTest, GarbageIsRejectedWithWhatIsWrong) {
  auto with = [](std::string measurement, std::string where, std::vector<std::string> fields = {}) {
    LiveSelectorSpec s;
    s.measurement = std::move(measurement);
    s.where = std::move(where);
    s.fields = std::move(fields);
    return LiveSelector::Create(s).status();
  };
  EXPECT_THAT(with("", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("measurement is required")));
  EXPECT_THAT(with(std::string(300, 'm'), ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("300 bytes")));
  EXPECT_THAT(with("m", "", {""}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("field name")));
  // The column is counted in the user's text.
  EXPECT_THAT(with("m", "fleet = 'East' AND AND"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("where: column 20")));
  EXPECT_THAT(with("m", "speed > 3"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tag speed")));
  EXPECT_THAT(with("m", "time > now() - 1h"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("since")));
  EXPECT_THAT(with("m", "a = 'b' GROUP BY c"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tag conditions only")));
  EXPECT_THAT(with("m", "a =~ /(/"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace telemdb::query
