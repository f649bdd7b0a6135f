// AdminService: operator actions over gRPC (stats, flush, compact, snapshot, delete). Every
// call needs the admin right. Long operations run on the worker pool.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_SERVER_ADMIN_SERVICE_H_
#define TELEMDB_SERVER_ADMIN_SERVICE_H_

#include <functional>
#include <string>

#include "auth/audit_log.h"
#include "auth/authenticator.h"
#include "auth/identity_stats.h"
#include "rpc/call_tracker.h"
#include "storage/db.h"
#include "telemdb/v1/admin.grpc.pb.h"
#include "util/thread_pool.h"

namespace telemdb::alert {
class AlertEngine;
}

namespace telemdb::server {

class AdminService : public v1::AdminService::CallbackService {
 public:
  // `tokens` and `audit` may be null (auth disabled; no audit log).
  AdminService(storage::Db* db, const auth::Authenticator* auth, auth::TokenStore* tokens,
               auth::AuditLog* audit, ThreadPool* pool, rpc::CallTracker* calls)
      : db_(db), auth_(auth), tokens_(tokens), audit_(audit), pool_(pool), calls_(calls) {}

  grpc::ServerUnaryReactor* Stats(grpc::CallbackServerContext* ctx, const v1::StatsRequest* req,
                                  v1::StatsResponse* resp) override;
  grpc::ServerUnaryReactor* Flush(grpc::CallbackServerContext* ctx, const v1::FlushRequest* req,
                                  v1::FlushResponse* resp) override;
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* ctx, const v1::CompactRequest* req,
                                    v1::CompactResponse* resp) override;
  grpc::ServerUnaryReactor* Snapshot(grpc::CallbackServerContext* ctx,
                                     const v1::SnapshotRequest* req,
                                     v1::SnapshotResponse* resp) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx, const v1::DeleteRequest* req,
                                   v1::DeleteResponse* resp) override;
  // admin_tokens.cc
  grpc::ServerUnaryReactor* CreateToken(grpc::CallbackServerContext* ctx,
                                        const v1::CreateTokenRequest* req,
                                        v1::CreateTokenResponse* resp) override;
  grpc::ServerUnaryReactor* ListTokens(grpc::CallbackServerContext* ctx,
                                       const v1::ListTokensRequest* req,
                                       v1::ListTokensResponse* resp) override;
  grpc::ServerUnaryReactor* RotateToken(grpc::CallbackServerContext* ctx,
                                        const v1::RotateTokenRequest* req,
                                        v1::CreateTokenResponse* resp) override;
  grpc::ServerUnaryReactor* RevokeToken(grpc::CallbackServerContext* ctx,
                                        const v1::RevokeTokenRequest* req,
                                        v1::RevokeTokenResponse* resp) override;
  grpc::ServerUnaryReactor* VerifyAudit(grpc::CallbackServerContext* ctx,
                                        const v1::VerifyAuditRequest* req,
                                        v1::VerifyAuditResponse* resp) override;
  grpc::ServerUnaryReactor* Rekey(grpc::CallbackServerContext* ctx, const v1::RekeyRequest* req,
                                  v1::RekeyResponse* resp) override;
  grpc::ServerUnaryReactor* AckAuditGaps(grpc::CallbackServerContext* ctx,
                                         const v1::AckAuditGapsRequest* req,
                                         v1::AckAuditGapsResponse* resp) override;
  grpc::ServerUnaryReactor* ListIdentities(grpc::CallbackServerContext* ctx,
                                           const v1::ListIdentitiesRequest* req,
                                           v1::ListIdentitiesResponse* resp) override;
  // admin_rules.cc: alert rules and notification targets (alert/engine.h).
  grpc::ServerUnaryReactor* CreateRule(grpc::CallbackServerContext* ctx,
                                       const v1::CreateRuleRequest* req,
                                       v1::CreateRuleResponse* resp) override;
  grpc::ServerUnaryReactor* ListRules(grpc::CallbackServerContext* ctx,
                                      const v1::ListRulesRequest* req,
                                      v1::ListRulesResponse* resp) override;
  grpc::ServerUnaryReactor* GetRule(grpc::CallbackServerContext* ctx, const v1::GetRuleRequest* req,
                                    v1::GetRuleResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteRule(grpc::CallbackServerContext* ctx,
                                       const v1::DeleteRuleRequest* req,
                                       v1::DeleteRuleResponse* resp) override;
  grpc::ServerUnaryReactor* PauseRule(grpc::CallbackServerContext* ctx,
                                      const v1::PauseRuleRequest* req,
                                      v1::PauseRuleResponse* resp) override;
  grpc::ServerUnaryReactor* CreateNotifyTarget(grpc::CallbackServerContext* ctx,
                                               const v1::CreateNotifyTargetRequest* req,
                                               v1::CreateNotifyTargetResponse* resp) override;
  grpc::ServerUnaryReactor* ListNotifyTargets(grpc::CallbackServerContext* ctx,
                                              const v1::ListNotifyTargetsRequest* req,
                                              v1::ListNotifyTargetsResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteNotifyTarget(grpc::CallbackServerContext* ctx,
                                               const v1::DeleteNotifyTargetRequest* req,
                                               v1::DeleteNotifyTargetResponse* resp) override;

  // The operations behind the RPCs, shared with the HTTP front door (server/admin_http.h) so
  // that both transports run the same code. REQUIRES: the caller has checked the admin right
  // (CheckAdmin) and reports the outcome to on_action. Errors: as the RPCs'.
  absl::Status DoStats(v1::StatsResponse* resp) const;
  absl::Status DoCreateToken(const v1::CreateTokenRequest& req, v1::CreateTokenResponse* resp);
  absl::Status DoListTokens(v1::ListTokensResponse* resp) const;
  absl::Status DoRotateToken(const v1::RotateTokenRequest& req, v1::CreateTokenResponse* resp);
  absl::Status DoRevokeToken(const v1::RevokeTokenRequest& req);
  absl::Status DoVerifyAudit(v1::VerifyAuditResponse* resp) const;
  // PermissionDenied naming `action` when `who` lacks the admin right; OK otherwise.
  static absl::Status CheckAdmin(const auth::Identity& who, const std::string& action);

  // Adds the server's own figures (front doors, audit, identities) to a Stats answer.
  // Default: none.
  std::function<void(v1::StatsResponse*)> extra_stats;
  // The per-identity statistics (ListIdentities). Default: none (the RPC then fails with
  // FailedPrecondition).
  auth::IdentityStats* identity_stats = nullptr;
  // The alert engine (rule calls). Default: none (they fail with FailedPrecondition).
  alert::AlertEngine* alerts = nullptr;
  // Verifies every cluster node's audit chain (VerifyAudit with cluster = true; this node's
  // through DoVerifyAudit). Default: none (not a cluster node: FailedPrecondition).
  std::function<absl::Status(v1::VerifyAuditResponse*)> verify_cluster_audit;

  // Told about every admin action (identity, action, outcome) and every denial of an
  // authenticated caller (failed authentication is audited by the Authenticator).
  // Default: none.
  std::function<void(const std::string& who, const std::string& action, const absl::Status&)>
      on_action;

 protected:
  // Authenticates and checks the admin right, then runs `fn` on the pool and finishes.
  // `detail`, when given, is appended to the action reported to on_action after `fn` ran
  // (e.g. the id of a token just created).
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, const std::string& action,
                                std::function<absl::Status(const auth::Identity&)> fn,
                                std::function<std::string()> detail = {});

  storage::Db* db_;
  const auth::Authenticator* auth_;
  auth::TokenStore* tokens_;
  auth::AuditLog* audit_;
  ThreadPool* pool_;
  rpc::CallTracker* calls_;
};

}  // namespace telemdb::server

#endif  // TELEMDB_SERVER_ADMIN_SERVICE_H_
