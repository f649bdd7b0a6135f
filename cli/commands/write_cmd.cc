// telemdb write [FILE|-]: loads line protocol or CSV into telemdbd over WriteStream and ends
// with `wrote N points (skipped S lines, rejected R points)` on stderr.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cli/app/command.h"
#include "cli/app/exit_codes.h"
#include "cli/write/progress.h"
#include "cli/write/sources.h"

namespace telemdb::cli {
namespace {

struct WriteFlags {
  std::string file = "-";
  std::string format = "lp";
  std::string precision = "ns";
  std::string on_error = "stop";
  CsvOptions csv;
  std::string tag_columns;
  size_t batch = 10000;
  int inflight = 8;
  bool verbose = false;
};

lineproto::Precision PrecisionOf(const std::string& p) {
  if (p == "us") return lineproto::Precision::kMicroseconds;
  if (p == "ms") return lineproto::Precision::kMilliseconds;
  if (p == "s") return lineproto::Precision::kSeconds;
  return lineproto::Precision::kNanoseconds;
}

int RunWrite(WriteFlags f, const GlobalFlags& global) {
  const bool csv = f.format == "csv";
  const auto on_error =
      f.on_error == "skip" ? lineproto::OnError::kSkip : lineproto::OnError::kStop;
  if (csv && f.csv.measurement.empty()) {
    return Fail(UsageError("--format csv needs --measurement NAME"));
  }
  if (!csv && (!f.csv.measurement.empty() || !f.tag_columns.empty())) {
    return Fail(UsageError("--measurement and --tag-columns apply to --format csv only"));
  }
  // The input, before connecting: a missing file is a usage error.
  int fd = STDIN_FILENO;
  int64_t total_bytes = -1;
  if (f.file != "-") {
    fd = ::open(f.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return Fail(UsageError(absl::StrCat("cannot open ", f.file, ": ", std::strerror(errno))));
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) total_bytes = st.st_size;
  }
  auto conn = Connect(global);
  if (!conn.ok()) return Fail(conn.status());

  PipelineOptions po;
  po.batch_values = std::max<size_t>(1, f.batch);
  po.stream.inflight = f.inflight;
  po.stream.stop_on_reject = on_error == lineproto::OnError::kStop;
  WritePipeline pipe(**conn, po);
  std::atomic<int64_t> bytes_read{0};
  Progress progress(StderrIsTerminal(), total_bytes, &bytes_read, &pipe.counters());
  pipe.set_on_reject([&](const absl::Status& error, int64_t points) {
    progress.Message(absl::StrCat("server rejected ", points, " points: ", error.message()));
  });
  auto t0 = std::chrono::steady_clock::now();
  if (absl::Status s = pipe.Start(); !s.ok()) return Fail(s);
  progress.Start();

  SourceResult src;
  if (csv) {
    f.csv.on_error = on_error;
    for (absl::string_view t : absl::StrSplit(f.tag_columns, ',', absl::SkipWhitespace())) {
      f.csv.tag_columns.emplace_back(absl::StripAsciiWhitespace(t));
    }
    src = LoadCsv(fd, f.csv, &pipe, &bytes_read, &progress);
  } else {
    LineProtocolOptions lo;
    lo.precision = PrecisionOf(f.precision);
    lo.on_error = on_error;
    src = LoadLineProtocol(fd, lo, &pipe, &bytes_read, &progress);
  }
  if (fd != STDIN_FILENO) ::close(fd);
  absl::Status stream = pipe.Finish();
  progress.Stop();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const WriteCounters& c = pipe.counters();
  if (src.stopped_line > 0) {
    PrintError(absl::StrCat("stopped at line ", src.stopped_line,
                            " (--on-error stop): nothing after it was sent"));
  }
  if (!src.read.ok() && IsUsageError(src.read)) return Fail(src.read);
  if (!src.read.ok()) PrintError(src.read);
  if (!stream.ok()) PrintError(stream);
  std::fprintf(stderr, "wrote %ld points (skipped %ld lines, rejected %ld points)\n",
               static_cast<long>(c.points_written.load()), static_cast<long>(src.bad_lines),
               static_cast<long>(c.points_rejected.load()));
  if (f.verbose) {
    std::fprintf(stderr, "%ld field values in %.3f s: %s values/s, %s points/s\n",
                 static_cast<long>(c.values_written.load()), secs,
                 HumanCount(static_cast<double>(c.values_written.load()) / secs).c_str(),
                 HumanCount(static_cast<double>(c.points_written.load()) / secs).c_str());
  }
  if (!stream.ok()) return ExitCodeFor(stream);
  if (!src.read.ok() || src.bad_lines > 0 || c.points_rejected.load() > 0) return kExitError;
  return kExitOk;
}

}  // namespace

void RegisterWriteCommand(CLI::App* app, CliContext* ctx) {
  auto f = std::make_shared<WriteFlags>();
  CLI::App* cmd = AddCommand(
      app, ctx, "write", "Load Influx line protocol or CSV into the database",
      "  telemdb write fleet.lp\n"
      "  telemdb-fleetgen --hours 1 | telemdb write --on-error skip\n"
      "  telemdb write --precision s readings.lp\n"
      "  telemdb write --format csv --measurement readings --tag-columns fleet,name data.csv\n"
      "  telemdb write --format csv --measurement m --time-column ts --time-format ms in.csv\n"
      "  telemdb write --format csv --measurement m --time-format '%d/%m/%Y %H:%M' in.csv\n");
  cmd->add_option("file", f->file, "input file; - or nothing reads stdin");
  cmd->add_option("--format", f->format, "lp (Influx line protocol, default) or csv")
      ->check(CLI::IsMember({"lp", "csv"}));
  cmd->add_option("--precision", f->precision, "unit of line-protocol timestamps (default ns)")
      ->check(CLI::IsMember({"ns", "us", "ms", "s"}));
  cmd->add_option("--on-error", f->on_error,
                  "stop: end at the first bad line (default); skip: report it and go on")
      ->check(CLI::IsMember({"stop", "skip"}));
  const char* g = "CSV";
  cmd->add_option("--measurement", f->csv.measurement, "measurement of every CSV row")->group(g);
  cmd->add_option("--time-column", f->csv.time_column, "CSV column with the time (default time)")
      ->group(g);
  cmd->add_option("--time-format", f->csv.time_format,
                  "rfc3339 (default) | ns | us | ms | s | a strftime pattern such as "
                  "'%Y-%m-%d %H:%M:%S'")
      ->group(g);
  cmd->add_option("--tag-columns", f->tag_columns, "comma-separated CSV columns that are tags")
      ->group(g);
  cmd->add_option("--batch-size", f->batch, "field values per request (default 10000)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--inflight", f->inflight, "requests in flight on the stream (default 8)")
      ->check(CLI::Range(1, 64));
  cmd->add_flag("-v,--verbose", f->verbose, "also print values/s and elapsed time");
  cmd->callback([f, ctx] { ctx->run = [f, ctx] { return RunWrite(*f, ctx->global); }; });
}

}  // namespace telemdb::cli
