#include "query/distributed/grpc_transport.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "auth/authenticator.h"
#include "grpcpp/grpcpp.h"
#include "query/distributed/partial_executor.h"
#include "re2/re2.h"
#include "rpc/grpc_auth.h"
#include "rpc/grpc_status.h"
#include "telemdb/v1/cluster_query.grpc.pb.h"
#include "util/thread_pool.h"

namespace telemdb::query::distributed {
namespace {

using storage::ValueType;

// ---- SubQuery <-> PartialQueryRequest ------------------------------------------------------

absl::StatusOr<ValueType> TypeFromWire(uint32_t t) {
  if (t > 255 || !storage::IsValidValueType(static_cast<uint8_t>(t))) {
    return absl::InvalidArgumentError(absl::StrCat("partial query: unknown value type ", t));
  }
  return static_cast<ValueType>(t);
}

void ToWire(const SubQuery& q, v1::PartialQueryRequest* r) {
  r->set_kind(static_cast<v1::PartialQueryKind>(q.kind));
  r->set_shard(q.shard);
  r->set_shards(q.sharding.shards);
  r->set_shard_tag(q.sharding.shard_tag);
  r->set_measurement(q.kind == SubQueryKind::kSelect ? q.selector.measurement : q.measurement);
  for (const auto& f : q.selector.fields) r->add_fields(f);
  for (const auto& m : q.selector.matchers) {
    auto* w = r->add_matchers();
    w->set_op(static_cast<v1::MatcherOp>(static_cast<int>(m.op) + 1));
    w->set_key(m.key);
    w->set_value(m.value);
    if (m.re) w->set_regex(m.re->pattern());
  }
  r->set_tag_key(q.tag_key);
  r->set_limit(q.limit);
  for (const auto& s : q.series) r->add_series(s);
  r->set_start(q.start);
  r->set_end(q.end);
  r->set_bucket_interval(q.bucket_interval);
  r->set_bucket_offset(q.bucket_offset);
  r->set_max_points(q.max_points);
}

absl::StatusOr<SubQuery> FromWire(const v1::PartialQueryRequest& r) {
  SubQuery q;
  if (r.kind() < 1 || r.kind() > 7) {
    return absl::InvalidArgumentError(
        absl::StrCat("partial query: unknown kind ", static_cast<int>(r.kind())));
  }
  q.kind = static_cast<SubQueryKind>(r.kind());
  q.shard = r.shard();
  q.sharding.shards = r.shards();
  q.sharding.shard_tag = r.shard_tag();
  if (q.kind == SubQueryKind::kSelect) {
    q.selector.measurement = r.measurement();
  } else {
    q.measurement = r.measurement();
  }
  q.selector.fields.assign(r.fields().begin(), r.fields().end());
  for (const auto& w : r.matchers()) {
    if (w.op() < 1 || w.op() > 6) {
      return absl::InvalidArgumentError(absl::StrCat("partial query: unknown matcher op ",
                                                     static_cast<int>(w.op()), " on tag \"",
                                                     w.key(), "\""));
    }
    storage::TagMatcher m;
    m.op = static_cast<storage::TagMatcher::Op>(w.op() - 1);
    m.key = w.key();
    m.value = w.value();
    if (m.op == storage::TagMatcher::Op::kRegex || m.op == storage::TagMatcher::Op::kNotRegex) {
      RE2::Options opts;
      opts.set_log_errors(false);
      auto re = std::make_shared<RE2>(w.regex(), opts);
      if (!re->ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("partial query: invalid regex on tag \"", w.key(), "\": ", re->error()));
      }
      m.re = std::move(re);
    }
    q.selector.matchers.push_back(std::move(m));
  }
  q.tag_key = r.tag_key();
  q.limit = r.limit();
  q.series.assign(r.series().begin(), r.series().end());
  q.start = r.start();
  q.end = r.end();
  q.bucket_interval = r.bucket_interval();
  q.bucket_offset = r.bucket_offset();
  q.max_points = r.max_points();
  return q;
}

// ---- PartialResult <-> PartialQueryResponse ------------------------------------------------

void HeaderToWire(const storage::codec::ChunkHeader& h, v1::Summary* w) {
  w->set_count(h.count);
  w->set_min_ts(h.min_ts);
  w->set_max_ts(h.max_ts);
  w->set_fsum(h.fsum);
  w->set_fmin(h.fmin);
  w->set_fmax(h.fmax);
  w->set_ffirst(h.ffirst);
  w->set_flast(h.flast);
  w->set_isum(h.isum);
  w->set_imin(h.imin);
  w->set_imax(h.imax);
  w->set_ifirst(h.ifirst);
  w->set_ilast(h.ilast);
  w->set_int_sum_overflowed(h.int_sum_overflowed);
  w->set_type(static_cast<uint32_t>(h.type));
}

absl::StatusOr<storage::codec::ChunkHeader> HeaderFromWire(const v1::Summary& w) {
  storage::codec::ChunkHeader h;
  h.has_aggregates = true;
  h.count = w.count();
  h.min_ts = w.min_ts();
  h.max_ts = w.max_ts();
  h.fsum = w.fsum();
  h.fmin = w.fmin();
  h.fmax = w.fmax();
  h.ffirst = w.ffirst();
  h.flast = w.flast();
  h.isum = w.isum();
  h.imin = w.imin();
  h.imax = w.imax();
  h.ifirst = w.ifirst();
  h.ilast = w.ilast();
  h.int_sum_overflowed = w.int_sum_overflowed();
  auto t = TypeFromWire(w.type());
  if (!t.ok()) return t.status();
  h.type = *t;
  return h;
}

// Columnar: packed arrays parse far faster than one sub-message per summary.
void SummariesToWire(const SeriesData& d, v1::SeriesBlocks* w) {
  const size_t n = d.summaries.size();
  if (n == 0) return;
  const bool floats = d.type == ValueType::kFloat;
  w->mutable_summary_min_ts()->Reserve(static_cast<int>(n));
  w->mutable_summary_max_ts()->Reserve(static_cast<int>(n));
  w->mutable_summary_count()->Reserve(static_cast<int>(n));
  for (const auto& h : d.summaries) {
    w->add_summary_min_ts(h.min_ts);
    w->add_summary_max_ts(h.max_ts);
    w->add_summary_count(h.count);
    if (floats) {
      w->add_summary_fsum(h.fsum);
      w->add_summary_fmin(h.fmin);
      w->add_summary_fmax(h.fmax);
      w->add_summary_ffirst(h.ffirst);
      w->add_summary_flast(h.flast);
    } else {
      w->add_summary_isum(h.isum);
      w->add_summary_imin(h.imin);
      w->add_summary_imax(h.imax);
      w->add_summary_ifirst(h.ifirst);
      w->add_summary_ilast(h.ilast);
      w->add_summary_int_sum_overflowed(h.int_sum_overflowed);
    }
  }
}

absl::Status SummariesFromWire(const v1::SeriesBlocks& w, SeriesData* d) {
  const int n = w.summary_min_ts_size();
  if (n == 0) return absl::OkStatus();
  const bool floats = d->type == ValueType::kFloat;
  const int values = floats ? w.summary_fsum_size() : w.summary_isum_size();
  const bool same = w.summary_max_ts_size() == n && w.summary_count_size() == n && values == n &&
                    (floats ? w.summary_fmin_size() == n && w.summary_fmax_size() == n &&
                                  w.summary_ffirst_size() == n && w.summary_flast_size() == n
                            : w.summary_imin_size() == n && w.summary_imax_size() == n &&
                                  w.summary_ifirst_size() == n && w.summary_ilast_size() == n &&
                                  w.summary_int_sum_overflowed_size() == n);
  if (!same) {
    return absl::DataLossError("partial query answer: summary columns differ in length");
  }
  d->summaries.resize(static_cast<size_t>(n));
  for (int k = 0; k < n; k++) {
    storage::codec::ChunkHeader& h = d->summaries[static_cast<size_t>(k)];
    h.has_aggregates = true;
    h.type = d->type;
    h.min_ts = w.summary_min_ts(k);
    h.max_ts = w.summary_max_ts(k);
    h.count = w.summary_count(k);
    if (floats) {
      h.fsum = w.summary_fsum(k);
      h.fmin = w.summary_fmin(k);
      h.fmax = w.summary_fmax(k);
      h.ffirst = w.summary_ffirst(k);
      h.flast = w.summary_flast(k);
    } else {
      h.isum = w.summary_isum(k);
      h.imin = w.summary_imin(k);
      h.imax = w.summary_imax(k);
      h.ifirst = w.summary_ifirst(k);
      h.ilast = w.summary_ilast(k);
      h.int_sum_overflowed = w.summary_int_sum_overflowed(k);
    }
  }
  return absl::OkStatus();
}

void ToWire(const PartialResult& p, v1::PartialQueryResponse* r) {
  for (const auto& [key, type] : p.series) {
    auto* s = r->add_series();
    s->set_key(key);
    s->set_type(static_cast<uint32_t>(type));
  }
  for (const auto& [name, type] : p.fields) {
    auto* f = r->add_fields();
    f->set_name(name);
    f->set_type(static_cast<uint32_t>(type));
  }
  for (const auto& n : p.names) r->add_names(n);
  for (const SeriesData& d : p.data) {
    auto* w = r->add_data();
    w->set_found(d.found);
    w->set_type(static_cast<uint32_t>(d.type));
    w->set_start(d.start);
    w->set_end(d.end);
    SummariesToWire(d, w);
    for (const PartialBlock& b : d.blocks) {
      auto* wb = w->add_blocks();
      wb->set_min_ts(b.min_ts);
      wb->set_max_ts(b.max_ts);
      wb->set_count(b.count);
      if (b.header) HeaderToWire(*b.header, wb->mutable_header());
      wb->mutable_ts()->Add(b.points.ts.begin(), b.points.ts.end());
      wb->mutable_floats()->Add(b.points.floats.begin(), b.points.floats.end());
      wb->mutable_ints()->Add(b.points.ints.begin(), b.points.ints.end());
      for (const auto& s : b.points.strings) wb->add_strings(s);
    }
  }
  for (const auto& l : p.last) {
    auto* w = r->add_last();
    if (!l) continue;
    w->set_found(true);
    w->set_ts(l->ts);
    w->set_type(static_cast<uint32_t>(l->value.type));
    w->set_f(l->value.f);
    w->set_i(l->value.i);
    w->set_s(l->value.s);
  }
}

absl::StatusOr<PartialResult> FromWire(const v1::PartialQueryResponse& r) {
  PartialResult p;
  for (const auto& s : r.series()) {
    auto t = TypeFromWire(s.type());
    if (!t.ok()) return t.status();
    p.series.emplace_back(s.key(), *t);
  }
  for (const auto& f : r.fields()) {
    auto t = TypeFromWire(f.type());
    if (!t.ok()) return t.status();
    p.fields.emplace_back(f.name(), *t);
  }
  p.names.assign(r.names().begin(), r.names().end());
  for (const auto& w : r.data()) {
    SeriesData d;
    d.found = w.found();
    auto t = TypeFromWire(w.type());
    if (!t.ok()) return t.status();
    d.type = *t;
    d.start = w.start();
    d.end = w.end();
    absl::Status s = SummariesFromWire(w, &d);
    if (!s.ok()) return s;
    for (const auto& wb : w.blocks()) {
      PartialBlock b;
      b.min_ts = wb.min_ts();
      b.max_ts = wb.max_ts();
      b.count = wb.count();
      if (wb.has_header()) {
        auto h = HeaderFromWire(wb.header());
        if (!h.ok()) return h.status();
        b.header = *h;
      }
      b.points.type = d.type;
      b.points.ts.assign(wb.ts().begin(), wb.ts().end());
      b.points.floats.assign(wb.floats().begin(), wb.floats().end());
      b.points.ints.assign(wb.ints().begin(), wb.ints().end());
      b.points.strings.assign(wb.strings().begin(), wb.strings().end());
      const size_t values = d.type == ValueType::kFloat    ? b.points.floats.size()
                            : d.type == ValueType::kString ? b.points.strings.size()
                                                           : b.points.ints.size();
      if (values != b.points.ts.size()) {
        return absl::DataLossError("partial query answer: a block's columns differ in length");
      }
      d.blocks.push_back(std::move(b));
    }
    p.data.push_back(std::move(d));
  }
  for (const auto& w : r.last()) {
    if (!w.found()) {
      p.last.emplace_back();
      continue;
    }
    auto t = TypeFromWire(w.type());
    if (!t.ok()) return t.status();
    LastValue v;
    v.ts = w.ts();
    v.value.type = *t;
    v.value.f = w.f();
    v.value.i = w.i();
    v.value.s = w.s();
    p.last.push_back(std::move(v));
  }
  return p;
}

// grpc::Status -> absl::Status: the codes are numerically the same. gRPC's own failures
// (a message it could not serialize, a stream reset) may come without a message: then the
// code's name says at least that much.
absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(s.error_code());
  return absl::Status(code, s.error_message().empty()
                                ? absl::StrCat("gRPC ", absl::StatusCodeToString(code),
                                               " with no message")
                                : s.error_message());
}

