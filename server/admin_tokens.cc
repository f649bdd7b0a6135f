// AdminService: token management, audit verification and rekeying.
#include "absl/strings/str_cat.h"
#include "rpc/grpc_status.h"
#include "server/admin_service.h"

namespace telemdb::server {
namespace {

void ToProto(const auth::TokenInfo& t, v1::TokenInfo* out) {
  out->set_id(t.id);
  out->set_description(t.description);
  for (const auto& s : t.scopes) out->add_scopes(s);
  out->set_created_ns(t.created_ns);
  out->set_expires_ns(t.expires_ns);
  out->set_last_used_ns(t.last_used_ns);
  out->set_revoked(t.revoked);
  out->set_last_peer(t.last_peer);
}

// Bounds on what a token record holds (both transports).
constexpr size_t kMaxDescription = 1024;
constexpr int kMaxScopes = 64;

absl::Status NoTokens() {
  return absl::FailedPreconditionError("tokens are not in use on this server (--auth=none)");
}

}  // namespace

absl::Status AdminService::DoCreateToken(const v1::CreateTokenRequest& req,
                                         v1::CreateTokenResponse* resp) {
  if (tokens_ == nullptr) return NoTokens();
  if (req.expires_in_ns() < 0) return absl::InvalidArgumentError("expiry must not be negative");
  if (req.description().size() > kMaxDescription) {
    return absl::InvalidArgumentError(
        absl::StrCat("the description is over ", kMaxDescription, " bytes"));
  }
  if (req.scopes_size() > kMaxScopes) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxScopes, " scopes"));
  }
  std::vector<std::string> scopes(req.scopes().begin(), req.scopes().end());
  auto t = tokens_->Create(scopes, req.description(), absl::Nanoseconds(req.expires_in_ns()));
  if (!t.ok()) return t.status();
  ToProto(t->info, resp->mutable_info());
  resp->set_token(t->token);
  return absl::OkStatus();
}

absl::Status AdminService::DoListTokens(v1::ListTokensResponse* resp) const {
  if (tokens_ == nullptr) return NoTokens();
  for (const auto& t : tokens_->List()) ToProto(t, resp->add_tokens());
  return absl::OkStatus();
}

absl::Status AdminService::DoRotateToken(const v1::RotateTokenRequest& req,
                                         v1::CreateTokenResponse* resp) {
  if (tokens_ == nullptr) return NoTokens();
  if (req.overlap_ns() < 0) return absl::InvalidArgumentError("overlap must not be negative");
  auto t = tokens_->Rotate(req.id(), absl::Nanoseconds(req.overlap_ns()));
  if (!t.ok()) return t.status();
  ToProto(t->info, resp->mutable_info());
  resp->set_token(t->token);
  return absl::OkStatus();
}

absl::Status AdminService::DoRevokeToken(const v1::RevokeTokenRequest& req) {
  if (tokens_ == nullptr) return NoTokens();
  return tokens_->Revoke(req.id());
}

