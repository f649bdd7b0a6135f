#include "auth/failure_throttle.h"

#include <string>

#include "gtest/gtest.h"

namespace telemdb::auth {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST(FailureThrottleTest, BurstThenGrowingDelays) {
  FailureThrottle t({.burst = 3, .rate = 1.0});
  for (int i = 0; i < 3; i++)
    EXPECT_EQ(t.RecordFailure("ipv4:127.0.0.1", kT0), absl::ZeroDuration());
  EXPECT_EQ(t.RecordFailure("ipv4:127.0.0.1", kT0), absl::Milliseconds(200));
  EXPECT_EQ(t.RecordFailure("ipv4:127.0.0.1", kT0), absl::Milliseconds(400));
  // Another address is not affected.
  EXPECT_EQ(t.RecordFailure("ipv4:127.0.0.2", kT0), absl::ZeroDuration());
  // The bucket refills with time.
  EXPECT_EQ(t.RecordFailure("ipv4:127.0.0.1", kT0 + absl::Seconds(2)), absl::ZeroDuration());
}

TEST(FailureThrottleTest, DelayIsCapped) {
  FailureThrottle t({.burst = 1, .rate = 0.001, .max_delay = absl::Seconds(10)});
  absl::Duration d;
  for (int i = 0; i < 40; i++) d = t.RecordFailure("p", kT0);
  EXPECT_EQ(d, absl::Seconds(10));
}

// A client rotating through a million addresses (synthetic keys: no traffic is sent) never
// grows the table past its bound, and the most recently failing peers are the ones kept.
TEST(FailureThrottleTest, PeerTableIsBounded) {
  FailureThrottle t({.burst = 2, .rate = 0.0, .max_peers = 1000});
  for (int i = 0; i < 1'000'000; i++) {
    t.RecordFailure("ipv6:[fd00::" + std::to_string(i) + "]", kT0 + absl::Microseconds(i));
    ASSERT_LE(t.size(), 1000u);
  }
  EXPECT_EQ(t.size(), 1000u);
  // A peer that keeps failing stays remembered (and throttled) while others churn through.
  const std::string hot = "ipv4:127.0.0.1";
  for (int i = 0; i < 5000; i++) {
    absl::Duration d = t.RecordFailure(hot, kT0);
    if (i >= 2) {
      ASSERT_GT(d, absl::ZeroDuration()) << i;
    }
    t.RecordFailure("churn" + std::to_string(i), kT0);
  }
}

}  // namespace
}  // namespace telemdb::auth
