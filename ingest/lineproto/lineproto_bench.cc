// telemdb-lineproto-bench: parse and parse+batch throughput of the line-protocol pipeline on
// one core, over a generated fleet day (bench/fleet) held in memory, or over a file.
//   telemdb-lineproto-bench [--scale 200] [--hours 24] [--batch-values 10000] [--repeat 3]
//                           [--input FILE]
// Rates are per CPU-second of the benchmark thread (so per core, even on a busy machine).
// Prints the best of --repeat runs for each phase: parse only; parse + ColumnarBatcher with
// every batch freed after Take(); the same with batches handed back through Recycle().
// A figure, never a test.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "bench/fleet/fleet.h"
#include "ingest/lineproto/columnar_batcher.h"
#include "ingest/lineproto/parser.h"

namespace {

using telemdb::lineproto::BatcherOptions;
using telemdb::lineproto::ColumnarBatcher;
using telemdb::lineproto::ParseOptions;
using telemdb::lineproto::Parser;
using telemdb::lineproto::ParseStats;
using telemdb::lineproto::Point;

struct Run {
  double seconds = 0;       // CPU time of this thread: the per-core figure
  double wall_seconds = 0;  // differs when other processes compete for the core
  ParseStats stats;
  int64_t batches = 0;
};

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

template <typename Fn>
Run Best(int repeat, Fn fn) {
  Run best;
  for (int i = 0; i < repeat; ++i) {
    auto began = std::chrono::steady_clock::now();
    double cpu = ThreadCpuSeconds();
    Run r = fn();
    r.seconds = ThreadCpuSeconds() - cpu;
    r.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    if (i == 0 || r.seconds < best.seconds) best = r;
  }
  return best;
}

void Report(const char* phase, const Run& r, size_t bytes) {
  std::printf("%-12s %7.3f s cpu (%7.3f s wall)  %6.2f M lines/s  %6.2f M values/s  %6.1f MB/s",
              phase, r.seconds, r.wall_seconds, r.stats.points / r.seconds / 1e6,
              r.stats.field_values / r.seconds / 1e6, bytes / r.seconds / 1e6);
  if (r.batches > 0) std::printf("  (%lld batches)", static_cast<long long>(r.batches));
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Line-protocol parse + batch throughput on one core."};
  int64_t scale = 200;
  int64_t hours = 24;
  size_t batch_values = 10000;
  int repeat = 3;
  std::string input;
  std::string phases = "parse,batch,recycle";
  app.add_option("--phases", phases, "which of parse,batch,recycle to run (default all)");
  app.add_option("--scale", scale, "trucks in the generated fleet (default 200)");
  app.add_option("--hours", hours, "hours of the generated fleet (default 24)");
  app.add_option("--batch-values", batch_values, "values per batch (default 10000)");
  app.add_option("--repeat", repeat, "runs per phase; the best is shown (default 3)");
  app.add_option("--input", input, "read line protocol from FILE instead of generating");
  CLI11_PARSE(app, argc, argv);

  std::string text;
  if (!input.empty()) {
    std::ifstream in(input, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot open %s\n", input.c_str());
      return 1;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    text = std::move(ss).str();
  } else {
    telemdb::fleet::FleetOptions o;
    o.trucks = scale;
    o.hours = hours;
    text.reserve(static_cast<size_t>(telemdb::fleet::FleetPointsOnGrid(o)) * 240);
    absl::Status s = telemdb::fleet::GenerateFleet(o, [&](std::string_view line) {
      text.append(line).push_back('\n');
      return absl::OkStatus();
    });
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
  }
  std::printf("input: %.1f MB\n", text.size() / 1e6);

  ParseOptions options;
  options.now_ns = 0;
  bool failed = false;
  auto want = [&](const char* phase) { return phases.find(phase) != std::string::npos; };
  Run parse;
  if (want("parse"))
    parse = Best(repeat, [&] {
      Parser parser(options);
      int64_t sink = 0;
      absl::Status s = parser.Parse(text, [&](const Point& p) {
        sink += p.timestamp_ns;
        return absl::OkStatus();
      });
      failed |= !s.ok();
      Run r;
      r.stats = parser.stats();
      return r;
    });
  // recycle: hand the batches back as a consumer that is done with them would.
  auto pipeline = [&](bool recycle) {
    Parser parser(options);
    ColumnarBatcher batcher(BatcherOptions{.max_values = batch_values});
    Run r;
    auto hand_out = [&] {
      ++r.batches;
      std::vector<telemdb::storage::SeriesBatch> out = batcher.Take();
      if (recycle) batcher.Recycle(std::move(out));  // else freed here
    };
    absl::Status s = parser.Parse(text, [&](const Point& p) -> absl::Status {
      absl::Status added = batcher.Add(p);
      if (!added.ok()) return added;
      if (batcher.full()) hand_out();
      return absl::OkStatus();
    });
    if (!batcher.empty()) hand_out();
    failed |= !s.ok();
    r.stats = parser.stats();
    return r;
  };
  Run batch, recycled;
  if (want("batch")) batch = Best(repeat, [&] { return pipeline(false); });
  if (want("recycle")) recycled = Best(repeat, [&] { return pipeline(true); });
  if (failed) {
    std::fprintf(stderr, "parse failed\n");
    return 1;
  }
  if (want("parse")) {
    std::printf("lines: %lld, field values: %lld\n", static_cast<long long>(parse.stats.points),
                static_cast<long long>(parse.stats.field_values));
    Report("parse", parse, text.size());
  }
  if (want("batch")) Report("parse+batch", batch, text.size());
  if (want("recycle")) Report("  +recycle", recycled, text.size());
  return 0;
}