// ---- the service ---------------------------------------------------------------------------

class ClusterQueryServiceImpl : public v1::ClusterQuery::CallbackService {
 public:
  ClusterQueryServiceImpl(Querier* local, const auth::Authenticator* auth, ThreadPool* pool)
      : local_(local), auth_(auth), pool_(pool) {}

  grpc::ServerUnaryReactor* PartialQuery(grpc::CallbackServerContext* ctx,
                                         const v1::PartialQueryRequest* req,
                                         v1::PartialQueryResponse* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    const auth::Credentials creds = rpc::CredentialsOf(*ctx);
    auto who = auth_->Authenticate(creds);
    if (!who.ok()) {
      const grpc::Status st = rpc::ToGrpcStatus(who.status());
      auth_->Reject(creds.peer, [reactor, st] { reactor->Finish(st); });
      return reactor;
    }
    if (!who->IsAdmin()) {
      reactor->Finish(rpc::ToGrpcStatus(absl::PermissionDeniedError(
          "partial queries need the cluster's node credential (an identity with the admin "
          "scope)")));
      return reactor;
    }
    pool_->Submit([this, ctx, req, resp, reactor] {
      absl::Status status;
      auto q = FromWire(*req);
      if (!q.ok()) {
        status = q.status();
      } else if (ctx->IsCancelled()) {
        status = absl::CancelledError("partial query cancelled");
      } else {
        auto r = ExecuteSubQuery(*q, *local_);
        if (r.ok()) {
          ToWire(*r, resp);
        } else {
          status = r.status();
        }
      }
      reactor->Finish(rpc::ToGrpcStatus(status));
    });
    return reactor;
  }

