// telemdb-bench query TEXT: times a query against a running telemdbd over gRPC.
//
//   --addr HOST:PORT     server (default 127.0.0.1:7700)
//   --token-file PATH    bearer token (or TELEMDB_TOKEN)
//   --runs N             timed repetitions after the warm-up (default 50)
//   --warmup N           untimed repetitions first (default 5)
//
// Prints one line of key=value figures: runs, rows, p50_ms, p99_ms, min_ms, max_ms and the
// server's statistics of the last run (series, chunks_read, chunks_preaggregated,
// points_decoded, server_ms).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "CLI/CLI.hpp"
#include "bench/tool/commands.h"
#include "cli/client/connection.h"
#include "telemdb/v1/query.grpc.pb.h"

namespace telemdb::bench {

int QueryCommand(int argc, char** argv) {
  CLI::App app{"telemdb-bench query: time a query (warm, repeated)", "telemdb-bench query"};
  std::string text;
  client::ConnectionOptions co;
  int runs = 50, warmup = 5;
  app.add_option("text", text, "the query")->required();
  app.add_option("--addr", co.addr, "server address")->capture_default_str();
  app.add_option("--token-file", co.token_file, "file holding the bearer token");
  app.add_option("--tls-ca", co.tls_ca, "CA certificate (enables TLS)");
  app.add_option("--runs", runs, "timed repetitions")->capture_default_str();
  app.add_option("--warmup", warmup, "untimed repetitions first")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  auto conn = client::Connection::Create(co);
  if (!conn.ok()) return std::fprintf(stderr, "%s\n", conn.status().ToString().c_str()), 2;
  if (!(*conn)->WaitConnected(10).ok()) {
    std::fprintf(stderr, "cannot reach %s\n", co.addr.c_str());
    return 3;
  }
  auto stub = v1::QueryService::NewStub((*conn)->channel());
  std::vector<double> ms;
  uint64_t rows = 0;
  v1::QueryStats last_stats;
  for (int i = 0; i < warmup + runs; i++) {
    grpc::ClientContext ctx;
    (*conn)->Prepare(&ctx);
    v1::QueryRequest req;
    req.set_text(text);
    auto t0 = std::chrono::steady_clock::now();
    auto reader = stub->Query(&ctx, req);
    v1::QueryResponse msg;
    rows = 0;
    while (reader->Read(&msg)) {
      if (msg.has_frame()) rows += static_cast<uint64_t>(std::max(msg.frame().time_size(), 1));
      for (const auto& f : msg.frames().frames()) {
        rows += static_cast<uint64_t>(std::max(f.time_size(), 1));
      }
      if (msg.has_stats()) last_stats = msg.stats();
    }
    grpc::Status s = reader->Finish();
    double elapsed =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!s.ok()) {
      std::fprintf(stderr, "query failed: %s\n", s.error_message().c_str());
      return 1;
    }
    if (i >= warmup) ms.push_back(elapsed);
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
  };
  std::printf(
      "runs=%d rows=%lu p50_ms=%.3f p99_ms=%.3f min_ms=%.3f max_ms=%.3f series=%lu "
      "chunks_read=%lu chunks_preaggregated=%lu points_decoded=%lu head_points=%lu "
      "server_ms=%.3f\n",
      runs, rows, pct(0.5), pct(0.99), ms.front(), ms.back(), last_stats.series_matched(),
      last_stats.chunks_read(), last_stats.chunks_preaggregated(), last_stats.points_decoded(),
      last_stats.head_points(), last_stats.elapsed_ns() / 1e6);
  return 0;
}

}  // namespace telemdb::bench
