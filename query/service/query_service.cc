#include "query/service/query_service.h"

#include <chrono>
#include <deque>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "query/engine/context.h"
#include "query/engine/engine.h"
#include "query/engine/result.h"
#include "query/lang/parser.h"
#include "query/service/query_access.h"
#include "query/service/structured_query.h"
#include "re2/re2.h"
#include "rpc/grpc_auth.h"
#include "rpc/grpc_status.h"
#include "util/client_text.h"

namespace telemdb::query {
namespace {

v1::ValueType ToProtoType(storage::ValueType t) { return static_cast<v1::ValueType>(t); }

void ToProtoColumn(Column&& c, v1::ResultColumn* out) {
  switch (c.type) {
    case storage::ValueType::kFloat:
      out->mutable_doubles()->mutable_values()->Add(c.floats.begin(), c.floats.end());
      break;
    case storage::ValueType::kInt:
      out->mutable_ints()->mutable_values()->Add(c.ints.begin(), c.ints.end());
      break;
    case storage::ValueType::kBool: {
      auto* v = out->mutable_bools()->mutable_values();
      v->Reserve(static_cast<int>(c.ints.size()));
      for (int64_t b : c.ints) v->Add(b != 0);
      break;
    }
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

absl::StatusOr<storage::TagMatcher> ToMatcher(const v1::TagMatcher& m) {
  storage::TagMatcher out;
  out.key = m.key();
  out.value = m.value();
  switch (m.op()) {
    case v1::TagMatcher::EQUAL:
      out.op = storage::TagMatcher::Op::kEqual;
      return out;
    case v1::TagMatcher::NOT_EQUAL:
      out.op = storage::TagMatcher::Op::kNotEqual;
      return out;
    case v1::TagMatcher::EXISTS:
      out.op = storage::TagMatcher::Op::kExists;
      return out;
    case v1::TagMatcher::NOT_EXISTS:
      out.op = storage::TagMatcher::Op::kNotExists;
      return out;
    case v1::TagMatcher::REGEX:
    case v1::TagMatcher::NOT_REGEX: {
      out.op = m.op() == v1::TagMatcher::REGEX ? storage::TagMatcher::Op::kRegex
                                               : storage::TagMatcher::Op::kNotRegex;
      RE2::Options o;
      o.set_log_errors(false);
      auto re = std::make_shared<RE2>(m.value(), o);
      if (!re->ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("tag matcher on \"", m.key(), "\": bad regex: ", re->error()));
      }
      out.re = re;
      return out;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("tag matcher on \"", m.key(), "\" has no operator"));
  }
}

}  // namespace

QueryService::QueryService(Querier* querier, const auth::Authenticator* auth, ThreadPool* pool,
                           rpc::CallTracker* calls, QueryServiceOptions options)
    : querier_(querier), auth_(auth), pool_(pool), calls_(calls), options_(std::move(options)) {}

absl::StatusOr<auth::Identity> QueryService::Authenticate(grpc::CallbackServerContext* ctx,
                                                          const std::string& measurement,
                                                          std::string* peer) {
  const auth::Credentials creds = rpc::CredentialsOf(*ctx);
  *peer = creds.peer;
  auto who = auth_->Authenticate(creds);
  if (!who.ok()) return who.status();
  // Rights first, before any work on what the client sent.
  if (!who->CanReadSomething() && !who->IsAdmin()) {
    return absl::PermissionDeniedError("this identity has no read right");
  }
  if (!measurement.empty() && !who->CanRead(measurement)) {
    return absl::PermissionDeniedError(
        absl::StrCat("no read right on measurement \"", ClientText(measurement), "\""));
  }
  return who;
}

void QueryService::Denied(const std::string& peer, const absl::StatusOr<auth::Identity>& who,
                          const std::string& action, const absl::Status& s) {
  // Failed authentication is audited by the Authenticator; denials of known identities here.
  if (on_action && !absl::IsUnauthenticated(s)) on_action(who.ok() ? who->name : peer, action, s);
}

// One Query call. Lifetime: deleted in OnDone(), which gRPC calls after Finish(); Finish()
// waits until the query task has ended, so the task never outlives the reactor.
class QueryService::QueryReactor : public grpc::ServerWriteReactor<v1::QueryResponse> {
 public:
  QueryReactor(QueryService* svc, grpc::CallbackServerContext* ctx, const v1::QueryRequest* req)
      : svc_(svc) {
    if (!svc_->calls_->Enter()) {
      Fail(absl::UnavailableError("server is shutting down"));
      return;
    }
    tracked_ = true;
    // Who first: an unauthenticated or unauthorized caller costs no parsing or regex
    // compilation.
    std::string peer;
    auto who = svc_->Authenticate(ctx, "", &peer);
    if (!who.ok()) {
      svc_->Denied(peer, who, "query", who.status());
      if (absl::IsUnauthenticated(who.status())) {
        absl::Status st = who.status();
        svc_->auth_->Reject(peer, [this, st] { Fail(st); });
      } else {
        Fail(who.status());
      }
      return;
    }
    who_ = *std::move(who);
    int64_t now = req->now_ns() != 0 ? req->now_ns() : absl::GetCurrentTimeNanos();
    absl::StatusOr<lang::Statement> stmt;
    if (!req->text().empty() && req->has_structured()) {
      stmt = absl::InvalidArgumentError("set either text or structured, not both");
    } else if (req->text().size() > svc_->options_.max_query_bytes) {
      stmt = absl::InvalidArgumentError(absl::StrCat("query text is ", req->text().size(),
                                                     " bytes; the limit is ",
                                                     svc_->options_.max_query_bytes));
    } else if (!req->text().empty()) {
      lang::ParseOptions po;
      po.now_ns = now;
      stmt = lang::Parse(req->text(), po);
    } else if (req->has_structured()) {
      stmt = FromStructured(req->structured());
    } else {
      stmt = absl::InvalidArgumentError("empty query: set text or structured");
    }
    if (!stmt.ok()) {
      Fail(stmt.status());
      return;
    }
    if (absl::Status s = AuthorizeStatement(who_, *stmt); !s.ok()) {
      svc_->Denied(peer, who_, "query", s);
      Fail(s);
      return;
    }
    if (IsWriteStatement(*stmt) && svc_->on_action) {
      svc_->on_action(who_.name, "delete statement", absl::OkStatus());
    }
    stmt_ = *std::move(stmt);
    querier_ = std::make_unique<ScopedQuerier>(svc_->querier_, &who_);
    opts_ = svc_->options_.exec;
    opts_.now_ns = now;
    if (req->max_frame_rows() > 0) {
      opts_.max_frame_rows =
          std::min<size_t>(req->max_frame_rows(), svc_->options_.max_client_frame_rows);
    }
    absl::Time deadline = absl::FromChrono(ctx->deadline());
    absl::Time fallback = absl::Now() + svc_->options_.default_timeout;
    qctx_.set_deadline(std::min(deadline, fallback));
    running_ = true;
    svc_->pool_->Submit([this] { Run(); });
  }

