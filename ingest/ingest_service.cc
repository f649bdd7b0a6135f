#include "ingest/ingest_service.h"

#include <deque>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "google/protobuf/arena.h"
#include "ingest/request_convert.h"
#include "rpc/grpc_auth.h"
#include "rpc/grpc_status.h"

namespace telemdb::ingest {

IngestService::IngestService(WritePath* writes, const auth::Authenticator* auth, ThreadPool* pool,
                             rpc::CallTracker* calls, IngestOptions options)
    : writes_(writes), auth_(auth), pool_(pool), calls_(calls), options_(options) {}

namespace {
absl::Status ShuttingDown() { return absl::UnavailableError("server is shutting down"); }
}  // namespace

IngestService::Converted IngestService::Convert(const v1::WriteRequest& req,
                                                const std::string& peer, v1::WriteResponse* resp) {
  resp->set_sequence(req.sequence());
  Converted c;
  c.status = ConvertRequest(req, &c.groups);
  c.options.producer_id = req.producer_id();
  c.options.sequence = req.sequence();
  c.options.producer_epoch = req.producer_epoch();
  if (req.ack_mode() == v1::SYNC) c.options.ack_mode = storage::AckMode::kSync;
  if (req.ack_mode() == v1::ASYNC) c.options.ack_mode = storage::AckMode::kAsync;
  c.origin.door = FrontDoor::kGrpc;
  c.origin.peer = peer;
  c.origin.bytes = req.ByteSizeLong();
  return c;
}

absl::Status IngestService::Commit(const auth::Identity& who, Converted* c,
                                   v1::WriteResponse* resp) {
  if (!c->status.ok()) {
    writes_->CountRejected(FrontDoor::kGrpc, c->status);
    return c->status;
  }
  auto r = writes_->Write(who, &c->groups, std::move(c->options), c->origin);
  if (!r.ok()) return r.status();
  resp->set_points_accepted(r->points);
  resp->set_duplicate(r->duplicate);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* IngestService::Write(grpc::CallbackServerContext* ctx,
                                               const v1::WriteRequest* req,
                                               v1::WriteResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (!calls_->Enter()) {
    reactor->Finish(rpc::ToGrpcStatus(ShuttingDown(), ctx));
    return reactor;
  }
  const auth::Credentials creds = rpc::CredentialsOf(*ctx);
  auto who = auth_->Authenticate(creds);
  if (who.ok() && !who->CanWriteSomething()) {
    who = absl::PermissionDeniedError("this identity has no write right");
  }
  if (!who.ok()) {
    writes_->CountRejected(FrontDoor::kGrpc, who.status());
    grpc::Status st = rpc::ToGrpcStatus(who.status(), ctx);
    auto finish = [this, reactor, st] {
      reactor->Finish(st);
      calls_->Exit();
    };
    if (absl::IsUnauthenticated(who.status())) {
      auth_->Reject(creds.peer, finish);  // held back when this address keeps failing
    } else {
      finish();
    }
    return reactor;
  }
  pool_->Submit([this, ctx, req, resp, reactor, peer = creds.peer, id = *std::move(who)] {
    Converted c = Convert(*req, peer, resp);
    absl::Status s = Commit(id, &c, resp);
    reactor->Finish(rpc::ToGrpcStatus(s, ctx));
    calls_->Exit();
  });
  return reactor;
}

// One WriteStream call. Lifetime: deleted in OnDone(), which gRPC calls after Finish() and
// every outstanding operation; Finish() waits until no request is in flight, so no worker
// can touch the reactor afterwards.
class IngestService::StreamReactor
    : public grpc::ServerBidiReactor<v1::WriteRequest, v1::WriteResponse> {
 public:
  StreamReactor(IngestService* service, grpc::CallbackServerContext* ctx)
      : service_(service), ctx_(ctx) {
    if (!service_->calls_->Enter()) {
      finished_ = true;
      Finish(rpc::ToGrpcStatus(ShuttingDown(), ctx_));
      return;
    }
    tracked_ = true;
    creds_ = rpc::CredentialsOf(*ctx_);
    auto who = service_->auth_->Authenticate(creds_);
    if (!who.ok()) {
      service_->writes_->CountRejected(FrontDoor::kGrpc, who.status());
      finished_ = true;
      grpc::Status st = rpc::ToGrpcStatus(who.status(), ctx_);
      service_->auth_->Reject(creds_.peer, [this, st] { Finish(st); });
      return;
    }
    ReadNext();
  }

  void OnReadDone(bool ok) override {
    Locked l(this);
    if (!ok || service_->calls_->draining()) {
      // Client half-closed, or the server drains: finish once in-flight requests are done.
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    std::shared_ptr<Incoming> req = std::move(incoming_);
    const uint64_t index = next_index_++;
    in_flight_++;
    service_->NoteInFlight(in_flight_ + static_cast<int>(outgoing_.size()));
    service_->pool_->Submit(
        [this, req = std::move(req), index]() mutable { Process(std::move(req), index); });
    MaybeReadLocked();
  }

  void OnWriteDone(bool ok) override {
    Locked l(this);
    outgoing_.pop_front();
    writing_ = false;
    MaybeResumeLocked();
    if (!ok) broken_ = true;  // the client went away; drop further responses
    WriteNextLocked();
    MaybeFinishLocked();
  }

  void OnCancel() override {
    Locked l(this);
    broken_ = true;
    reads_done_ = true;
    MaybeFinishLocked();
  }

  void OnDone() override {
    if (tracked_) service_->calls_->Exit();
    delete this;
  }

 private:
  // A request and the arena its strings and arrays live in: parsing a request with hundreds
  // of small series allocates nothing else, and freeing it is one arena reset.
  struct Incoming {
    google::protobuf::Arena arena{ArenaOptions()};
    v1::WriteRequest* message = google::protobuf::Arena::CreateMessage<v1::WriteRequest>(&arena);
    static google::protobuf::ArenaOptions ArenaOptions() {
      google::protobuf::ArenaOptions o;
      o.start_block_size = 64 << 10;
      o.max_block_size = 1 << 20;
      return o;
    }
  };

  void Process(std::shared_ptr<Incoming> req, uint64_t index) {
    v1::WriteResponse resp;
    resp.set_request_index(index);
    const uint64_t sequence = req->message->sequence();
    absl::Status s;
    // Re-authenticate every request: a revoked or expired token stops here.
    auto who = service_->auth_->Authenticate(creds_);
    if (!who.ok()) {
      service_->writes_->CountRejected(FrontDoor::kGrpc, who.status());
      s = who.status();
    } else {
      Converted c = service_->Convert(*req->message, creds_.peer, &resp);
      req.reset();  // the parsed request is not needed while the write waits for its fsync
      s = service_->Commit(*who, &c, &resp);
    }
    if (!s.ok()) {
      resp.set_sequence(sequence);
      resp.set_points_accepted(0);
      rpc::ToProtoStatus(s, resp.mutable_error());
    }
    Locked l(this);
    in_flight_--;
    if (!broken_) {
      outgoing_.push_back(std::move(resp));
      WriteNextLocked();
    }
    MaybeResumeLocked();
    MaybeFinishLocked();
  }

  // Flow control: requests being written plus responses the client has not taken yet stay
  // under the limit, so a client that never reads responses holds bounded memory.
  bool UnderLimitLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_flight_ + static_cast<int>(outgoing_.size()) <
           service_->options_.max_in_flight_per_stream;
  }
  void MaybeReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (UnderLimitLocked()) {
      ReadNext();
    } else {
      read_paused_ = true;
    }
  }
  void MaybeResumeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (read_paused_ && !reads_done_ && !broken_ && UnderLimitLocked()) {
      read_paused_ = false;
      ReadNext();
    }
  }

