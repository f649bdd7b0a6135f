#include "auth/audit_log.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/db.h"
#include "util/client_text.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::auth {
namespace {

using ::testing::HasSubstr;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::Options o;
    o.dir = dir_.Sub("db");
    o.background = false;
    db_ = *storage::Db::Open(o);
    path_ = dir_.Sub("audit.log");
  }
  std::unique_ptr<AuditLog> Open(AuditOptions options = AuditOptions()) {
    auto log = AuditLog::Open(path_, db_.get(), nullptr, options);
    EXPECT_OK(log.status());
    return log.ok() ? *std::move(log) : nullptr;
  }
  std::string Contents() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::vector<std::string> Lines() const {
    std::vector<std::string> out;
    std::istringstream in(Contents());
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  TempDir dir_;
  std::unique_ptr<storage::Db> db_;
  std::string path_;
};

// Regression: a tag of invalid UTF-8 in a denial record made the JSON encoder throw on a
// worker thread, which ended the process. Any bytes are now escaped, and capped.
TEST_F(AuditLogTest, AnyBytesAreWrittenSafelyAndCapped) {
  auto log = Open();
  std::string all;
  for (int i = 0; i < 256; i++) all.push_back(static_cast<char>(i));
  log->Record("permission.denied", "\xff\xfe", all, {{"series", std::string(1 << 20, 'x')}});
  ASSERT_OK(log->RecordDurable("k\xc3", "w", "ok"));
  ASSERT_OK_AND_ASSIGN(VerifyResult v, log->Verify());
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 2u);
  const std::string text = Contents();
  EXPECT_TRUE(IsValidUtf8(text));
  EXPECT_THAT(text, HasSubstr("\\\\xff\\\\xfe"));
  EXPECT_THAT(text, HasSubstr("more bytes]"));
  for (const auto& line : Lines()) EXPECT_LT(line.size(), 8192u);
}

// Regression: cutting the log's tail while the server was down went unnoticed (the chain
// continued from the last line and the first new record overwrote the anchor).
TEST_F(AuditLogTest, TailCutWhileDownIsAGapUntilAcknowledged) {
  {
    auto log = Open();
    for (int i = 0; i < 5; i++) ASSERT_OK(log->RecordDurable("admin.action", "op", "ok"));
  }
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 5u);
  {
    std::ofstream out(path_, std::ios::trunc);
    for (int i = 0; i < 3; i++) out << lines[i] << "\n";
  }
  {
    auto log = Open();
    ASSERT_OK(log->RecordDurable("admin.action", "op", "ok"));
    ASSERT_OK_AND_ASSIGN(VerifyResult v, log->Verify());
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.unacknowledged_gaps, 1u);
    ASSERT_EQ(v.gaps.size(), 1u);
    EXPECT_THAT(v.gaps[0], HasSubstr("records 4 to 5 are missing"));
    EXPECT_THAT(v.problem, HasSubstr("ack-gap"));
    EXPECT_THAT(Contents(), HasSubstr("\"event\":\"audit.gap\""));
  }
  {
    auto log = Open();  // still reported after a restart
    ASSERT_OK_AND_ASSIGN(VerifyResult v, log->Verify());
    EXPECT_FALSE(v.ok);
    ASSERT_OK_AND_ASSIGN(uint64_t n, log->AcknowledgeGaps("admin-token"));
    EXPECT_EQ(n, 1u);
    ASSERT_OK_AND_ASSIGN(v, log->Verify());
    EXPECT_TRUE(v.ok) << v.problem;
    EXPECT_EQ(v.unacknowledged_gaps, 0u);
    EXPECT_THAT(v.gaps[0], HasSubstr("acknowledged by admin-token"));
    EXPECT_THAT(Contents(), HasSubstr("audit.gap_acknowledged"));
  }
  auto log = Open();  // no new gap: the tail matches the anchor
  ASSERT_OK_AND_ASSIGN(VerifyResult v, log->Verify());
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.gaps.size(), 1u);
}

