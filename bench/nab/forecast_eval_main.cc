// telemdb-forecast-eval: rolling-origin accuracy of forecast() and holt_winters() through
// telemdbd, on the NAB corpus files and on the fleet generator's fuel_state
// (bench/nab/README.md#forecast-accuracy).
//
//   telemdb-forecast-eval [--corpus DIR] [--binary-dir DIR] [--origins 20] [--horizon 12]
//                         [--trucks 10] [--hours 72] [--files SUBSTRING]
//
// Per series: a fresh telemdbd holds it; the bucket interval is the series' median spacing
// (fuel_state: 5 min); the actual bucket means come from `SELECT mean(value) ... GROUP BY
// time(d) FILL(null)`. Origins are spread evenly over the second half of the series (the last
// leaves room for the horizon); at each origin T the queries
//   SELECT forecast(mean(value), 12) FROM ... WHERE time < T GROUP BY time(d)
//   SELECT holt_winters(mean(value), 12, m) FROM ... WHERE time < T GROUP BY time(d)
// forecast the next 12 buckets. The benchmark is the seasonal-naive forecast with m = buckets
// per day when the training part of the first origin has a daily autocorrelation >= 0.3,
// else m = 1 (naive), as M4 does for series without a daily cycle. Reported per series:
//   MASE: mean over origins of MAE(12 steps) / in-sample MAE of the seasonal-naive one-step
//         forecast (Hyndman & Koehler);
//   relMAE: sum |error| of the model / sum |error| of the seasonal-naive 12-step forecast from
//         the same origins (< 1: the model beats it out of sample);
//   coverage: share of actual values inside forecast()'s 80 % band.
#include <cmath>
#include <cstdio>
#include <map>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "bench/fleet/fleet.h"
#include "bench/nab/nab_corpus.h"
#include "bench/nab/nab_server.h"
#include "ingest/lineproto/parser.h"

namespace telemdb::nab {
namespace {

constexpr int64_t kSec = 1'000'000'000;

struct Series {
  std::string name;
  std::vector<int64_t> ts;
  std::vector<double> values;
  int64_t interval_s = 0;
};

struct Result {
  std::string name;
  int64_t buckets = 0, m = 1, origins = 0;
  double mase_f = 0, mase_h = 0, rel_f = 0, rel_h = 0;
  double mae_f = 0, mae_h = 0;  // mean absolute error over every scored step
  int64_t covered = 0, scored = 0;
  bool zero_scale = false;  // the seasonal-naive forecast is exact in sample: no MASE
};

int64_t MedianSpacingSeconds(const std::vector<int64_t>& ts) {
  std::vector<int64_t> d;
  for (size_t i = 1; i < ts.size(); i++) d.push_back((ts[i] - ts[i - 1]) / kSec);
  std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2), d.end());
  return std::max<int64_t>(1, d[d.size() / 2]);
}

double Autocorrelation(const std::vector<double>& y, size_t lag) {
  double mean = 0;
  size_t n = 0;
  for (double v : y) {
    if (!std::isnan(v)) mean += v, n++;
  }
  if (n == 0 || lag >= y.size()) return 0;
  mean /= static_cast<double>(n);
  double num = 0, den = 0;
  for (size_t t = 0; t < y.size(); t++) {
    if (std::isnan(y[t])) continue;
    den += (y[t] - mean) * (y[t] - mean);
    if (t >= lag && !std::isnan(y[t - lag])) num += (y[t] - mean) * (y[t - lag] - mean);
  }
  return den > 0 ? num / den : 0;
}

// The last non-null value at or before index i (NaN when none).
double LastKnown(const std::vector<double>& y, int64_t i) {
  for (; i >= 0; i--) {
    if (!std::isnan(y[static_cast<size_t>(i)])) return y[static_cast<size_t>(i)];
  }
  return std::nan("");
}

