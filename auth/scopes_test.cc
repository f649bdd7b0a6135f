#include "auth/scopes.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::auth {
namespace {

using ::telemdb::testing::StatusIs;
using ::testing::HasSubstr;

storage::SeriesBatch Group(std::string device) {
  storage::SeriesBatch g;
  g.measurement = "m";
  g.tags = {{"device", std::move(device)}};
  return g;
}

TEST(ScopesTest, ParseAndPrint) {
  for (const char* s : {"admin", "read", "read:fleet_*", "write:*", "write:device=truck_1*"}) {
    ASSERT_OK_AND_ASSIGN(Scope scope, ParseScope(s));
    EXPECT_EQ(scope.ToString(), s);
  }
  EXPECT_THAT(ParseScope("write:device="),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty tag value pattern")));
  EXPECT_THAT(ParseScope("delete"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown right")));
  EXPECT_THAT(ParseScope("write:=x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ScopesTest, WritePatternIsEnforcedPerSeries) {
  Identity id;
  id.name = "t1";
  id.scopes = {*ParseScope("write:device=truck_1*")};
  EXPECT_OK(id.CheckWrite({Group("truck_1"), Group("truck_17")}));
  EXPECT_THAT(
      id.CheckWrite({Group("truck_1"), Group("truck_2")}),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("series 1 (m,device=truck_2)")));
  storage::SeriesBatch untagged;
  untagged.measurement = "m";
  EXPECT_THAT(id.CheckWrite({untagged}), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_FALSE(id.IsAdmin());
  EXPECT_FALSE(id.CanReadSomething());
  Identity reader;
  reader.scopes = {*ParseScope("read:fleet*")};
  EXPECT_TRUE(reader.CanRead("fleet_a"));
  EXPECT_FALSE(reader.CanRead("other"));
  EXPECT_FALSE(reader.CanWriteSomething());
  EXPECT_THAT(reader.CheckWrite({Group("x")}), StatusIs(absl::StatusCode::kPermissionDenied));
  Identity root = Identity::Superuser("root");
  EXPECT_OK(root.CheckWrite({Group("anything")}));
  EXPECT_TRUE(root.IsAdmin());
}

}  // namespace
}  // namespace telemdb::auth