  void OnWriteDone(bool ok) override {
    Locked l(this);
    queue_.pop_front();
    writing_ = false;
    if (!ok) {
      cancelled_ = true;
      qctx_.Cancel();
    }
    WriteNextLocked();
    MaybeFinishLocked();
  }

  void OnCancel() override {
    Locked l(this);
    cancelled_ = true;
    qctx_.Cancel();
    MaybeFinishLocked();
  }

  void OnDone() override {
    if (tracked_) svc_->calls_->Exit();
    delete this;
  }

 private:
  class Sink : public ResultSink {
   public:
    explicit Sink(QueryReactor* r) : r_(r) {}
    absl::Status Start(const ResultSchema& schema) override {
      v1::QueryResponse msg;
      auto* h = msg.mutable_header();
      for (const auto& g : schema.group_by) h->add_group_by(g);
      h->set_has_time(schema.has_time);
      for (size_t i = 0; i < schema.columns.size(); i++) {
        auto* c = h->add_columns();
        c->set_name(schema.columns[i]);
        c->set_type(ToProtoType(schema.types[i]));
        if (i < schema.items.size()) c->set_item(schema.items[i]);
        if (i < schema.parts.size()) c->set_part(schema.parts[i]);
      }
      return r_->Enqueue(std::move(msg));
    }
    absl::Status Write(ResultFrame&& frame) override {
      // Frames travel in batches: a group-per-device result (the last value of every truck)
      // is many tiny frames, and one message per frame would cost a round of gRPC
      // bookkeeping each.
      auto* f = pending_.mutable_frames()->add_frames();
      f->set_group(frame.group);
      for (auto& v : frame.group_values) f->add_group_values(std::move(v));
      f->mutable_time()->Add(frame.time.begin(), frame.time.end());
      pending_rows_ += frame.rows();
      pending_bytes_ += 8 * frame.time.size();
      for (auto& c : frame.columns) {
        if (c.type == storage::ValueType::kString) {
          for (const auto& v : c.strings) pending_bytes_ += v.size() + 2;
        } else {
          pending_bytes_ += 9 * c.size();
        }
        ToProtoColumn(std::move(c), f->add_columns());
      }
      f->set_group_end(frame.group_end);
      if (pending_.frames().frames_size() >= kMaxBatchFrames || pending_rows_ >= kMaxBatchRows ||
          pending_bytes_ >= kMaxBatchBytes) {
        return Flush();
      }
      return absl::OkStatus();
    }
    // Sends the pending batch, if any.
    absl::Status Flush() {
      if (!pending_.has_frames()) return absl::OkStatus();
      pending_rows_ = 0;
      pending_bytes_ = 0;
      absl::Status s = r_->Enqueue(std::move(pending_));
      pending_.Clear();
      return s;
    }