// The same cut, rewritten with a plausible record of the same sequence number, is caught
// by the anchored mac.
TEST_F(AuditLogTest, RewrittenTailIsAGap) {
  {
    auto log = Open();
    for (int i = 0; i < 3; i++) ASSERT_OK(log->RecordDurable("admin.action", "op", "ok"));
  }
  auto lines = Lines();
  {
    std::ofstream out(path_, std::ios::trunc);
    out << lines[0] << "\n" << lines[1] << "\n";
  }
  {
    // Another log with another secret would not chain; instead replay the same third record
    // shape with a different mac.
    std::string forged = lines[2];
    forged.replace(forged.find("\"mac\":\"") + 7, 4, "0000");
    std::ofstream out(path_, std::ios::app);
    out << forged << "\n";
  }
  auto log = Open();
  ASSERT_OK_AND_ASSIGN(VerifyResult v, log->Verify());
  EXPECT_FALSE(v.ok);
}

// A crash mid-line leaves a torn last line: it is cut away (and said so), not appended to.
TEST_F(AuditLogTest, TornLastLineIsRepaired) {
  {
    auto log = Open();
    for (int i = 0; i < 2; i++) ASSERT_OK(log->RecordDurable("admin.action", "op", "ok"));
  }
  {
    std::ofstream out(path_, std::ios::app);
    out << "{\"event\":\"admin.act";
  }
  auto log = Open();
  ASSERT_OK(log->RecordDurable("admin.action", "op", "ok"));
  ASSERT_OK_AND_ASSIGN(VerifyResult v, log->Verify());
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 4u);  // 2 + the repair record + 1
  EXPECT_THAT(Contents(), HasSubstr("audit.torn_tail_repaired"));
  EXPECT_THAT(Contents(), ::testing::Not(HasSubstr("admin.act\"")));
}

// A flood of failures from one address is a few records, not one per failure.
TEST_F(AuditLogTest, RepeatedEventsAreFolded) {
  auto log = Open();
  for (int i = 0; i < 100'000; i++) {
    log->RecordRepeated("auth.failure", "ipv4:127.0.0.1", "invalid token", {{"transport", "grpc"}});
  }
  log->RecordRepeated("auth.failure", "ipv4:127.0.0.2", "invalid token");
  ASSERT_OK(log->Flush());
  auto lines = Lines();
  EXPECT_EQ(lines.size(), 3u);
  EXPECT_THAT(Contents(), HasSubstr("\"count\":\"99999\""));
  EXPECT_EQ(log->counters().folded, 99'999u);
  ASSERT_OK_AND_ASSIGN(VerifyResult v, log->Verify());
  EXPECT_TRUE(v.ok) << v.problem;
}

// The per-interval table of repeat keys is bounded: a flood from ever new addresses folds
// into "(other)".
TEST_F(AuditLogTest, RepeatKeysAreBounded) {
  AuditOptions o;
  o.max_repeat_keys = 100;
  auto log = Open(o);
  for (int i = 0; i < 10'000; i++) {
    log->RecordRepeated("auth.failure", "peer" + std::to_string(i), "invalid token");
  }
  ASSERT_OK(log->Flush());
  EXPECT_LE(Lines().size(), 102u);
  EXPECT_THAT(Contents(), HasSubstr("(other)"));
}

// The queue is bounded: past it records are dropped and counted, and the log says so.
TEST_F(AuditLogTest, FullQueueDropsAndSaysSo) {
  AuditOptions o;
  o.max_queued = 4;
  auto log = Open(o);
  for (int i = 0; i < 200'000; i++) log->Record("x", "y", "z");
  ASSERT_OK(log->Flush());
  const AuditCounters c = log->counters();
  EXPECT_GT(c.dropped, 0u);
  EXPECT_THAT(Contents(), HasSubstr("audit.dropped"));
  ASSERT_OK_AND_ASSIGN(VerifyResult v, log->Verify());
  EXPECT_TRUE(v.ok) << v.problem;
}

}  // namespace
}  // namespace telemdb::auth
