#include "query/http/influx_query.h"

#include <chrono>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "http/http_auth.h"
#include "http/http_status.h"
#include "query/engine/context.h"
#include "query/engine/engine.h"
#include "query/http/influx_json.h"
#include "query/lang/lexer.h"
#include "query/lang/parser.h"
#include "query/service/query_access.h"
#include "util/absl_compat.h"
#include "util/client_text.h"
#include "util/status_macros.h"

namespace telemdb::query {
namespace {

// Statements the adapter answers itself (InfluxDB administration telemdb has no use for).
enum class Special { kNone, kCreateDatabase, kShowDatabases, kShowRetentionPolicies };

struct Statement {
  std::string text;
  Special special = Special::kNone;
  std::string database;  // CREATE DATABASE <name>
  std::optional<lang::Statement> parsed;
};

bool Word(const lang::Token& t, std::string_view w) {
  return t.kind == lang::TokenKind::kIdent && absl::EqualsIgnoreCase(Sv(t.value), Sv(w));
}

// Recognizes CREATE DATABASE, SHOW DATABASES, SHOW RETENTION POLICIES.
absl::Status Classify(Statement* s) {
  ASSIGN_OR_RETURN(auto tokens, lang::Tokenize(s->text));
  if (tokens.size() >= 3 && Word(tokens[0], "CREATE") && Word(tokens[1], "DATABASE")) {
    if (tokens[2].kind != lang::TokenKind::kIdent &&
        tokens[2].kind != lang::TokenKind::kQuotedIdent) {
      return absl::InvalidArgumentError("expected a database name after CREATE DATABASE");
    }
    s->special = Special::kCreateDatabase;
    s->database = tokens[2].value;
    return absl::OkStatus();
  }
  if (tokens.size() >= 2 && Word(tokens[0], "SHOW") && Word(tokens[1], "DATABASES")) {
    s->special = Special::kShowDatabases;
    return absl::OkStatus();
  }
  if (tokens.size() >= 3 && Word(tokens[0], "SHOW") && Word(tokens[1], "RETENTION") &&
      Word(tokens[2], "POLICIES")) {
    s->special = Special::kShowRetentionPolicies;
  }
  return absl::OkStatus();
}

std::optional<int64_t> EpochUnit(std::string_view e) {
  if (e == "ns" || e == "n") return 1;
  if (e == "u" || e == "us" || e == "\xc2\xb5") return 1000;
  if (e == "ms") return 1'000'000;
  if (e == "s") return 1'000'000'000;
  if (e == "m") return 60'000'000'000;
  if (e == "h") return 3'600'000'000'000;
  return std::nullopt;
}

// Streams a SELECT's frames as InfluxDB series: one per group.
class SeriesSink : public ResultSink {
 public:
  SeriesSink(InfluxResponse* out, std::string measurement)
      : out_(out), measurement_(std::move(measurement)) {}
  absl::Status Start(const ResultSchema& schema) override {
    schema_ = schema;
    return absl::OkStatus();
  }
  absl::Status Write(ResultFrame&& frame) override {
    if (!open_ || frame.group != group_) {
      if (open_) out_->EndSeries();
      SeriesHeader h;
      h.name = measurement_;
      for (size_t i = 0; i < schema_.group_by.size() && i < frame.group_values.size(); i++) {
        h.tags.emplace_back(schema_.group_by[i], frame.group_values[i]);
      }
      if (schema_.has_time) h.columns.push_back("time");
      h.columns.insert(h.columns.end(), schema_.columns.begin(), schema_.columns.end());
      out_->BeginSeries(h);
      open_ = true;
      group_ = frame.group;
    }
    const size_t rows = frame.rows();
    for (size_t r = 0; r < rows; r++) {
      out_->Row(schema_.has_time ? std::optional<int64_t>(frame.time[r]) : std::nullopt,
                frame.columns, r);
    }
    if (frame.group_end) {
      out_->EndSeries();
      open_ = false;
    }
    if (!out_->ok()) return absl::CancelledError("the client went away");
    return absl::OkStatus();
  }

