// Helpers shared by the query language tests. Test-only; not part of the library.
#ifndef TELEMDB_QUERY_LANG_PARSER_TEST_UTIL_H_
#define TELEMDB_QUERY_LANG_PARSER_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "gtest/gtest.h"
#include "query/lang/format.h"
#include "query/lang/parser.h"

namespace telemdb::query::lang {

// now() in tests: 2026-01-01T00:00:00Z.
inline constexpr int64_t kTestNow = 1'767'225'600'000'000'000;
inline constexpr int64_t kSecond = 1'000'000'000;
inline constexpr int64_t kMinute = 60 * kSecond;
inline constexpr int64_t kHour = 60 * kMinute;

inline ParseOptions TestOptions() {
  ParseOptions options;
  options.now_ns = kTestNow;
  return options;
}

inline absl::StatusOr<Statement> ParseQuery(std::string_view query) {
  return Parse(query, TestOptions());
}

// The error message of parsing `query`, or "OK".
inline std::string ParseError(std::string_view query) {
  absl::StatusOr<Statement> s = ParseQuery(query);
  if (s.ok()) return "OK";
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

// Parses a statement that must be of type T; records a failure and returns T{} otherwise.
template <typename T>
T ParseAs(std::string_view query) {
  absl::StatusOr<Statement> s = ParseQuery(query);
  if (!s.ok()) {
    ADD_FAILURE() << query << ": " << s.status();
    return T{};
  }
  if (!std::holds_alternative<T>(*s)) {
    ADD_FAILURE() << query << ": unexpected statement kind";
    return T{};
  }
  return std::get<T>(*std::move(s));
}

inline SelectStatement ParseSelectOk(std::string_view query) {
  return ParseAs<SelectStatement>(query);
}

// Parses `query`, then checks Parse(Format(s)) == s and that Format is idempotent.
inline void ExpectRoundTrip(std::string_view query) {
  absl::StatusOr<Statement> s = ParseQuery(query);
  ASSERT_TRUE(s.ok()) << query << ": " << s.status();
  const std::string text = Format(*s);
  absl::StatusOr<Statement> again = ParseQuery(text);
  ASSERT_TRUE(again.ok()) << query << " -> " << text << ": " << again.status();
  EXPECT_TRUE(*again == *s) << query << " -> " << text;
  EXPECT_EQ(Format(*again), text) << query;
}

}  // namespace telemdb::query::lang

#endif  // TELEMDB_QUERY_LANG_PARSER_TEST_UTIL_H_
