#include "bench/fleet/fleet.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest/lineproto/parser.h"
#include "util/status_matchers.h"

namespace telemdb::fleet {
namespace {

using lineproto::Point;

std::vector<std::string> Generate(const FleetOptions& o) {
  std::vector<std::string> lines;
  absl::Status s = GenerateFleet(o, [&](std::string_view line) {
    lines.emplace_back(line);
    return absl::OkStatus();
  });
  EXPECT_OK(s);
  return lines;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& l : lines) text.append(l).push_back('\n');
  return text;
}

// The raw text of field `key` in `line` (our generator writes no escapes).
std::string RawField(const std::string& line, const std::string& key) {
  size_t fields = line.find(' ') + 1;
  size_t at = line.find(key + "=", fields);
  while (at != std::string::npos && line[at - 1] != ' ' && line[at - 1] != ',') {
    at = line.find(key + "=", at + 1);
  }
  if (at == std::string::npos) return "";
  size_t begin = at + key.size() + 1;
  return line.substr(begin, line.find_first_of(", ", begin) - begin);
}

int Decimals(const std::string& v) {
  size_t dot = v.find('.');
  return dot == std::string::npos ? 0 : static_cast<int>(v.size() - dot - 1);
}

TEST(FleetTest, DeterministicFromSeed) {
  FleetOptions o;
  o.trucks = 20;
  o.hours = 2;
  std::string a = Join(Generate(o));
  EXPECT_EQ(a, Join(Generate(o)));
  o.seed = 2;
  EXPECT_NE(a, Join(Generate(o)));
}

TEST(FleetTest, LineCountsAboutOnePercentMissing) {
  FleetOptions o;
  o.trucks = 100;
  o.hours = 6;
  int64_t grid = FleetPointsOnGrid(o);
  EXPECT_EQ(grid, 100 * 6 * 360 * 2);
  double kept = static_cast<double>(Generate(o).size()) / static_cast<double>(grid);
  EXPECT_NEAR(kept, 0.99, 0.002);
  o.missing_fraction = 0;
  EXPECT_EQ(static_cast<int64_t>(Generate(o).size()), grid);
}

TEST(FleetTest, ParsesCleanlyWithValuesInBoundsAndDecimalsAsSpecified) {
  FleetOptions o;
  o.trucks = 50;
  o.hours = 4;
  std::vector<std::string> lines = Generate(o);
  const int64_t start_ns = o.start_s * 1'000'000'000;
  const int64_t end_ns = start_ns + o.hours * 3600 * 1'000'000'000LL;
  std::set<std::string> names, fleets, models;
  int64_t readings = 0, diagnostics = 0;
  absl::StatusOr<lineproto::ParseStats> stats =
      lineproto::ParseLines(Join(lines), lineproto::ParseOptions{}, [&](const Point& p) {
        EXPECT_TRUE(p.has_timestamp);
        EXPECT_GE(p.timestamp_ns, start_ns);
        EXPECT_LT(p.timestamp_ns, end_ns);
        EXPECT_EQ(p.timestamp_ns % 10'000'000'000, 0);
        EXPECT_EQ(p.tags.size(), 5u);
        std::map<std::string_view, std::string_view> tags;
        for (const auto& t : p.tags) tags[t.key] = t.value;
        names.insert(std::string(tags["name"]));
        fleets.insert(std::string(tags["fleet"]));
        models.insert(std::string(tags["model"]));
        std::map<std::string_view, lineproto::FieldValue> f;
        for (const auto& fld : p.fields) f[fld.key] = fld.value;
        auto in = [&](std::string_view k, double lo, double hi) {
          EXPECT_EQ(f[k].type, storage::ValueType::kFloat) << k;
          EXPECT_GE(f[k].f, lo) << k;
          EXPECT_LE(f[k].f, hi) << k;
        };
        if (p.measurement == "readings") {
          ++readings;
          EXPECT_EQ(p.fields.size(), 7u);
          in("latitude", 25, 49);
          in("longitude", -125, -67);
          in("elevation", 0, 5000);
          in("velocity", 0, 100);
          in("heading", 0, 359);
          in("grade", 0, 100);
          in("fuel_consumption", 0, 50);
        } else {
          EXPECT_EQ(p.measurement, "diagnostics");
          ++diagnostics;
          EXPECT_EQ(p.fields.size(), 6u);
          in("load_capacity", 1500, 5000);
          in("fuel_capacity", 150, 300);
          in("nominal_fuel_consumption", 12, 19);
          in("fuel_state", 0, 1);
          in("current_load", 0, f["load_capacity"].f);
          EXPECT_EQ(f["status"].type, storage::ValueType::kInt);
          EXPECT_GE(f["status"].i, 0);
          EXPECT_LE(f["status"].i, 5);
        }
        return absl::OkStatus();
      });
  ASSERT_OK(stats.status());
  EXPECT_EQ(stats->bad_lines, 0);
  EXPECT_EQ(stats->points, static_cast<int64_t>(lines.size()));
  EXPECT_EQ(names.size(), 50u);
  EXPECT_EQ(fleets, (std::set<std::string>{"Central", "East", "North", "South", "West"}));
  EXPECT_EQ(models.size(), 3u);
  EXPECT_NEAR(static_cast<double>(readings) / static_cast<double>(diagnostics), 1.0, 0.02);

  // Decimals exactly as specified, in the raw text.
  for (size_t i = 0; i < lines.size(); i += 97) {
    const std::string& l = lines[i];
    if (absl::StartsWith(l, "readings,")) {
      EXPECT_EQ(Decimals(RawField(l, "latitude")), 5) << l;
      EXPECT_EQ(Decimals(RawField(l, "longitude")), 5) << l;
      EXPECT_EQ(Decimals(RawField(l, "fuel_consumption")), 1) << l;
      for (const char* k : {"elevation", "velocity", "heading", "grade"}) {
        EXPECT_EQ(Decimals(RawField(l, k)), 0) << l;
      }
    } else {
      EXPECT_EQ(Decimals(RawField(l, "fuel_state")), 3) << l;
      EXPECT_TRUE(absl::EndsWith(RawField(l, "status"), "i")) << l;
      for (const char* k : {"load_capacity", "fuel_capacity", "current_load"}) {
        EXPECT_EQ(Decimals(RawField(l, k)), 0) << l;
      }
    }
  }
}

TEST(FleetTest, LatePointsExist) {
  FleetOptions o;
  o.trucks = 50;
  o.hours = 6;
  std::map<std::string, int64_t> newest;  // series -> max timestamp so far
  int64_t global_newest = 0, late_in_series = 0, late_by_an_hour = 0, lines = 0;
  ASSERT_OK(GenerateFleet(o, [&](std::string_view line) {
    ++lines;
    size_t sp = line.rfind(' ');
    int64_t ts = std::stoll(std::string(line.substr(sp + 1)));
    std::string series(line.substr(0, line.find(' ')));
    int64_t& n = newest[series];
    if (ts < n) ++late_in_series;
    n = std::max(n, ts);
    if (ts < global_newest - 3600'000'000'000LL) ++late_by_an_hour;
    global_newest = std::max(global_newest, ts);
    return absl::OkStatus();
  }));
  double late_share = static_cast<double>(late_in_series) / static_cast<double>(lines);
  EXPECT_GT(late_share, 0.01);
  EXPECT_LT(late_share, 0.06);
  EXPECT_GT(late_by_an_hour, 0);
}

TEST(FleetTest, GatewayOutageArrivesAtTheEnd) {
  FleetOptions o;
  o.trucks = 20;  // 1% -> one truck
  o.hours = 24;
  o.late_fraction = 0;
  o.missing_fraction = 0;
  std::vector<std::string> lines = Generate(o);
  EXPECT_EQ(static_cast<int64_t>(lines.size()), FleetPointsOnGrid(o));
  auto ts_of = [](const std::string& l) { return std::stoll(l.substr(l.rfind(' ') + 1)); };
  size_t first_back = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (ts_of(lines[i]) < ts_of(lines[i - 1])) {
      first_back = i;
      break;
    }
  }
  ASSERT_GT(first_back, 0u) << "no outage backlog at the end";
  std::set<std::string> trucks;
  for (size_t i = first_back; i < lines.size(); ++i) {
    trucks.insert(
        lines[i].substr(lines[i].find("name="), lines[i].find(' ') - lines[i].find("name=")));
    if (i > first_back) {
      EXPECT_GE(ts_of(lines[i]), ts_of(lines[i - 1]));
    }
  }
  EXPECT_EQ(trucks.size(), 1u);
  size_t backlog = lines.size() - first_back;
  EXPECT_GE(backlog, 2u * 180);   // >= 30 min of both measurements
  EXPECT_LE(backlog, 2u * 1080);  // <= 3 h
}

TEST(FleetTest, TruckValuesDoNotDependOnScale) {
  FleetOptions small, large;
  small.trucks = 5;
  large.trucks = 12;
  small.hours = large.hours = 1;
  auto truck0 = [](const std::vector<std::string>& lines) {
    std::vector<std::string> out;
    for (const std::string& l : lines) {
      if (absl::StrContains(l, "name=truck_0 ")) out.push_back(l);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(truck0(Generate(small)), truck0(Generate(large)));
}

TEST(FleetTest, SecondsPrecisionAndStart) {
  FleetOptions o;
  o.trucks = 2;
  o.hours = 1;
  o.unit = TimestampUnit::kSeconds;
  o.start_s = 86400;
  o.missing_fraction = o.late_fraction = o.outage_fraction = 0;
  std::vector<std::string> lines = Generate(o);
  EXPECT_TRUE(absl::EndsWith(lines.front(), " 86400"));
  EXPECT_TRUE(absl::EndsWith(lines.back(), " 89990"));
}

TEST(FleetTest, RejectsBadOptions) {
  FleetOptions o;
  o.trucks = 0;
  EXPECT_THAT(GenerateFleet(o, [](std::string_view) { return absl::OkStatus(); }),
              ::telemdb::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                           ::testing::HasSubstr("trucks")));
  o = FleetOptions();
  o.missing_fraction = 1.5;
  EXPECT_FALSE(ValidateFleetOptions(o).ok());
}

}  // namespace
}  // namespace telemdb::fleet