 private:
  Querier* local_;
  const auth::Authenticator* auth_;
  ThreadPool* pool_;
};

}  // namespace

std::unique_ptr<grpc::Service> MakeClusterQueryService(Querier* local,
                                                       const auth::Authenticator* auth,
                                                       ThreadPool* pool) {
  return std::make_unique<ClusterQueryServiceImpl>(local, auth, pool);
}

// ---- the client ----------------------------------------------------------------------------

class GrpcPartialQueryClient::Stubs {
 public:
  explicit Stubs(const GrpcClientOptions& o) : options_(o) {}
  v1::ClusterQuery::Stub* For(const std::string& address) {
    absl::MutexLock l(&mu_);
    auto& stub = stubs_[address];
    if (stub == nullptr) {
      grpc::ChannelArguments args;
      args.SetMaxReceiveMessageSize(options_.max_message_bytes);
      args.SetMaxSendMessageSize(options_.max_message_bytes);
      auto creds = options_.credentials ? options_.credentials : grpc::InsecureChannelCredentials();
      stub = v1::ClusterQuery::NewStub(grpc::CreateCustomChannel(address, creds, args));
    }
    return stub.get();
  }

 private:
  const GrpcClientOptions& options_;
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<v1::ClusterQuery::Stub>> stubs_ ABSL_GUARDED_BY(mu_);
};

GrpcPartialQueryClient::GrpcPartialQueryClient(GrpcClientOptions options)
    : options_(std::move(options)), stubs_(std::make_unique<Stubs>(options_)) {}

GrpcPartialQueryClient::~GrpcPartialQueryClient() = default;

absl::StatusOr<PartialResult> GrpcPartialQueryClient::Execute(const ReplicaHandle& replica,
                                                              const SubQuery& query,
                                                              absl::Time deadline) {
  if (replica.address.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("replica ", replica.node_id, " has no gRPC address"));
  }
  v1::PartialQueryRequest req;
  ToWire(query, &req);
  v1::PartialQueryResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(deadline));
  if (!options_.token.empty()) ctx.AddMetadata("authorization", "Bearer " + options_.token);
  const absl::Status s = FromGrpc(stubs_->For(replica.address)->PartialQuery(&ctx, req, &resp));
  if (!s.ok()) return s;
  return FromWire(resp);
}

}  // namespace telemdb::query::distributed
