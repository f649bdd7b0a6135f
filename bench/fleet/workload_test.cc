#include "bench/fleet/workload.h"

#include <string>
#include <vector>

#include "bench/fleet/rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::fleet {
namespace {

std::string Fixed(int64_t v, int d) {
  std::string s;
  AppendFixed(v, d, &s);
  return s;
}

TEST(WorkloadTest, AppendFixed) {
  EXPECT_EQ(Fixed(4312345, 5), "43.12345");
  EXPECT_EQ(Fixed(-9360422, 5), "-93.60422");
  EXPECT_EQ(Fixed(5, 5), "0.00005");
  EXPECT_EQ(Fixed(-5, 1), "-0.5");
  EXPECT_EQ(Fixed(54, 0), "54");
  EXPECT_EQ(Fixed(1000, 3), "1.000");
  EXPECT_EQ(Fixed(0, 3), "0.000");
  EXPECT_EQ(Fixed(INT64_MIN, 9), "-9223372036.854775808");
}

TEST(WorkloadTest, AppendTimestamp) {
  std::string s;
  AppendTimestamp(kDefaultStartSeconds, TimestampUnit::kNanoseconds, &s);
  EXPECT_EQ(s, "1767225600000000000");
  s.clear();
  AppendTimestamp(kDefaultStartSeconds, TimestampUnit::kSeconds, &s);
  EXPECT_EQ(s, "1767225600");
}

TEST(WorkloadTest, ArrivalQueueOrdersByArrivalThenPush) {
  ArrivalQueue q;
  q.Push(30, "c");
  q.Push(10, "a1\na2");
  q.Push(20, "b");
  q.Push(10, "a3");
  std::vector<std::string> out;
  auto sink = [&](std::string_view l) {
    out.emplace_back(l);
    return absl::OkStatus();
  };
  ASSERT_OK(q.EmitUntil(9, sink));
  EXPECT_TRUE(out.empty());
  ASSERT_OK(q.EmitUntil(20, sink));
  EXPECT_THAT(out, ::testing::ElementsAre("a1", "a2", "a3", "b"));
  ASSERT_OK(q.EmitAll(sink));
  EXPECT_EQ(out.back(), "c");
  EXPECT_EQ(q.size(), 0u);
}

TEST(WorkloadTest, SinkErrorStops) {
  ArrivalQueue q;
  q.Push(1, "a\nb");
  int calls = 0;
  EXPECT_THAT(q.EmitAll([&](std::string_view) {
    ++calls;
    return absl::CancelledError("stop");
  }),
              ::telemdb::testing::StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(calls, 1);
}

TEST(RngTest, DeterministicIndependentAndBounded) {
  Rng a(1, 7), b(1, 7), c(1, 8), d(2, 7);
  uint64_t va = a.Next();
  EXPECT_EQ(va, b.Next());
  EXPECT_NE(va, c.Next());
  EXPECT_NE(va, d.Next());
  Rng r(3, 3);
  int64_t lo_hits = 0, hi_hits = 0;
  for (int i = 0; i < 100000; ++i) {
    int64_t v = r.Between(-2, 2);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 2);
    lo_hits += v == -2;
    hi_hits += v == 2;
    double u = r.Unit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    int64_t w = Walk(r, 0, 50, 0, 10);
    ASSERT_GE(w, 0);
    ASSERT_LE(w, 10);
  }
  EXPECT_GT(lo_hits, 15000);
  EXPECT_GT(hi_hits, 15000);
}

}  // namespace
}  // namespace telemdb::fleet
