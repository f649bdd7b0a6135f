// telemdb-query-engine-bench: the queries, in process (no gRPC), over a generated fleet
// (bench/fleet: 200 trucks, 10 s readings, one day by default) ingested through the
// line-protocol parser and columnar batcher into a fresh database, then compacted.
//
//   telemdb-query-engine-bench [--trucks 200] [--hours 24] [--runs 50] [--dir DIR]
//                              [--only SUBSTRING]
//
// Prints, per query, p50 and p99 wall time over --runs runs (after 3 warm-up runs), the
// thread CPU time per run, and the query's stats; for the scan queries also points per
// CPU-second (the per-core throughput). A figure, never a test.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "bench/fleet/fleet.h"
#include "ingest/lineproto/columnar_batcher.h"
#include "ingest/lineproto/parser.h"
#include "query/engine/engine.h"
#include "query/engine/storage_querier.h"
#include "storage/db.h"
#include "util/temp_dir.h"

namespace telemdb::query {
namespace {

using Clock = std::chrono::steady_clock;

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Counts rows and drops them: the cost of a real sink is the service's.
class CountingSink : public ResultSink {
 public:
  absl::Status Start(const ResultSchema&) override { return absl::OkStatus(); }
  absl::Status Write(ResultFrame&& f) override {
    rows += f.rows();
    return absl::OkStatus();
  }
  uint64_t rows = 0;
};

absl::Status Load(storage::Db* db, int64_t trucks, int64_t hours) {
  fleet::FleetOptions fo;
  fo.trucks = trucks;
  fo.hours = hours;
  lineproto::ParseOptions po;
  lineproto::Parser parser(po);
  lineproto::ColumnarBatcher batcher;
  storage::WriteOptions wo;
  wo.ack_mode = storage::AckMode::kAsync;
  auto send = [&]() -> absl::Status {
    auto groups = batcher.Take();
    while (true) {
      auto r = db->Write(&groups, wo);
      if (r.ok()) return absl::OkStatus();
      if (r.status().code() != absl::StatusCode::kResourceExhausted) return r.status();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  };
  std::string buf;
  auto flush_text = [&]() -> absl::Status {
    absl::Status s = parser.Parse(buf, [&](const lineproto::Point& p) -> absl::Status {
      absl::Status a = batcher.Add(p);
      if (!a.ok()) return a;
      if (batcher.full()) return send();
      return absl::OkStatus();
    });
    buf.clear();
    return s;
  };
  absl::Status s = fleet::GenerateFleet(fo, [&](std::string_view line) -> absl::Status {
    buf.append(line.data(), line.size());
    buf.push_back('\n');
    if (buf.size() >= (1 << 20)) return flush_text();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (!buf.empty()) {
    s = flush_text();
    if (!s.ok()) return s;
  }
  if (!batcher.empty()) {
    s = send();
    if (!s.ok()) return s;
  }
  return db->Compact();
}

struct Figure {
  std::string name;
  std::string query;
  ExecOptions options;
};

int Main(int argc, char** argv) {
  CLI::App app("telemdb query engine benchmark");
  int64_t trucks = 200, hours = 24;
  int runs = 50;
  std::string dir;
  app.add_option("--trucks", trucks, "trucks (series per field)");
  app.add_option("--hours", hours, "simulated hours");
  app.add_option("--runs", runs, "timed runs per query (>= 50 for p99)");
  app.add_option("--dir", dir, "data directory (default: a temporary one)");
  std::string only;
  app.add_option("--only", only, "run only the figures whose name contains this");
  CLI11_PARSE(app, argc, argv);

  TempDir tmp;
  storage::Options so;
  so.dir = dir.empty() ? tmp.path() : dir;
  auto db = storage::Db::Open(so);
  if (!db.ok()) return std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str()), 1;
  const auto t0 = Clock::now();
  absl::Status s = Load(db->get(), trucks, hours);
  if (!s.ok()) return std::fprintf(stderr, "load: %s\n", s.ToString().c_str()), 1;
  auto dbstats = (*db)->GetStats();
  std::printf("loaded trucks=%ld hours=%ld stored_points=%lu chunks=%lu in %.1f s\n",
              static_cast<long>(trucks), static_cast<long>(hours),
              static_cast<unsigned long>(dbstats.ok() ? dbstats->stored_points : 0),
              static_cast<unsigned long>(dbstats.ok() ? dbstats->stored_chunks : 0),
              std::chrono::duration<double>(Clock::now() - t0).count());

  const int64_t start = fleet::kDefaultStartSeconds * 1'000'000'000LL;
  const int64_t end = start + hours * 3600 * 1'000'000'000LL;
  const std::string range = absl::StrCat("time >= ", start, " AND time < ", end);
  ExecOptions decode;
  decode.use_preaggregates = false;
  const std::vector<Figure> figures = {
      {"one_series_day_1m_mean",
       "SELECT mean(velocity) FROM readings WHERE name = 'truck_7' AND " + range +
           " GROUP BY time(1m)",
       {}},
      {"one_series_1h_max",
       "SELECT max(velocity) FROM readings WHERE name = 'truck_7' AND " + range +
           " GROUP BY time(1h)",
       {}},
      {"fleet_1h_mean_by_fleet",
       "SELECT mean(velocity) FROM readings WHERE " + range + " GROUP BY time(1h), fleet",
       {}},
      {"last_fuel_state_every_truck", "SELECT last(fuel_state) FROM diagnostics GROUP BY name", {}},
      {"scan_mean_all_readings_1m_decode",
       "SELECT mean(velocity), max(latitude) FROM readings WHERE " + range + " GROUP BY time(1m)",
       decode},
      {"scan_count_sum_all_readings_preagg",
       "SELECT count(velocity), sum(velocity) FROM readings WHERE " + range,
       {}},
      // Predictive functions (issue 14): one field of every truck, one row per point.
      {"ewma_velocity_every_truck",
       "SELECT ewma(velocity, 0.1) FROM readings WHERE " + range + " GROUP BY name",
       {}},
      {"zscore_velocity_every_truck",
       "SELECT zscore(velocity, 60) FROM readings WHERE " + range + " GROUP BY name",
       {}},
      {"anomaly_score_velocity_every_truck",
       "SELECT anomaly_score(velocity) FROM readings WHERE " + range + " GROUP BY name",
       {}},
      {"anomaly_score_no_shape_every_truck",
       "SELECT anomaly_score(velocity, 'neighbours=0') FROM readings WHERE " + range +
           " GROUP BY name",
       {}},
      {"anomalies_velocity_every_truck",
       "SELECT anomalies(velocity, 0.999) FROM readings WHERE " + range + " GROUP BY name",
       {}},
      {"time_to_threshold_fuel_6h_every_truck",
       absl::StrCat("SELECT time_to_threshold(fuel_state, 0.1) FROM diagnostics WHERE time >= ",
                    end - 6 * 3600 * 1'000'000'000LL, " AND time < ", end, " GROUP BY name"),
       {}},
      {"time_to_threshold_holt_fuel_6h_every_truck",
       absl::StrCat("SELECT time_to_threshold(fuel_state, 0.1, 'holt') FROM diagnostics WHERE "
                    "time >= ",
                    end - 6 * 3600 * 1'000'000'000LL, " AND time < ", end, " GROUP BY name"),
       {}},
      {"forecast_fleet_fuel_1h",
       "SELECT forecast(mean(fuel_state), 12) FROM diagnostics WHERE " + range +
           " GROUP BY time(5m), fleet",
       {}},
  };
  StorageQuerier querier(db->get());
  for (const Figure& f : figures) {
    if (!only.empty() && f.name.find(only) == std::string::npos) continue;
    std::vector<double> wall;
    double cpu = 0;
    QueryStats st;
    uint64_t rows = 0;
    for (int r = 0; r < runs + 3; r++) {
      CountingSink sink;
      Context ctx;
      const double c0 = ThreadCpuSeconds();
      const auto w0 = Clock::now();
      s = ExecuteText(f.query, querier, f.options, ctx, sink, &st);
      const double w = std::chrono::duration<double>(Clock::now() - w0).count();
      if (!s.ok()) return std::fprintf(stderr, "%s: %s\n", f.name.c_str(), s.ToString().c_str()), 1;
      if (r < 3) continue;
      cpu += ThreadCpuSeconds() - c0;
      wall.push_back(w);
      rows = sink.rows;
    }
    std::sort(wall.begin(), wall.end());
    const double p50 = wall[wall.size() / 2] * 1e3;
    const double p99 = wall[std::min(wall.size() - 1, wall.size() * 99 / 100)] * 1e3;
    const double cpu_per_run = cpu / runs;
    const uint64_t points = st.points_scanned;
    std::printf("%-36s p50=%.3f ms p99=%.3f ms cpu=%.3f ms rows=%lu", f.name.c_str(), p50, p99,
                cpu_per_run * 1e3, static_cast<unsigned long>(rows));
    if (points > 0)
      std::printf(" points_per_cpu_s=%.0f", static_cast<double>(points) / cpu_per_run);
    std::printf("\n    %s\n", st.DebugString().c_str());
  }
  return (*db)->Close().ok() ? 0 : 1;
}

}  // namespace
}  // namespace telemdb::query

int main(int argc, char** argv) { return telemdb::query::Main(argc, argv); }
