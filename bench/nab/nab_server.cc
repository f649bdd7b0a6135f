#include "bench/nab/nab_server.h"

#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "telemdb/v1/ingest.grpc.pb.h"
#include "telemdb/v1/query.grpc.pb.h"
#include "tests/server_harness.h"

namespace telemdb::nab {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kRowsPerWrite = 5000;

absl::Status FromGrpc(const grpc::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(std::string(what), ": ", s.error_message()));
}

bool Valid(const std::string& validity, size_t row) {
  if (validity.empty()) return true;
  return (static_cast<uint8_t>(validity[row / 8]) >> (row % 8)) & 1;
}

}  // namespace

std::vector<int64_t> StoredTimestamps(const NabFile& file) {
  std::vector<int64_t> out;
  out.reserve(file.ts_ns.size());
  for (int64_t t : file.ts_ns) out.push_back(out.empty() || t > out.back() ? t : out.back() + 1);
  return out;
}

absl::StatusOr<ServerRun> ScoreThroughServer(const NabFile& file, const ServerScorerOptions& o) {
  ::setenv("TELEMDB_BINARY_DIR", o.binary_dir.c_str(), 1);
  std::error_code ec;
  const std::string dir = absl::StrCat(o.work_dir, "/telemdb-nab-", ::getpid(), "-", file.name);
  std::filesystem::remove_all(dir, ec);
  auto server = tests::ServerProcess::Start(dir);
  if (!server.ok()) return server.status();
  const std::string token = (*server)->admin_token();
  auto channel = grpc::CreateChannel((*server)->addr(), grpc::InsecureChannelCredentials());
  auto ingest = v1::IngestService::NewStub(channel);
  auto query = v1::QueryService::NewStub(channel);
  ServerRun run;

  // Write, in batches, acknowledged after fsync.
  const std::vector<int64_t> ts = StoredTimestamps(file);
  const auto w0 = Clock::now();
  for (size_t begin = 0; begin < ts.size(); begin += kRowsPerWrite) {
    const size_t end = std::min(ts.size(), begin + kRowsPerWrite);
    v1::WriteRequest req;
    req.set_ack_mode(v1::SYNC);
    auto* s = req.add_series();
    s->set_measurement("nab");
    auto* f = s->add_fields();
    f->set_name("value");
    for (size_t i = begin; i < end; i++) {
      s->add_timestamps(ts[i]);
      f->mutable_doubles()->add_values(file.values[i]);
    }
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    v1::WriteResponse resp;
    absl::Status st = FromGrpc(ingest->Write(&ctx, req, &resp), "write");
    if (!st.ok()) return st;
  }
  run.write_seconds = std::chrono::duration<double>(Clock::now() - w0).count();

  // Query.
  const auto q0 = Clock::now();
  v1::QueryRequest req;
  req.set_text(o.query);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  auto reader = query->Query(&ctx, req);
  v1::QueryResponse msg;
  std::vector<int64_t> times;
  while (reader->Read(&msg)) {
    for (const auto& fr : msg.frames().frames()) {
      const auto& col = fr.columns(0);
      for (int r = 0; r < fr.time_size(); r++) {
        times.push_back(fr.time(r));
        run.scores.push_back(Valid(col.validity(), static_cast<size_t>(r))
                                 ? col.doubles().values(r)
                                 : std::numeric_limits<double>::quiet_NaN());
      }
    }
    if (msg.has_stats()) run.server_elapsed_ns = msg.stats().elapsed_ns();
  }
  absl::Status st = FromGrpc(reader->Finish(), "query");
  run.query_seconds = std::chrono::duration<double>(Clock::now() - q0).count();
  (*server)->Stop(SIGTERM);
  server->reset();
  std::filesystem::remove_all(dir, ec);
  std::filesystem::remove(dir + ".log", ec);
  std::filesystem::remove(dir + ".port", ec);
  if (!st.ok()) return st;
  if (times != ts) {
    return absl::InternalError(absl::StrCat(file.key(), ": the query returned ", times.size(),
                                            " rows for ", ts.size(),
                                            " points written, or other times"));
  }
  return run;
}

}  // namespace telemdb::nab
