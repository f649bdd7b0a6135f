// telemdb-bench ingest FILE: loads an Influx line-protocol file into telemdbd over gRPC
// WriteStream and reports throughput and ack latency.
//
//   --addr HOST:PORT       server (default 127.0.0.1:7700)
//   --token-file PATH      bearer token (or TELEMDB_TOKEN)
//   --streams N            concurrent WriteStream calls (default 4)
//   --batch N              field values per request (default 10000)
//   --inflight N           requests in flight per stream (default 8)
//   --ack sync|async       ack mode (default sync)
//   --rate V               cap at V field values/s (default: no cap)
//   --preparse             parse the whole file first (the parse is then outside the clock)
//   --precision ns|us|ms|s timestamp unit of the file (default ns)
//
// Prints one line of key=value figures: values, seconds, values_per_s, batches_per_s,
// ack_p50_ms, ack_p99_ms, parse_values_per_s, rejected.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include "CLI/CLI.hpp"
#include "bench/tool/commands.h"
#include "cli/client/batch_proto.h"
#include "cli/client/connection.h"
#include "google/protobuf/arena.h"
#include "ingest/lineproto/columnar_batcher.h"
#include "ingest/lineproto/parser.h"
#include "telemdb/v1/ingest.grpc.pb.h"

namespace telemdb::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A request on its own protobuf arena: built without a heap allocation per message, freed in
// one step (a request of a high-cardinality batch holds thousands of small messages; on the
// heap, malloc and free were half of the client's time).
struct ArenaRequest {
  google::protobuf::Arena arena{Options()};
  v1::WriteRequest* req = google::protobuf::Arena::CreateMessage<v1::WriteRequest>(&arena);
  static google::protobuf::ArenaOptions Options() {
    google::protobuf::ArenaOptions o;
    o.start_block_size = 1 << 20;
    o.max_block_size = 8 << 20;
    return o;
  }
};

// A bounded queue of requests from the parser to the senders.
class RequestQueue {
 public:
  explicit RequestQueue(size_t cap) : cap_(cap) {}
  void Push(std::unique_ptr<ArenaRequest> r) {
    std::unique_lock<std::mutex> l(mu_);
    not_full_.wait(l, [&] { return q_.size() < cap_; });
    q_.push_back(std::move(r));
    not_empty_.notify_one();
  }
  void Close() {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }
  std::unique_ptr<ArenaRequest> Pop() {
    std::unique_lock<std::mutex> l(mu_);
    not_empty_.wait(l, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return nullptr;
    auto r = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return r;
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::unique_ptr<ArenaRequest>> q_;
  size_t cap_;
  bool closed_ = false;
};

struct Shared {
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::atomic<uint64_t> values{0}, batches{0}, rejected{0};
  std::atomic<int> errors_printed{0};
};

uint64_t CountValues(const v1::WriteRequest& r) {
  uint64_t n = 0;
  for (const auto& s : r.series())
    n += static_cast<uint64_t>(s.timestamps_size()) * s.fields_size();
  return n;
}

void RunStream(const client::Connection& conn, RequestQueue* queue, int inflight, v1::AckMode ack,
               double rate, Clock::time_point start, std::atomic<uint64_t>* rate_budget_used,
               Shared* shared) {
  auto stub = v1::IngestService::NewStub(conn.channel());
  grpc::ClientContext ctx;
  conn.Prepare(&ctx);
  auto stream = stub->WriteStream(&ctx);
  std::mutex mu;
  std::condition_variable cv;
  int outstanding = 0;
  std::vector<Clock::time_point> sent;
  std::thread reader([&] {
    v1::WriteResponse resp;
    while (stream->Read(&resp)) {
      auto now = Clock::now();
      Clock::time_point t0;
      {
        std::lock_guard<std::mutex> l(mu);
        t0 = sent[resp.request_index()];
        outstanding--;
        cv.notify_all();
      }
      double ms = std::chrono::duration<double, std::milli>(now - t0).count();
      if (resp.has_error() && resp.error().code() != 0) {
        shared->rejected++;
        if (shared->errors_printed++ < 5) {
          std::fprintf(stderr, "rejected: %s\n", resp.error().message().c_str());
        }
      } else {
        shared->values += resp.points_accepted();
        shared->batches++;
      }
      std::lock_guard<std::mutex> l(shared->mu);
      shared->latencies_ms.push_back(ms);
    }
  });
  uint64_t index = 0;
  while (auto owned = queue->Pop()) {
    v1::WriteRequest* req = owned->req;
    req->set_ack_mode(ack);
    if (rate > 0) {
      uint64_t used = rate_budget_used->fetch_add(CountValues(*req)) + CountValues(*req);
      auto due = start + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(static_cast<double>(used) / rate));
      std::this_thread::sleep_until(due);
    }
    {
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return outstanding < inflight; });
      outstanding++;
      sent.push_back(Clock::now());
    }
    if (!stream->Write(*req)) break;
    index++;
  }
  stream->WritesDone();
  reader.join();
  grpc::Status s = stream->Finish();
  if (!s.ok()) std::fprintf(stderr, "stream ended: %s\n", s.error_message().c_str());
}

}  // namespace

