#include "bench/nab/nab_server.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
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

double Cell(const v1::ResultColumn& c, int r) {
  if (!Valid(c.validity(), static_cast<size_t>(r))) return std::numeric_limits<double>::quiet_NaN();
  switch (c.values_case()) {
    case v1::ResultColumn::kDoubles:
      return c.doubles().values(r);
    case v1::ResultColumn::kInts:
      return static_cast<double>(c.ints().values(r));
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

}  // namespace

struct NabServer::Impl {
  std::string dir;
  std::unique_ptr<tests::ServerProcess> server;
  std::string token;
  std::unique_ptr<v1::IngestService::Stub> ingest;
  std::unique_ptr<v1::QueryService::Stub> query;
};

NabServer::NabServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NabServer::~NabServer() {
  if (impl_->server) impl_->server->Stop(SIGTERM);
  impl_->server.reset();
  std::error_code ec;
  std::filesystem::remove_all(impl_->dir, ec);
  std::filesystem::remove(impl_->dir + ".log", ec);
  std::filesystem::remove(impl_->dir + ".port", ec);
}

absl::StatusOr<std::unique_ptr<NabServer>> NabServer::Start(const std::string& binary_dir,
                                                            const std::string& work_dir,
                                                            const std::string& name) {
  ::setenv("TELEMDB_BINARY_DIR", binary_dir.c_str(), 1);
  auto impl = std::make_unique<Impl>();
  impl->dir = absl::StrCat(work_dir, "/telemdb-nab-", ::getpid(), "-", name);
  std::error_code ec;
  std::filesystem::remove_all(impl->dir, ec);
  auto server = tests::ServerProcess::Start(impl->dir);
  if (!server.ok()) return server.status();
  impl->server = *std::move(server);
  impl->token = impl->server->admin_token();
  auto channel = grpc::CreateChannel(impl->server->addr(), grpc::InsecureChannelCredentials());
  impl->ingest = v1::IngestService::NewStub(channel);
  impl->query = v1::QueryService::NewStub(channel);
  return std::unique_ptr<NabServer>(new NabServer(std::move(impl)));
}

absl::Status NabServer::Write(const std::string& measurement, const std::string& tag_key,
                              const std::string& tag_value, const std::vector<int64_t>& ts,
                              const std::vector<double>& values) {
  for (size_t begin = 0; begin < ts.size(); begin += kRowsPerWrite) {
    const size_t end = std::min(ts.size(), begin + kRowsPerWrite);
    v1::WriteRequest req;
    req.set_ack_mode(v1::SYNC);
    auto* s = req.add_series();
    s->set_measurement(measurement);
    if (!tag_key.empty()) {
      auto* t = s->add_tags();
      t->set_key(tag_key);
      t->set_value(tag_value);
    }
    auto* f = s->add_fields();
    f->set_name("value");
    for (size_t i = begin; i < end; i++) {
      s->add_timestamps(ts[i]);
      f->mutable_doubles()->add_values(values[i]);
    }
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + impl_->token);
    v1::WriteResponse resp;
    absl::Status st = FromGrpc(impl_->ingest->Write(&ctx, req, &resp), "write");
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<QueryRows> NabServer::Query(const std::string& text) {
  v1::QueryRequest req;
  req.set_text(text);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + impl_->token);
  auto reader = impl_->query->Query(&ctx, req);
  v1::QueryResponse msg;
  QueryRows out;
  while (reader->Read(&msg)) {
    if (msg.has_header()) {
      for (const auto& c : msg.header().columns()) out.columns.push_back(c.name());
      out.values.resize(out.columns.size());
    }
    for (const auto& fr : msg.frames().frames()) {
      for (int r = 0; r < fr.time_size(); r++) {
        out.time.push_back(fr.time(r));
        out.group_values.emplace_back(fr.group_values().begin(), fr.group_values().end());
        for (int c = 0; c < fr.columns_size(); c++) out.values[c].push_back(Cell(fr.columns(c), r));
      }
    }
    if (msg.has_stats()) out.server_elapsed_ns = msg.stats().elapsed_ns();
  }
  absl::Status st = FromGrpc(reader->Finish(), absl::StrCat("query ", text));
  if (!st.ok()) return st;
  return out;
}

std::vector<int64_t> StoredTimestamps(const NabFile& file) {
  std::vector<int64_t> out;
  out.reserve(file.ts_ns.size());
  for (int64_t t : file.ts_ns) out.push_back(out.empty() || t > out.back() ? t : out.back() + 1);
  return out;
}

absl::StatusOr<ServerRun> ScoreThroughServer(const NabFile& file, const ServerScorerOptions& o) {
  auto server = NabServer::Start(o.binary_dir, o.work_dir, file.name);
  if (!server.ok()) return server.status();
  ServerRun run;
  const std::vector<int64_t> ts = StoredTimestamps(file);
  const auto w0 = Clock::now();
  absl::Status st = (*server)->Write("nab", "", "", ts, file.values);
  if (!st.ok()) return st;
  run.write_seconds = std::chrono::duration<double>(Clock::now() - w0).count();
  const auto q0 = Clock::now();
  auto rows = (*server)->Query(o.query);
  if (!rows.ok()) return rows.status();
  run.query_seconds = std::chrono::duration<double>(Clock::now() - q0).count();
  run.server_elapsed_ns = rows->server_elapsed_ns;
  if (rows->time != ts || rows->values.size() != 1) {
    return absl::InternalError(absl::StrCat(file.key(), ": the query returned ", rows->time.size(),
                                            " rows in ", rows->values.size(), " columns for ",
                                            ts.size(), " points written (or other times)"));
  }
  run.scores = std::move(rows->values[0]);
  return run;
}

}  // namespace telemdb::nab
