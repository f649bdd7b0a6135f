#include "alert/service/alert_service.h"

#include "absl/time/clock.h"
#include "alert/service/alert_proto.h"
#include "auth/reserved.h"
#include "rpc/grpc_auth.h"
#include "rpc/grpc_status.h"
#include "rpc/live_stream_reactor.h"

namespace telemdb::alert {

absl::StatusOr<WatchFilter> MakeWatchFilter(const auth::Identity& who,
                                            const std::vector<std::string>& rules,
                                            const std::vector<std::string>& states) {
  WatchFilter f;
  for (const auto& r : rules) f.rules.insert(r);
  for (const auto& s : states) {
    auto st = ParseState(s);
    if (!st.ok()) return st.status();
    f.states.insert(s);
  }
  f.may_read = [who](const std::string& m) { return who.CanRead(m); };
  return f;
}

namespace {

constexpr size_t kWatchBuffer = 1 << 20;

class WatchReactor : public rpc::LiveStreamReactor<v1::WatchAlertsResponse> {
 public:
  WatchReactor(AlertEngine* engine, AlertBus* bus, query::LiveRegistry* live,
               const auth::Authenticator* auth, rpc::CallTracker* calls,
               grpc::CallbackServerContext* ctx, const v1::WatchAlertsRequest* req)
      : LiveStreamReactor(calls), bus_(bus) {
    if (!tracked()) return;
    const auth::Credentials creds = rpc::CredentialsOf(*ctx);
    auto who = auth->Authenticate(creds);
    if (!who.ok()) {
      absl::Status st = who.status();
      auth->Reject(creds.peer, [this, st] { Fail(st); });
      return;
    }
    if (!who->CanReadSomething()) {
      Fail(absl::PermissionDeniedError("WatchAlerts needs a read right"));
      return;
    }
    auto filter = MakeWatchFilter(*who, {req->rules().begin(), req->rules().end()},
                                  {req->states().begin(), req->states().end()});
    if (!filter.ok()) {
      Fail(filter.status());
      return;
    }
    if (req->current()) {
      AlertFilter af;
      af.rules = filter->rules;
      af.may_read = filter->may_read;
      current_ = engine->CurrentEvents(af);
      current_pending_ = true;
    }
    watcher_ = std::make_unique<AlertWatcher>(*std::move(filter), kWatchBuffer, live->budget());
    watcher_->SetWake([this] { Wake(); });
    bus_->Add(watcher_.get());
    Hooks h;
    h.next = [this](v1::WatchAlertsResponse* out) { return Next(out); };
    h.ended = [this] { return watcher_->ended(); };
    h.heartbeat = [](v1::WatchAlertsResponse* out) {
      out->mutable_heartbeat()->set_server_time_ns(absl::GetCurrentTimeNanos());
    };
    h.recheck = [auth, creds] { return auth->Authenticate(creds).status(); };
    h.release = [this] {
      bus_->Remove(watcher_.get());
      watcher_.reset();
    };
    Begin(std::move(h), live->options().heartbeat);
  }

 private:
  // One message per call: snapshot events, the snapshot's end, an overflow, live events.
  bool Next(v1::WatchAlertsResponse* out) {
    if (current_pending_) {
      if (pos_ < current_.size()) {
        EventToProto(current_[pos_++], out->mutable_event());
        return true;
      }
      current_pending_ = false;
      current_.clear();
      out->mutable_current_done();
      return true;
    }
    if (pos_live_ >= live_.size()) {
      live_.clear();
      pos_live_ = 0;
      uint64_t dropped = 0;
      if (!watcher_->Take(&live_, &dropped)) return false;
      if (dropped > 0) {
        out->mutable_overflow()->set_dropped_values(dropped);
        out->mutable_overflow()->set_dropped_points(dropped);
        return true;
      }
      if (live_.empty()) return false;
    }
    EventToProto(live_[pos_live_++], out->mutable_event());
    return true;
  }

  AlertBus* bus_;
  std::unique_ptr<AlertWatcher> watcher_;
  std::vector<AlertEvent> current_;
  size_t pos_ = 0;
  bool current_pending_ = false;
  std::vector<AlertEvent> live_;
  size_t pos_live_ = 0;
};

}  // namespace

grpc::ServerWriteReactor<v1::WatchAlertsResponse>* AlertService::WatchAlerts(
    grpc::CallbackServerContext* ctx, const v1::WatchAlertsRequest* req) {
  return new WatchReactor(engine_, bus_, live_, auth_, calls_, ctx, req);
}

grpc::ServerUnaryReactor* AlertService::ListAlerts(grpc::CallbackServerContext* ctx,
                                                   const v1::ListAlertsRequest* req,
                                                   v1::ListAlertsResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (!calls_->Enter()) {
    reactor->Finish(rpc::ToGrpcStatus(absl::UnavailableError("server is shutting down")));
    return reactor;
  }
  const auth::Credentials creds = rpc::CredentialsOf(*ctx);
  auto who = auth_->Authenticate(creds);
  absl::Status s = who.status();
  if (who.ok() && !who->CanReadSomething()) {
    s = absl::PermissionDeniedError("ListAlerts needs a read right");
  }
  if (s.ok()) {
    auto f = MakeWatchFilter(*who, {req->rules().begin(), req->rules().end()},
                             {req->states().begin(), req->states().end()});
    if (f.ok()) {
      AlertFilter af;
      af.rules = f->rules;
      af.states = f->states;
      af.may_read = f->may_read;
      for (const AlertInfo& a : engine_->ListAlerts(af)) InstanceToProto(a, resp->add_alerts());
    } else {
      s = f.status();
    }
  }
  grpc::Status st = rpc::ToGrpcStatus(s);
  auto finish = [this, reactor, st] {
    reactor->Finish(st);
    calls_->Exit();
  };
  if (absl::IsUnauthenticated(s)) {
    auth_->Reject(creds.peer, finish);
  } else {
    finish();
  }
  return reactor;
}

}  // namespace telemdb::alert
