#include "auth/identity_stats.h"

#include <fstream>
#include <sstream>

#include "auth/audit_log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/db.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::auth {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kMinute = 60'000'000'000LL;

storage::SeriesBatch Group(const std::string& m, const std::string& device, int rows = 1) {
  storage::SeriesBatch g;
  g.measurement = m;
  g.tags = {{"device", device}, {"fleet", "north"}};
  for (int i = 0; i < rows; i++) g.timestamps.push_back(i);
  return g;
}

Identity Token(const std::string& name, const std::string& scope) {
  Identity id;
  id.name = name;
  id.scopes = {*ParseScope(scope)};
  return id;
}

class IdentityStatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::Options o;
    o.dir = dir_.Sub("db");
    o.background = false;
    db_ = *storage::Db::Open(o);
    audit_ = *AuditLog::Open(dir_.Sub("audit.log"), db_.get());
  }
  std::unique_ptr<IdentityStats> Open(IdentityStatsOptions o = {}) {
    o.now = [this] { return now_; };
    auto s = IdentityStats::Open(db_.get(), audit_.get(), o);
    EXPECT_OK(s.status());
    return *std::move(s);
  }
  const IdentityReport* Find(const std::vector<IdentityReport>& all, const std::string& name) {
    for (const auto& r : all) {
      if (r.name == name) return &r;
    }
    return nullptr;
  }
  std::string AuditText() {
    EXPECT_OK(audit_->Flush());
    std::ifstream in(dir_.Sub("audit.log"));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  TempDir dir_;
  std::unique_ptr<storage::Db> db_;
  std::unique_ptr<AuditLog> audit_;
  int64_t now_ = 1'700'000'000'000'000'000;
};

TEST_F(IdentityStatsTest, CountsAndSuggestsANarrowerScope) {
  auto stats = Open();
  Identity broad = Token("gw1", "write:*");
  Identity exact = Token("t7", "write:device=truck_7");
  for (int i = 0; i < 10; i++) {
    stats->RecordWrite(broad, {Group("readings", "truck_7", 3), Group("diag", "truck_7")}, 4, 100,
                       "ipv4:127.0.0.1");
    stats->RecordWrite(exact, {Group("readings", "truck_7")}, 1, 10, "ipv4:127.0.0.2");
  }
  auto all = stats->Report();
  const IdentityReport* b = Find(all, "gw1");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->writes, 10u);
  EXPECT_EQ(b->points, 40u);
  EXPECT_EQ(b->bytes, 1000u);
  EXPECT_EQ(b->series, 2u);
  EXPECT_EQ(b->measurements, 2u);
  EXPECT_EQ(b->last_peer, "ipv4:127.0.0.1");
  EXPECT_EQ(b->suggestion, "write:device=truck_7");
  const IdentityReport* e = Find(all, "t7");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->suggestion, "");  // already as narrow as what it writes
}

TEST_F(IdentityStatsTest, PrefixSuggestionAndGlobCharactersEscaped) {
  auto stats = Open();
  Identity broad = Token("gw", "write:*");
  stats->RecordWrite(
      broad, {Group("m", "truck_10"), Group("m", "truck_11"), Group("m", "truck_12")}, 3, 0, "");
  Identity star = Token("odd", "write:*");
  stats->RecordWrite(star, {Group("m", "a*[b]")}, 1, 0, "");
  auto all = stats->Report();
  EXPECT_EQ(Find(all, "gw")->suggestion, "write:device=truck_1*");
  EXPECT_EQ(Find(all, "odd")->suggestion, "write:device=a\\*\\[b\\]");
}

