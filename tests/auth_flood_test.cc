// Defect 4: unauthenticated clients could fill the disk and stall RPC threads (every failed
// authentication was fsynced into the audit log on the RPC thread, and the per-peer table
// grew without bound). 200 concurrent clients with bad tokens for 20 s while a valid device
// writes: every valid write succeeds, the audit log grows by less than 1 MB, and the
// server's memory stays bounded. Latency figures are printed here and reported by
// bench/security/run.sh flood; they are not asserted.
#include <sys/stat.h>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server_harness.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::tests {
namespace {

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

TEST(AuthFlood, ValidWritesSucceedAndTheAuditLogStaysSmall) {
  TempDir dir;
  const std::string data = dir.Sub("data");
  auto server = ServerProcess::Start(data);
  ASSERT_OK(server.status());
  const std::string audit = data + "/audit.log";
  const uint64_t audit_before = FileSize(audit);
  const uint64_t rss_before = RssBytes((*server)->pid());
  RunResult r = RunProgram({BinaryPath("bench/security/telemdb-auth-flood"), "--addr",
                            (*server)->addr(), "--token-file", data + "/admin.token", "--clients",
                            "200", "--seconds", "20", "--quiet-seconds", "3"});
  std::printf("auth flood: %s", r.out.c_str());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["valid_failed"], 0);
  EXPECT_GT(j["valid_writes"].get<int>(), 100);
  EXPECT_GT(j["bad_calls"].get<int>(), 200);
  const uint64_t rss_after = RssBytes((*server)->pid());
  EXPECT_EQ((*server)->Stop(SIGTERM), 0);  // writes what the audit log had queued
  const uint64_t growth = FileSize(audit) - audit_before;
  std::printf("audit.log grew by %lu bytes; rss %lu -> %lu MiB\n",
              static_cast<unsigned long>(growth), static_cast<unsigned long>(rss_before >> 20),
              static_cast<unsigned long>(rss_after >> 20));
  EXPECT_LT(growth, 1u << 20);
  if (!kSanitized) {
    EXPECT_LT(rss_after, rss_before + (256ull << 20));
  }
}

}  // namespace
}  // namespace telemdb::tests