   private:
    static constexpr int kMaxBatchFrames = 256;
    static constexpr size_t kMaxBatchRows = 10'000;
    // Frames are at most about 1 MiB each (ExecOptions::max_frame_bytes); a message carries
    // about as much, far below the 64 MiB message limit.
    static constexpr size_t kMaxBatchBytes = 1 << 20;
    QueryReactor* r_;
    v1::QueryResponse pending_;
    size_t pending_rows_ = 0;
    size_t pending_bytes_ = 0;
  };

  void Fail(const absl::Status& s) {
    Locked l(this);
    status_ = s;
    MaybeFinishLocked();
  }

  void Run() {
    Sink sink(this);
    QueryStats stats;
    const auto t0 = std::chrono::steady_clock::now();
    absl::Status s = svc_->backend != nullptr
                         ? svc_->backend->Run(stmt_, ScopeWrap(&who_), opts_, qctx_, sink, &stats)
                         : Execute(stmt_, *querier_, opts_, qctx_, sink, &stats);
    if (s.ok()) s = sink.Flush();
    if (s.ok()) {
      v1::QueryResponse msg;
      auto* st = msg.mutable_stats();
      st->set_series_matched(stats.series_matched);
      st->set_groups(stats.groups);
      st->set_chunks_read(stats.chunks_read);
      st->set_chunks_preaggregated(stats.chunks_preaggregated);
      st->set_chunks_decoded(stats.chunks_decoded);
      st->set_points_decoded(stats.points_decoded);
      st->set_head_points(stats.head_points);
      st->set_bytes_read(stats.bytes_read);
      st->set_last_cache_hits(stats.last_cache_hits);
      st->set_rows(stats.rows);
      st->set_elapsed_ns(stats.elapsed_ns);
      s = Enqueue(std::move(msg));
    }
    if (svc_->metrics != nullptr) {
      svc_->metrics->Record(
          QueryMetrics::Door::kGrpc, QueryMetrics::KindOf(stmt_), s.ok(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    Locked l(this);
    status_ = s;
    running_ = false;
    MaybeFinishLocked();
  }

  // Queues a message for the client, waiting while the queue is full. Errors: Cancelled when
  // the client went away.
  absl::Status Enqueue(v1::QueryResponse&& msg) {
    absl::MutexLock l(&mu_);
    const size_t cap = svc_->options_.max_queued_frames;
    mu_.Await(absl::Condition(
        +[](QueryReactor* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
          return r->cancelled_ || r->queue_.size() < r->svc_->options_.max_queued_frames;
        },
        this));
    (void)cap;
    if (cancelled_) return absl::CancelledError("the client cancelled the query");
    queue_.push_back(std::move(msg));
    WriteNextLocked();
    return absl::OkStatus();
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || queue_.empty() || cancelled_) return;
    writing_ = true;
    StartWrite(&queue_.front());
  }

  // Decides to finish; the Locked guard calls Finish() after releasing mu_, because gRPC may
  // run OnDone() (delete this) as soon as Finish() is called.
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || running_ || writing_) return;
    if (!cancelled_ && !queue_.empty()) return;
    finished_ = true;
    finish_now_ = true;
  }

  class Locked {
   public:
    explicit Locked(QueryReactor* r) ABSL_EXCLUSIVE_LOCK_FUNCTION(r->mu_) : r_(r) {
      r_->mu_.Lock();
    }
    ~Locked() ABSL_UNLOCK_FUNCTION() {
      const bool finish = r_->finish_now_;
      r_->finish_now_ = false;
      grpc::Status status = finish ? rpc::ToGrpcStatus(r_->status_) : grpc::Status::OK;
      QueryReactor* r = r_;
      r->mu_.Unlock();
      if (finish) r->Finish(status);  // may delete *r
    }

   private:
    QueryReactor* r_;
  };