TEST_F(IdentityStatsTest, SeriesAreCountedExactlyThenEstimated) {
  auto stats = Open();
  Identity gw = Token("gw", "write:*");
  std::vector<storage::SeriesBatch> groups;
  for (int i = 0; i < 20'000; i++) groups.push_back(Group("m", "d" + std::to_string(i)));
  stats->RecordWrite(gw, groups, groups.size(), 0, "");
  stats->RecordWrite(gw, groups, groups.size(), 0, "");  // the same series again
  auto r = stats->Report()[0];
  EXPECT_TRUE(r.series_estimated);
  EXPECT_NEAR(static_cast<double>(r.series), 20'000, 20'000 * 0.08);
  // Too many devices to list (the key is "open"), but every series is in fleet north.
  EXPECT_EQ(r.suggestion, "write:fleet=north");
}

TEST_F(IdentityStatsTest, SurvivesARestart) {
  {
    auto stats = Open();
    stats->RecordWrite(Token("gw", "write:*"), {Group("m", "truck_7")}, 5, 50, "ipv4:10.0.0.1");
  }
  auto stats = Open();
  auto all = stats->Report();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].points, 5u);
  EXPECT_EQ(all[0].last_peer, "ipv4:10.0.0.1");
  EXPECT_EQ(all[0].suggestion, "write:device=truck_7");
}

// A device token that, after its learning period, starts writing for other devices (a
// stolen or misused broad token) is audited as identity.anomaly.
TEST_F(IdentityStatsTest, NewTagValuesAfterLearningAreAnomalies) {
  IdentityStatsOptions o;
  o.anomaly_detection = true;
  o.learning = absl::Minutes(10);
  auto stats = Open(o);
  Identity dev = Token("dev7", "write:*");
  for (int i = 0; i < 20; i++) {
    stats->RecordWrite(dev, {Group("readings", "truck_7")}, 1, 0, "");
    now_ += kMinute;
  }
  EXPECT_EQ(stats->anomalies(), 0u);
  stats->RecordWrite(dev, {Group("readings", "truck_7")}, 1, 0, "");
  EXPECT_EQ(stats->anomalies(), 0u);
  stats->RecordWrite(dev, {Group("readings", "truck_9"), Group("readings", "truck_10")}, 2, 0, "");
  EXPECT_EQ(stats->anomalies(), 1u);
  stats->RecordWrite(dev, {Group("secrets", "truck_7")}, 1, 0, "");
  EXPECT_EQ(stats->anomalies(), 2u);
  const std::string text = AuditText();
  EXPECT_THAT(text, HasSubstr("identity.anomaly"));
  EXPECT_THAT(text, HasSubstr("device=truck_9"));
  EXPECT_THAT(text, HasSubstr("new_measurement"));
  // Off by default; the count survives a restart.
  ASSERT_OK(stats->Persist());
  IdentityStatsOptions off;
  auto quiet = Open(off);
  EXPECT_EQ(quiet->anomalies(), 2u);  // persisted count of the first
}

TEST_F(IdentityStatsTest, RateFarAboveUsualIsAnAnomaly) {
  IdentityStatsOptions o;
  o.anomaly_detection = true;
  o.learning = absl::Minutes(30);
  o.rate_factor = 10;
  o.rate_min_points = 1000;
  auto stats = Open(o);
  Identity gw = Token("gw", "write:*");
  for (int i = 0; i < 60; i++) {  // 200 points a minute, for an hour
    stats->RecordWrite(gw, {Group("m", "d1", 200)}, 200, 0, "");
    now_ += kMinute;
  }
  stats->RecordWrite(gw, {Group("m", "d1", 1500)}, 1500, 0, "");  // 7.5x: not yet
  EXPECT_EQ(stats->anomalies(), 0u);
  stats->RecordWrite(gw, {Group("m", "d1", 1000)}, 1000, 0, "");  // 12.5x this minute
  EXPECT_EQ(stats->anomalies(), 1u);
  stats->RecordWrite(gw, {Group("m", "d1", 1000)}, 1000, 0, "");  // once per minute
  EXPECT_EQ(stats->anomalies(), 1u);
  EXPECT_THAT(AuditText(), HasSubstr("usual_points_per_minute"));
}

}  // namespace
}  // namespace telemdb::auth