absl::StatusOr<Result> Evaluate(NabServer* server, const std::string& from, const Series& s,
                                int64_t origins, int64_t horizon) {
  Result r;
  r.name = s.name;
  const std::string d = absl::StrCat(s.interval_s, "s");
  auto actual = server->Query(
      absl::StrCat("SELECT mean(value) FROM ", from, " GROUP BY time(", d, ") FILL(null)"));
  if (!actual.ok()) return actual.status();
  const std::vector<int64_t>& time = actual->time;
  const std::vector<double>& y = actual->values[0];
  const int64_t n = static_cast<int64_t>(y.size());
  r.buckets = n;
  const int64_t step = std::max<int64_t>(1, (n / 2 - horizon) / std::max<int64_t>(1, origins - 1));
  const int64_t first = n - horizon - (origins - 1) * step;
  if (first < 10) return absl::FailedPreconditionError(absl::StrCat(s.name, ": too short"));
  const int64_t per_day = 86400 / s.interval_s;
  const std::vector<double> head(y.begin(), y.begin() + first);
  r.m = per_day > 1 && 2 * per_day < first &&
                Autocorrelation(head, static_cast<size_t>(per_day)) >= 0.3
            ? per_day
            : 1;
  double abs_f = 0, abs_h = 0, abs_n = 0;
  for (int64_t k = 0; k < origins; k++) {
    const int64_t o = first + k * step;
    const std::string where = absl::StrCat(" WHERE time < ", time[static_cast<size_t>(o)]);
    auto f = server->Query(absl::StrCat("SELECT forecast(mean(value), ", horizon, ") FROM ", from,
                                        where, " GROUP BY time(", d, ")"));
    auto h = server->Query(absl::StrCat("SELECT holt_winters(mean(value), ", horizon, ", ",
                                        r.m > 1 ? r.m : 0, ") FROM ", from, where,
                                        " GROUP BY time(", d, ")"));
    if (!f.ok()) return f.status();
    if (!h.ok()) return h.status();
    // In-sample scale: mean |y_t - y_(t-m)| over the training buckets.
    double scale = 0;
    int64_t scale_n = 0;
    for (int64_t t = r.m; t < o; t++) {
      const double a = y[static_cast<size_t>(t)], b = y[static_cast<size_t>(t - r.m)];
      if (std::isnan(a) || std::isnan(b)) continue;
      scale += std::fabs(a - b);
      scale_n++;
    }
    if (scale_n == 0) continue;
    scale /= static_cast<double>(scale_n);
    if (scale == 0) r.zero_scale = true;
    std::map<int64_t, std::array<double, 3>> fc;
    for (size_t i = 0; i < f->time.size(); i++) {
      fc[f->time[i]] = {f->values[0][i], f->values[1][i], f->values[2][i]};
    }
    std::map<int64_t, double> hw;
    for (size_t i = 0; i < h->time.size(); i++) hw[h->time[i]] = h->values[0][i];
    double mae_f = 0, mae_h = 0;
    int64_t steps = 0;
    for (int64_t j = 0; j < horizon; j++) {
      const int64_t t = o + j;
      const double a = y[static_cast<size_t>(t)];
      if (std::isnan(a)) continue;
      const int64_t back = r.m * ((j / r.m) + 1);  // seasonal naive from the last season seen
      const double naive = LastKnown(y, t - back);
      const auto fi = fc.find(time[static_cast<size_t>(t)]);
      const auto hi = hw.find(time[static_cast<size_t>(t)]);
      if (fi == fc.end() || hi == hw.end() || std::isnan(naive)) continue;
      mae_f += std::fabs(a - fi->second[0]);
      mae_h += std::fabs(a - hi->second);
      abs_n += std::fabs(a - naive);
      r.covered += a >= fi->second[1] && a <= fi->second[2];
      r.scored++;
      steps++;
    }
    if (steps == 0) continue;
    abs_f += mae_f;
    abs_h += mae_h;
    if (scale > 0) {
      r.mase_f += mae_f / static_cast<double>(steps) / scale;
      r.mase_h += mae_h / static_cast<double>(steps) / scale;
    }
    r.origins++;
  }
  if (r.scored > 0) {
    r.mae_f = abs_f / static_cast<double>(r.scored);
    r.mae_h = abs_h / static_cast<double>(r.scored);
  }
  if (r.origins > 0) {
    r.mase_f /= static_cast<double>(r.origins);
    r.mase_h /= static_cast<double>(r.origins);
  }
  r.rel_f = abs_n > 0 ? abs_f / abs_n : std::nan("");
  r.rel_h = abs_n > 0 ? abs_h / abs_n : std::nan("");
  return r;
}

// fuel_state of the first `trucks` trucks of the fleet workload, in time order.
std::vector<Series> FleetFuel(int64_t trucks, int64_t hours) {
  fleet::FleetOptions fo;
  fo.trucks = trucks;
  fo.hours = hours;
  std::map<std::string, std::map<int64_t, double>> by_truck;
  lineproto::ParseOptions po;
  lineproto::Parser parser(po);
  std::string buf;
  const auto flush = [&] {
    (void)parser.Parse(buf, [&](const lineproto::Point& p) -> absl::Status {
      if (p.measurement != "diagnostics") return absl::OkStatus();
      std::string name;
      for (const auto& t : p.tags) {
        if (t.key == "name") name = std::string(t.value);
      }
      for (const auto& f : p.fields) {
        if (f.key == "fuel_state") by_truck[name][p.timestamp_ns] = f.value.f;
      }
      return absl::OkStatus();
    });
    buf.clear();
  };
  (void)fleet::GenerateFleet(fo, [&](std::string_view line) {
    buf.append(line.data(), line.size());
    buf.push_back('\n');
    if (buf.size() > (1 << 20)) flush();
    return absl::OkStatus();
  });
  flush();
  std::vector<Series> out;
  for (const auto& [name, points] : by_truck) {
    Series s;
    s.name = "fleet/fuel_state/" + name;
    for (const auto& [t, v] : points) s.ts.push_back(t), s.values.push_back(v);
    s.interval_s = 300;
    out.push_back(std::move(s));
  }
  return out;
}

