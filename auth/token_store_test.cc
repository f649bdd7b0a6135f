#include "auth/token_store.h"

#include <utility>

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
using ::testing::IsEmpty;
using ::testing::SizeIs;

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

// A second node: its own database and store, fed by Apply.
struct Peer {
  explicit Peer(int64_t* now) {
    storage::Options o;
    o.dir = dir.path();
    o.background = false;
    db = *storage::Db::Open(o);
    store = std::make_unique<TokenStore>(db.get(), [now] { return *now; });
  }
  TempDir dir;
  std::unique_ptr<storage::Db> db;
  std::unique_ptr<TokenStore> store;
};

using Changes = std::vector<std::pair<std::string, std::string>>;

TEST_F(TokenStoreTest, HooksFireOnCreateRotateRevokeAndNotOnUse) {
  Changes changes;
  store_->SetOnChange(
      [&](const std::string& id, const std::string& record) { changes.emplace_back(id, record); });
  ASSERT_OK_AND_ASSIGN(auto t, store_->Create({"read"}, "hooked", absl::ZeroDuration()));
  ASSERT_THAT(changes, SizeIs(1));
  EXPECT_EQ(changes[0].first, t.info.id);
  ASSERT_OK_AND_ASSIGN(TokenRecord created, ParseTokenRecord(changes[0].second));
  EXPECT_EQ(created.id, t.info.id);
  EXPECT_EQ(created.scopes, std::vector<std::string>{"read"});
  EXPECT_FALSE(created.revoked);
  EXPECT_EQ(changes[0].second.find(t.token.substr(t.token.size() - 43)), std::string::npos)
      << "the secret must not leave the node";

  // Uses, including one whose last use is persisted (more than a minute later): no hook.
  ASSERT_OK(store_->Authenticate(t.token, "ipv4:10.0.0.1").status());
  now_ += 120'000'000'000LL;
  ASSERT_OK(store_->Authenticate(t.token, "ipv4:10.0.0.2").status());
  EXPECT_THAT(changes, SizeIs(1));

  ASSERT_OK_AND_ASSIGN(auto rotated, store_->Rotate(t.info.id, absl::Minutes(5)));
  ASSERT_THAT(changes, SizeIs(2));
  ASSERT_OK_AND_ASSIGN(TokenRecord after_rotate, ParseTokenRecord(changes[1].second));
  EXPECT_EQ(after_rotate.previous_hash, created.hash);
  EXPECT_NE(after_rotate.hash, created.hash);
  EXPECT_EQ(after_rotate.previous_expires_ns, now_ + 5 * 60'000'000'000LL);

  ASSERT_OK(store_->Revoke(t.info.id));
  ASSERT_THAT(changes, SizeIs(3));
  ASSERT_OK_AND_ASSIGN(TokenRecord after_revoke, ParseTokenRecord(changes[2].second));
  EXPECT_TRUE(after_revoke.revoked);
  EXPECT_EQ(after_revoke.hash, after_rotate.hash);

  // Failed changes tell nobody; a removed hook is not called.
  EXPECT_THAT(store_->Rotate("nosuchtoken1", absl::ZeroDuration()).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Create({"sudo"}, "", absl::ZeroDuration()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  store_->SetOnChange(nullptr);
  ASSERT_OK(store_->Create({"read"}, "", absl::ZeroDuration()).status());
  EXPECT_THAT(changes, SizeIs(3));
}

TEST_F(TokenStoreTest, ApplyCarriesCreateRotateAndRevokeToAnotherStore) {
  Peer b(&now_);
  Changes told_b;
  b.store->SetOnChange(
      [&](const std::string& id, const std::string& r) { told_b.emplace_back(id, r); });
  store_->SetOnChange([&](const std::string& id, const std::string& record) {
    ASSERT_OK(b.store->Apply(record, id));
  });
  ASSERT_OK_AND_ASSIGN(auto t, store_->Create({"write:device=a*"}, "gw", absl::Hours(24)));
  ASSERT_OK_AND_ASSIGN(Identity who, b.store->Authenticate(t.token, "ipv4:10.0.0.9"));
  EXPECT_EQ(who.name, t.info.id);
  ASSERT_THAT(b.store->List(), SizeIs(1));
  EXPECT_EQ(b.store->List()[0].description, "gw");
  EXPECT_EQ(b.store->List()[0].expires_ns, t.info.expires_ns);
  EXPECT_EQ(b.store->SharedRecords(), store_->SharedRecords());

  // Rotation without overlap: the new secret works on B, the old one no longer.
  const int64_t used_on_b = now_;
  now_ += 1'000'000'000;
  ASSERT_OK_AND_ASSIGN(auto rotated, store_->Rotate(t.info.id, absl::ZeroDuration()));
  // B keeps its own last use (and peer) across records it takes.
  ASSERT_THAT(b.store->List(), SizeIs(1));
  EXPECT_EQ(b.store->List()[0].last_peer, "ipv4:10.0.0.9");
  EXPECT_EQ(b.store->List()[0].last_used_ns, used_on_b);
  ASSERT_OK(b.store->Authenticate(rotated.token).status());
  EXPECT_THAT(b.store->Authenticate(t.token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("replaced by rotation")));

  ASSERT_OK(store_->Revoke(t.info.id));
  EXPECT_THAT(b.store->Authenticate(rotated.token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));
  EXPECT_THAT(told_b, IsEmpty()) << "records B took are not announced again by B";

  // B persisted what it took: reopened, it still refuses the revoked token.
  TokenStore reloaded(b.db.get(), [this] { return now_; });
  ASSERT_OK(reloaded.Load());
  EXPECT_THAT(reloaded.Authenticate(rotated.token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));
}

TEST_F(TokenStoreTest, RevokedWinsAndOtherwiseTheLastAppliedWins) {
  ASSERT_OK_AND_ASSIGN(auto t, store_->Create({"read"}, "", absl::ZeroDuration()));
  const std::string v1 = store_->SharedRecords()[0].second;
  ASSERT_OK_AND_ASSIGN(auto rotated, store_->Rotate(t.info.id, absl::ZeroDuration()));
  const std::string v2 = store_->SharedRecords()[0].second;

  Peer b(&now_);
  Changes told_b;
  b.store->SetOnChange(
      [&](const std::string& id, const std::string& r) { told_b.emplace_back(id, r); });
  // Among records that are not revoked, the one applied last wins, even an older one.
  ASSERT_OK(b.store->Apply(v2));
  ASSERT_OK(b.store->Authenticate(rotated.token).status());
  ASSERT_OK(b.store->Apply(v1));
  ASSERT_OK(b.store->Authenticate(t.token).status());
  EXPECT_THAT(b.store->Authenticate(rotated.token), StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK(b.store->Apply(v2));
  ASSERT_OK(b.store->Authenticate(rotated.token).status());
  EXPECT_THAT(told_b, IsEmpty());

  // Revoked on B; a record that is not revoked does not bring the token back, and B
  // announces its revocation again so that the sender learns it.
  ASSERT_OK(b.store->Revoke(t.info.id));
  ASSERT_THAT(told_b, SizeIs(1));
  ASSERT_OK(b.store->Apply(v2));
  EXPECT_THAT(b.store->Authenticate(rotated.token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));
  ASSERT_THAT(told_b, SizeIs(2));
  EXPECT_EQ(told_b[1].first, t.info.id);
  ASSERT_OK_AND_ASSIGN(TokenRecord announced, ParseTokenRecord(told_b[1].second));
  EXPECT_TRUE(announced.revoked);
  // Not even after a restart.
  TokenStore reloaded(b.db.get(), [this] { return now_; });
  ASSERT_OK(reloaded.Load());
  ASSERT_OK(reloaded.Apply(v1));
  EXPECT_THAT(reloaded.Authenticate(t.token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));

  // The announcement reaches the first store: revoked there too, and applying it again is
  // a no-op.
  ASSERT_OK(store_->Apply(told_b[1].second, t.info.id));
  EXPECT_THAT(store_->Authenticate(rotated.token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));
  ASSERT_OK(store_->Apply(told_b[1].second, t.info.id));
}

TEST_F(TokenStoreTest, MalformedRecordsAreRefusedNamingWhatIsWrong) {
  TokenRecord good;
  good.id = "abcdefgh2345";
  good.description = "d";
  good.scopes = {"read"};
  good.created_ns = 1;
  good.hash = std::string(64, 'a');
  const std::string ok = SerializeTokenRecord(good);
  ASSERT_OK(ParseTokenRecord(ok).status());
  auto with = [&](const std::string& field, const std::string& json_value) {
    auto j = ok;
    const std::string key = "\"" + field + "\":";
    const size_t at = j.find(key);
    if (at == std::string::npos) return j.substr(0, j.size() - 1) + "," + key + json_value + "}";
    const size_t start = at + key.size();
    size_t end = start;
    int depth = 0;
    bool in_string = false;
    for (; end < j.size(); end++) {
      const char c = j[end];
      if (in_string) {
        if (c == '\\')
          end++;
        else if (c == '"')
          in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '[') {
        depth++;
      } else if (c == ']') {
        depth--;
      } else if ((c == ',' || c == '}') && depth == 0) {
        break;
      }
    }
    return j.substr(0, start) + json_value + j.substr(end);
  };
  auto without = [&](const std::string& field) {
    auto j = with(field, "null");
    const std::string gone = "\"" + field + "\":null";
    const size_t at = j.find(gone);
    const bool first = j[at - 1] == '{';
    return j.substr(0, first ? at : at - 1) +
           j.substr(first ? at + gone.size() + 1 : at + gone.size());
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not a JSON object"},
      {"[1,2]", "not a JSON object"},
      {"", "not a JSON object"},
      {without("v"), "field \"v\" (the format version) is missing"},
      {with("v", "2"), "field \"v\" is 2; this node reads version 1 only"},
      {with("owner", "\"x\""), "field \"owner\" is not a field of a token record"},
      {without("hash"), "token record abcdefgh2345: field \"hash\" is missing"},
      {with("hash", "\"ABC\""), "field \"hash\" must be 64 lowercase hex digits"},
      {with("hash", "\"" + std::string(64, 'A') + "\""), "field \"hash\" must be 64 lowercase"},
      {with("previous_hash", "\"zz\""), "field \"previous_hash\" must be empty or 64"},
      {with("id", "\"ABC\""), "token record: field \"id\" must be 12 characters of [a-z2-7]"},
      {with("id", "7"), "field \"id\" must be a string"},
      {with("scopes", "[]"), "field \"scopes\" must hold at least one scope"},
      {with("scopes", "[\"sudo\"]"), "field \"scopes\" holds a bad scope"},
      {with("scopes", "\"read\""), "field \"scopes\" must be an array of strings"},
      {with("scopes", "[\"read\",3]"), "field \"scopes\" must be an array of strings"},
      {with("created_ns", "-5"), "field \"created_ns\" must not be negative"},
      {with("created_ns", "0"), "field \"created_ns\" must be after the epoch"},
      {with("expires_ns", "\"soon\""), "field \"expires_ns\" must be an integer"},
      {with("expires_ns", "1.5"), "field \"expires_ns\" must be an integer"},
      {with("previous_expires_ns", "18446744073709551615"), "past what int64 nanoseconds hold"},
      {with("revoked", "\"yes\""), "field \"revoked\" must be true or false"},
      {without("revoked"), "field \"revoked\" is missing"},
      {with("description", "\"" + std::string(1025, 'x') + "\""),
       "field \"description\" is over 1024 bytes"},
      {with("description", "\"" + std::string(70000, 'x') + "\""), "over the limit of 65536"},
  };
  for (const auto& [record, message] : cases) {
    EXPECT_THAT(store_->Apply(record),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << record.substr(0, 200);
  }
  EXPECT_THAT(
      store_->Apply(ok, "abcdefgh2346"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("token record for abcdefgh2345 arrived under key "
                         "\"abcdefgh2346\"; a token's record must be stored under its id")));
  EXPECT_TRUE(store_->empty()) << "nothing malformed was taken";
  ASSERT_OK(store_->Apply(ok, "abcdefgh2345"));
  EXPECT_THAT(store_->List(), SizeIs(1));
}

// The serialized record is a wire format (docs/format/token_record.md): these bytes must
// keep parsing, and a record must keep serializing to them.
TEST_F(TokenStoreTest, RecordGoldenBytes) {
  const std::string golden =
      R"({"created_ns":1764000000000000000,"description":"trucks 1x","expires_ns":0,)"
      R"("hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",)"
      R"("id":"bs7ie3abasq3","previous_expires_ns":1764000060000000000,)"
      R"("previous_hash":"60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",)"
      R"("revoked":true,"scopes":["read","write:device=truck_1*"],"v":1})";
  TokenRecord r;
  r.id = "bs7ie3abasq3";
  r.description = "trucks 1x";
  r.scopes = {"read", "write:device=truck_1*"};
  r.created_ns = 1764000000000000000;
  r.revoked = true;
  r.hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  r.previous_hash = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";
  r.previous_expires_ns = 1764000060000000000;
  EXPECT_EQ(SerializeTokenRecord(r), golden);
  ASSERT_OK_AND_ASSIGN(TokenRecord parsed, ParseTokenRecord(golden));
  EXPECT_EQ(parsed, r);
}

}  // namespace
}  // namespace telemdb::auth
