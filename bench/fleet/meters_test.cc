#include "bench/fleet/meters.h"

#include <algorithm>
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

std::vector<std::string> Generate(const MetersOptions& o) {
  std::vector<std::string> lines;
  EXPECT_OK(GenerateMeters(o, [&](std::string_view line) {
    lines.emplace_back(line);
    return absl::OkStatus();
  }));
  return lines;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& l : lines) text.append(l).push_back('\n');
  return text;
}

MetersOptions Small() {
  MetersOptions o;
  o.meters = 2000;
  o.hours = 12;
  return o;
}

TEST(MetersTest, DeterministicFromSeed) {
  MetersOptions o = Small();
  o.hours = 2;
  std::string a = Join(Generate(o));
  EXPECT_EQ(a, Join(Generate(o)));
  o.seed = 9;
  EXPECT_NE(a, Join(Generate(o)));
}

TEST(MetersTest, CountsParseAndValues) {
  MetersOptions o = Small();
  std::vector<std::string> lines = Generate(o);
  EXPECT_EQ(MetersPointsOnGrid(o), 2000 * 48);
  EXPECT_NEAR(static_cast<double>(lines.size()) / MetersPointsOnGrid(o), 0.99, 0.004);

  const int64_t kNs = 1'000'000'000;
  std::set<std::string> meter_ids;
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> energy;  // by meter
  int64_t off_grid = 0;
  absl::StatusOr<lineproto::ParseStats> stats =
      lineproto::ParseLines(Join(lines), lineproto::ParseOptions{}, [&](const Point& p) {
        EXPECT_EQ(p.measurement, "meter");
        EXPECT_EQ(p.tags.size(), 4u);
        EXPECT_EQ(p.tags[2].key, "meter_id");
        meter_ids.insert(std::string(p.tags[2].value));
        EXPECT_EQ(p.timestamp_ns % kNs, 0);  // second precision
        int64_t s = p.timestamp_ns / kNs - o.start_s;
        int64_t off = s - (s + 450) / 900 * 900;  // distance to the nearest grid point
        EXPECT_LE(std::abs(off), o.jitter_s);
        off_grid += off != 0;
        EXPECT_EQ(p.fields.size(), 4u);
        EXPECT_EQ(p.fields[0].key, "energy_wh");
        EXPECT_EQ(p.fields[0].value.type, storage::ValueType::kInt);
        EXPECT_GE(p.fields[1].value.f, 0);
        EXPECT_LE(p.fields[1].value.f, 15);
        EXPECT_GE(p.fields[2].value.f, 215);
        EXPECT_LE(p.fields[2].value.f, 245);
        EXPECT_EQ(p.fields[3].key, "alarm");
        EXPECT_EQ(p.fields[3].value.type, storage::ValueType::kBool);
        energy[std::string(p.tags[2].value)].emplace_back(p.timestamp_ns, p.fields[0].value.i);
        return absl::OkStatus();
      });
  ASSERT_OK(stats.status());
  EXPECT_EQ(stats->bad_lines, 0);
  EXPECT_EQ(meter_ids.size(), 2000u);
  EXPECT_GT(off_grid, static_cast<int64_t>(lines.size()) / 2);
  for (auto& [id, readings] : energy) {  // a counter: never decreases in time order
    std::sort(readings.begin(), readings.end());
    for (size_t i = 1; i < readings.size(); ++i) {
      ASSERT_GE(readings[i].second, readings[i - 1].second) << id;
    }
  }
  // Decimals in the raw text: power_kw 2, voltage 1; energy_wh an integer.
  for (size_t i = 0; i < lines.size(); i += 101) {
    const std::string& l = lines[i];
    auto decimals = [&](std::string_view key) {
      size_t at = l.find(std::string(key) + "=");
      size_t end = l.find_first_of(", ", at);
      std::string v = l.substr(at + key.size() + 1, end - at - key.size() - 1);
      return static_cast<int>(v.size() - v.find('.') - 1);
    };
    EXPECT_EQ(decimals("power_kw"), 2) << l;
    EXPECT_EQ(decimals("voltage"), 1) << l;
    EXPECT_TRUE(absl::StrContains(l, "i,power_kw=")) << l;
    EXPECT_TRUE(absl::StrContains(l, ",alarm=t ") || absl::StrContains(l, ",alarm=f ")) << l;
  }
}

TEST(MetersTest, LateBurstsArriveTogether) {
  MetersOptions o = Small();
  o.missing_fraction = 0;
  std::vector<std::string> lines = Generate(o);
  EXPECT_EQ(static_cast<int64_t>(lines.size()), MetersPointsOnGrid(o));
  auto ts_of = [](const std::string& l) { return std::stoll(l.substr(l.rfind(' ') + 1)); };
  auto id_of = [](const std::string& l) {
    size_t at = l.find("meter_id=");
    return l.substr(at, l.find(',', at) - at);
  };
  int64_t newest = 0, bursts = 0, burst_lines = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    int64_t ts = ts_of(lines[i]);
    if (ts < newest - 900'000'000'000LL) {  // more than one interval behind: a late burst
      ++burst_lines;
      if (i == 0 || id_of(lines[i - 1]) != id_of(lines[i]) ||
          ts_of(lines[i - 1]) >= newest - 900'000'000'000LL) {
        ++bursts;
      }
    }
    newest = std::max(newest, ts);
  }
  EXPECT_GT(bursts, 50);
  // An hour is four readings, and they arrive back to back.
  EXPECT_NEAR(static_cast<double>(burst_lines) / static_cast<double>(bursts), 4.0, 0.3);
}

TEST(MetersTest, RejectsBadOptions) {
  MetersOptions o;
  o.interval_s = 700;
  EXPECT_THAT(GenerateMeters(o, [](std::string_view) { return absl::OkStatus(); }),
              ::telemdb::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                           ::testing::HasSubstr("interval_s")));
  o = MetersOptions();
  o.jitter_s = 600;
  EXPECT_FALSE(ValidateMetersOptions(o).ok());
}

}  // namespace
}  // namespace telemdb::fleet
