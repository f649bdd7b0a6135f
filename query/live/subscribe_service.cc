#include "query/live/subscribe_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "re2/re2.h"
#include "rpc/grpc_auth.h"
#include "rpc/live_stream_reactor.h"
#include "util/client_text.h"

namespace telemdb::query {
namespace {

void ColumnToProto(Column&& c, v1::ResultColumn* out) {
  switch (c.type) {
    case storage::ValueType::kFloat:
      out->mutable_doubles()->mutable_values()->Add(c.floats.begin(), c.floats.end());
      break;
    case storage::ValueType::kInt:
      out->mutable_ints()->mutable_values()->Add(c.ints.begin(), c.ints.end());
      break;
    case storage::ValueType::kBool:
      for (int64_t b : c.ints) out->mutable_bools()->add_values(b != 0);
      break;
    case storage::ValueType::kString:
      for (auto& s : c.strings) out->mutable_strings()->add_values(std::move(s));
      break;
  }
  bool any_null = false;
  for (uint8_t v : c.valid) any_null |= v == 0;
  if (any_null) {
    std::string bitmap((c.valid.size() + 7) / 8, '\0');
    for (size_t r = 0; r < c.valid.size(); r++) {
      if (c.valid[r]) bitmap[r / 8] |= static_cast<char>(1 << (r % 8));
    }
    out->set_validity(std::move(bitmap));
  }
}

}  // namespace

void ToProto(LiveMessage&& msg, v1::SubscribeResponse* out) {
  switch (msg.kind) {
    case LiveMessage::Kind::kOverflow:
      out->mutable_overflow()->set_dropped_points(msg.dropped_points);
      out->mutable_overflow()->set_dropped_values(msg.dropped_values);
      return;
    case LiveMessage::Kind::kCaughtUp:
      out->mutable_caught_up();
      return;
    case LiveMessage::Kind::kFrames:
      break;
  }
  auto* frames = out->mutable_frames();
  for (LiveFrame& f : msg.frames) {
    auto* p = frames->add_frames();
    p->set_measurement(std::move(f.measurement));
    for (auto& [k, v] : f.tags) {
      auto* t = p->add_tags();
      t->set_key(std::move(k));
      t->set_value(std::move(v));
    }
    for (auto& name : f.fields) p->add_fields(std::move(name));
    p->mutable_time()->Add(f.time.begin(), f.time.end());
    for (Column& c : f.columns) ColumnToProto(std::move(c), p->add_columns());
    p->set_history(f.history);
  }
}

absl::StatusOr<storage::TagMatcher> MatcherFromProto(const v1::TagMatcher& m) {
  storage::TagMatcher out;
  out.key = m.key();
  out.value = m.value();
  using Op = storage::TagMatcher::Op;
  switch (m.op()) {
    case v1::TagMatcher::EQUAL:
      out.op = Op::kEqual;
      return out;
    case v1::TagMatcher::NOT_EQUAL:
      out.op = Op::kNotEqual;
      return out;
    case v1::TagMatcher::EXISTS:
      out.op = Op::kExists;
      return out;
    case v1::TagMatcher::NOT_EXISTS:
      out.op = Op::kNotExists;
      return out;
    case v1::TagMatcher::REGEX:
    case v1::TagMatcher::NOT_REGEX: {
      out.op = m.op() == v1::TagMatcher::REGEX ? Op::kRegex : Op::kNotRegex;
      RE2::Options o;
      o.set_log_errors(false);
      auto re = std::make_shared<RE2>(m.value(), o);
      if (!re->ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("tag matcher on \"", ClientText(m.key()), "\": bad regex: ", re->error()));
      }
      out.re = re;
      return out;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("tag matcher on \"", ClientText(m.key()), "\" has no operator"));
  }
}

namespace {

class SubscribeReactor : public rpc::LiveStreamReactor<v1::SubscribeResponse> {
 public:
  SubscribeReactor(ThreadPool* senders, LiveRegistry* registry, const auth::Authenticator* auth,
                   rpc::CallTracker* calls, grpc::CallbackServerContext* ctx,
                   const v1::SubscribeRequest* req,
                   const std::function<void(const std::string&, const std::string&,
                                            const absl::Status&)>& on_action)
      : LiveStreamReactor(calls, senders) {
    if (!tracked()) return;
    const auth::Credentials creds = rpc::CredentialsOf(*ctx);
    auto who = auth->Authenticate(creds);
    if (!who.ok()) {
      absl::Status st = who.status();
      auth->Reject(creds.peer, [this, st] { Fail(st); });
      return;
    }
    LiveSelectorSpec spec;
    spec.measurement = req->measurement();
    spec.fields.assign(req->fields().begin(), req->fields().end());
    spec.where = req->where();
    for (const auto& m : req->matchers()) {
      auto mm = MatcherFromProto(m);
      if (!mm.ok()) {
        Fail(mm.status());
        return;
      }
      spec.matchers.push_back(*std::move(mm));
    }
    auto sub = registry->Subscribe(*who, std::move(spec), req->since_ns(), [this] { Wake(); });
    if (!sub.ok()) {
      if (on_action && absl::IsPermissionDenied(sub.status())) {
        on_action(who->name, "subscribe", sub.status());
      }
      Fail(sub.status());
      return;
    }
    sub_ = *std::move(sub);
    v1::SubscribeResponse first;
    auto* started = first.mutable_started();
    started->set_selector(sub_->selector().Describe());
    started->set_server_time_ns(absl::GetCurrentTimeNanos());
    started->set_buffer_bytes(registry->options().subscription.buffer_bytes);
    started->set_history(req->since_ns() > 0);
    Hooks h;
    h.next = [this](v1::SubscribeResponse* out) {
      LiveMessage m;
      if (!sub_->Take(1 << 20, &m)) return false;
      ToProto(std::move(m), out);
      return true;
    };
    h.ended = [this] { return sub_->ended(); };
    h.heartbeat = [](v1::SubscribeResponse* out) {
      out->mutable_heartbeat()->set_server_time_ns(absl::GetCurrentTimeNanos());
    };
    h.recheck = [auth, creds] { return auth->Authenticate(creds).status(); };
    h.release = [this] { sub_.reset(); };
    Begin(std::move(h), registry->options().heartbeat, &first);
  }

 private:
  std::shared_ptr<Subscription> sub_;
};

}  // namespace

grpc::ServerWriteReactor<v1::SubscribeResponse>* SubscribeService::Subscribe(
    grpc::CallbackServerContext* ctx, const v1::SubscribeRequest* req) {
  return new SubscribeReactor(&senders_, registry_, auth_, calls_, ctx, req, on_action);
}

}  // namespace telemdb::query
