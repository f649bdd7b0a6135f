#include "auth/authenticator.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/db.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::auth {
namespace {

using ::telemdb::testing::StatusIs;

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::Options o;
    o.dir = dir_.path();
    o.background = false;
    db_ = *storage::Db::Open(o);
    tokens_ = std::make_unique<TokenStore>(db_.get());
  }
  static Credentials Token(std::string t) {
    Credentials c;
    c.transport = "grpc";
    c.peer = "127.0.0.1";
    c.token = std::move(t);
    return c;
  }
  TempDir dir_;
  std::unique_ptr<storage::Db> db_;
  std::unique_ptr<TokenStore> tokens_;
};

// The cluster's node credential (cluster::LoadNodeToken) is the identity cluster-node with
// the admin scope; anything else shaped like it is refused, and without a configured
// credential no tdbnode_ token gets in.
TEST_F(AuthenticatorTest, NodeCredential) {
  AuthenticatorOptions o;
  o.node_token = "tdbnode_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";
  Authenticator with(tokens_.get(), o);
  ASSERT_OK_AND_ASSIGN(Identity id, with.Authenticate(Token(o.node_token)));
  EXPECT_EQ(id.name, "cluster-node");
  EXPECT_TRUE(id.IsAdmin());
  EXPECT_THAT(with.Authenticate(Token(o.node_token + "x")),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(with.Authenticate(Token("tdbnode_")), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(with.failures("grpc"), 2u);

  Authenticator without(tokens_.get(), AuthenticatorOptions());
  EXPECT_THAT(without.Authenticate(Token(o.node_token)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  AuthenticatorOptions empty;
  empty.node_token = "";
  Authenticator blank(tokens_.get(), empty);
  EXPECT_THAT(blank.Authenticate(Token("tdbnode_")), StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace telemdb::auth
