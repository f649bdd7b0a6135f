// Crash recovery: a child process writes with SYNC acks and reports each acked batch; we
// kill -9 it at random moments (while writing, sealing, merging, flushing or closing), reopen
// the database and check that every acked point is there exactly once with its value, and
// that no batch is half-applied. TELEMDB_CRASH_CYCLES sets the number of cycles (default 20).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "storage/db.h"
#include "storage/key_layout.h"
#include "tests/crash_batches.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::tests {
namespace {

std::string WriterPath() {
  const char* bin = std::getenv("TELEMDB_BINARY_DIR");
  return std::string(bin ? bin : "build") + "/tests/telemdb-crash-writer";
}

struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;
};

Child Spawn(const std::string& dir, int first, uint64_t seed) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::string first_s = std::to_string(first), seed_s = std::to_string(seed);
    std::string path = WriterPath();
    execl(path.c_str(), path.c_str(), dir.c_str(), first_s.c_str(), seed_s.c_str(), nullptr);
    _exit(127);
  }
  close(fds[1]);
  return Child{pid, fdopen(fds[0], "r")};
}

TEST(CrashRecovery, EveryAckedPointSurvivesKillNine) {
  int cycles = 20;
  if (const char* env = std::getenv("TELEMDB_CRASH_CYCLES")) cycles = std::atoi(env);
  TempDir dir;
  std::mt19937_64 rng(20261123);
  std::set<int> acked;
  int next = 0;
  int attempted_max = -1;
  int kills_during_merge = 0;
  size_t acks_before_kill = 0;
  for (int cycle = 0; cycle < cycles && next < kMaxCrashBatches - 200; cycle++) {
    Child c = Spawn(dir.path(), next, rng());
    ASSERT_GT(c.pid, 0);
    // Reader thread: collect ACK lines as they come.
    std::mutex mu;
    std::condition_variable merging_cv;
    std::vector<int> got;
    bool opened = false;
    bool in_merge = false;  // the last merge marker the child printed was MERGE_BEGIN
    std::thread reader([&] {
      char line[128];
      while (std::fgets(line, sizeof line, c.out) != nullptr) {
        std::lock_guard<std::mutex> l(mu);
        int b;
        if (std::sscanf(line, "ACK %d", &b) == 1) got.push_back(b);
        if (std::strncmp(line, "OPEN", 4) == 0) opened = true;
        if (std::strncmp(line, "MERGE_BEGIN", 11) == 0) in_merge = true;
        if (std::strncmp(line, "MERGE_END", 9) == 0) in_merge = false;
        merging_cv.notify_all();
      }
    });
    const int mode = static_cast<int>(rng() % 4);
    const auto delay = std::chrono::milliseconds(50 + rng() % 700);
    std::this_thread::sleep_for(delay);
    if (mode == 0) {
      // Kill during a clean shutdown.
      kill(c.pid, SIGTERM);
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 30));
    } else if (mode == 1) {
      // Kill inside a merge round: wait (at most 2 s) until one starts.
      std::unique_lock<std::mutex> l(mu);
      merging_cv.wait_for(l, std::chrono::seconds(2), [&] { return in_merge; });
    }
    kill(c.pid, SIGKILL);
    int status = 0;
    waitpid(c.pid, &status, 0);
    reader.join();
    fclose(c.out);
    {
      std::lock_guard<std::mutex> l(mu);
      // Everything the child printed before it died has been read: if its last merge
      // marker is a BEGIN, the kill landed inside a merge round.
      if (in_merge) kills_during_merge++;
      acks_before_kill += got.size();
      for (int b : got) acked.insert(b);
      int last = got.empty() ? next - 1 : got.back();
      // The writer may have sent batch last+1 without printing its ack.
      attempted_max = std::max(attempted_max, last + 1);
      next = last + 2;
    }
    // Reopen in this process and check.
    storage::Options o;
    o.dir = dir.path();
    o.background = false;
    o.partition = absl::Hours(6);
    auto db = storage::Db::Open(o);
    ASSERT_OK(db.status()) << "cycle " << cycle;
    std::map<std::string, std::map<int64_t, double>> stored;
    for (int d = 0; d < kCrashDevices; d++) {
      std::string dev = "dev" + std::to_string(d);
      auto id = (*db)->index().Find(storage::keys::SeriesKeyBytes("crash", {{"device", dev}}, "v"));
      if (id == storage::kInvalidSeriesId) continue;
      auto cursor = (*db)->Read(id, INT64_MIN, INT64_MAX);
      ASSERT_OK(cursor.status());
      storage::codec::Columns all;
      ASSERT_OK((*cursor)->ReadAll(&all));
      for (size_t i = 0; i < all.size(); i++) {
        ASSERT_TRUE(stored[dev].emplace(all.ts[i], all.floats[i]).second)
            << "duplicate timestamp: a point is there twice";
      }
    }
    size_t expected = 0;
    for (int b = 0; b <= attempted_max; b++) {
      storage::SeriesBatch g = CrashBatch(b);
      const auto& series = stored[CrashDevice(b)];
      size_t present = 0;
      for (size_t i = 0; i < g.timestamps.size(); i++) {
        auto it = series.find(g.timestamps[i]);
        if (it == series.end()) continue;
        present++;
        ASSERT_EQ(it->second, g.fields[0].floats[i]) << "batch " << b;
      }
      if (acked.contains(b)) {
        ASSERT_EQ(present, g.timestamps.size())
            << "cycle " << cycle << ": acked batch " << b << " lost points";
      } else {
        ASSERT_TRUE(present == 0 || present == g.timestamps.size())
            << "cycle " << cycle << ": batch " << b << " is half-applied";
        if (present > 0) acked.insert(b);  // it made it; from now on it must stay
      }
      expected += present;
    }
    size_t total = 0;
    for (const auto& [dev, pts] : stored) total += pts.size();
    ASSERT_EQ(total, expected) << "points that no batch wrote";
    ASSERT_OK((*db)->Close());
  }
  std::printf("crash cycles: %d, acked batches: %zu, kills inside a merge round: %d\n", cycles,
              acked.size(), kills_during_merge);
  // The test proves something only if writes were acknowledged and kills hit merging.
  EXPECT_GT(acks_before_kill, 0u);
  EXPECT_GT(kills_during_merge, 0) << "no kill landed inside a merge round";
}

}  // namespace
}  // namespace telemdb::tests
