#include "ingest/mqtt/outcome.h"

#include "auth/scopes.h"
#include "gtest/gtest.h"
#include "storage/db.h"
#include "util/temp_dir.h"

namespace telemdb::ingest::mqtt {
namespace {

storage::SeriesBatch Point(const std::string& device) {
  storage::SeriesBatch g;
  g.measurement = "m";
  g.tags = {{"device", device}};
  g.timestamps = {1'700'000'000'000'000'000};
  storage::FieldColumn f;
  f.name = "v";
  f.floats = {1};
  g.fields.push_back(f);
  return g;
}

TEST(OutcomeTest, Codes) {
  EXPECT_EQ(OutcomeOf(absl::OkStatus()).disposition, Disposition::kStored);
  for (auto s : {absl::InvalidArgumentError("x"), absl::OutOfRangeError("x"),
                 absl::FailedPreconditionError("x")}) {
    Outcome o = OutcomeOf(s);
    EXPECT_EQ(o.disposition, Disposition::kReject);
    EXPECT_EQ(o.rejection, Rejection::kInvalid);
  }
  EXPECT_EQ(OutcomeOf(absl::UnauthenticatedError("token revoked")).disposition,
            Disposition::kPause);
  for (auto s : {absl::UnavailableError("database is closing"), absl::InternalError("x"),
                 absl::DataLossError("x"), absl::ResourceExhaustedError("write w: No space left"),
                 absl::PermissionDeniedError("fdatasync wal/1: Permission denied")}) {
    EXPECT_EQ(OutcomeOf(s).disposition, Disposition::kRetry) << s;
  }
  Outcome o = OutcomeOf(absl::ResourceExhaustedError(
      "server over its memory budget for unsealed data (9 of 8 bytes); retry after 200ms"));
  EXPECT_EQ(o.disposition, Disposition::kRetry);
  EXPECT_EQ(o.retry_after, absl::Milliseconds(200));
}

// The messages OutcomeOf tells apart come from the real code, not from copies of them.
TEST(OutcomeTest, RealScopeDenialIsARejection) {
  auth::Identity who;
  who.name = "tok";
  who.scopes = {auth::Scope{auth::Scope::Kind::kWrite, "device", "a*"}};
  absl::Status s = who.CheckWrite({Point("b1")});
  ASSERT_TRUE(absl::IsPermissionDenied(s));
  Outcome o = OutcomeOf(s);
  EXPECT_EQ(o.disposition, Disposition::kReject);
  EXPECT_EQ(o.rejection, Rejection::kDenied);
}

TEST(OutcomeTest, RealCardinalityLimitIsARejection) {
  TempDir dir;
  storage::Options opts;
  opts.dir = dir.path();
  opts.background = false;
  opts.limits.max_series = 1;
  auto db = storage::Db::Open(opts);
  ASSERT_TRUE(db.ok()) << db.status();
  std::vector<storage::SeriesBatch> first = {Point("a")};
  ASSERT_TRUE((*db)->Write(&first, storage::WriteOptions()).ok());
  std::vector<storage::SeriesBatch> second = {Point("b")};
  auto r = (*db)->Write(&second, storage::WriteOptions());
  ASSERT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  Outcome o = OutcomeOf(r.status());
  EXPECT_EQ(o.disposition, Disposition::kReject);
  EXPECT_EQ(o.rejection, Rejection::kLimits);
  ASSERT_TRUE((*db)->Close().ok());
}

TEST(OutcomeTest, ReasonCodes) {
  EXPECT_EQ(ReasonCodeOf(Rejection::kPayload), 0x99);
  EXPECT_EQ(ReasonCodeOf(Rejection::kDenied), 0x87);
  EXPECT_EQ(ReasonCodeOf(Rejection::kTopic), 0x90);
  EXPECT_EQ(ReasonCodeOf(Rejection::kTooLarge), 0x95);
  for (int r = 0; r < kRejections; r++) {
    EXPECT_GE(ReasonCodeOf(static_cast<Rejection>(r)), 0x80);  // every one is a failure code
  }
}

}  // namespace
}  // namespace telemdb::ingest::mqtt