  void ReadNext() {
    incoming_ = std::make_shared<Incoming>();
    StartRead(incoming_->message);
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || outgoing_.empty() || broken_) return;
    writing_ = true;
    StartWrite(&outgoing_.front());
  }

  // Decides to finish; the Locked guard calls Finish() after releasing mu_, because gRPC may
  // run OnDone() (delete this) as soon as Finish() is called.
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !reads_done_ || in_flight_ > 0 || writing_) return;
    if (!broken_ && !outgoing_.empty()) return;
    finished_ = true;
    finish_now_ = true;
  }

  class Locked {
   public:
    explicit Locked(StreamReactor* r) ABSL_EXCLUSIVE_LOCK_FUNCTION(r->mu_) : r_(r) {
      r_->mu_.Lock();
    }
    ~Locked() ABSL_UNLOCK_FUNCTION() {
      const bool finish = r_->finish_now_;
      r_->finish_now_ = false;
      StreamReactor* r = r_;
      r->mu_.Unlock();
      if (finish) r->Finish(grpc::Status::OK);  // may delete *r
    }

   private:
    StreamReactor* r_;
  };

  IngestService* service_;
  grpc::CallbackServerContext* ctx_;
  auth::Credentials creds_;  // what the call presented; re-checked for every request
  bool tracked_ = false;
  absl::Mutex mu_;
  std::shared_ptr<Incoming> incoming_;
  std::deque<v1::WriteResponse> outgoing_ ABSL_GUARDED_BY(mu_);
  uint64_t next_index_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_now_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::ServerBidiReactor<v1::WriteRequest, v1::WriteResponse>* IngestService::WriteStream(
    grpc::CallbackServerContext* ctx) {
  return new StreamReactor(this, ctx);
}

}  // namespace telemdb::ingest
