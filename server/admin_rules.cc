// AdminService: alert rules and notification targets, a thin adapter over the alert engine
// (alert/engine.h); rights and audit as every admin call (AdminService::Run).
#include "absl/strings/str_cat.h"
#include "alert/engine.h"
#include "alert/service/alert_proto.h"
#include "server/admin_service.h"
#include "util/client_text.h"

namespace telemdb::server {
namespace {

absl::Status NoAlerts() {
  return absl::FailedPreconditionError("alerts are off on this server (--alerts=off)");
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::CreateRule(grpc::CallbackServerContext* ctx,
                                                   const v1::CreateRuleRequest* req,
                                                   v1::CreateRuleResponse* resp) {
  return Run(ctx, absl::StrCat("rule create ", ClientText(req->rule().name())),
             [this, req, resp](const auth::Identity& who) -> absl::Status {
               if (alerts == nullptr) return NoAlerts();
               auto info = alerts->CreateRule(alert::SpecFromProto(req->rule()), who.name);
               if (!info.ok()) return info.status();
               alert::RuleToProto(*info, resp->mutable_rule());
               return absl::OkStatus();
             });
}

grpc::ServerUnaryReactor* AdminService::ListRules(grpc::CallbackServerContext* ctx,
                                                  const v1::ListRulesRequest*,
                                                  v1::ListRulesResponse* resp) {
  return Run(ctx, "rule list", [this, resp](const auth::Identity&) -> absl::Status {
    if (alerts == nullptr) return NoAlerts();
    for (const auto& r : alerts->ListRules()) alert::RuleToProto(r, resp->add_rules());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminService::GetRule(grpc::CallbackServerContext* ctx,
                                                const v1::GetRuleRequest* req,
                                                v1::GetRuleResponse* resp) {
  return Run(ctx, absl::StrCat("rule show ", ClientText(req->name())),
             [this, req, resp](const auth::Identity&) -> absl::Status {
               if (alerts == nullptr) return NoAlerts();
               auto info = alerts->GetRule(req->name());
               if (!info.ok()) return info.status();
               alert::RuleToProto(*info, resp->mutable_rule());
               return absl::OkStatus();
             });
}

grpc::ServerUnaryReactor* AdminService::DeleteRule(grpc::CallbackServerContext* ctx,
                                                   const v1::DeleteRuleRequest* req,
                                                   v1::DeleteRuleResponse*) {
  return Run(ctx, absl::StrCat("rule delete ", ClientText(req->name())),
             [this, req](const auth::Identity&) -> absl::Status {
               if (alerts == nullptr) return NoAlerts();
               return alerts->DeleteRule(req->name());
             });
}

grpc::ServerUnaryReactor* AdminService::PauseRule(grpc::CallbackServerContext* ctx,
                                                  const v1::PauseRuleRequest* req,
                                                  v1::PauseRuleResponse* resp) {
  return Run(ctx,
             absl::StrCat(req->paused() ? "rule pause " : "rule resume ", ClientText(req->name())),
             [this, req, resp](const auth::Identity&) -> absl::Status {
               if (alerts == nullptr) return NoAlerts();
               auto info = alerts->SetPaused(req->name(), req->paused());
               if (!info.ok()) return info.status();
               alert::RuleToProto(*info, resp->mutable_rule());
               return absl::OkStatus();
             });
}

grpc::ServerUnaryReactor* AdminService::CreateNotifyTarget(grpc::CallbackServerContext* ctx,
                                                           const v1::CreateNotifyTargetRequest* req,
                                                           v1::CreateNotifyTargetResponse* resp) {
  return Run(ctx, absl::StrCat("target create ", ClientText(req->target().name())),
             [this, req, resp](const auth::Identity& who) -> absl::Status {
               if (alerts == nullptr) return NoAlerts();
               alert::Notifier* n = alerts->notifier();
               auto secret = n->CreateTarget(req->target().name(), req->target().url(),
                                             req->secret(), who.name);
               if (!secret.ok()) return secret.status();
               for (const auto& t : n->ListTargets()) {
                 if (t.name == req->target().name()) {
                   alert::TargetToProto(t, resp->mutable_target());
                 }
               }
               resp->set_secret(*secret);
               return absl::OkStatus();
             });
}

grpc::ServerUnaryReactor* AdminService::ListNotifyTargets(grpc::CallbackServerContext* ctx,
                                                          const v1::ListNotifyTargetsRequest*,
                                                          v1::ListNotifyTargetsResponse* resp) {
  return Run(ctx, "target list", [this, resp](const auth::Identity&) -> absl::Status {
    if (alerts == nullptr) return NoAlerts();
    for (const auto& t : alerts->notifier()->ListTargets()) {
      alert::TargetToProto(t, resp->add_targets());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminService::DeleteNotifyTarget(grpc::CallbackServerContext* ctx,
                                                           const v1::DeleteNotifyTargetRequest* req,
                                                           v1::DeleteNotifyTargetResponse*) {
  return Run(ctx, absl::StrCat("target delete ", ClientText(req->name())),
             [this, req](const auth::Identity&) -> absl::Status {
               if (alerts == nullptr) return NoAlerts();
               return alerts->DeleteTarget(req->name());
             });
}

}  // namespace telemdb::server
