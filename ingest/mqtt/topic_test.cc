#include "ingest/mqtt/topic.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::ingest::mqtt {
namespace {

using ::telemdb::testing::IsOk;
using ::telemdb::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(TopicTest, Filters) {
  for (const char* ok :
       {"fleet/+/+/telemetry", "#", "a/#", "+", "$share/telemdb/fleet/+/x", "$share/g/#", "a//b"}) {
    EXPECT_THAT(ValidateFilter(ok), IsOk()) << ok;
  }
  for (const char* bad : {"", "a/#/b", "a+/b", "a/b#", "$share/", "$share/g", "$share//a",
                          "$share/g/", "$share/g+/a"}) {
    EXPECT_THAT(ValidateFilter(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(ValidateFilter(std::string("a/\xff")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(IsSharedFilter("$share/g/a/b"));
  EXPECT_EQ(UnsharedFilter("$share/g/a/b"), "a/b");
  EXPECT_EQ(UnsharedFilter("a/b"), "a/b");
}

TEST(TopicTest, Topics) {
  EXPECT_THAT(ValidateTopic("fleet/east/truck_17/telemetry"), IsOk());
  EXPECT_THAT(ValidateTopic(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateTopic("a/+"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateTopic(std::string("a\0b", 3)), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateTopic("fleet/\xc3\x28"), StatusIs(absl::StatusCode::kInvalidArgument));
  // A megabyte-long topic is refused with a short message.
  absl::Status s = ValidateTopic(std::string(1 << 20, 'a'));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1048576 bytes")));
  EXPECT_LT(s.message().size(), 300u);
}

TEST(TopicTest, TemplateMatches) {
  auto t = TopicTemplate::Parse("fleet/{fleet}/{name}/telemetry");
  ASSERT_THAT(t, IsOk());
  EXPECT_THAT(t->TagNames(), ElementsAre("fleet", "name"));
  auto v = t->Match("fleet/east/truck_17/telemetry");
  ASSERT_THAT(v, IsOk());
  EXPECT_THAT(v->tags,
              ElementsAre(storage::Tag{"fleet", "east"}, storage::Tag{"name", "truck_17"}));
  EXPECT_THAT(t->Match("fleet/east/truck_17/status"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("level 4")));
  EXPECT_THAT(t->Match("fleet/east/telemetry"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(t->Match("fleet/east/truck_17/telemetry/x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(t->Match("fleet//truck_17/telemetry"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST(TopicTest, TemplateSkipMeasurementFieldRest) {
  auto t = TopicTemplate::Parse("plant/_/{line}/{measurement}/{field}/#");
  ASSERT_THAT(t, IsOk());
  EXPECT_TRUE(t->has_measurement());
  EXPECT_TRUE(t->has_field());
  auto v = t->Match("plant/ignored/l3/vibration/rms/extra/levels");
  ASSERT_THAT(v, IsOk());
  EXPECT_THAT(v->tags, ElementsAre(storage::Tag{"line", "l3"}));
  EXPECT_EQ(v->measurement, "vibration");
  EXPECT_EQ(v->field, "rms");
  EXPECT_THAT(t->Match("plant/x/l3/vibration/rms"), IsOk());
  EXPECT_THAT(t->Match("plant/x/l3/vibration"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TopicTest, TemplateErrors) {
  for (const char* bad :
       {"a//b", "a/#/b", "a/+/b", "a/{}/b", "a/x{y}/b", "{a}/{a}", "{measurement}/{measurement}"}) {
    EXPECT_THAT(TopicTemplate::Parse(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_TRUE(TopicTemplate::Parse("")->empty());
}

TEST(TopicTest, TemplateAgainstFilter) {
  auto t = TopicTemplate::Parse("fleet/{fleet}/{name}/telemetry");
  ASSERT_THAT(t, IsOk());
  EXPECT_THAT(t->CheckAgainstFilter("fleet/+/+/telemetry"), IsOk());
  EXPECT_THAT(t->CheckAgainstFilter("$share/g/fleet/+/+/telemetry"), IsOk());
  EXPECT_THAT(t->CheckAgainstFilter("fleet/east/+/telemetry"), IsOk());
  EXPECT_THAT(t->CheckAgainstFilter("fleet/#"), IsOk());
  EXPECT_THAT(t->CheckAgainstFilter("fleet/+/+"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("4 levels and the filter 3")));
  EXPECT_THAT(t->CheckAgainstFilter("fleet/+/+/status"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("level 4")));
  auto rest = TopicTemplate::Parse("s/{id}/#");
  EXPECT_THAT(rest->CheckAgainstFilter("s/+/a/b"), IsOk());
  EXPECT_THAT(rest->CheckAgainstFilter("s/#"), IsOk());
}

}  // namespace
}  // namespace telemdb::ingest::mqtt
