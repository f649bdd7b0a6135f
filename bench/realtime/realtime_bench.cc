// telemdb-realtime-bench: figures of the live half against a running telemdbd (started by
// bench/realtime/run.sh; --auth none on loopback). Figures, never tests.
//
//   latency   subscription delivery: time from a write's ack (when Write returns to the
//             writer) to the subscriber receiving its points, p50/p99/max, for N
//             subscribers.
//   stall     writers' throughput with N subscribers that never read.
//   rules     R alert rules over D devices while writers push V values/s: achieved rate,
//             server CPU, and the rules' evaluation figures (duration, lag, missed).
//
// Synthetic devices: measurement `bench`, tags device=d<i>, group=g<i % groups>, fields
// f0..f<F-1>, one row per device per round.
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "grpcpp/grpcpp.h"
#include "telemdb/v1/admin.grpc.pb.h"
#include "telemdb/v1/ingest.grpc.pb.h"
#include "telemdb/v1/realtime.grpc.pb.h"

namespace {

namespace v1 = telemdb::v1;

using Clock = std::chrono::steady_clock;

std::shared_ptr<grpc::Channel> Channel(const std::string& addr, int salt) {
  grpc::ChannelArguments args;
  args.SetInt("telemdb.bench.salt", salt);  // a connection of its own
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args);
}

int64_t WallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Rows for devices [first, first + n), one row each at `ts`.
v1::WriteRequest Batch(int first, int n, int fields, int groups, int64_t ts, double base) {
  v1::WriteRequest req;
  for (int d = first; d < first + n; d++) {
    auto* s = req.add_series();
    s->set_measurement("bench");
    auto* t = s->add_tags();
    t->set_key("device");
    t->set_value("d" + std::to_string(d));
    t = s->add_tags();
    t->set_key("grp");
    t->set_value("g" + std::to_string(d % groups));
    s->add_timestamps(ts);
    for (int f = 0; f < fields; f++) {
      auto* c = s->add_fields();
      c->set_name("f" + std::to_string(f));
      c->mutable_doubles()->add_values(base + d * 0.001 + f);
    }
  }
  return req;
}

void SetTimestamps(v1::WriteRequest* req, int64_t ts) {
  for (auto& s : *req->mutable_series()) s.set_timestamps(0, ts);
}

double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100 * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double CpuSeconds(int pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), {});
  size_t close = s.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> f;
  std::string cur;
  for (size_t i = close + 2; i < s.size(); i++) {
    if (s[i] == ' ') {
      f.push_back(cur);
      cur.clear();
    } else {
      cur += s[i];
    }
  }
  // Fields after the command: state(0) ... utime(11) stime(12).
  if (f.size() < 13) return 0;
  return (std::stod(f[11]) + std::stod(f[12])) / sysconf(_SC_CLK_TCK);
}

// Writers: `threads` loops of Write(batch of `per_batch` devices), rate-capped (values/s).
struct WriteFigures {
  uint64_t values = 0;
  double seconds = 0;
  uint64_t errors = 0;
  std::vector<double> ack_ms;
};

WriteFigures RunWriters(const std::string& addr, int threads, int devices, int per_batch,
                        int fields, int groups, double rate, double seconds) {
  std::atomic<uint64_t> values{0}, errors{0};
  std::atomic<int> next_batch{0};
  std::mutex mu;
  std::vector<double> acks;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  const int batches_per_round = (devices + per_batch - 1) / per_batch;
  std::vector<std::thread> ts;
  for (int w = 0; w < threads; w++) {
    ts.emplace_back([&, w] {
      auto stub = v1::IngestService::NewStub(Channel(addr, 1000 + w));
      std::vector<double> local;
      std::map<int, v1::WriteRequest> cache;
      while (Clock::now() < end) {
        const int b = next_batch++;
        const int slot = b % batches_per_round;
        auto it = cache.find(slot);
        if (it == cache.end()) {
          const int first = slot * per_batch;
          it = cache
                   .emplace(slot, Batch(first, std::min(per_batch, devices - first), fields, groups,
                                        0, 1.0))
                   .first;
        }
        // Stamped now: every row is a new point, on time for the rules' windows.
        SetTimestamps(&it->second, WallNs());
        const uint64_t n = static_cast<uint64_t>(it->second.series_size()) * fields;
        if (rate > 0) {
          const double due = static_cast<double>(values.load() + n) / rate;
          const auto at = start + std::chrono::duration<double>(due);
          if (at > Clock::now()) std::this_thread::sleep_until(at);
        }
        grpc::ClientContext ctx;
        v1::WriteResponse resp;
        const auto t0 = Clock::now();
        grpc::Status s = stub->Write(&ctx, it->second, &resp);
        local.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (s.ok()) {
          values += n;
        } else {
          errors++;
          if (errors < 5) std::fprintf(stderr, "write: %s\n", s.error_message().c_str());
        }
      }
      std::lock_guard<std::mutex> l(mu);
      acks.insert(acks.end(), local.begin(), local.end());
    });
  }
  for (auto& t : ts) t.join();
  WriteFigures f;
  f.values = values;
  f.errors = errors;
  f.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  f.ack_ms = std::move(acks);
  return f;
}

