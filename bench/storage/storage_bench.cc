// telemdb-storage-bench: storage engine figures without the network.
//
//   telemdb-storage-bench append [--threads 4] [--seconds 10] [--series 100] [--rows 100]
//       [--encrypt]
//       values/s with SYNC acks; each batch is a gateway's: --series series x --rows rows.
//       --encrypt [--pairs 2]: alternate runs without and with encryption at rest (off, on,
//       off, on, ...) and report the cost in throughput and in CPU time per value.
//   telemdb-storage-bench memory [--series 1000000] [--points 100]
//       RSS per active series with --points points each in its open head chunk.
//   telemdb-storage-bench replay [--points 20000000]
//       WAL replay speed at open (points/s).
// Every mode prints one line of `key=value` figures. Data directories go under $TMPDIR.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "storage/crypto/key_ring.h"
#include "storage/db.h"
#include "util/temp_dir.h"

namespace telemdb::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kT0 = 1'760'000'000'000'000'000;

long Flag(int argc, char** argv, const char* name, long def) {
  for (int i = 2; i + 1 < argc; i++) {
    if (std::strcmp(argv[i], name) == 0) return std::atol(argv[i + 1]);
  }
  return def;
}

uint64_t RssBytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// A gateway batch: `series` trucks x `rows` readings every 10 s, fleet-like values.
std::vector<storage::SeriesBatch> GatewayBatch(int gateway, int64_t round, int series, int rows,
                                               std::mt19937_64* rng) {
  std::vector<storage::SeriesBatch> groups(series);
  for (int s = 0; s < series; s++) {
    auto& g = groups[s];
    g.measurement = "readings";
    g.tags = {{"name", "truck_" + std::to_string(gateway * 100000 + s)},
              {"fleet", s % 2 ? "East" : "West"}};
    storage::FieldColumn lat{"latitude", storage::ValueType::kFloat};
    double x = 40 + (s % 10);
    for (int r = 0; r < rows; r++) {
      g.timestamps.push_back(kT0 + (round * rows + r) * 10'000'000'000LL);
      x += static_cast<double>(static_cast<int>((*rng)() % 21) - 10) / 1e5;
      lat.floats.push_back(std::round(x * 1e5) / 1e5);
    }
    g.fields.push_back(std::move(lat));
  }
  return groups;
}

double CpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// A random key held in memory (encryption at rest).
std::shared_ptr<const storage::crypto::KeyRing> BenchKeys() {
  std::random_device rd;
  std::string key;
  for (int i = 0; i < 32; i++) key.push_back(static_cast<char>(rd()));
  auto ring = storage::crypto::KeyRing::FromKeys({{key, "bench key"}});
  return ring.ok() ? *ring : nullptr;
}

// Runs the append workload once; returns values/s and CPU ns (all threads) per value.
int AppendOnce(int argc, char** argv, bool encrypt, double* values_per_s, double* cpu_ns) {
  const int threads = static_cast<int>(Flag(argc, argv, "--threads", 4));
  const int seconds = static_cast<int>(Flag(argc, argv, "--seconds", 10));
  const int series = static_cast<int>(Flag(argc, argv, "--series", 100));
  const int rows = static_cast<int>(Flag(argc, argv, "--rows", 100));
  TempDir dir;
  storage::Options o;
  o.dir = dir.path();
  if (encrypt) o.encryption_keys = BenchKeys();
  auto db = storage::Db::Open(o);
  if (!db.ok()) return std::fprintf(stderr, "%s\n", db.status().ToString().c_str()), 1;
  // Pre-build batches so the clock measures the engine, not the generator.
  std::vector<std::vector<std::vector<storage::SeriesBatch>>> prepared(threads);
  const int kRounds = 64;
  for (int t = 0; t < threads; t++) {
    std::mt19937_64 rng(t);
    for (int r = 0; r < kRounds; r++) prepared[t].push_back(GatewayBatch(t, r, series, rows, &rng));
  }
  std::atomic<uint64_t> values{0}, batches{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  auto start = Clock::now();
  const double cpu0 = CpuSeconds();
  for (int t = 0; t < threads; t++) {
    workers.emplace_back([&, t] {
      int64_t round = 0;
      while (!stop) {
        auto groups = prepared[t][round % kRounds];
        // Shift time so every round writes new points.
        int64_t shift = (round / kRounds) * kRounds * rows * 10'000'000'000LL;
        for (auto& g : groups) {
          for (auto& ts : g.timestamps) ts += shift;
        }
        storage::WriteOptions wo;
        wo.ack_mode = storage::AckMode::kSync;
        auto r = (*db)->Write(&groups, wo);
        if (!r.ok()) {
          if (r.status().code() == absl::StatusCode::kResourceExhausted) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
          }
          std::fprintf(stderr, "write: %s\n", r.status().ToString().c_str());
          stop = true;
          return;
        }
        values += r->points;
        batches++;
        round++;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  *cpu_ns = (CpuSeconds() - cpu0) * 1e9 / static_cast<double>(std::max<uint64_t>(values, 1));
  std::printf(
      "mode=append threads=%d batch_values=%d encrypt=%d seconds=%.1f values=%lu "
      "values_per_s=%.0f batches_per_s=%.0f cpu_ns_per_value=%.1f\n",
      threads, series * rows, encrypt ? 1 : 0, secs, values.load(), values / secs, batches / secs,
      *cpu_ns);
  *values_per_s = values / secs;
  return (*db)->Close().ok() ? 0 : 1;
}

int Append(int argc, char** argv) {
  bool compare = false;
  for (int i = 2; i < argc; i++) compare |= std::strcmp(argv[i], "--encrypt") == 0;
  double vps = 0, cpu = 0, sum[2] = {0, 0}, cpu_sum[2] = {0, 0};
  if (!compare) return AppendOnce(argc, argv, false, &vps, &cpu);
  const int pairs = static_cast<int>(Flag(argc, argv, "--pairs", 2));
  for (int run = 0; run < 2 * pairs; run++) {
    const bool encrypt = run % 2 == 1;
    if (int rc = AppendOnce(argc, argv, encrypt, &vps, &cpu); rc != 0) return rc;
    sum[encrypt] += vps;
    cpu_sum[encrypt] += cpu;
  }
  std::printf(
      "mode=append_encryption pairs=%d plain_values_per_s=%.0f encrypted_values_per_s=%.0f "
      "encryption_cost_pct=%.1f plain_cpu_ns_per_value=%.1f encrypted_cpu_ns_per_value=%.1f "
      "encryption_cpu_cost_pct=%.1f\n",
      pairs, sum[0] / pairs, sum[1] / pairs, 100 * (1 - sum[1] / sum[0]), cpu_sum[0] / pairs,
      cpu_sum[1] / pairs, 100 * (cpu_sum[1] / cpu_sum[0] - 1));
  return 0;
}

int Memory(int argc, char** argv) {
  const long n_series = Flag(argc, argv, "--series", 1'000'000);
  const int points = static_cast<int>(Flag(argc, argv, "--points", 100));
  TempDir dir;
  storage::Options o;
  o.dir = dir.path();
  o.head_memory_budget = 8ull << 30;
  o.head_seal_points = 1'000'000;
  o.head_max_age = absl::Hours(24);
  o.wal_max_bytes = 64ull << 30;
  o.background = false;
  auto db = storage::Db::Open(o);
  if (!db.ok()) return std::fprintf(stderr, "%s\n", db.status().ToString().c_str()), 1;
  uint64_t rss0 = RssBytes();
  std::mt19937_64 rng(1);
  const int per_batch = 1000;
  for (int p0 = 0; p0 < points; p0 += 10) {
    for (long s0 = 0; s0 < n_series; s0 += per_batch) {
      std::vector<storage::SeriesBatch> groups;
      for (long s = s0; s < std::min(n_series, s0 + per_batch); s++) {
        storage::SeriesBatch g;
        g.measurement = "meters";
        g.tags = {{"meter", "m" + std::to_string(s)}, {"region", "r" + std::to_string(s % 50)}};
        storage::FieldColumn f{"power", storage::ValueType::kFloat};
        double x = 100 + static_cast<double>(s % 1000) / 10;
        for (int p = p0; p < std::min(points, p0 + 10); p++) {
          g.timestamps.push_back(kT0 + p * 15LL * 60 * 1'000'000'000);
          x += static_cast<double>(static_cast<int>(rng() % 201) - 100) / 1000;
          f.floats.push_back(std::round(x * 1000) / 1000);
        }
        g.fields.push_back(std::move(f));
        groups.push_back(std::move(g));
      }
      storage::WriteOptions wo;
      wo.ack_mode = storage::AckMode::kAsync;
      auto r = (*db)->Write(&groups, wo);
      if (!r.ok()) return std::fprintf(stderr, "%s\n", r.status().ToString().c_str()), 1;
    }
  }
  uint64_t rss1 = RssBytes();
  auto st = (*db)->GetStats();
  std::printf(
      "mode=memory series=%ld points_per_series=%d rss_delta_bytes=%lu "
      "bytes_per_series=%.0f head_bytes=%lu head_points=%lu\n",
      n_series, points, rss1 - rss0, static_cast<double>(rss1 - rss0) / n_series,
      st.ok() ? st->head_bytes : 0, st.ok() ? st->head_points : 0);
  std::fflush(stdout);
  std::_Exit(0);  // skip sealing 100M points on the way out
}

int Replay(int argc, char** argv) {
  const long points = Flag(argc, argv, "--points", 20'000'000);
  TempDir dir;
  storage::Options o;
  o.dir = dir.path();
  o.background = false;
  o.head_memory_budget = 8ull << 30;
  o.head_seal_points = 1'000'000;
  o.head_max_age = absl::Hours(24);
  {
    auto db = storage::Db::Open(o);
    if (!db.ok()) return std::fprintf(stderr, "%s\n", db.status().ToString().c_str()), 1;
    std::mt19937_64 rng(1);
    long written = 0;
    for (int64_t round = 0; written < points; round++) {
      auto groups = GatewayBatch(0, round, 100, 100, &rng);
      storage::WriteOptions wo;
      wo.ack_mode = storage::AckMode::kAsync;
      auto r = (*db)->Write(&groups, wo);
      if (!r.ok()) return std::fprintf(stderr, "%s\n", r.status().ToString().c_str()), 1;
      written += static_cast<long>(r->points);
    }
    // A crash: keep the WAL as it is, forget everything sealed.
    std::filesystem::copy(dir.Sub("wal"), dir.Sub("wal.keep"));
    (void)(*db)->Close();
  }
  std::filesystem::remove_all(dir.Sub("wal"));
  std::filesystem::remove_all(dir.Sub("rocksdb"));
  std::filesystem::rename(dir.Sub("wal.keep"), dir.Sub("wal"));
  uint64_t wal_bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.Sub("wal")))
    wal_bytes += e.file_size();
  auto start = Clock::now();
  auto db = storage::Db::Open(o);
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (!db.ok()) return std::fprintf(stderr, "%s\n", db.status().ToString().c_str()), 1;
  auto st = (*db)->GetStats();
  std::printf("mode=replay points=%lu wal_bytes=%lu seconds=%.3f points_per_s=%.0f\n",
              st.ok() ? st->head_points : 0, wal_bytes, secs, st.ok() ? st->head_points / secs : 0);
  std::fflush(stdout);
  std::_Exit(0);
}

}  // namespace
}  // namespace telemdb::bench

int main(int argc, char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "append") return telemdb::bench::Append(argc, argv);
  if (mode == "memory") return telemdb::bench::Memory(argc, argv);
  if (mode == "replay") return telemdb::bench::Replay(argc, argv);
  std::fprintf(stderr, "usage: %s append|memory|replay [flags]\n", argv[0]);
  return 2;
}
