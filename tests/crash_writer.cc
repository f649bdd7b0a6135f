// telemdb-crash-writer DIR FIRST_BATCH SEED: opens the database in DIR and writes batches
// FIRST_BATCH, FIRST_BATCH+1, ... with SYNC acks, printing "ACK <batch>" after each ack.
// Now and then it flushes or compacts. On SIGTERM it closes the database cleanly ("CLOSED").
// The crash-recovery test kills it with SIGKILL at random moments.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "storage/db.h"
#include "tests/crash_batches.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnTerm(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DIR FIRST_BATCH SEED\n", argv[0]);
    return 2;
  }
  std::signal(SIGTERM, OnTerm);
  using namespace telemdb;
  storage::Options o;
  o.dir = argv[1];
  o.head_seal_points = 150;
  o.chunk_target_points = 500;
  o.partition = absl::Hours(6);
  o.merge_interval = absl::Milliseconds(300);
  o.wal_segment_bytes = 64 << 10;
  // Merge rounds are announced, so the test knows whether a kill landed inside one; a
  // round lingers a little so that kills aimed at it can land.
  o.hooks.merge_begin = [] {
    std::printf("MERGE_BEGIN\n");
    std::fflush(stdout);
  };
  o.hooks.after_merge_write = [] { usleep(2000); };
  o.hooks.merge_end = [] {
    std::printf("MERGE_END\n");
    std::fflush(stdout);
  };
  auto db = storage::Db::Open(o);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  std::printf("OPEN\n");
  std::fflush(stdout);
  std::mt19937_64 rng(std::strtoull(argv[3], nullptr, 10));
  for (int b = std::atoi(argv[2]); b < tests::kMaxCrashBatches && !g_stop; b++) {
    std::vector<storage::SeriesBatch> groups = {tests::CrashBatch(b)};
    storage::WriteOptions wo;
    wo.ack_mode = storage::AckMode::kSync;
    auto r = (*db)->Write(&groups, wo);
    if (!r.ok()) {
      std::fprintf(stderr, "write %d: %s\n", b, r.status().ToString().c_str());
      return 1;
    }
    std::printf("ACK %d\n", b);
    std::fflush(stdout);
    int op = static_cast<int>(rng() % 100);
    if (op == 0) (void)(*db)->Compact();
    if (op == 1 || op == 2) (void)(*db)->Flush();
  }
  auto s = (*db)->Close();
  std::printf("CLOSED %s\n", s.ToString().c_str());
  return s.ok() ? 0 : 1;
}
