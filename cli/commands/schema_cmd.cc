// Schema listings: telemdb measurements | fields [M] | series [M] [--where C] |
// tags [KEY] [--measurement M]. measurements, fields and tags use QueryService's listing
// calls; series runs SHOW SERIES so that --where takes the query language's conditions.
#include <memory>

#include "absl/strings/str_cat.h"
#include "cli/app/command.h"
#include "cli/app/exit_codes.h"
#include "cli/commands/query_printer.h"
#include "cli/commands/query_text.h"
#include "util/status_macros.h"

namespace telemdb::cli {
namespace {

struct SchemaFlags {
  OutputFlags output;
  std::string measurement;
  std::string key;
  std::vector<std::string> where;
  uint32_t limit = 0;
};

const char* TypeName(v1::ValueType t) {
  switch (t) {
    case v1::FLOAT:
      return "float";
    case v1::INTEGER:
      return "integer";
    case v1::BOOLEAN:
      return "boolean";
    case v1::STRING:
      return "string";
    default:
      return "unknown";
  }
}

// Runs `body` with a connection and output options; maps its status to an exit code.
int WithConnection(
    const SchemaFlags& f, const GlobalFlags& global,
    const std::function<absl::Status(const client::Connection&, const OutputOptions&)>& body) {
  auto output = MakeOutputOptions(f.output, StdoutIsTerminal());
  if (!output.ok()) return Fail(output.status());
  auto conn = Connect(global);
  if (!conn.ok()) return Fail(conn.status());
  absl::Status s = body(**conn, *output);
  if (s.code() == absl::StatusCode::kCancelled && s.message() == "output closed") return 0;
  return s.ok() ? kExitOk : Fail(s);
}

absl::Status Measurements(const client::Connection& conn, const OutputOptions& out) {
  ASSIGN_OR_RETURN(auto resp, client::ListMeasurements(conn));
  std::vector<std::vector<Cell>> rows;
  for (const auto& m : resp.measurements()) rows.push_back({Cell::String(m)});
  return PrintResult({{"name", ColumnRole::kValue}}, rows, out);
}

absl::Status Fields(const client::Connection& conn, const OutputOptions& out,
                    const std::string& measurement) {
  std::vector<std::string> names;
  if (!measurement.empty()) {
    names.push_back(measurement);
  } else {
    ASSIGN_OR_RETURN(auto ms, client::ListMeasurements(conn));
    names.assign(ms.measurements().begin(), ms.measurements().end());
  }
  std::vector<v1::ListFieldsResponse> lists;
  for (const auto& m : names) {
    ASSIGN_OR_RETURN(auto resp, client::ListFields(conn, m));
    lists.push_back(std::move(resp));
  }
  std::vector<std::vector<Cell>> rows;
  for (size_t i = 0; i < names.size(); i++) {
    for (const auto& fld : lists[i].fields()) {
      std::vector<Cell> row;
      if (measurement.empty()) row.push_back(Cell::String(names[i]));
      row.push_back(Cell::String(fld.name()));
      row.push_back(Cell::String(TypeName(fld.type())));
      rows.push_back(std::move(row));
    }
  }
  std::vector<ColumnSpec> cols;
  if (measurement.empty()) cols.push_back({"measurement", ColumnRole::kValue});
  cols.push_back({"name", ColumnRole::kValue});
  cols.push_back({"type", ColumnRole::kValue});
  return PrintResult(cols, rows, out);
}

absl::Status Tags(const client::Connection& conn, const OutputOptions& out, const SchemaFlags& f) {
  std::vector<std::vector<Cell>> rows;
  if (f.key.empty()) {
    ASSIGN_OR_RETURN(auto resp, client::TagKeys(conn, f.measurement));
    for (const auto& k : resp.keys()) rows.push_back({Cell::String(k)});
    return PrintResult({{"key", ColumnRole::kValue}}, rows, out);
  }
  v1::TagValuesRequest req;
  req.set_key(f.key);
  req.set_measurement(f.measurement);
  req.set_limit(f.limit);
  ASSIGN_OR_RETURN(auto resp, client::TagValues(conn, req));
  for (const auto& v : resp.values()) rows.push_back({Cell::String(v)});
  RETURN_IF_ERROR(PrintResult({{"value", ColumnRole::kValue}}, rows, out));
  if (resp.truncated()) {
    PrintError(absl::StrCat("only the first ", resp.values_size(),
                            " values are listed; raise --limit to see more"));
  }
  return absl::OkStatus();
}

absl::Status Series(const client::Connection& conn, const OutputOptions& out,
                    const SchemaFlags& f) {
  std::string text = "SHOW SERIES";
  if (!f.measurement.empty()) text += " FROM " + QuoteName(f.measurement);
  text += WhereClause(f.where);
  RunOptions run;
  run.output = out;
  return RunAndPrint(conn, text, run).status();
}

}  // namespace

void RegisterSchemaCommands(CLI::App* app, CliContext* ctx) {
  {
    auto f = std::make_shared<SchemaFlags>();
    CLI::App* cmd = AddCommand(app, ctx, "measurements", "List the measurements",
                               "  telemdb measurements\n  telemdb measurements --format json\n");
    AddOutputFlags(cmd, &f->output);
    cmd->callback([f, ctx] {
      ctx->run = [f, ctx] { return WithConnection(*f, ctx->global, Measurements); };
    });
  }
  {
    auto f = std::make_shared<SchemaFlags>();
    CLI::App* cmd = AddCommand(
        app, ctx, "fields",
        "List field names and types (columns name,type; with measurement,name,type for all)",
        "  telemdb fields readings\n  telemdb fields --format csv\n");
    cmd->add_option("measurement", f->measurement, "measurement (default: every measurement)");
    AddOutputFlags(cmd, &f->output);
    cmd->callback([f, ctx] {
      ctx->run = [f, ctx] {
        return WithConnection(*f, ctx->global, [&](const auto& c, const auto& o) {
          return Fields(c, o, f->measurement);
        });
      };
    });
  }
  {
    auto f = std::make_shared<SchemaFlags>();
    CLI::App* cmd = AddCommand(app, ctx, "series",
                               "List series keys (SHOW SERIES), optionally filtered by tags",
                               "  telemdb series readings\n"
                               "  telemdb series readings --where \"fleet='East'\"\n"
                               "  telemdb series --where \"name =~ /^truck_1/\" --where "
                               "\"fleet != 'West'\"\n");
    cmd->add_option("measurement", f->measurement, "measurement (default: every measurement)");
    cmd->add_option("--where", f->where,
                    "tag condition in the query language, e.g. \"fleet='East'\"; repeat to AND");
    AddOutputFlags(cmd, &f->output);
    cmd->callback([f, ctx] {
      ctx->run = [f, ctx] {
        return WithConnection(*f, ctx->global,
                              [&](const auto& c, const auto& o) { return Series(c, o, *f); });
      };
    });
  }
  {
    auto f = std::make_shared<SchemaFlags>();
    CLI::App* cmd = AddCommand(app, ctx, "tags", "List tag keys, or the values of one tag key",
                               "  telemdb tags\n"
                               "  telemdb tags --measurement readings\n"
                               "  telemdb tags fleet\n"
                               "  telemdb tags name --measurement readings --limit 10000\n");
    cmd->add_option("key", f->key, "list the values of this tag key (default: list keys)");
    cmd->add_option("--measurement", f->measurement, "only this measurement (default: all)");
    cmd->add_option("--limit", f->limit, "at most this many values (default: server's, 1000)");
    AddOutputFlags(cmd, &f->output);
    cmd->callback([f, ctx] {
      ctx->run = [f, ctx] {
        return WithConnection(*f, ctx->global,
                              [&](const auto& c, const auto& o) { return Tags(c, o, *f); });
      };
    });
  }
}

}  // namespace telemdb::cli
