#include "auth/token_store.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "re2/re2.h"
#include "storage/db.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::auth {
namespace {

using ::telemdb::testing::StatusIs;
using ::testing::HasSubstr;

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::Options o;
    o.dir = dir_.path();
    o.background = false;
    db_ = *storage::Db::Open(o);
    store_ = std::make_unique<TokenStore>(db_.get(), [this] { return now_; });
  }
  TempDir dir_;
  std::unique_ptr<storage::Db> db_;
  std::unique_ptr<TokenStore> store_;
  int64_t now_ = 1'000'000'000'000'000'000;
};

TEST_F(TokenStoreTest, CreateAuthenticateAndPersist) {
  EXPECT_TRUE(store_->empty());
  ASSERT_OK_AND_ASSIGN(
      auto t, store_->Create({"write:device=a*", "read"}, "gateway 7", absl::ZeroDuration()));
  EXPECT_TRUE(RE2::FullMatch(t.token, "tdb_[a-z2-7]{12}_[A-Za-z0-9_-]{43}")) << t.token;
  ASSERT_OK_AND_ASSIGN(Identity who, store_->Authenticate(t.token));
  EXPECT_EQ(who.name, t.info.id);
  EXPECT_TRUE(who.CanReadSomething());
  std::string bad = t.token;
  bad.back() = bad.back() == 'A' ? 'B' : 'A';
  EXPECT_THAT(store_->Authenticate(bad),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("invalid token")));
  EXPECT_THAT(store_->Authenticate("garbage"), StatusIs(absl::StatusCode::kUnauthenticated));
  // Stored only as a hash: the secret appears nowhere in the database's records.
  ASSERT_OK_AND_ASSIGN(auto rows, db_->ScanMeta(""));
  for (const auto& [k, v] : rows) {
    EXPECT_EQ(v.find(t.token.substr(t.token.size() - 43)), std::string::npos);
  }
  TokenStore reloaded(db_.get(), [this] { return now_; });
  ASSERT_OK(reloaded.Load());
  ASSERT_OK(reloaded.Authenticate(t.token).status());
  ASSERT_EQ(reloaded.List().size(), 1u);
  EXPECT_EQ(reloaded.List()[0].description, "gateway 7");
}

TEST_F(TokenStoreTest, ExpiryRevocationAndRotation) {
  ASSERT_OK_AND_ASSIGN(auto t, store_->Create({"read"}, "", absl::Hours(1)));
  ASSERT_OK(store_->Authenticate(t.token).status());
  now_ += 3'600'000'000'000;
  EXPECT_THAT(store_->Authenticate(t.token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));

  ASSERT_OK_AND_ASSIGN(auto r, store_->Create({"read"}, "", absl::ZeroDuration()));
  ASSERT_OK_AND_ASSIGN(auto rotated, store_->Rotate(r.info.id, absl::Minutes(5)));
  EXPECT_NE(rotated.token, r.token);
  ASSERT_OK(store_->Authenticate(r.token).status());  // within the overlap
  ASSERT_OK(store_->Authenticate(rotated.token).status());
  now_ += 6 * 60'000'000'000LL;
  EXPECT_THAT(store_->Authenticate(r.token), StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK(store_->Authenticate(rotated.token).status());
  ASSERT_OK(store_->Revoke(r.info.id));
  EXPECT_THAT(store_->Authenticate(rotated.token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));
  EXPECT_THAT(store_->Revoke("nosuchtoken1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Create({"sudo"}, "", absl::ZeroDuration()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace telemdb::auth
