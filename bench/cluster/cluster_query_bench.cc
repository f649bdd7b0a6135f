// telemdb-cluster-query-bench: query latency through the cluster coordinator with 1, 2 and 3
// partitions (nodes, one shard each, sharded by the `name` tag) against the single-node
// engine on the same data: the generated fleet of bench/fleet, loaded into one database and,
// split by shard, into the nodes' databases, all compacted. The nodes are in this process and
// answer over real gRPC on 127.0.0.1 (auth off), or with --transport inproc directly.
//
//   telemdb-cluster-query-bench [--trucks 200] [--hours 24] [--runs 20] [--transport grpc]
//                               [--only SUBSTRING]
//
// All nodes share this machine's cores: the figures measure the coordinator's overhead
// (fan-out, serialisation, merging), not scaling. A figure, never a test.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "auth/authenticator.h"
#include "bench/fleet/fleet.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/service_type.h"
#include "ingest/lineproto/columnar_batcher.h"
#include "ingest/lineproto/parser.h"
#include "query/distributed/coordinator.h"
#include "query/distributed/grpc_transport.h"
#include "query/distributed/in_process_client.h"
#include "query/engine/engine.h"
#include "query/engine/storage_querier.h"
#include "storage/db.h"
#include "util/shard.h"
#include "util/temp_dir.h"
#include "util/thread_pool.h"

