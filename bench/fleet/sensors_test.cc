#include "bench/fleet/sensors.h"

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest/lineproto/parser.h"
#include "util/status_matchers.h"

namespace telemdb::fleet {
namespace {

using lineproto::Point;

std::string Generate(const SensorsOptions& o, int64_t* lines = nullptr) {
  std::string text;
  int64_t n = 0;
  EXPECT_OK(GenerateSensors(o, [&](std::string_view line) {
    text.append(line).push_back('\n');
    ++n;
    return absl::OkStatus();
  }));
  if (lines != nullptr) *lines = n;
  return text;
}

SensorsOptions Small() {
  SensorsOptions o;
  o.sensors = 50;
  o.hours = 48;
  return o;
}

TEST(SensorsTest, DeterministicFromSeed) {
  SensorsOptions o = Small();
  o.hours = 1;
  std::string a = Generate(o);
  EXPECT_EQ(a, Generate(o));
  o.seed = 9;
  EXPECT_NE(a, Generate(o));
}

TEST(SensorsTest, CountsTimesAndValues) {
  SensorsOptions o = Small();
  int64_t lines = 0;
  std::string text = Generate(o, &lines);
  const int64_t on_grid = 50 * 48 * 360;
  EXPECT_LE(lines, on_grid);
  EXPECT_NEAR(static_cast<double>(lines) / on_grid, 0.999, 0.0005);

  const int64_t kNs = 1'000'000'000;
  std::map<std::string, std::vector<double>> by_sensor;
  int64_t off_grid = 0, previous_grid = 0;
  absl::StatusOr<lineproto::ParseStats> stats =
      lineproto::ParseLines(text, lineproto::ParseOptions{}, [&](const Point& p) {
        EXPECT_EQ(p.measurement, "sensor");
        EXPECT_EQ(p.tags.size(), 2u);
        EXPECT_EQ(p.tags[0].key, "sensor_id");
        EXPECT_EQ(p.fields.size(), 1u);
        EXPECT_EQ(p.fields[0].key, "temp");
        EXPECT_EQ(p.fields[0].value.type, storage::ValueType::kFloat);
        EXPECT_GE(p.fields[0].value.f, -30);
        EXPECT_LE(p.fields[0].value.f, 60);
        int64_t s = p.timestamp_ns / kNs - o.start_s;
        EXPECT_EQ(p.timestamp_ns % kNs, 0);
        int64_t grid = (s + 5) / 10 * 10;
        EXPECT_LE(std::abs(s - grid), o.jitter_s);
        EXPECT_GE(grid, previous_grid);  // time-major: grid ticks never go back
        previous_grid = grid;
        off_grid += s != grid;
        by_sensor[std::string(p.tags[0].value)].push_back(p.fields[0].value.f);
        return absl::OkStatus();
      });
  ASSERT_OK(stats.status());
  EXPECT_EQ(stats->bad_lines, 0);
  EXPECT_EQ(by_sensor.size(), 50u);
  EXPECT_GT(off_grid, lines / 2);
  // A random walk with a daily swing: each sensor moves across a range over two days.
  for (const auto& [id, v] : by_sensor) {
    double lo = v[0], hi = v[0];
    for (size_t i = 1; i < v.size(); ++i) {
      lo = std::min(lo, v[i]);
      hi = std::max(hi, v[i]);
    }
    EXPECT_GT(hi - lo, 0.5) << id;
  }
}

TEST(SensorsTest, RejectsBadOptions) {
  SensorsOptions o;
  o.interval_s = 7;
  EXPECT_THAT(GenerateSensors(o, [](std::string_view) { return absl::OkStatus(); }),
              ::telemdb::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                           ::testing::HasSubstr("interval_s")));
  o = SensorsOptions();
  o.jitter_s = 5;
  EXPECT_THAT(ValidateSensorsOptions(o),
              ::telemdb::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                           ::testing::HasSubstr("jitter_s")));
  o = SensorsOptions();
  o.sensors = 0;
  EXPECT_FALSE(ValidateSensorsOptions(o).ok());
}

}  // namespace
}  // namespace telemdb::fleet
