#include "auth/reserved.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::auth {
namespace {

Identity Reader(std::vector<std::string> scopes) {
  Identity who;
  who.name = "t";
  auto parsed = ParseScopes(scopes);
  EXPECT_TRUE(parsed.ok());
  who.scopes = *parsed;
  return who;
}

TEST(ReservedTest, ClientsCannotWriteReservedMeasurements) {
  storage::SeriesBatch ok, bad;
  ok.measurement = "readings";
  bad.measurement = "_alerts";
  EXPECT_OK(CheckNotReserved({ok}));
  EXPECT_THAT(
      CheckNotReserved({ok, bad}),
      ::telemdb::testing::StatusIs(absl::StatusCode::kPermissionDenied,
                                   ::testing::HasSubstr("series 1: measurement \"_alerts\"")));
}

TEST(ReservedTest, AlertsAreVisiblePerRuleMeasurement) {
  Identity narrow = Reader({"read:readings"});
  Identity all = Reader({"read"});
  Identity writer = Reader({"write:*"});
  EXPECT_TRUE(MayReadMeasurement(narrow, "_alerts"));
  EXPECT_FALSE(MayReadMeasurement(writer, "_alerts"));
  storage::TagSet mine = {{"measurement", "readings"}, {"rule", "r"}};
  storage::TagSet other = {{"measurement", "diagnostics"}, {"rule", "d"}};
  EXPECT_TRUE(MayReadSeries(narrow, "_alerts", mine));
  EXPECT_FALSE(MayReadSeries(narrow, "_alerts", other));
  EXPECT_FALSE(MayReadSeries(narrow, "_alerts", {{"rule", "r"}}));
  EXPECT_TRUE(MayReadSeries(all, "_alerts", other));
  EXPECT_FALSE(MayReadSeries(narrow, "diagnostics", {}));
}

}  // namespace
}  // namespace telemdb::auth