int Main(int argc, char** argv) {
  CLI::App app{"telemdb-forecast-eval: rolling-origin accuracy of forecast() and holt_winters()"};
  std::string corpus_dir = "../shared/data/nab-corpus", binary_dir = "build", work = "/tmp", only;
  if (const char* bin = std::getenv("TELEMDB_BINARY_DIR")) binary_dir = bin;
  int64_t origins = 20, horizon = 12, trucks = 10, hours = 72;
  app.add_option("--corpus", corpus_dir, "NAB corpus root")->capture_default_str();
  app.add_option("--binary-dir", binary_dir, "build directory holding server/telemdbd")
      ->capture_default_str();
  app.add_option("--origins", origins, "forecast origins per series")->capture_default_str();
  app.add_option("--horizon", horizon, "buckets forecast from each origin")->capture_default_str();
  app.add_option("--trucks", trucks, "fleet trucks (fuel_state series)")->capture_default_str();
  app.add_option("--hours", hours, "simulated fleet hours")->capture_default_str();
  app.add_option("--files", only, "only series whose name contains this");
  CLI11_PARSE(app, argc, argv);

  auto corpus = LoadNabCorpus(corpus_dir);
  if (!corpus.ok()) return std::fprintf(stderr, "%s\n", corpus.status().ToString().c_str()), 2;
  std::vector<Series> all;
  for (const NabFile& f : *corpus) {
    Series s;
    s.name = f.key();
    s.ts = StoredTimestamps(f);
    s.values = f.values;
    s.interval_s = MedianSpacingSeconds(s.ts);
    all.push_back(std::move(s));
  }
  for (Series& s : FleetFuel(trucks, hours)) all.push_back(std::move(s));

  std::printf("%-58s %7s %4s %5s %8s %8s %8s %8s %8s %10s %10s\n", "series", "buckets", "m", "orig",
              "MASE_fc", "MASE_hw", "rel_fc", "rel_hw", "cover80", "MAE_fc", "MAE_hw");
  int64_t below_f = 0, below_h = 0, rel_below_f = 0, rel_below_h = 0, n = 0;
  int64_t covered = 0, scored = 0, zero = 0;
  for (const Series& s : all) {
    if (!only.empty() && s.name.find(only) == std::string::npos) continue;
    auto server = NabServer::Start(binary_dir, work, "fc");
    if (!server.ok()) return std::fprintf(stderr, "%s\n", server.status().ToString().c_str()), 1;
    absl::Status st = (*server)->Write("series", "", "", s.ts, s.values);
    if (!st.ok()) return std::fprintf(stderr, "%s: %s\n", s.name.c_str(), st.ToString().c_str()), 1;
    auto r = Evaluate(server->get(), "series", s, origins, horizon);
    if (!r.ok()) {
      std::printf("%-58s skipped: %s\n", s.name.c_str(), std::string(r.status().message()).c_str());
      continue;
    }
    if (r->zero_scale) {
      // The series repeats exactly (or is constant): the seasonal-naive errors are 0, so MASE
      // and relMAE are undefined; the MAE shows whether the models repeat it too.
      std::printf(
          "%-58s %7ld %4ld %5ld %8s %8s %8s %8s %8.3f %10.3g %10.3g\n", s.name.c_str(),
          static_cast<long>(r->buckets), static_cast<long>(r->m), static_cast<long>(r->origins),
          "-", "-", "-", "-",
          r->scored ? static_cast<double>(r->covered) / static_cast<double>(r->scored) : 0.0,
          r->mae_f, r->mae_h);
      zero++;  // their bands have width 0 and cover trivially: not counted below
      continue;
    }
    std::printf("%-58s %7ld %4ld %5ld %8.3f %8.3f %8.3f %8.3f %8.3f %10.3g %10.3g\n",
                s.name.c_str(), static_cast<long>(r->buckets), static_cast<long>(r->m),
                static_cast<long>(r->origins), r->mase_f, r->mase_h, r->rel_f, r->rel_h,
                r->scored ? static_cast<double>(r->covered) / static_cast<double>(r->scored) : 0.0,
                r->mae_f, r->mae_h);
    n++;
    below_f += r->mase_f < 1;
    below_h += r->mase_h < 1;
    rel_below_f += r->rel_f < 1;
    rel_below_h += r->rel_h < 1;
    covered += r->covered;
    scored += r->scored;
  }
  std::printf("\n%ld series repeat exactly (seasonal naive exact, no MASE)\n",
              static_cast<long>(zero));
  std::printf(
      "series %ld: MASE < 1: forecast %ld, holt_winters %ld; beats seasonal naive out of "
      "sample (rel < 1): forecast %ld, holt_winters %ld; 80 %% band coverage over all "
      "steps: %.3f (%ld of %ld)\n",
      static_cast<long>(n), static_cast<long>(below_f), static_cast<long>(below_h),
      static_cast<long>(rel_below_f), static_cast<long>(rel_below_h),
      scored ? static_cast<double>(covered) / static_cast<double>(scored) : 0.0,
      static_cast<long>(covered), static_cast<long>(scored));
  return 0;
}

}  // namespace
}  // namespace telemdb::nab

int main(int argc, char** argv) { return telemdb::nab::Main(argc, argv); }