namespace telemdb::query::distributed {
namespace {

using Clock = std::chrono::steady_clock;

class CountingSink : public ResultSink {
 public:
  absl::Status Start(const ResultSchema&) override { return absl::OkStatus(); }
  absl::Status Write(ResultFrame&& f) override {
    rows += f.rows();
    return absl::OkStatus();
  }
  uint64_t rows = 0;
};

struct Node {
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<storage::Db> db;
  std::unique_ptr<StorageQuerier> querier;
  std::unique_ptr<grpc::Service> service;
  std::unique_ptr<grpc::Server> server;
  std::string address;
};

// One cluster of n nodes with n shards (shard i on node i).
struct Cluster {
  int n = 0;
  std::vector<Node> nodes;
  StaticShardReplicas replicas;
  std::unique_ptr<PartialQueryClient> client;
  std::unique_ptr<Coordinator> coordinator;
};

absl::Status WriteAll(storage::Db* db, std::vector<storage::SeriesBatch> groups) {
  storage::WriteOptions wo;
  wo.ack_mode = storage::AckMode::kAsync;
  while (true) {
    auto r = db->Write(&groups, wo);
    if (r.ok()) return absl::OkStatus();
    if (r.status().code() != absl::StatusCode::kResourceExhausted) return r.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// The fleet into `single` and, by shard of the `name` tag, into every cluster's nodes.
absl::Status Load(storage::Db* single, std::vector<Cluster>* clusters, int64_t trucks,
                  int64_t hours) {
  fleet::FleetOptions fo;
  fo.trucks = trucks;
  fo.hours = hours;
  lineproto::ParseOptions po;
  lineproto::Parser parser(po);
  lineproto::ColumnarBatcher batcher;
  auto send = [&]() -> absl::Status {
    std::vector<storage::SeriesBatch> groups = batcher.Take();
    absl::Status s = WriteAll(single, groups);
    if (!s.ok()) return s;
    for (Cluster& c : *clusters) {
      std::vector<std::vector<storage::SeriesBatch>> parts(c.n);
      for (const auto& g : groups) {
        parts[ShardOfTags(g.tags, "name", static_cast<uint32_t>(c.n))].push_back(g);
      }
      for (int i = 0; i < c.n; i++) {
        if (parts[i].empty()) continue;
        s = WriteAll(c.nodes[i].db.get(), std::move(parts[i]));
        if (!s.ok()) return s;
      }
    }
    return absl::OkStatus();
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
  if (!buf.empty() && !(s = flush_text()).ok()) return s;
  if (!batcher.empty() && !(s = send()).ok()) return s;
  if (!(s = single->Compact()).ok()) return s;
  for (Cluster& c : *clusters) {
    for (Node& node : c.nodes) {
      if (!(s = node.db->Compact()).ok()) return s;
    }
  }
  return absl::OkStatus();
}

struct Timing {
  double p50_ms = 0;
  uint64_t rows = 0;
  CoordinatorStats cstats;
};

template <typename Fn>
absl::StatusOr<Timing> Time(int runs, Fn&& run) {
  std::vector<double> wall;
  Timing t;
  for (int r = 0; r < runs + 2; r++) {
    CountingSink sink;
    const auto w0 = Clock::now();
    absl::Status s = run(sink, &t.cstats);
    const double w = std::chrono::duration<double>(Clock::now() - w0).count();
    if (!s.ok()) return s;
    if (r < 2) continue;  // warm-up
    wall.push_back(w);
    t.rows = sink.rows;
  }
  std::sort(wall.begin(), wall.end());
  t.p50_ms = wall[wall.size() / 2] * 1e3;
  return t;
}

int Main(int argc, char** argv) {
  CLI::App app("telemdb cluster query benchmark");
  int64_t trucks = 200, hours = 24;
  int runs = 20;
  std::string transport = "grpc";
  app.add_option("--trucks", trucks, "trucks (series per field)");
  app.add_option("--hours", hours, "simulated hours");
  app.add_option("--runs", runs, "timed runs per query and setup");
  std::string only;
  app.add_option("--only", only, "run only the figures whose name contains this");
  app.add_option("--transport", transport, "grpc (loopback) or inproc")
      ->check(CLI::IsMember({"grpc", "inproc"}));
  CLI11_PARSE(app, argc, argv);

  auth::Authenticator no_auth(nullptr, auth::AuthenticatorOptions{.disabled = true});
  ThreadPool pool(4);
  TempDir single_dir;
  storage::Options so;
  so.dir = single_dir.path();
  auto single = storage::Db::Open(so);
  if (!single.ok()) return std::fprintf(stderr, "open: %s\n", single.status().ToString().c_str());
  std::vector<Cluster> clusters(3);
  for (int n = 1; n <= 3; n++) {
    Cluster& c = clusters[n - 1];
    c.n = n;
    c.nodes.resize(n);
    std::map<uint32_t, std::vector<ReplicaHandle>> table;
    auto inproc = std::make_unique<InProcessClient>();
    for (int i = 0; i < n; i++) {
      Node& node = c.nodes[i];
      node.dir = std::make_unique<TempDir>();
      storage::Options o;
      o.dir = node.dir->path();
      auto db = storage::Db::Open(o);
      if (!db.ok()) return std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
      node.db = *std::move(db);
      node.querier = std::make_unique<StorageQuerier>(node.db.get());
      const std::string id = absl::StrCat("node-", i);
      inproc->AddNode(id, node.querier.get());
      if (transport == "grpc") {
        node.service = MakeClusterQueryService(node.querier.get(), &no_auth, &pool);
        grpc::ServerBuilder b;
        int port = 0;
        b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
        b.RegisterService(node.service.get());
        b.SetMaxSendMessageSize(256 << 20);
        node.server = b.BuildAndStart();
        if (node.server == nullptr || port == 0) return std::fprintf(stderr, "grpc server\n"), 1;
        node.address = absl::StrCat("127.0.0.1:", port);
      }
      table[static_cast<uint32_t>(i)].push_back(ReplicaHandle{id, node.address});
    }
    c.replicas.Set(table);
    if (transport == "grpc") {
      c.client = std::make_unique<GrpcPartialQueryClient>(GrpcClientOptions());
    } else {
      c.client = std::move(inproc);
    }
    CoordinatorOptions co;
    co.sharding = Sharding{static_cast<uint32_t>(n), "name"};
    c.coordinator = std::make_unique<Coordinator>(&c.replicas, c.client.get(), co);
  }
  const auto t0 = Clock::now();
  absl::Status s = Load(single->get(), &clusters, trucks, hours);
  if (!s.ok()) return std::fprintf(stderr, "load: %s\n", s.ToString().c_str()), 1;
  std::printf("loaded trucks=%ld hours=%ld into 1 + 1 + 2 + 3 databases in %.1f s; transport %s\n",
              static_cast<long>(trucks), static_cast<long>(hours),
              std::chrono::duration<double>(Clock::now() - t0).count(), transport.c_str());

  const int64_t start = fleet::kDefaultStartSeconds * 1'000'000'000LL;
  const int64_t end = start + hours * 3600 * 1'000'000'000LL;
  const std::string range = absl::StrCat("time >= ", start, " AND time < ", end);
  const std::vector<std::pair<std::string, std::string>> figures = {
      {"one_series_day_1m_mean (pinned)",
       "SELECT mean(velocity) FROM readings WHERE name = 'truck_7' AND " + range +
           " GROUP BY time(1m)"},
      {"fleet_1h_mean_by_fleet",
       "SELECT mean(velocity) FROM readings WHERE " + range + " GROUP BY time(1h), fleet"},
      {"last_fuel_state_every_truck", "SELECT last(fuel_state) FROM diagnostics GROUP BY name"},
      {"scan_count_sum_all_readings",
       "SELECT count(velocity), sum(velocity) FROM readings WHERE " + range},
      {"scan_mean_max_all_readings_1m",
       "SELECT mean(velocity), max(latitude) FROM readings WHERE " + range + " GROUP BY time(1m)"},
      {"p95_velocity_1h_by_fleet (raw points)",
       "SELECT percentile(velocity, 95) FROM readings WHERE " + range +
           " GROUP BY time(1h), fleet"},
      {"zscore_velocity_every_truck (raw points)",
       "SELECT zscore(velocity, 60) FROM readings WHERE " + range + " GROUP BY name"},
  };
  StorageQuerier single_querier(single->get());
  std::printf("%-42s %12s %18s %18s %18s\n", "query (p50 ms; points+summaries fetched)", "single",
              "1 partition", "2 partitions", "3 partitions");
  for (const auto& figure : figures) {
    // Named, not a structured binding: clang 14 cannot capture bindings in the lambdas below.
    const std::string& name = figure.first;
    const std::string& q = figure.second;
    if (!only.empty() && name.find(only) == std::string::npos) continue;
    auto base = Time(runs, [&](CountingSink& sink, CoordinatorStats*) {
      Context ctx;
      QueryStats st;
      return ExecuteText(q, single_querier, ExecOptions(), ctx, sink, &st);
    });
    if (!base.ok())
      return std::fprintf(stderr, "%s: %s\n", name.c_str(), base.status().ToString().c_str()), 1;
    std::printf("%-42s %9.2f ms", name.c_str(), base->p50_ms);
    for (Cluster& c : clusters) {
      auto t = Time(runs, [&](CountingSink& sink, CoordinatorStats* cs) {
        Context ctx;
        QueryStats st;
        return c.coordinator->ExecuteText(q, ExecOptions(), ctx, sink, &st, cs);
      });
      if (!t.ok())
        return std::fprintf(stderr, "%s: %s\n", name.c_str(), t.status().ToString().c_str()), 1;
      if (t->rows != base->rows) {
        return std::fprintf(stderr, "%s: %lu rows vs %lu\n", name.c_str(),
                            static_cast<unsigned long>(t->rows),
                            static_cast<unsigned long>(base->rows)),
               1;
      }
      std::printf(" %8.2f ms %7lu", t->p50_ms,
                  static_cast<unsigned long>(t->cstats.points_fetched));
    }
    std::printf("\n");
  }
  for (Cluster& c : clusters) {
    for (Node& node : c.nodes) {
      if (node.server) node.server->Shutdown();
      (void)node.db->Close();
    }
  }
  return (*single)->Close().ok() ? 0 : 1;
}

}  // namespace
}  // namespace telemdb::query::distributed

int main(int argc, char** argv) { return telemdb::query::distributed::Main(argc, argv); }