 private:
  InfluxResponse* out_;
  std::string measurement_;
  ResultSchema schema_;
  bool open_ = false;
  uint64_t group_ = 0;
};

// The string form of every cell of a collected SHOW result, row by row.
std::vector<std::vector<std::string>> Rows(const CollectingSink& sink) {
  std::vector<std::vector<std::string>> out;
  for (const auto& f : sink.frames()) {
    for (size_t r = 0; r < f.rows(); r++) {
      std::vector<std::string> row;
      for (const auto& c : f.columns) {
        if (c.IsNull(r)) {
          row.emplace_back();
        } else if (c.type == storage::ValueType::kString) {
          row.push_back(c.strings[r]);
        } else if (c.type == storage::ValueType::kFloat) {
          row.push_back(absl::StrCat(c.floats[r]));
        } else {
          row.push_back(absl::StrCat(c.ints[r]));
        }
      }
      out.push_back(std::move(row));
    }
  }
  return out;
}

// Emits rows grouped by their first column (the measurement) as one series each.
void ByMeasurement(const std::vector<std::vector<std::string>>& rows,
                   const std::vector<std::string>& columns, InfluxResponse* out) {
  std::string current;
  bool open = false;
  for (const auto& row : rows) {
    if (!open || row[0] != current) {
      if (open) out->EndSeries();
      out->BeginSeries({row[0], {}, columns});
      current = row[0];
      open = true;
    }
    out->TextRow(std::vector<std::string>(row.begin() + 1, row.end()));
  }
  if (open) out->EndSeries();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitStatements(std::string_view q) {
  ASSIGN_OR_RETURN(auto tokens, lang::Tokenize(q));
  std::vector<std::string> out;
  size_t start = 0;
  auto cut = [&](size_t end) {
    std::string_view s = q.substr(start, end - start);
    std::string t(absl::StripAsciiWhitespace(Sv(s)));
    if (!t.empty()) out.push_back(std::move(t));
  };
  for (const auto& t : tokens) {
    if (t.kind != lang::TokenKind::kSemicolon) continue;
    const size_t at = static_cast<size_t>(t.text.data() - q.data());
    cut(at);
    start = at + 1;
  }
  cut(q.size());
  return out;
}

void InfluxQueryHandler::Handle(const http::Request& req, http::ResponseWriter& w) const {
  if (req.method != "GET" && req.method != "POST") {
    http::Headers h = http::JsonHeaders();
    h.Add("Allow", "GET, POST");
    return w.Send(405, std::move(h), http::ErrorJson("use GET or POST"));
  }
  auto who = http::AuthenticateOrAnswer(*auth_, req, w);
  if (!who.ok()) return;
  auto bad = [&](const std::string& msg) { http::SendError(w, absl::InvalidArgumentError(msg)); };
  auto q = req.Param("q");
  if (!q || q->empty()) return bad("missing required parameter \"q\"");
  if (q->size() > options_.max_query_bytes) {
    return bad(
        absl::StrCat("query is ", q->size(), " bytes; the limit is ", options_.max_query_bytes));
  }
  ResponseOptions ro;
  if (auto e = req.Param("epoch"); e && !e->empty()) {
    ro.epoch_unit_ns = EpochUnit(*e);
    if (!ro.epoch_unit_ns) {
      return bad(
          absl::StrCat("unknown epoch \"", ClientText(*e, 16), "\": use ns, u, ms, s, m or h"));
    }
  }
  if (req.Param("chunked") == "true") {
    ro.format = Format::kJsonChunked;
    if (auto c = req.Param("chunk_size"); c && !c->empty()) {
      if (!absl::SimpleAtoi(Sv(*c), &ro.chunk_size) || ro.chunk_size == 0) {
        return bad("chunk_size must be a positive integer");
      }
    }
  }
  const auto accept = req.headers.Get("Accept");
  if (accept && absl::StrContains(Sv(*accept), "application/csv")) ro.format = Format::kCsv;
  // A cluster node answers from the whole cluster; ?local=true reads only what this node
  // stores (docs/cluster-query.md: checking a node's replicas). Ignored on a single node.
  bool local = false;
  if (auto l = req.Param("local"); l && !l->empty()) {
    if (*l != "true" && *l != "false") return bad("local must be true or false");
    local = *l == "true";
  }
  QueryBackend* backend = local ? nullptr : options_.backend;

  // Parse everything first: a parse error anywhere answers 400 and runs nothing.
  const int64_t now = options_.now ? options_.now() : absl::GetCurrentTimeNanos();
  auto texts = SplitStatements(*q);
  if (!texts.ok()) return bad(absl::StrCat("error parsing query: ", texts.status().message()));
  if (texts->empty()) return bad("error parsing query: the query holds no statement");
  std::vector<Statement> statements;
  lang::ParseOptions po;
  po.now_ns = now;
  for (auto& text : *texts) {
    Statement s;
    s.text = std::move(text);
    if (absl::Status c = Classify(&s); !c.ok()) {
      return bad(absl::StrCat("error parsing query: ", c.message()));
    }
    if (s.special == Special::kNone) {
      auto parsed = lang::Parse(s.text, po);
      if (!parsed.ok()) {
        return bad(absl::StrCat("error parsing query: ", parsed.status().message()));
      }
      s.parsed = *std::move(parsed);
    }
    statements.push_back(std::move(s));
  }
  // Rights of every statement, before any runs (InfluxDB answers 403 for the request).
  for (const auto& s : statements) {
    absl::Status a;
    if (s.parsed) {
      a = AuthorizeStatement(*who, *s.parsed);
    } else if (s.special == Special::kCreateDatabase) {
      if (!who->CanWriteSomething() && !who->IsAdmin()) {
        a = absl::PermissionDeniedError("CREATE DATABASE needs a write or admin right");
      }
    } else if (!who->CanReadSomething() && !who->IsAdmin() && !who->CanWriteSomething()) {
      a = absl::PermissionDeniedError("this identity has no right");
    }
    if (!a.ok()) {
      if (options_.on_action) options_.on_action(who->name, "query", a);
      return http::SendError(
          w, absl::PermissionDeniedError(absl::StrCat("error authorizing query: ", a.message())));
    }
  }

  // Answer: buffered while small (Content-Length), streamed once it grows.
  bool started = false;
  std::string pending;
  auto headers = [&] {
    http::Headers h;
    h.Add("Content-Type", ro.format == Format::kCsv           ? "application/csv"
                          : ro.format == Format::kJsonChunked ? "application/json"
                                                              : "application/json");
    h.Add("X-Content-Type-Options", "nosniff");
    return h;
  };
  auto out = [&](std::string_view text) {
    if (!started && pending.size() + text.size() < (256 << 10)) {
      pending.append(text);
      return true;
    }
    if (!started) {
      started = true;
      if (!w.Start(200, headers())) return false;
      if (!pending.empty() && !w.Write(pending)) return false;
      pending.clear();
    }
    return w.Write(text);
  };
  InfluxResponse resp(ro, out);
  ScopedQuerier scoped(querier_, &*who);
  // One statement, on this node's querier or through the backend (a cluster).
  auto execute = [&](const lang::Statement& stmt, const ExecOptions& opts, Context& c,
                     ResultSink& out) {
    if (backend == nullptr) return Execute(stmt, scoped, opts, c, out, nullptr);
    return backend->Run(stmt, ScopeWrap(&*who), opts, c, out, nullptr);
  };
  // The measurements the identity may read, from the same place.
  auto measurements = [&](Context& c, std::vector<std::string>* out) -> absl::Status {
    if (backend == nullptr) {
      *out = scoped.Measurements();
      return absl::OkStatus();
    }
    return backend->WithQuerier(ScopeWrap(&*who), c, [&](Querier& q) {
      *out = q.Measurements();
      return absl::OkStatus();
    });
  };
  ExecOptions eo = options_.exec;
  eo.now_ns = now;
  // /query answers as InfluxDB 1.x does (docs/http.md, "InfluxQL support"): nearest-rank
  // percentiles, no rows where a transform has no value yet, and a selector's own time.
  eo.percentile_nearest_rank = true;
  eo.omit_transform_warmup_rows = true;
  eo.influxql_times = true;
  for (size_t i = 0; i < statements.size() && resp.ok(); i++) {
    const Statement& s = statements[i];
    resp.BeginStatement(static_cast<int>(i));
    if (s.special == Special::kCreateDatabase) {
      if (options_.note_database) options_.note_database(s.database);
      resp.EndStatement();
      continue;
    }
    if (s.special == Special::kShowDatabases) {
      resp.BeginSeries({"databases", {}, {"name"}});
      std::vector<std::string> names = {"telemdb"};
      if (options_.databases) {
        for (auto& n : options_.databases()) {
          if (n != "telemdb") names.push_back(std::move(n));
        }
      }
      for (const auto& n : names) resp.TextRow({n});
      resp.EndStatement();
      continue;
    }
    if (s.special == Special::kShowRetentionPolicies) {
      resp.BeginSeries({"", {}, {"name", "duration", "shardGroupDuration", "replicaN", "default"}});
      std::vector<Column> cols(5);
      cols[0].type = cols[1].type = cols[2].type = storage::ValueType::kString;
      cols[3].type = storage::ValueType::kInt;
      cols[4].type = storage::ValueType::kBool;
      cols[0].AppendString("autogen");
      cols[1].AppendString("0s");
      cols[2].AppendString("168h0m0s");
      cols[3].AppendInt(1);
      cols[4].AppendBool(true);
      resp.Row(std::nullopt, cols, 0);
      resp.EndStatement();
      continue;
    }
    const lang::Statement& st = *s.parsed;
    if (IsWriteStatement(st) && options_.on_action) {
      options_.on_action(who->name, "delete statement", absl::OkStatus());
    }
    Context ctx(absl::Now() + options_.timeout);
    const auto t0 = std::chrono::steady_clock::now();
    absl::Status run;
    if (const auto* sel = std::get_if<lang::SelectStatement>(&st)) {
      SeriesSink sink(&resp, sel->measurement);
      run = execute(st, eo, ctx, sink);
    } else if (const auto* tv = std::get_if<lang::ShowTagValuesStatement>(&st);
               tv != nullptr && !tv->measurement) {
      // InfluxDB answers per measurement; run it for each one the identity may read.
      std::vector<std::string> names;
      run = measurements(ctx, &names);
      for (size_t k = 0; run.ok() && k < names.size(); k++) {
        const std::string& m = names[k];
        lang::ShowTagValuesStatement one = *tv;
        one.measurement = m;
        CollectingSink sink;
        run = execute(lang::Statement(one), eo, ctx, sink);
        if (!run.ok()) break;
        auto rows = Rows(sink);
        if (rows.empty()) continue;
        resp.BeginSeries({m, {}, {"key", "value"}});
        for (const auto& r : rows) resp.TextRow(r);
        resp.EndSeries();
      }
    } else {
      CollectingSink sink;
      run = execute(st, eo, ctx, sink);
      if (run.ok()) {
        auto rows = Rows(sink);
        if (std::holds_alternative<lang::ShowMeasurementsStatement>(st)) {
          if (!rows.empty()) {
            resp.BeginSeries({"measurements", {}, {"name"}});
            for (const auto& r : rows) resp.TextRow(r);
          }
        } else if (std::holds_alternative<lang::ShowTagKeysStatement>(st)) {
          ByMeasurement(rows, {"tagKey"}, &resp);
        } else if (std::holds_alternative<lang::ShowFieldKeysStatement>(st)) {
          ByMeasurement(rows, {"fieldKey", "fieldType"}, &resp);
        } else if (const auto* t = std::get_if<lang::ShowTagValuesStatement>(&st)) {
          if (!rows.empty()) {
            resp.BeginSeries({*t->measurement, {}, {"key", "value"}});
            for (const auto& r : rows) resp.TextRow(r);
          }
        } else if (std::holds_alternative<lang::ShowSeriesStatement>(st)) {
          if (!rows.empty()) {
            resp.BeginSeries({"", {}, {"key"}});
            for (const auto& r : rows) resp.TextRow(r);
          }
        }
        // DELETE: an empty result, as InfluxDB answers it.
      }
    }
    if (options_.metrics != nullptr) {
      options_.metrics->Record(
          QueryMetrics::Door::kHttp, QueryMetrics::KindOf(st), run.ok(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    resp.EndStatement(run.ok() ? "" : std::string(run.message()));
  }
  resp.Finish();
  if (started) {
    w.Finish();
  } else {
    w.Send(200, headers(), std::move(pending));
  }
}

}  // namespace telemdb::query
