// telemdb last [--measurement M] [--field F] [--where C]: the latest value of every series.
//
// For each measurement (M, or all) and each of its fields (F, or all), one query
//   SELECT last(f) FROM m [WHERE C] GROUP BY <every tag key of m>
// groups by the whole tag set, so each group is one series and its row carries the time of
// the series' last point (the server answers last() from its last-value cache). The rows are
// printed as time, series ("m,k1=v1,k2=v2"), field, value, sorted by series then field.
#include <algorithm>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/app/command.h"
#include "cli/app/exit_codes.h"
#include "cli/commands/query_printer.h"
#include "cli/commands/query_text.h"
#include "util/status_macros.h"

namespace telemdb::cli {
namespace {

struct LastFlags {
  OutputFlags output;
  std::string measurement;
  std::string field;
  std::vector<std::string> where;
};

struct LastRow {
  int64_t time = 0;
  std::string series, field;
  Cell value;
  std::string text;  // owns value.s for strings
};

// Keeps the rows of one `SELECT last(f) ... GROUP BY tags` result.
class LastCollector : public client::QueryResultHandler {
 public:
  LastCollector(std::string measurement, std::string field, std::vector<LastRow>* out)
      : measurement_(std::move(measurement)), field_(std::move(field)), out_(out) {}

  absl::Status OnHeader(const v1::ResultHeader& h) override {
    group_by_.assign(h.group_by().begin(), h.group_by().end());
    if (!h.has_time() || h.columns_size() != 1) {
      return absl::InternalError("unexpected result shape for last()");
    }
    return absl::OkStatus();
  }

  absl::Status OnFrame(const v1::ResultFrame& frame) override {
    std::vector<std::pair<std::string, std::string>> tags;
    for (size_t i = 0; i < group_by_.size() && i < static_cast<size_t>(frame.group_values_size());
         i++) {
      tags.emplace_back(group_by_[i], frame.group_values(static_cast<int>(i)));
    }
    std::string series = SeriesKey(measurement_, tags);
    std::vector<Cell> cells(1 + group_by_.size() + 1);
    size_t rows = FrameRows(frame, true);
    for (size_t r = 0; r < rows; r++) {
      FrameRowCells(frame, true, r, cells.data());
      const Cell& v = cells.back();
      if (v.kind == CellKind::kNull) continue;
      LastRow row;
      row.time = cells[0].i;
      row.series = series;
      row.field = field_;
      row.value = v;
      if (v.kind == CellKind::kString) row.text = std::string(v.s);
      out_->push_back(std::move(row));
    }
    return absl::OkStatus();
  }

 private:
  std::string measurement_, field_;
  std::vector<LastRow>* out_;
  std::vector<std::string> group_by_;
};

absl::Status Last(const client::Connection& conn, const OutputOptions& out, const LastFlags& f) {
  std::vector<std::string> measurements;
  if (!f.measurement.empty()) {
    measurements.push_back(f.measurement);
  } else {
    ASSIGN_OR_RETURN(auto ms, client::ListMeasurements(conn));
    measurements.assign(ms.measurements().begin(), ms.measurements().end());
  }
  std::vector<LastRow> rows;
  for (const auto& m : measurements) {
    ASSIGN_OR_RETURN(auto fields, client::ListFields(conn, m));
    ASSIGN_OR_RETURN(auto keys, client::TagKeys(conn, m));
    std::string group_by;
    for (const auto& k : keys.keys()) {
      group_by += group_by.empty() ? " GROUP BY " : ", ";
      group_by += QuoteName(k);
    }
    for (const auto& fld : fields.fields()) {
      if (!f.field.empty() && fld.name() != f.field) continue;
      std::string text = absl::StrCat("SELECT last(", QuoteName(fld.name()), ") FROM ",
                                      QuoteName(m), WhereClause(f.where), group_by);
      LastCollector collector(m, fld.name(), &rows);
      absl::Status s = client::RunQuery(
                           conn,
                           [&] {
                             v1::QueryRequest req;
                             req.set_text(text);
                             return req;
                           }(),
                           &collector)
                           .status();
      // Over every measurement, a --where naming a tag that one of them lacks is no match.
      if (!s.ok() && f.measurement.empty() && s.code() == absl::StatusCode::kInvalidArgument &&
          absl::StrContains(s.message(), "unknown tag or field")) {
        break;
      }
      RETURN_IF_ERROR(s);
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const LastRow& a, const LastRow& b) {
    return std::tie(a.series, a.field) < std::tie(b.series, b.field);
  });
  std::vector<std::vector<Cell>> cells;
  cells.reserve(rows.size());
  for (auto& r : rows) {
    if (r.value.kind == CellKind::kString) r.value.s = r.text;
    cells.push_back({Cell::Time(r.time), Cell::String(r.series), Cell::String(r.field), r.value});
  }
  return PrintResult({{"time", ColumnRole::kTime},
                      {"series", ColumnRole::kTag},
                      {"field", ColumnRole::kTag},
                      {"value", ColumnRole::kValue}},
                     cells, out);
}

int RunLast(const LastFlags& f, const GlobalFlags& global) {
  auto output = MakeOutputOptions(f.output, StdoutIsTerminal());
  if (!output.ok()) return Fail(output.status());
  auto conn = Connect(global);
  if (!conn.ok()) return Fail(conn.status());
  absl::Status s = Last(**conn, *output, f);
  if (s.code() == absl::StatusCode::kCancelled && s.message() == "output closed") return 0;
  return s.ok() ? kExitOk : Fail(s);
}

}  // namespace

void RegisterLastCommand(CLI::App* app, CliContext* ctx) {
  auto f = std::make_shared<LastFlags>();
  CLI::App* cmd = AddCommand(
      app, ctx, "last", "The latest value of every series (columns time,series,field,value)",
      "  telemdb last\n"
      "  telemdb last --measurement readings --field velocity\n"
      "  telemdb last --measurement readings --where \"fleet='East'\" --format json\n");
  cmd->add_option("--measurement", f->measurement, "only this measurement (default: all)");
  cmd->add_option("--field", f->field, "only this field (default: all)");
  cmd->add_option("--where", f->where,
                  "condition in the query language, e.g. \"fleet='East'\"; repeat to AND");
  AddOutputFlags(cmd, &f->output);
  cmd->callback([f, ctx] { ctx->run = [f, ctx] { return RunLast(*f, ctx->global); }; });
}

}  // namespace telemdb::cli
