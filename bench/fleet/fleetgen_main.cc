// telemdb-fleetgen: writes the fleet or meters workload as Influx line protocol.
//   telemdb-fleetgen [--workload fleet|meters] [--scale N] [--hours H] [--seed S]
//                    [--start RFC3339] [--precision ns|s] [-o FILE] [--stats]
// See bench/fleet/README.md. main only parses flags and starts the generator.
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bench/fleet/faults.h"
#include "bench/fleet/fleet.h"
#include "bench/fleet/meters.h"

namespace {

using telemdb::fleet::TimestampUnit;

// Buffers lines and writes them with large fwrite calls.
class Output {
 public:
  explicit Output(std::FILE* f) : file_(f) { buffer_.reserve(kFlushAt + 4096); }

  absl::Status Add(std::string_view line) {
    buffer_.append(line);
    buffer_.push_back('\n');
    ++lines_;
    if (buffer_.size() >= kFlushAt) return Flush();
    return absl::OkStatus();
  }

  absl::Status Flush() {
    size_t size = buffer_.size();
    size_t n = std::fwrite(buffer_.data(), 1, size, file_);
    buffer_.clear();
    bytes_ += static_cast<int64_t>(n);
    if (n != size) return absl::UnavailableError("write failed");
    return absl::OkStatus();
  }

  int64_t lines() const { return lines_; }
  int64_t bytes() const { return bytes_; }

 private:
  static constexpr size_t kFlushAt = 1 << 20;
  std::FILE* file_;
  std::string buffer_;
  int64_t lines_ = 0;
  int64_t bytes_ = 0;
};

absl::Status Run(const std::string& workload, int64_t scale, int64_t hours, uint64_t seed,
                 const std::string& start, const std::string& precision, const std::string& path,
                 bool stats) {
  absl::Time start_time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, start, &start_time, &error)) {
    return absl::InvalidArgumentError(absl::StrCat("--start \"", start, "\": ", error));
  }
  if (start_time != absl::FromUnixSeconds(absl::ToUnixSeconds(start_time))) {
    return absl::InvalidArgumentError("--start must be a whole second");
  }
  TimestampUnit unit = precision == "s" ? TimestampUnit::kSeconds : TimestampUnit::kNanoseconds;

  std::FILE* file = stdout;
  if (!path.empty() && path != "-") {
    file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  }
  Output out(file);
  auto sink = [&out](std::string_view line) { return out.Add(line); };
  auto began = std::chrono::steady_clock::now();
  absl::Status s;
  if (workload == "meters") {
    telemdb::fleet::MetersOptions o;
    if (scale > 0) o.meters = scale;
    o.hours = hours;
    o.seed = seed;
    o.start_s = absl::ToUnixSeconds(start_time);
    o.unit = unit;
    s = telemdb::fleet::GenerateMeters(o, sink);
  } else if (workload == "faults") {
    // The scripted-fault fleet of the alert tests (faults.h); --hours sets its span.
    telemdb::fleet::FaultFleetOptions o;
    if (scale > 0) o.healthy_trucks = scale;
    o.minutes = hours * 60;
    o.seed = seed;
    o.start_s = absl::ToUnixSeconds(start_time);
    s = telemdb::fleet::GenerateFaultFleetLines(o, sink);
  } else {
    telemdb::fleet::FleetOptions o;
    if (scale > 0) o.trucks = scale;
    o.hours = hours;
    o.seed = seed;
    o.start_s = absl::ToUnixSeconds(start_time);
    o.unit = unit;
    s = telemdb::fleet::GenerateFleet(o, sink);
  }
  if (s.ok()) s = out.Flush();
  if (file != stdout) {
    if (std::fclose(file) != 0 && s.ok()) s = absl::UnavailableError("close failed");
  } else if (std::fflush(stdout) != 0 && s.ok()) {
    s = absl::UnavailableError("write failed");
  }
  if (s.ok() && stats) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    std::fprintf(stderr, "fleetgen: %lld lines, %.1f MB in %.2f s (%.1f MB/s, %.2f M lines/s)\n",
                 static_cast<long long>(out.lines()), out.bytes() / 1e6, secs,
                 out.bytes() / 1e6 / secs, out.lines() / 1e6 / secs);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Writes a telemetry workload as Influx line protocol (see bench/fleet/README.md)."};
  std::string workload = "fleet";
  int64_t scale = 0;
  int64_t hours = 24;
  uint64_t seed = 1;
  std::string start;  // default by workload, below
  std::string precision = "ns";
  std::string output;
  bool stats = false;
  app.add_option("--workload", workload,
                 "fleet (trucks), meters (smart meters) or faults (the alert tests' scripted "
                 "faults)")
      ->check(CLI::IsMember({"fleet", "meters", "faults"}));
  app.add_option("--scale", scale, "trucks or meters (default 200 / 100000)")
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  app.add_option("--hours", hours, "simulated hours (default 24)")
      ->check(CLI::Range(int64_t{1}, int64_t{24 * 366}));
  app.add_option("--seed", seed, "random seed; same seed, same bytes (default 1)");
  app.add_option("--start", start,
                 "first timestamp, RFC 3339 (default 2026-01-01T00:00:00Z; meters: "
                 "2026-01-01T12:00:00Z, mid-day)");
  app.add_option("--precision", precision, "timestamp unit: ns or s (default ns)")
      ->check(CLI::IsMember({"ns", "s"}));
  app.add_option("-o,--output", output, "output file (default stdout)");
  app.add_flag("--stats", stats, "print lines, bytes and rate to stderr");
  CLI11_PARSE(app, argc, argv);
  if (start.empty()) start = workload == "meters" ? "2026-01-01T12:00:00Z" : "2026-01-01T00:00:00Z";

  absl::Status s = Run(workload, scale, hours, seed, start, precision, output, stats);
  if (!s.ok()) {
    std::fprintf(stderr, "telemdb-fleetgen: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
