#include "server/admin_service.h"

#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"
#include "rpc/grpc_auth.h"
#include "rpc/grpc_status.h"
#include "server/version.h"

namespace telemdb::server {
namespace {

uint64_t RssBytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

absl::StatusOr<storage::TagMatcher> ConvertMatcher(const v1::TagMatcher& m) {
  storage::TagMatcher out;
  out.key = m.key();
  out.value = m.value();
  switch (m.op()) {
    case v1::TagMatcher::EQUAL:
      out.op = storage::TagMatcher::Op::kEqual;
      break;
    case v1::TagMatcher::NOT_EQUAL:
      out.op = storage::TagMatcher::Op::kNotEqual;
      break;
    case v1::TagMatcher::REGEX:
    case v1::TagMatcher::NOT_REGEX: {
      out.op = m.op() == v1::TagMatcher::REGEX ? storage::TagMatcher::Op::kRegex
                                               : storage::TagMatcher::Op::kNotRegex;
      RE2::Options opts;
      opts.set_log_errors(false);
      auto re = std::make_shared<RE2>(m.value(), opts);
      if (!re->ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("tag matcher on \"", m.key(), "\": bad regex: ", re->error()));
      }
      out.re = re;
      break;
    }
    case v1::TagMatcher::EXISTS:
      out.op = storage::TagMatcher::Op::kExists;
      break;
    case v1::TagMatcher::NOT_EXISTS:
      out.op = storage::TagMatcher::Op::kNotExists;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("tag matcher on \"", m.key(), "\" has no operator"));
  }
  return out;
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::Run(grpc::CallbackServerContext* ctx,
                                            const std::string& action,
                                            std::function<absl::Status(const auth::Identity&)> fn,
                                            std::function<std::string()> detail) {
  auto* reactor = ctx->DefaultReactor();
  if (!calls_->Enter()) {
    reactor->Finish(rpc::ToGrpcStatus(absl::UnavailableError("server is shutting down"), ctx));
    return reactor;
  }
  const auth::Credentials creds = rpc::CredentialsOf(*ctx);
  auto who = auth_->Authenticate(creds);
  absl::Status denied = who.ok() ? CheckAdmin(*who, action) : who.status();
  if (!denied.ok()) {
    if (on_action && who.ok()) on_action(who->name, action, denied);
    grpc::Status st = rpc::ToGrpcStatus(denied, ctx);
    auto finish = [this, reactor, st] {
      reactor->Finish(st);
      calls_->Exit();
    };
    if (absl::IsUnauthenticated(denied)) {
      auth_->Reject(creds.peer, finish);  // held back when this address keeps failing
    } else {
      finish();
    }
    return reactor;
  }
  pool_->Submit([this, ctx, reactor, action, fn = std::move(fn), detail = std::move(detail),
                 id = *std::move(who)] {
    absl::Status s = fn(id);
    if (on_action) on_action(id.name, detail && s.ok() ? action + " " + detail() : action, s);
    reactor->Finish(rpc::ToGrpcStatus(s, ctx));
    calls_->Exit();
  });
  return reactor;
}

absl::Status AdminService::CheckAdmin(const auth::Identity& who, const std::string& action) {
  if (who.IsAdmin()) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("\"", action, "\" needs the admin right, which this identity lacks"));
}

absl::Status AdminService::DoStats(v1::StatsResponse* resp) const {
  auto st = db_->GetStats();
  if (!st.ok()) return st.status();
  resp->set_series(st->series);
  resp->set_head_points(st->head_points);
  resp->set_head_bytes(st->head_bytes);
  resp->set_stored_points(st->stored_points);
  resp->set_stored_chunks(st->stored_chunks);
  resp->set_wal_bytes(st->wal_bytes);
  resp->set_wal_segments(st->wal_segments);
  for (const auto& [name, bytes] : st->cf_bytes) {
    auto* cf = resp->add_column_families();
    cf->set_name(name);
    cf->set_bytes(bytes);
  }
  resp->set_disk_bytes(st->disk_bytes);
  resp->set_memory_bytes(st->memory_bytes);
  resp->set_rss_bytes(RssBytes());
  resp->set_version(kVersion);
  resp->set_encryption_key_id(st->encryption_key_id);
  resp->set_files_under_old_keys(st->files_under_old_keys);
  resp->set_rekey_state(st->rekey_state);
  if (extra_stats) extra_stats(resp);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AdminService::Stats(grpc::CallbackServerContext* ctx,
                                              const v1::StatsRequest*, v1::StatsResponse* resp) {
  return Run(ctx, "stats", [this, resp](const auth::Identity&) { return DoStats(resp); });
}

grpc::ServerUnaryReactor* AdminService::Flush(grpc::CallbackServerContext* ctx,
                                              const v1::FlushRequest*, v1::FlushResponse*) {
  return Run(ctx, "flush", [this](const auth::Identity&) { return db_->Flush(); });
}

grpc::ServerUnaryReactor* AdminService::Compact(grpc::CallbackServerContext* ctx,
                                                const v1::CompactRequest*, v1::CompactResponse*) {
  return Run(ctx, "compact", [this](const auth::Identity&) { return db_->Compact(); });
}

grpc::ServerUnaryReactor* AdminService::Snapshot(grpc::CallbackServerContext* ctx,
                                                 const v1::SnapshotRequest* req,
                                                 v1::SnapshotResponse* resp) {
  return Run(ctx, "snapshot", [this, req, resp](const auth::Identity&) -> absl::Status {
    if (req->dir().empty() || req->dir()[0] != '/') {
      return absl::InvalidArgumentError("snapshot needs an absolute directory path on the server");
    }
    absl::Status s = db_->Snapshot(req->dir());
    if (s.ok()) resp->set_dir(req->dir());
    return s;
  });
}

grpc::ServerUnaryReactor* AdminService::Delete(grpc::CallbackServerContext* ctx,
                                               const v1::DeleteRequest* req,
                                               v1::DeleteResponse* resp) {
  return Run(ctx, "delete", [this, req, resp](const auth::Identity&) -> absl::Status {
    storage::DeleteSpec spec;
    spec.measurement = req->measurement();
    spec.whole_measurement = req->whole_measurement();
    for (const auto& m : req->matchers()) {
      auto converted = ConvertMatcher(m);
      if (!converted.ok()) return converted.status();
      spec.matchers.push_back(*std::move(converted));
    }
    spec.fields.assign(req->fields().begin(), req->fields().end());
    if (req->start_ns() != 0 || req->end_ns() != 0) {
      spec.start = req->start_ns();
      spec.end = req->end_ns();
    }
    auto n = db_->Delete(spec);
    if (!n.ok()) return n.status();
    resp->set_series_affected(*n);
    return absl::OkStatus();
  });
}

}  // namespace telemdb::server
