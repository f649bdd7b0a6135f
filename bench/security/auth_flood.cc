// telemdb-auth-flood: a valid device writing while many clients hammer the server with bad
// tokens. Measures the valid device's write latency quiet and under the flood (loopback
// only), and prints one JSON line:
//   {"valid_writes":..,"valid_failed":..,"quiet_p50_ms":..,"quiet_p99_ms":..,
//    "flood_p50_ms":..,"flood_p99_ms":..,"bad_calls":..,"flooders":..}
//
//   telemdb-auth-flood --addr 127.0.0.1:PORT --token-file FILE [--clients 200]
//                      [--seconds 20] [--quiet-seconds 5] [--interval-ms 20]
//
// Used by tests/auth_flood_test.cc (which asserts that every valid write succeeds and that
// the audit log stays small) and by `bench/security/run.sh flood` (the latency ratio).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "grpcpp/grpcpp.h"
#include "telemdb/v1/ingest.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

telemdb::v1::WriteRequest Point(int64_t t) {
  telemdb::v1::WriteRequest req;
  auto* s = req.add_series();
  s->set_measurement("flood");
  auto* tag = s->add_tags();
  tag->set_key("device");
  tag->set_value("valid_1");
  s->add_timestamps(t);
  auto* f = s->add_fields();
  f->set_name("v");
  f->mutable_doubles()->add_values(1.0);
  return req;
}

std::shared_ptr<grpc::Channel> Connect(const std::string& addr) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  return grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"telemdb-auth-flood: valid writes under a flood of bad tokens",
               "telemdb-auth-flood"};
  std::string addr, token_file;
  int clients = 200, interval_ms = 20;
  double seconds = 20, quiet_seconds = 5;
  app.add_option("--addr", addr, "server address (loopback)")->required();
  app.add_option("--token-file", token_file, "a token with write:* (e.g. admin.token)")->required();
  app.add_option("--clients", clients, "concurrent clients with bad tokens")->capture_default_str();
  app.add_option("--seconds", seconds, "flood duration")->capture_default_str();
  app.add_option("--quiet-seconds", quiet_seconds, "quiet phase before the flood")
      ->capture_default_str();
  app.add_option("--interval-ms", interval_ms, "pause between valid writes")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::string token;
  std::ifstream(token_file) >> token;
  if (token.empty()) {
    std::fprintf(stderr, "no token in %s\n", token_file.c_str());
    return 2;
  }

  auto valid_ch = Connect(addr);
  std::atomic<int64_t> t{1'767'225'600'000'000'000};
  int failed = 0, writes = 0;
  auto valid_phase = [&](double secs, std::vector<double>* lat) {
    const auto end = Clock::now() + std::chrono::duration<double>(secs);
    while (Clock::now() < end) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + token);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      telemdb::v1::WriteResponse resp;
      const auto t0 = Clock::now();
      grpc::Status s =
          telemdb::v1::IngestService::NewStub(valid_ch)->Write(&ctx, Point(t++), &resp);
      lat->push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      writes++;
      if (!s.ok()) {
        failed++;
        std::fprintf(stderr, "valid write failed: %d %s\n", s.error_code(),
                     s.error_message().c_str());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
  };
  std::vector<double> quiet, flood;
  valid_phase(quiet_seconds, &quiet);

  std::atomic<bool> stop{false};
  std::atomic<int64_t> bad_calls{0};
  std::vector<std::thread> flooders;
  for (int c = 0; c < clients; c++) {
    flooders.emplace_back([&, c] {
      auto ch = Connect(addr);
      auto stub = telemdb::v1::IngestService::NewStub(ch);
      std::mt19937_64 rng(static_cast<uint64_t>(c) * 7919 + 1);
      static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
      while (!stop) {
        // A well-formed token that does not exist (a guess), or garbage.
        std::string bad = "tdb_";
        for (int i = 0; i < 12; i++) bad.push_back(kAlphabet[rng() % 32]);
        bad += "_" + std::string(43, static_cast<char>('A' + rng() % 26));
        if (rng() % 4 == 0) bad = "not-a-token-" + std::to_string(rng());
        grpc::ClientContext ctx;
        ctx.AddMetadata("authorization", "Bearer " + bad);
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(12));
        telemdb::v1::WriteResponse resp;
        (void)stub->Write(&ctx, Point(0), &resp);
        bad_calls++;
      }
    });
  }
  valid_phase(seconds, &flood);
  stop = true;
  for (auto& f : flooders) f.join();
  std::printf(
      "{\"valid_writes\":%d,\"valid_failed\":%d,\"quiet_p50_ms\":%.2f,\"quiet_p99_ms\":%.2f,"
      "\"flood_p50_ms\":%.2f,\"flood_p99_ms\":%.2f,\"bad_calls\":%lld,\"flooders\":%d}\n",
      writes, failed, Percentile(quiet, 0.5), Percentile(quiet, 0.99), Percentile(flood, 0.5),
      Percentile(flood, 0.99), static_cast<long long>(bad_calls.load()), clients);
  return failed == 0 ? 0 : 1;
}