absl::Status AdminService::DoVerifyAudit(v1::VerifyAuditResponse* resp) const {
  if (audit_ == nullptr) return absl::FailedPreconditionError("the audit log is off");
  auto r = audit_->Verify();
  if (!r.ok()) return r.status();
  resp->set_ok(r->ok);
  resp->set_records(r->records);
  resp->set_problem(r->problem);
  for (const auto& g : r->gaps) resp->add_gaps(g);
  resp->set_unacknowledged_gaps(r->unacknowledged_gaps);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AdminService::CreateToken(grpc::CallbackServerContext* ctx,
                                                    const v1::CreateTokenRequest* req,
                                                    v1::CreateTokenResponse* resp) {
  return Run(
      ctx, "token create",
      [this, req, resp](const auth::Identity&) { return DoCreateToken(*req, resp); },
      [resp] { return resp->info().id(); });
}

grpc::ServerUnaryReactor* AdminService::ListTokens(grpc::CallbackServerContext* ctx,
                                                   const v1::ListTokensRequest*,
                                                   v1::ListTokensResponse* resp) {
  return Run(ctx, "token list", [this, resp](const auth::Identity&) { return DoListTokens(resp); });
}

grpc::ServerUnaryReactor* AdminService::RotateToken(grpc::CallbackServerContext* ctx,
                                                    const v1::RotateTokenRequest* req,
                                                    v1::CreateTokenResponse* resp) {
  return Run(ctx, "token rotate " + req->id(),
             [this, req, resp](const auth::Identity&) { return DoRotateToken(*req, resp); });
}

grpc::ServerUnaryReactor* AdminService::RevokeToken(grpc::CallbackServerContext* ctx,
                                                    const v1::RevokeTokenRequest* req,
                                                    v1::RevokeTokenResponse*) {
  return Run(ctx, "token revoke " + req->id(),
             [this, req](const auth::Identity&) { return DoRevokeToken(*req); });
}

grpc::ServerUnaryReactor* AdminService::VerifyAudit(grpc::CallbackServerContext* ctx,
                                                    const v1::VerifyAuditRequest* req,
                                                    v1::VerifyAuditResponse* resp) {
  if (req->cluster()) {
    return Run(ctx, "audit verify --cluster", [this, resp](const auth::Identity&) {
      if (!verify_cluster_audit) {
        return absl::FailedPreconditionError(
            "audit verify --cluster: this server is not a cluster node (telemdbd --cluster)");
      }
      return verify_cluster_audit(resp);
    });
  }
  return Run(ctx, "audit verify",
             [this, resp](const auth::Identity&) { return DoVerifyAudit(resp); });
}

grpc::ServerUnaryReactor* AdminService::AckAuditGaps(grpc::CallbackServerContext* ctx,
                                                     const v1::AckAuditGapsRequest*,
                                                     v1::AckAuditGapsResponse* resp) {
  return Run(ctx, "audit ack-gap", [this, resp](const auth::Identity& who) -> absl::Status {
    if (audit_ == nullptr) return absl::FailedPreconditionError("the audit log is off");
    auto n = audit_->AcknowledgeGaps(who.name);
    if (!n.ok()) return n.status();
    resp->set_acknowledged(*n);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminService::ListIdentities(grpc::CallbackServerContext* ctx,
                                                       const v1::ListIdentitiesRequest*,
                                                       v1::ListIdentitiesResponse* resp) {
  return Run(ctx, "identities", [this, resp](const auth::Identity&) -> absl::Status {
    if (identity_stats == nullptr) {
      return absl::FailedPreconditionError("identity statistics are off on this server");
    }
    for (const auto& r : identity_stats->Report()) {
      auto* i = resp->add_identities();
      i->set_name(r.name);
      i->set_kind(r.kind);
      for (const auto& s : r.scopes) i->add_scopes(s);
      i->set_writes(r.writes);
      i->set_points(r.points);
      i->set_bytes(r.bytes);
      i->set_series(r.series);
      i->set_series_estimated(r.series_estimated);
      i->set_measurements(r.measurements);
      i->set_measurements_capped(r.measurements_capped);
      i->set_first_seen_ns(r.first_seen_ns);
      i->set_last_seen_ns(r.last_seen_ns);
      i->set_last_peer(r.last_peer);
      i->set_suggestion(r.suggestion);
      i->set_anomalies(r.anomalies);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminService::Rekey(grpc::CallbackServerContext* ctx,
                                              const v1::RekeyRequest*, v1::RekeyResponse* resp) {
  return Run(ctx, "rekey", [this, resp](const auth::Identity&) -> absl::Status {
    absl::Status s = db_->StartRekey();  // FailedPrecondition when encryption is off
    if (!s.ok()) return s;
    auto st = db_->GetStats();
    if (st.ok()) resp->set_pending_files(st->files_under_old_keys);
    return absl::OkStatus();
  });
}

}  // namespace telemdb::server