int Latency(const std::string& addr, int subscribers, double batches_per_s, int rows,
            double seconds) {
  // Each batch: `rows` devices at one unique timestamp; the writer notes when its ack came.
  std::mutex mu;
  std::map<int64_t, Clock::time_point> acked;
  std::vector<std::vector<double>> lat(subscribers);
  std::vector<uint64_t> got(subscribers, 0);
  std::vector<std::unique_ptr<grpc::ClientContext>> ctxs;
  std::vector<std::thread> readers;
  std::atomic<int> started{0};
  for (int i = 0; i < subscribers; i++) {
    ctxs.push_back(std::make_unique<grpc::ClientContext>());
    readers.emplace_back([&, i] {
      auto stub = v1::SubscribeService::NewStub(Channel(addr, i));
      v1::SubscribeRequest req;
      req.set_measurement("bench");
      auto reader = stub->Subscribe(ctxs[i].get(), req);
      v1::SubscribeResponse m;
      if (reader->Read(&m)) started++;
      while (reader->Read(&m)) {
        const auto now = Clock::now();
        for (const auto& f : m.frames().frames()) {
          got[i] += f.time_size();
          if (f.time_size() == 0) continue;
          std::lock_guard<std::mutex> l(mu);
          auto it = acked.find(f.time(0));
          // Seen before its ack reached the writer: 0.
          lat[i].push_back(
              it == acked.end()
                  ? 0.0
                  : std::max(0.0,
                             std::chrono::duration<double, std::milli>(now - it->second).count()));
        }
      }
      (void)reader->Finish();
    });
  }
  while (started < subscribers) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto stub = v1::IngestService::NewStub(Channel(addr, 9999));
  v1::WriteRequest batch = Batch(0, rows, 1, 1, 0, 1.0);
  const auto start = Clock::now();
  uint64_t batches = 0;
  std::vector<double> ack_ms;
  while (Clock::now() - start < std::chrono::duration<double>(seconds)) {
    const auto at = start + std::chrono::duration<double>(batches / batches_per_s);
    std::this_thread::sleep_until(at);
    const int64_t ts = WallNs();
    SetTimestamps(&batch, ts);
    grpc::ClientContext ctx;
    v1::WriteResponse resp;
    const auto t0 = Clock::now();
    grpc::Status s = stub->Write(&ctx, batch, &resp);
    const auto t1 = Clock::now();
    {
      std::lock_guard<std::mutex> l(mu);
      acked[ts] = t1;
    }
    ack_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (!s.ok()) std::fprintf(stderr, "write: %s\n", s.error_message().c_str());
    batches++;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (auto& c : ctxs) c->TryCancel();
  for (auto& t : readers) t.join();
  std::vector<double> all;
  uint64_t delivered = 0;
  for (int i = 0; i < subscribers; i++) {
    all.insert(all.end(), lat[i].begin(), lat[i].end());
    delivered += got[i];
  }
  std::printf(
      "latency subscribers=%d batches=%llu rows_per_batch=%d rate=%.0f/s delivered=%llu/%llu "
      "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f ack_p50_ms=%.2f ack_p99_ms=%.2f\n",
      subscribers, static_cast<unsigned long long>(batches), rows, batches_per_s,
      static_cast<unsigned long long>(delivered),
      static_cast<unsigned long long>(batches * rows * subscribers), Pct(all, 50), Pct(all, 90),
      Pct(all, 99), Pct(all, 100), Pct(ack_ms, 50), Pct(ack_ms, 99));
  return 0;
}

int Stall(const std::string& addr, int stalled, int readers, int writers, int devices,
          int per_batch, int fields, double seconds, int pid) {
  std::vector<std::unique_ptr<grpc::ClientContext>> ctxs;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>>> streams;
  std::vector<std::unique_ptr<v1::SubscribeService::Stub>> stubs;
  for (int i = 0; i < stalled; i++) {
    ctxs.push_back(std::make_unique<grpc::ClientContext>());
    stubs.push_back(v1::SubscribeService::NewStub(Channel(addr, 500 + i)));
    v1::SubscribeRequest req;
    req.set_measurement("bench");
    streams.push_back(stubs.back()->Subscribe(ctxs.back().get(), req));
    v1::SubscribeResponse m;
    streams.back()->Read(&m);  // the started message; then never read again
  }
  // Subscribers that keep up, for comparison: the cost of delivering, not of stalling.
  std::vector<std::thread> reading;
  std::atomic<uint64_t> read_rows{0};
  for (int i = 0; i < readers; i++) {
    ctxs.push_back(std::make_unique<grpc::ClientContext>());
    grpc::ClientContext* ctx = ctxs.back().get();
    reading.emplace_back([&, ctx, i] {
      auto stub = v1::SubscribeService::NewStub(Channel(addr, 600 + i));
      v1::SubscribeRequest req;
      req.set_measurement("bench");
      auto reader = stub->Subscribe(ctx, req);
      v1::SubscribeResponse m;
      while (reader->Read(&m)) {
        for (const auto& f : m.frames().frames()) read_rows += f.time_size();
      }
      (void)reader->Finish();
    });
  }
  const double cpu0 = CpuSeconds(pid);
  WriteFigures f = RunWriters(addr, writers, devices, per_batch, fields, 100, 0, seconds);
  const double cpu = CpuSeconds(pid) - cpu0;
  for (auto& c : ctxs) c->TryCancel();
  for (auto& t : reading) t.join();
  std::printf(
      "stall stalled=%d readers=%d writers=%d values=%llu seconds=%.2f values_per_s=%.0f "
      "ack_p50_ms=%.2f ack_p99_ms=%.2f server_cpu_per_s=%.2f read_rows=%llu errors=%llu\n",
      stalled, readers, writers, static_cast<unsigned long long>(f.values), f.seconds,
      f.values / f.seconds, Pct(f.ack_ms, 50), Pct(f.ack_ms, 99), cpu / f.seconds,
      static_cast<unsigned long long>(read_rows.load()), static_cast<unsigned long long>(f.errors));
  return 0;
}

int Rules(const std::string& addr, int rules, int devices, int per_rule, const std::string& kinds,
          const std::string& every, double rate, int writers, int per_batch, int fields,
          double seconds, int pid) {
  const int groups = std::max(1, devices / std::max(1, per_rule));
  auto admin = v1::AdminService::NewStub(Channel(addr, 7777));
  for (int i = 0; i < rules; i++) {
    v1::CreateRuleRequest req;
    auto* r = req.mutable_rule();
    r->set_name("r" + std::to_string(i));
    r->set_query("FROM bench WHERE grp = 'g" + std::to_string(i % groups) + "' GROUP BY device");
    const std::string f = "f" + std::to_string(i % fields);
    std::string kind = kinds;
    if (kinds == "mix") kind = i % 3 == 0 ? "threshold" : i % 3 == 1 ? "absence" : "rate";
    if (kind == "threshold") r->set_condition("mean(" + f + ") over 1m > 1e12");
    if (kind == "absence") r->set_condition("absent(*) over 5m");
    if (kind == "rate") r->set_condition("derivative(" + f + ", 1m) over 2m < -1e12");
    int64_t every_s = 10;
    if (!every.empty() && every.back() == 's')
      every_s = std::stoll(every.substr(0, every.size() - 1));
    r->set_every_ns(every_s * 1'000'000'000);
    grpc::ClientContext ctx;
    v1::CreateRuleResponse resp;
    grpc::Status s = admin->CreateRule(&ctx, req, &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "create rule %d: %s\n", i, s.error_message().c_str());
      return 1;
    }
  }
  // Every device exists before the clock starts.
  {
    auto stub = v1::IngestService::NewStub(Channel(addr, 4242));
    for (int first = 0; first < devices; first += per_batch) {
      grpc::ClientContext ctx;
      v1::WriteResponse resp;
      grpc::Status s = stub->Write(
          &ctx, Batch(first, std::min(per_batch, devices - first), fields, groups, WallNs(), 1.0),
          &resp);
      if (!s.ok()) std::fprintf(stderr, "warm-up write: %s\n", s.error_message().c_str());
    }
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double cpu0 = CpuSeconds(pid);
  WriteFigures wf = RunWriters(addr, writers, devices, per_batch, fields, groups, rate, seconds);
  const double cpu = CpuSeconds(pid) - cpu0;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  double max_eval_ms = 0, max_lag_ms = 0;
  uint64_t missed = 0, instances = 0, refused = 0, resyncs = 0, evaluations = 0, transitions = 0;
  if (rules > 0) {
    grpc::ClientContext ctx;
    v1::ListRulesResponse list;
    grpc::Status s = admin->ListRules(&ctx, v1::ListRulesRequest(), &list);
    if (!s.ok()) std::fprintf(stderr, "list rules: %s\n", s.error_message().c_str());
    for (const auto& r : list.rules()) {
      const auto& st = r.status();
      max_eval_ms = std::max(max_eval_ms, st.max_eval_duration_ns() / 1e6);
      max_lag_ms = std::max(max_lag_ms, st.lag_ns() / 1e6);
      missed += st.missed_evaluations();
      instances += st.instances();
      refused += st.refused_instances();
      resyncs += st.resyncs();
      evaluations += st.evaluations();
      transitions += st.transitions();
    }
  }
  grpc::ClientContext sctx;
  v1::StatsResponse stats;
  (void)admin->Stats(&sctx, v1::StatsRequest(), &stats);
  std::printf(
      "rules rules=%d devices=%d per_rule=%d kinds=%s target_rate=%.0f values_per_s=%.0f "
      "ack_p50_ms=%.2f ack_p99_ms=%.2f server_cpu_per_s=%.2f instances=%llu refused=%llu "
      "evaluations=%llu transitions=%llu max_eval_ms=%.2f max_lag_ms=%.2f missed=%llu resyncs=%llu "
      "alert_state_bytes=%llu live_dropped_values=%llu errors=%llu\n",
      rules, devices, per_rule, kinds.c_str(), rate, wf.values / wf.seconds, Pct(wf.ack_ms, 50),
      Pct(wf.ack_ms, 99), cpu / wf.seconds, static_cast<unsigned long long>(instances),
      static_cast<unsigned long long>(refused), static_cast<unsigned long long>(evaluations),
      static_cast<unsigned long long>(transitions), max_eval_ms, max_lag_ms,
      static_cast<unsigned long long>(missed), static_cast<unsigned long long>(resyncs),
      static_cast<unsigned long long>(stats.alert_state_bytes()),
      static_cast<unsigned long long>(stats.live_dropped_values()),
      static_cast<unsigned long long>(wf.errors));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"telemdb-realtime-bench: live subscriptions and alert rules under load"};
  std::string addr = "127.0.0.1:7741";
  int pid = 0;
  app.add_option("--addr", addr, "telemdbd (started with --auth none)");
  app.add_option("--server-pid", pid, "telemdbd's pid, for its CPU time");
  app.require_subcommand(1);
  int subscribers = 1, rows = 10, stalled = 1, readers = 0, writers = 4, devices = 10000,
      per_batch = 1000, fields = 10, rules = 1000, per_rule = 100;
  double batches_per_s = 100, seconds = 10, rate = 1e6;
  std::string kinds = "mix", every = "10s";
  CLI::App* lat = app.add_subcommand("latency", "subscription delivery latency after the ack");
  lat->add_option("--subscribers", subscribers);
  lat->add_option("--rows", rows, "devices per batch");
  lat->add_option("--batches-per-s", batches_per_s);
  lat->add_option("--seconds", seconds);
  CLI::App* st = app.add_subcommand("stall", "writers' throughput with stalled subscribers");
  st->add_option("--stalled", stalled);
  st->add_option("--readers", readers, "subscribers that keep reading");
  st->add_option("--writers", writers);
  st->add_option("--devices", devices);
  st->add_option("--per-batch", per_batch);
  st->add_option("--fields", fields);
  st->add_option("--seconds", seconds);
  CLI::App* ru = app.add_subcommand("rules", "alert rules while ingesting");
  ru->add_option("--rules", rules);
  ru->add_option("--devices", devices);
  ru->add_option("--per-rule", per_rule, "devices each rule covers");
  ru->add_option("--kinds", kinds, "mix, threshold, absence or rate");
  ru->add_option("--every", every, "evaluation interval, in seconds (\"10s\")");
  ru->add_option("--rate", rate, "values/s (0: as fast as possible)");
  ru->add_option("--writers", writers);
  ru->add_option("--per-batch", per_batch);
  ru->add_option("--fields", fields);
  ru->add_option("--seconds", seconds);
  CLI11_PARSE(app, argc, argv);
  if (lat->parsed()) return Latency(addr, subscribers, batches_per_s, rows, seconds);
  if (st->parsed()) {
    return Stall(addr, stalled, readers, writers, devices, per_batch, fields, seconds, pid);
  }
  return Rules(addr, rules, devices, per_rule, kinds, every, rate, writers, per_batch, fields,
               seconds, pid);
}
