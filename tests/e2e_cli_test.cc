// End-to-end tests of `telemdb write`, `query` (every output format against the goldens),
// the schema commands, `last`, `admin` and `--plot`: the real binary against a real telemdbd
// (tests/cli/cli_harness.h). Sessions, connection and configuration:
// tests/cli/e2e_cli_session_test.cc.
#include <chrono>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "re2/re2.h"
#include "tests/cli/cli_harness.h"

namespace telemdb::tests {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST_F(E2eCliTest, WriteThenQueryEveryFormatMatchesGoldens) {
  RunResult w = WriteFleet();
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_EQ(w.err, "wrote 36 points (skipped 0 lines, rejected 0 points)\n");
  EXPECT_EQ(w.out, "");

  const std::string agg =
      "SELECT mean(velocity), max(fuel) FROM readings WHERE time >= '2026-01-01T00:00:00Z' "
      "AND time < '2026-01-01T00:12:00Z' GROUP BY time(5m), fleet";
  const std::string raw =
      "SELECT velocity, ok, note FROM readings WHERE name = 'truck_1' AND time < "
      "'2026-01-01T00:04:00Z'";
  struct Case {
    std::string golden, query;
    std::vector<std::string> flags;
  };
  for (const Case& c : std::vector<Case>{
           {"agg.csv", agg, {"--format", "csv"}},
           {"agg.csv", agg, {}},  // csv when stdout is not a terminal
           {"agg.json", agg, {"--format", "json"}},
           {"agg.jsonl", agg, {"--format", "jsonl"}},
           {"agg.txt", agg, {"--format", "table"}},
           {"agg_epoch_ms.csv", agg, {"--epoch", "ms"}},
           {"agg_epoch_s.jsonl", agg, {"--format", "jsonl", "--epoch", "s"}},
           {"raw.csv", raw, {"--format", "csv"}},
           {"raw.json", raw, {"--format", "json"}},
           {"raw.jsonl", raw, {"--format", "jsonl"}},
           {"raw.txt", raw, {"--format", "table"}},
           {"show_measurements.csv", "SHOW MEASUREMENTS", {}},
           {"show_field_keys.csv", "SHOW FIELD KEYS FROM readings", {}},
       }) {
    std::vector<std::string> args = {"query"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    args.push_back(c.query);
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << c.golden << ": " << r.err;
    EXPECT_EQ(r.err, "") << c.golden;
    ExpectGolden(c.golden, r.out);
    if (c.golden.find(".json") != std::string::npos) {
      // Every line of jsonl, and the whole json document, parse.
      if (c.golden.find(".jsonl") != std::string::npos) {
        std::istringstream lines(r.out);
        for (std::string line; std::getline(lines, line);) {
          EXPECT_TRUE(nlohmann::json::accept(line)) << line;
        }
      } else {
        EXPECT_TRUE(nlohmann::json::accept(r.out)) << r.out;
      }
    }
  }
  // CSV floats parse back to the doubles the JSON output carries.
  RunResult json = Run({"query", "--format", "json", agg});
  auto doc = nlohmann::json::parse(json.out);
  ASSERT_EQ(doc["columns"], nlohmann::json({"time", "fleet", "mean", "max"}));
  EXPECT_EQ(doc["rows"].size(), 6u);
}

TEST_F(E2eCliTest, EmptyResultIsSuccessInEveryFormat) {
  ASSERT_EQ(WriteFleet().exit_code, 0);
  const std::string q = "SELECT velocity FROM readings WHERE name = 'nobody'";
  RunResult csv = Run({"query", "--format", "csv", q});
  EXPECT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out, "time,velocity\n");
  RunResult json = Run({"query", "--format", "json", q});
  EXPECT_EQ(json.exit_code, 0);
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_TRUE(doc["rows"].empty());
  RunResult jsonl = Run({"query", "--format", "jsonl", q});
  EXPECT_EQ(jsonl.exit_code, 0);
  EXPECT_EQ(jsonl.out, "");
  RunResult none = Run({"query", "--format", "json", "SELECT x FROM no_such_measurement"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_TRUE(nlohmann::json::accept(none.out)) << none.out;
}

TEST_F(E2eCliTest, BadQueryExitsOneWithLineAndColumn) {
  RunResult r = Run({"query", "SELECT mean(velocity) FORM readings"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(StartsWith("telemdb: "), HasSubstr("line 1, column 23")));
  EXPECT_EQ(r.out, "");
}

TEST_F(E2eCliTest, WriteStopsAtTheFirstMalformedLine) {
  std::string lp =
      "cpu,host=a usage=1 1767225600000000000\n"
      "cpu,host=a usage=2 1767225601000000000\n"
      "cpu,host=a usage= 1767225602000000000\n"  // line 3: missing value
      "cpu,host=a usage=4 1767225603000000000\n";
  WriteFile(dir_.Sub("bad.lp"), lp);
  RunResult r = Run({"write", dir_.Sub("bad.lp")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("telemdb: line 3, column 18: missing value for field key"),
                           HasSubstr("wrote 2 points (skipped 1 lines, rejected 0 points)")));
  RunResult q = Run({"query", "--epoch", "s", "SELECT usage FROM cpu"});
  EXPECT_EQ(q.out, "time,usage\n1767225600,1\n1767225601,2\n");
}

TEST_F(E2eCliTest, WriteSkipsMalformedLinesAndCountsThem) {
  std::string lp;
  for (int i = 1; i <= 10; i++) {
    if (i == 3) {
      lp += "cpu,host=a usage=oops 1767225600000000000\n";
    } else if (i == 7) {
      lp += "cpu,host=a\n";
    } else {
      lp += absl::StrCat("cpu,host=a usage=", i, " ", (kT0 + i) * 1'000'000'000, "\n");
    }
  }
  RunResult r = Run({"write", "--on-error", "skip", "-"}, lp);  // from stdin
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("line 3, column"), HasSubstr("line 7, column"),
                           HasSubstr("wrote 8 points (skipped 2 lines, rejected 0 points)")));
  RunResult q = Run({"query", "SELECT count(usage) FROM cpu"});
  EXPECT_THAT(q.out, HasSubstr(",8\n"));
}

TEST_F(E2eCliTest, ServerRejectionsCountAsRejected) {
  WriteFile(dir_.Sub("a.lp"), "m f=1i 1767225600000000000\n");
  ASSERT_EQ(Run({"write", dir_.Sub("a.lp")}).exit_code, 0);
  // The field is an integer on the server now; a float batch is refused as a whole.
  WriteFile(dir_.Sub("b.lp"), "m f=1.5 1767225601000000000\nm f=2.5 1767225602000000000\n");
  RunResult r = Run({"write", dir_.Sub("b.lp")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("rejected 2 points:"),
                           HasSubstr("wrote 0 points (skipped 0 lines, rejected 2 points)")));
}

TEST_F(E2eCliTest, LinesWithoutTimestampGetTheCurrentTime) {
  auto before = std::chrono::system_clock::now();
  RunResult r = Run({"write", "--precision", "s", "-"}, "cpu v=1\ncpu v=2 1767225600\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RunResult q = Run({"query", "--epoch", "s", "--format", "jsonl", "SELECT v FROM cpu"});
  std::istringstream lines(q.out);
  std::vector<nlohmann::json> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(rows.size(), 2u) << q.out;
  EXPECT_EQ(rows[0]["time"], 1767225600);
  int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch()).count();
  EXPECT_GE(rows[1]["time"].get<int64_t>(), now_s - 1);
  EXPECT_LE(rows[1]["time"].get<int64_t>(), now_s + 60);
}

TEST_F(E2eCliTest, CsvImportInfersTypesAndReportsBadRows) {
  std::string csv =
      "time,fleet,name,velocity,fuel,ok,note\n"
      "2026-01-01T00:00:00Z,East,truck_1,50,100,true,\"a,b\"\n"
      "2026-01-01T00:01:00Z,East,truck_1,50.5,99,false,\n"
      "not-a-time,East,truck_1,51,98,true,x\n"  // line 4
      "2026-01-01T00:03:00Z,West,truck_3,,97,TRUE,\"say \"\"hi\"\"\"\n";
  WriteFile(dir_.Sub("in.csv"), csv);
  std::vector<std::string> args = {"write",  "--format",        "csv",        "--measurement",
                                   "trucks", "--tag-columns",   "fleet,name", "--on-error",
                                   "skip",   dir_.Sub("in.csv")};
  RunResult r = Run(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("line 4: cannot parse time \"not-a-time\""),
                           HasSubstr("wrote 3 points (skipped 1 lines, rejected 0 points)")));
  RunResult fields = Run({"fields", "trucks"});
  EXPECT_EQ(fields.exit_code, 0) << fields.err;
  EXPECT_EQ(fields.out, "name,type\nfuel,integer\nnote,string\nok,boolean\nvelocity,float\n");
  RunResult q = Run({"query", "SELECT * FROM trucks GROUP BY fleet"});
  ExpectGolden("csv_import.csv", q.out);
  // --on-error stop (the default) sends the rows before the bad one only.
  args = {"write", "--format", "csv", "--measurement", "trucks2", dir_.Sub("in.csv")};
  r = Run(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("line 4:"), HasSubstr("wrote 2 points (skipped 1 lines")));
}

TEST_F(E2eCliTest, CsvTimeFormats) {
  WriteFile(dir_.Sub("ms.csv"), "ts,v\n1767225600000,1\n1767225600500,2\n");
  RunResult r = Run({"write", "--format", "csv", "--measurement", "m", "--time-column", "ts",
                     "--time-format", "ms", dir_.Sub("ms.csv")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  WriteFile(dir_.Sub("pat.csv"), "when,v\n01/01/2026 00:00:03,3\n");
  r = Run({"write", "--format", "csv", "--measurement", "m", "--time-column", "when",
           "--time-format", "%d/%m/%Y %H:%M:%S", dir_.Sub("pat.csv")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  RunResult q = Run({"query", "--epoch", "ms", "SELECT v FROM m"});
  EXPECT_EQ(q.out, "time,v\n1767225600000,1\n1767225600500,2\n1767225603000,3\n");
  // A time column missing from the header is a usage error.
  r = Run({"write", "--format", "csv", "--measurement", "m", dir_.Sub("ms.csv")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--time-column \"time\""));
}

TEST_F(E2eCliTest, SchemaCommandsAndLast) {
  ASSERT_EQ(WriteFleet().exit_code, 0);
  RunResult m = Run({"measurements"});
  EXPECT_EQ(m.exit_code, 0) << m.err;
  EXPECT_EQ(m.out, "name\nreadings\n");
  ExpectGolden("fields_all.csv", Run({"fields"}).out);
  ExpectGolden("tags.csv", Run({"tags"}).out);
  ExpectGolden("tag_values.csv", Run({"tags", "name", "--measurement", "readings"}).out);
  ExpectGolden("series.csv", Run({"series", "readings"}).out);
  RunResult s = Run({"series", "--where", "fleet='East'", "--format", "json"});
  EXPECT_EQ(s.exit_code, 0) << s.err;
  ExpectGolden("series_east.json", s.out);
  RunResult last = Run({"last"});
  EXPECT_EQ(last.exit_code, 0) << last.err;
  ExpectGolden("last.csv", last.out);
  RunResult last_v =
      Run({"last", "--measurement", "readings", "--field", "velocity", "--where", "fleet='West'"});
  EXPECT_EQ(last_v.exit_code, 0) << last_v.err;
  EXPECT_EQ(last_v.out,
            "time,series,field,value\n"
            "2026-01-01T00:11:02Z,\"readings,fleet=West,name=truck_3\",velocity,76\n");
}

TEST_F(E2eCliTest, AdminCommands) {
  ASSERT_EQ(WriteFleet().exit_code, 0);
  RunResult flush = Run({"admin", "flush"});
  EXPECT_EQ(flush.exit_code, 0) << flush.err;
  EXPECT_EQ(flush.out, "flushed\n");
  RunResult stats = Run({"admin", "stats", "--format", "json"});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  auto doc = nlohmann::json::parse(stats.out);
  EXPECT_EQ(doc["columns"], nlohmann::json({"name", "value"}));
  bool saw_series = false;
  for (const auto& row : doc["rows"]) {
    if (row[0] == "series") {
      saw_series = true;
      EXPECT_EQ(row[1], 12);  // 3 trucks x 4 fields
    }
  }
  EXPECT_TRUE(saw_series) << stats.out;
  RunResult del = Run({"admin", "delete", "readings", "--where", "name=truck_3"});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_THAT(del.out, HasSubstr("deleted from"));
  RunResult q = Run({"query", "SELECT count(velocity) FROM readings WHERE name = 'truck_3'"});
  EXPECT_EQ(q.exit_code, 0) << q.err;
  EXPECT_THAT(q.out, Not(HasSubstr(",12")));
  RunResult all = Run({"admin", "delete", "readings", "--all"});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(Run({"measurements"}).out, "name\n");
  RunResult snap = Run({"admin", "snapshot", dir_.Sub("snap")});
  EXPECT_EQ(snap.exit_code, 0) << snap.err;
}

TEST_F(E2eCliTest, TokenLifecycleAndAuditVerify) {
  RunResult created = Run({"admin", "token", "create", "--scope", "write:device=truck_1*",
                           "--scope", "read", "--description", "gateway 7", "--expires", "30d"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  // The secret alone on the last line, URL-safe characters only.
  std::string out = created.out;
  ASSERT_FALSE(out.empty());
  out.pop_back();
  const std::string secret = out.substr(out.rfind('\n') + 1);
  EXPECT_TRUE(RE2::FullMatch(secret, "[A-Za-z0-9_-]{40,}")) << created.out;
  const std::string id = secret.substr(4, 12);
  // The new token writes its own devices, not others (exit 1: the server refused).
  std::string lp = dir_.Sub("t.lp");
  WriteFile(lp, "m,device=truck_17 v=1 1767225600000000000\n");
  std::vector<std::string> env = {"TELEMDB_TOKEN=" + secret};
  std::vector<std::string> base = {Cli(), "--addr", server_->addr()};
  auto as_token = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(argv, "", env);
  };
  EXPECT_EQ(as_token({"write", lp}).exit_code, 0);
  WriteFile(lp, "m,device=truck_2 v=1 1767225600000000000\n");
  EXPECT_NE(as_token({"write", lp}).exit_code, 0);
  // list: id first, never a secret.
  RunResult list = Run({"admin", "token", "list", "--format", "csv"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out.substr(0, list.out.find('\n')),
            "id,description,scopes,created,expires,last_used,revoked,last_peer");
  EXPECT_THAT(list.out, HasSubstr(id + ",gateway 7,write:device=truck_1* read,"));
  EXPECT_THAT(list.out, Not(HasSubstr(secret.substr(17))));
  // The token was used from loopback: its last peer is the new last column.
  EXPECT_TRUE(RE2::PartialMatch(list.out, id + ",[^\n]*,false,ipv4:127\\.0\\.0\\.1\n")) << list.out;
  // rotate prints a new secret; revoke ends it.
  RunResult rotated = Run({"admin", "token", "rotate", id, "--overlap", "1h"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  std::string rout = rotated.out;
  rout.pop_back();
  const std::string fresh = rout.substr(rout.rfind('\n') + 1);
  EXPECT_NE(fresh, secret);
  EXPECT_EQ(Run({"admin", "token", "revoke", id}).exit_code, 0);
  EXPECT_EQ(as_token({"measurements"}).exit_code, 3);  // revoked: an auth failure
  RunResult audit = Run({"admin", "audit", "verify"});
  EXPECT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_THAT(audit.out, HasSubstr("audit log intact"));
  EXPECT_EQ(Run({"admin", "token", "revoke", "nosuchtoken0"}).exit_code, 1);
}

TEST_F(E2eCliTest, PlotDrawsAChart) {
  ASSERT_EQ(WriteFleet().exit_code, 0);
  RunResult r = Run({"query", "--plot",
                     "SELECT mean(velocity) FROM readings WHERE time >= '2026-01-01T00:00:00Z' "
                     "AND time < '2026-01-01T00:12:00Z' GROUP BY time(1m), fleet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("fleet=East"), HasSubstr("fleet=West"),
                           HasSubstr("2026-01-01T00:00:00Z"), HasSubstr("\xe2\xa0")));
  r = Run({"query", "--plot", "--ascii", "SELECT velocity FROM readings GROUP BY name"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("name=truck_2"), HasSubstr("|")));
}

TEST_F(E2eCliTest, PredictiveFunctionsPrintEveryColumn) {
  ASSERT_EQ(WriteFleet().exit_code, 0);
  // The mean velocity rises 0.5 a minute: Holt's method continues the line exactly.
  RunResult r = Run({"query", "--format", "csv",
                     "SELECT holt_winters(mean(velocity), 2, 0), forecast(mean(velocity), 2) AS f "
                     "FROM readings WHERE time >= '2026-01-01T00:00:00Z' AND time < "
                     "'2026-01-01T00:12:00Z' GROUP BY time(1m)"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  ASSERT_EQ(rows.size(), 3u) << r.out;
  EXPECT_EQ(rows[0], "time,holt_winters,f,f_lower,f_upper");
  EXPECT_THAT(rows[1], StartsWith("2026-01-01T00:12:00Z,66.25,"));
  EXPECT_THAT(rows[2], StartsWith("2026-01-01T00:13:00Z,66.75,"));
  // anomalies(): value and score per kept row (threshold 0 keeps them all).
  r = Run(
      {"query", "--format", "csv", "SELECT anomalies(velocity, 0) FROM readings GROUP BY name"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("time,name,value,score\n2026-01-01T00:00:00Z,truck_1,50,0\n"));
  // A bad argument is a clear error with its position.
  r = Run({"query", "SELECT ewma(velocity, 2) FROM readings"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("line 1, column 23: expected alpha between 0.001 and 1 in "
                               "ewma(x, alpha), found '2'"));
}

}  // namespace
}  // namespace telemdb::tests