int IngestCommand(int argc, char** argv) {
  CLI::App app{"telemdb-bench ingest: load a line-protocol file and measure",
               "telemdb-bench ingest"};
  std::string file, ack = "sync", precision = "ns";
  client::ConnectionOptions co;
  int streams = 4, batch = 10000, inflight = 8;
  double rate = 0;
  bool preparse = false;
  app.add_option("file", file, "line-protocol file")->required();
  app.add_option("--addr", co.addr, "server address")->capture_default_str();
  app.add_option("--token-file", co.token_file, "file holding the bearer token");
  app.add_option("--tls-ca", co.tls_ca, "CA certificate (enables TLS)");
  app.add_option("--tls-cert", co.tls_cert, "client certificate");
  app.add_option("--tls-key", co.tls_key, "client key");
  app.add_option("--streams", streams, "concurrent streams")->capture_default_str();
  app.add_option("--batch", batch, "field values per request")->capture_default_str();
  app.add_option("--inflight", inflight, "requests in flight per stream")->capture_default_str();
  app.add_option("--ack", ack, "sync or async")->check(CLI::IsMember({"sync", "async"}));
  app.add_option("--rate", rate, "cap in field values per second (0: none)");
  app.add_option("--precision", precision, "timestamp unit of the file")
      ->check(CLI::IsMember({"ns", "us", "ms", "s"}));
  app.add_flag("--preparse", preparse, "parse everything before the clock starts");
  CLI11_PARSE(app, argc, argv);

  auto conn = client::Connection::Create(co);
  if (!conn.ok()) return std::fprintf(stderr, "%s\n", conn.status().ToString().c_str()), 2;
  auto text = client::ReadFileToString(file);
  if (!text.ok()) return std::fprintf(stderr, "%s\n", text.status().ToString().c_str()), 2;
  if (!(*conn)->WaitConnected(10).ok()) {
    std::fprintf(stderr, "cannot reach %s\n", co.addr.c_str());
    return 3;
  }
  lineproto::ParseOptions po;
  po.precision = precision == "ns"   ? lineproto::Precision::kNanoseconds
                 : precision == "us" ? lineproto::Precision::kMicroseconds
                 : precision == "ms" ? lineproto::Precision::kMilliseconds
                                     : lineproto::Precision::kSeconds;
  po.now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  RequestQueue queue(preparse ? SIZE_MAX : static_cast<size_t>(streams * inflight * 2));
  double parse_seconds = 0;
  uint64_t parsed_values = 0;
  auto parse_all = [&] {
    auto t0 = Clock::now();
    lineproto::Parser parser(po);
    lineproto::BatcherOptions bo;
    bo.max_values = static_cast<size_t>(batch);
    lineproto::ColumnarBatcher batcher(bo);
    double blocked = 0;
    auto emit = [&] {
      auto groups = batcher.Take();
      auto req = std::make_unique<ArenaRequest>();
      client::AppendGroups(&groups, req->req);
      parsed_values += CountValues(*req->req);
      auto w0 = Clock::now();
      queue.Push(std::move(req));
      blocked += std::chrono::duration<double>(Clock::now() - w0).count();
    };
    absl::Status s = parser.Parse(*text, [&](const lineproto::Point& p) -> absl::Status {
      absl::Status a = batcher.Add(p);
      if (!a.ok()) return a;
      if (batcher.full()) emit();
      return absl::OkStatus();
    });
    if (!s.ok()) std::fprintf(stderr, "parse: %s\n", s.ToString().c_str());
    if (!batcher.empty()) emit();
    queue.Close();
    parse_seconds = std::chrono::duration<double>(Clock::now() - t0).count() - blocked;
  };
  std::thread parser_thread;
  if (preparse) parse_all();
  Shared shared;
  std::atomic<uint64_t> rate_used{0};
  auto start = Clock::now();
  if (!preparse) parser_thread = std::thread(parse_all);
  std::vector<std::thread> workers;
  for (int i = 0; i < streams; i++) {
    workers.emplace_back(RunStream, std::cref(**conn), &queue, inflight,
                         ack == "sync" ? v1::SYNC : v1::ASYNC, rate, start, &rate_used, &shared);
  }
  if (parser_thread.joinable()) parser_thread.join();
  for (auto& w : workers) w.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  auto& lat = shared.latencies_ms;
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, static_cast<size_t>(p * lat.size()))];
  };
  std::printf(
      "values=%lu seconds=%.3f values_per_s=%.0f batches_per_s=%.1f ack_p50_ms=%.2f "
      "ack_p99_ms=%.2f parse_values_per_s=%.0f rejected=%lu streams=%d batch=%d ack=%s\n",
      shared.values.load(), secs, shared.values / secs, shared.batches / secs, pct(0.5), pct(0.99),
      parse_seconds > 0 ? parsed_values / parse_seconds : 0.0, shared.rejected.load(), streams,
      batch, ack.c_str());
  return shared.rejected > 0 ? 1 : 0;
}

}  // namespace telemdb::bench
