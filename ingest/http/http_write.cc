#include "ingest/http/http_write.h"

#include <cmath>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/audit_log.h"
#include "http/http_auth.h"
#include "http/http_status.h"
#include "ingest/lineproto/columnar_batcher.h"
#include "ingest/lineproto/parser.h"
#include "prometheus/remote.pb.h"
#include "snappy.h"
#include "util/absl_compat.h"
#include "util/client_text.h"
#include "util/status_macros.h"

namespace telemdb::ingest {
namespace {

// Prometheus' staleness marker: a NaN with this bit pattern means "the series ended".
constexpr uint64_t kStaleNaN = 0x7ff0000000000002ULL;

bool IsStaleMarker(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits == kStaleNaN;
}

}  // namespace

int64_t HttpWriteHandlers::Now() const {
  return options_.now ? options_.now() : absl::GetCurrentTimeNanos();
}

bool HttpWriteHandlers::Admit(const http::Request& req, http::ResponseWriter& w,
                              auth::Identity* who) {
  if (req.method != "POST") {
    writes_->CountRejected(FrontDoor::kHttp, absl::InvalidArgumentError("method"));
    http::Headers h = http::JsonHeaders();
    h.Add("Allow", "POST");
    w.Send(405, std::move(h), http::ErrorJson("writes are POST requests"));
    return false;
  }
  auto id = http::AuthenticateOrAnswer(*auth_, req, w);
  if (!id.ok()) {
    writes_->CountRejected(FrontDoor::kHttp, id.status());
    return false;
  }
  if (!id->CanWriteSomething()) {
    absl::Status denied = absl::PermissionDeniedError("this identity has no write right");
    writes_->CountRejected(FrontDoor::kHttp, denied);
    if (auth_->audit() != nullptr) {
      auth_->audit()->RecordRepeated("permission.denied", id->name, std::string(denied.message()),
                                     {{"action", "write"}, {"transport", "http"}});
    }
    http::SendError(w, denied);
    return false;
  }
  *who = *std::move(id);
  return true;
}

absl::Status HttpWriteHandlers::IdempotencyFrom(const http::Request& req,
                                                storage::WriteOptions* o) const {
  auto producer = req.headers.Get("X-Telemdb-Producer");
  auto sequence = req.headers.Get("X-Telemdb-Sequence");
  auto epoch = req.headers.Get("X-Telemdb-Epoch");
  if (!producer && !sequence && !epoch) return absl::OkStatus();
  if (!producer || !sequence) {
    return absl::InvalidArgumentError(
        "X-Telemdb-Producer and X-Telemdb-Sequence come together (idempotent writes)");
  }
  if (producer->empty() || producer->size() > 256) {
    return absl::InvalidArgumentError("X-Telemdb-Producer must be 1 to 256 bytes");
  }
  if (!absl::SimpleAtoi(Sv(*sequence), &o->sequence)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "X-Telemdb-Sequence \"", ClientText(*sequence, 32), "\" is not an unsigned integer"));
  }
  if (epoch && !absl::SimpleAtoi(Sv(*epoch), &o->producer_epoch)) {
    return absl::InvalidArgumentError(absl::StrCat("X-Telemdb-Epoch \"", ClientText(*epoch, 32),
                                                   "\" is not an unsigned integer"));
  }
  o->producer_id = std::string(*producer);
  return absl::OkStatus();
}

void HttpWriteHandlers::Commit(const auth::Identity& who, const http::Request& req,
                               std::vector<storage::SeriesBatch>* groups,
                               storage::WriteOptions options, http::ResponseWriter& w) {
  Origin origin{FrontDoor::kHttp, req.peer, req.wire_bytes};
  auto r = writes_->Write(who, groups, std::move(options), origin);
  if (!r.ok()) return http::SendError(w, r.status());
  http::Headers h;
  if (r->duplicate) h.Add("X-Telemdb-Duplicate", "true");
  w.Send(204, std::move(h), "");
}

