// telemdb-fleetgen: writes a workload (fleet, meters, sensors, faults) as Influx line protocol.
//   telemdb-fleetgen [--workload fleet|meters|sensors|faults] [--scale N] [--hours H]
//                    [--seed S] [--start RFC3339] [--interval S] [--jitter S]
//                    [--precision ns|s] [-o FILE] [--stats]
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
#include "bench/fleet/sensors.h"

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

// --interval and --jitter; negative means the workload's default.
struct Timing {
  int64_t interval_s = -1;
  int64_t jitter_s = -1;
};

absl::Status Run(const std::string& workload, int64_t scale, int64_t hours, uint64_t seed,
                 const std::string& start, const std::string& precision, Timing timing,
                 const std::string& path, bool stats) {
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
  // What the periodic workloads (meters, sensors) set alike.
  auto periodic = [&](auto& o, int64_t* devices) {
    if (scale > 0) *devices = scale;
    o.hours = hours;
    o.seed = seed;
    o.start_s = absl::ToUnixSeconds(start_time);
    o.unit = unit;
    if (timing.interval_s >= 0) o.interval_s = timing.interval_s;
    if (timing.jitter_s >= 0) o.jitter_s = timing.jitter_s;
  };
  if (workload == "meters") {
    telemdb::fleet::MetersOptions o;
    periodic(o, &o.meters);
    s = telemdb::fleet::GenerateMeters(o, sink);
  } else if (workload == "sensors") {
    telemdb::fleet::SensorsOptions o;
    periodic(o, &o.sensors);
    s = telemdb::fleet::GenerateSensors(o, sink);
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
  Timing timing;
  app.add_option("--workload", workload,
                 "fleet (trucks), meters (smart meters), sensors (long series) or faults (the "
                 "alert tests' scripted faults)")
      ->check(CLI::IsMember({"fleet", "meters", "sensors", "faults"}));
  app.add_option("--scale", scale, "trucks, meters or sensors (default 200 / 100000 / 1000)")
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  app.add_option("--hours", hours, "simulated hours (default 24)")
      ->check(CLI::Range(int64_t{1}, int64_t{24 * 366}));
  app.add_option("--seed", seed, "random seed; same seed, same bytes (default 1)");
  app.add_option("--start", start,
                 "first timestamp, RFC 3339 (default 2026-01-01T00:00:00Z; meters: "
                 "2026-01-01T12:00:00Z, mid-day)");
  app.add_option("--interval", timing.interval_s,
                 "meters, sensors: seconds between readings, dividing 3600 (default 900 / 10)")
      ->check(CLI::Range(int64_t{1}, int64_t{3600}));
  app.add_option("--jitter", timing.jitter_s,
                 "meters, sensors: clock jitter, +- whole seconds (default 5 / 1)")
      ->check(CLI::Range(int64_t{0}, int64_t{1800}));
  app.add_option("--precision", precision, "timestamp unit: ns or s (default ns)")
      ->check(CLI::IsMember({"ns", "s"}));
  app.add_option("-o,--output", output, "output file (default stdout)");
  app.add_flag("--stats", stats, "print lines, bytes and rate to stderr");
  CLI11_PARSE(app, argc, argv);
  if (start.empty()) start = workload == "meters" ? "2026-01-01T12:00:00Z" : "2026-01-01T00:00:00Z";

  if ((timing.interval_s >= 0 || timing.jitter_s >= 0) && workload != "meters" &&
      workload != "sensors") {
    std::fprintf(stderr, "telemdb-fleetgen: --interval and --jitter apply to meters and sensors\n");
    return 1;
  }
  absl::Status s = Run(workload, scale, hours, seed, start, precision, timing, output, stats);
  if (!s.ok()) {
    std::fprintf(stderr, "telemdb-fleetgen: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