  QueryService* svc_;
  bool tracked_ = false;
  auth::Identity who_;
  std::unique_ptr<ScopedQuerier> querier_;
  lang::Statement stmt_;
  ExecOptions opts_;
  Context qctx_;
  absl::Mutex mu_;
  std::deque<v1::QueryResponse> queue_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_now_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::ServerWriteReactor<v1::QueryResponse>* QueryService::Query(grpc::CallbackServerContext* ctx,
                                                                 const v1::QueryRequest* req) {
  return new QueryReactor(this, ctx, req);
}

grpc::ServerUnaryReactor* QueryService::Unary(grpc::CallbackServerContext* ctx,
                                              const std::string& measurement,
                                              const std::function<absl::Status(Querier&)>& fn) {
  auto* reactor = ctx->DefaultReactor();
  if (!calls_->Enter()) {
    reactor->Finish(rpc::ToGrpcStatus(absl::UnavailableError("server is shutting down")));
    return reactor;
  }
  std::string peer;
  auto who = Authenticate(ctx, measurement, &peer);
  absl::Status s;
  if (who.ok() && backend != nullptr) {
    Context lctx(
        std::min(absl::FromChrono(ctx->deadline()), absl::Now() + options_.default_timeout));
    s = backend->WithQuerier(ScopeWrap(&*who), lctx, fn);
  } else if (who.ok()) {
    ScopedQuerier scoped(querier_, &*who);
    s = fn(scoped);
  } else {
    s = who.status();
    Denied(peer, who, "list", s);
  }
  grpc::Status st = rpc::ToGrpcStatus(s);
  auto finish = [this, reactor, st] {
    reactor->Finish(st);
    calls_->Exit();
  };
  if (absl::IsUnauthenticated(s)) {
    auth_->Reject(peer, finish);  // held back when this address keeps failing
  } else {
    finish();
  }
  return reactor;
}

grpc::ServerUnaryReactor* QueryService::ListMeasurements(grpc::CallbackServerContext* ctx,
                                                         const v1::ListMeasurementsRequest*,
                                                         v1::ListMeasurementsResponse* resp) {
  return Unary(ctx, "", [&](Querier& q) {
    for (auto& m : q.Measurements()) resp->add_measurements(std::move(m));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* QueryService::ListFields(grpc::CallbackServerContext* ctx,
                                                   const v1::ListFieldsRequest* req,
                                                   v1::ListFieldsResponse* resp) {
  if (req->measurement().empty()) {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(
        rpc::ToGrpcStatus(absl::InvalidArgumentError("ListFields needs a measurement")));
    return reactor;
  }
  return Unary(ctx, req->measurement(), [&](Querier& q) {
    for (auto& [name, type] : q.Fields(req->measurement())) {
      auto* f = resp->add_fields();
      f->set_name(name);
      f->set_type(ToProtoType(type));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* QueryService::ListSeries(grpc::CallbackServerContext* ctx,
                                                   const v1::ListSeriesRequest* req,
                                                   v1::ListSeriesResponse* resp) {
  if (req->measurement().empty()) {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(
        rpc::ToGrpcStatus(absl::InvalidArgumentError("ListSeries needs a measurement")));
    return reactor;
  }
  return Unary(ctx, req->measurement(), [&](Querier& q) -> absl::Status {
    storage::SeriesSelector sel;
    sel.measurement = req->measurement();
    for (const auto& m : req->matchers()) {
      auto converted = ToMatcher(m);
      if (!converted.ok()) return converted.status();
      sel.matchers.push_back(*std::move(converted));
    }
    auto ids = q.Select(sel);
    if (!ids.ok()) return ids.status();
    const size_t limit = req->limit() > 0 ? req->limit() : 1000;
    for (SeriesId id : *ids) {
      if (static_cast<size_t>(resp->series_size()) >= limit) {
        resp->set_truncated(true);
        break;
      }
      auto meta = q.Describe(id);
      if (!meta.ok()) continue;  // deleted meanwhile
      auto* s = resp->add_series();
      s->set_measurement(meta->key.measurement);
      for (const auto& [k, v] : meta->key.tags) {
        auto* t = s->add_tags();
        t->set_key(k);
        t->set_value(v);
      }
      s->set_field(meta->key.field);
      s->set_type(ToProtoType(meta->type));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* QueryService::TagKeys(grpc::CallbackServerContext* ctx,
                                                const v1::TagKeysRequest* req,
                                                v1::TagKeysResponse* resp) {
  return Unary(ctx, req->measurement(), [&](Querier& q) {
    for (auto& k : q.TagKeys(req->measurement())) resp->add_keys(std::move(k));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* QueryService::TagValues(grpc::CallbackServerContext* ctx,
                                                  const v1::TagValuesRequest* req,
                                                  v1::TagValuesResponse* resp) {
  if (req->key().empty()) {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(rpc::ToGrpcStatus(absl::InvalidArgumentError("TagValues needs a tag key")));
    return reactor;
  }
  return Unary(ctx, req->measurement(), [&](Querier& q) {
    const size_t limit = req->limit() > 0 ? req->limit() : 1000;
    auto values = q.TagValues(req->key(), req->measurement(), limit + 1);
    if (values.size() > limit) {
      values.resize(limit);
      resp->set_truncated(true);
    }
    for (auto& v : values) resp->add_values(std::move(v));
    return absl::OkStatus();
  });
}

}  // namespace telemdb::query