void HttpWriteHandlers::LineProtocol(const http::Request& req, http::ResponseWriter& w) {
  auth::Identity who;
  if (!Admit(req, w, &who)) return;
  auto fail = [&](const absl::Status& s) {
    writes_->CountRejected(FrontDoor::kHttp, s);
    http::SendError(w, s);
  };
  lineproto::ParseOptions po;
  po.now_ns = Now();
  if (auto p = req.Param("precision"); p && !p->empty()) {
    auto precision = lineproto::ParsePrecision(*p);
    if (!precision.ok()) return fail(precision.status());
    po.precision = *precision;
  }
  storage::WriteOptions options;
  if (absl::Status s = IdempotencyFrom(req, &options); !s.ok()) return fail(s);
  if (auto c = req.Param("consistency"); c && *c == "any") {
    options.ack_mode = storage::AckMode::kAsync;  // InfluxDB's "any": acked before fsync
  }
  lineproto::Parser parser(po);
  lineproto::BatcherOptions bo;
  bo.max_values = SIZE_MAX;
  lineproto::ColumnarBatcher batcher(bo);
  std::string parse_error;
  absl::Status s = parser.Parse(
      req.body,
      [&](const lineproto::Point& p) -> absl::Status {
        RETURN_IF_ERROR(batcher.Add(p));
        if (batcher.values() > options_.max_points) {
          return absl::ResourceExhaustedError(
              absl::StrCat("request holds more than ", options_.max_points,
                           " field values (--max-points-per-request); split it"));
        }
        return absl::OkStatus();
      },
      [&](const lineproto::LineError& e) {
        parse_error = absl::StrCat("unable to parse '", ClientText(e.line), "': ", e.reason,
                                   " (line ", e.line_number, ")");
      });
  if (!s.ok()) {
    if (absl::IsResourceExhausted(s)) {
      writes_->CountRejected(FrontDoor::kHttp, absl::InvalidArgumentError("too large"));
      http::Headers h = http::JsonHeaders();
      return w.Send(413, std::move(h), http::ErrorJson(StdSv(s.message())));
    }
    return fail(absl::InvalidArgumentError(
        parse_error.empty() ? absl::StrCat("unable to parse: ", s.message()) : parse_error));
  }
  const std::string db(req.Param("db").value_or(req.Param("bucket").value_or("")));
  if (batcher.empty()) {  // an empty body stores nothing, as InfluxDB answers it
    w.Send(204, http::Headers(), "");
    return;
  }
  std::vector<storage::SeriesBatch> groups = batcher.Take();
  Commit(who, req, &groups, std::move(options), w);
  if (!db.empty() && options_.note_database) options_.note_database(db);
}

void HttpWriteHandlers::RemoteWrite(const http::Request& req, http::ResponseWriter& w) {
  auth::Identity who;
  if (!Admit(req, w, &who)) return;
  auto fail = [&](const absl::Status& s) {
    writes_->CountRejected(FrontDoor::kHttp, s);
    http::SendError(w, s);
  };
  size_t raw_size = 0;
  if (!snappy::GetUncompressedLength(req.body.data(), req.body.size(), &raw_size)) {
    return fail(absl::InvalidArgumentError(
        "remote_write body is not snappy-compressed (block format, as Prometheus sends it)"));
  }
  if (raw_size > (64u << 20)) {
    writes_->CountRejected(FrontDoor::kHttp, absl::InvalidArgumentError("too large"));
    return w.Send(413, http::JsonHeaders(),
                  http::ErrorJson(absl::StrCat("remote_write body inflates to ", raw_size,
                                               " bytes; the limit is 64 MiB")));
  }
  std::string raw;
  if (!snappy::Uncompress(req.body.data(), req.body.size(), &raw)) {
    return fail(absl::InvalidArgumentError("remote_write body: corrupt snappy data"));
  }
  prometheus::WriteRequest pw;
  if (!pw.ParseFromString(raw)) {
    return fail(absl::InvalidArgumentError("remote_write body is not a Prometheus WriteRequest"));
  }
  std::vector<storage::SeriesBatch> groups;
  size_t values = 0, stale = 0;
  for (int t = 0; t < pw.timeseries_size(); t++) {
    const auto& ts = pw.timeseries(t);
    storage::SeriesBatch g;
    std::string name;
    for (const auto& l : ts.labels()) {
      if (l.name() == "__name__") {
        name = l.value();
      } else {
        g.tags.emplace_back(l.name(), l.value());
      }
    }
    if (name.empty()) {
      return fail(
          absl::InvalidArgumentError(absl::StrCat("time series ", t, " has no __name__ label")));
    }
    if (options_.remote_write_measurement.empty()) {
      g.measurement = std::move(name);
    } else {
      g.measurement = options_.remote_write_measurement;
      g.tags.emplace_back("__name__", std::move(name));
    }
    storage::FieldColumn value{"value", storage::ValueType::kFloat};
    for (const auto& s : ts.samples()) {
      // A staleness marker says the series ended; it is not a reading (docs/http.md).
      if (IsStaleMarker(s.value())) {
        stale++;
        continue;
      }
      int64_t ns;
      if (__builtin_mul_overflow(s.timestamp(), int64_t{1'000'000}, &ns)) {
        return fail(absl::InvalidArgumentError(
            absl::StrCat("time series ", t, " (", ClientText(g.measurement), "): timestamp ",
                         s.timestamp(), " ms is out of range")));
      }
      g.timestamps.push_back(ns);
      value.floats.push_back(s.value());
    }
    if (g.timestamps.empty()) continue;  // only staleness markers (or no samples)
    values += g.timestamps.size();
    g.fields.push_back(std::move(value));
    groups.push_back(std::move(g));
  }
  if (values > options_.max_points) {
    writes_->CountRejected(FrontDoor::kHttp, absl::InvalidArgumentError("too large"));
    return w.Send(413, http::JsonHeaders(),
                  http::ErrorJson(absl::StrCat("request holds ", values, " samples; the limit is ",
                                               options_.max_points)));
  }
  if (groups.empty()) {
    w.Send(204, http::Headers(), "");
    return;
  }
  storage::WriteOptions options;
  if (absl::Status s = IdempotencyFrom(req, &options); !s.ok()) return fail(s);
  Commit(who, req, &groups, std::move(options), w);
  if (stale > 0) writes_->CountStaleMarkers(stale);
}

}  // namespace telemdb::ingest
