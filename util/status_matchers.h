// GoogleMock matchers for absl::Status and absl::StatusOr (Debian's abseil has none).
//   EXPECT_THAT(s, IsOk());
//   EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("segment")));
//   ASSERT_OK_AND_ASSIGN(auto v, Compute());
#ifndef TELEMDB_UTIL_STATUS_MATCHERS_H_
#define TELEMDB_UTIL_STATUS_MATCHERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_macros.h"

namespace telemdb::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = ::telemdb::testing::GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s.ToString();
  return s.ok();
}

MATCHER_P(StatusIs, code, "has status code " + std::string(absl::StatusCodeToString(code))) {
  const absl::Status& s = ::telemdb::testing::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + std::string(absl::StatusCodeToString(code))) {
  const absl::Status& s = ::telemdb::testing::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(s.message()), result_listener);
}

}  // namespace telemdb::testing

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::telemdb::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::telemdb::testing::IsOk())

#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  TELEMDB_ASSERT_OK_AND_ASSIGN_IMPL_(TELEMDB_CONCAT_(telemdb_test_statusor_, __LINE__), lhs, expr)
#define TELEMDB_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                       \
  ASSERT_TRUE(statusor.ok()) << statusor.status().ToString();   \
  lhs = std::move(statusor).value()

#endif  // TELEMDB_UTIL_STATUS_MATCHERS_H_
