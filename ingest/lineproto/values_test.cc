#include "ingest/lineproto/values.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace telemdb::lineproto::internal {
namespace {

using storage::ValueType;

TEST(ValuesTest, UnquotedTypes) {
  EXPECT_EQ(ParseUnquotedValue("54", false).value.type, ValueType::kFloat);
  EXPECT_EQ(ParseUnquotedValue("54", false).value.f, 54.0);
  EXPECT_EQ(ParseUnquotedValue("54i", false).value.type, ValueType::kInt);
  EXPECT_EQ(ParseUnquotedValue("54u", false).value.i, 54);
  EXPECT_EQ(ParseUnquotedValue("TRUE", false).value.type, ValueType::kBool);
  EXPECT_EQ(ParseUnquotedValue("FALSE", false).value.i, 0);
}

TEST(ValuesTest, Errors) {
  EXPECT_EQ(ParseUnquotedValue("tRUE", false).error, ValueError::kBareString);
  EXPECT_EQ(ParseUnquotedValue("i", false).error, ValueError::kInvalid);
  EXPECT_EQ(ParseUnquotedValue("u", false).error, ValueError::kInvalid);
  EXPECT_EQ(ParseUnquotedValue("-i", false).error, ValueError::kInvalid);
  EXPECT_EQ(ParseUnquotedValue("+5i", false).error, ValueError::kInvalid);
  EXPECT_EQ(ParseUnquotedValue("-0u", false).error, ValueError::kNegativeUnsigned);
  EXPECT_EQ(ParseUnquotedValue("18446744073709551615u", false).error,
            ValueError::kUnsignedOutOfRange);
  EXPECT_EQ(ParseUnquotedValue("nan(123)", false).error, ValueError::kBareString);
  EXPECT_EQ(ParseUnquotedValue("NaN", true).error, ValueError::kNone);
  EXPECT_EQ(ParseUnquotedValue("1e308", false).error, ValueError::kNone);
  EXPECT_EQ(ParseUnquotedValue("1e309", false).error, ValueError::kFloatOutOfRange);
  EXPECT_EQ(ParseUnquotedValue("4e-320", false).error, ValueError::kNone);  // subnormal
  for (auto e : {ValueError::kInvalid, ValueError::kBareString, ValueError::kIntegerOutOfRange,
                 ValueError::kUnsignedOutOfRange, ValueError::kNegativeUnsigned,
                 ValueError::kFloatOutOfRange, ValueError::kNonFinite}) {
    EXPECT_GT(std::string(ValueErrorReason(e)).size(), 5u);
  }
}

TEST(ValuesTest, Timestamps) {
  EXPECT_EQ(ParseTimestamp("0", Precision::kSeconds).ns, 0);
  EXPECT_EQ(ParseTimestamp("-1", Precision::kMicroseconds).ns, -1000);
  EXPECT_EQ(ParseTimestamp("+1", Precision::kNanoseconds).error, TimestampError::kInvalid);
  EXPECT_EQ(ParseTimestamp("", Precision::kNanoseconds).error, TimestampError::kInvalid);
  EXPECT_EQ(ParseTimestamp("9223372036854775807", Precision::kNanoseconds).ns, INT64_MAX);
  EXPECT_EQ(ParseTimestamp("9223372036854775807", Precision::kMicroseconds).error,
            TimestampError::kOutOfRange);
}

TEST(ValuesTest, Utf8) {
  EXPECT_EQ(FirstInvalidUtf8(""), 0u);
  EXPECT_EQ(FirstInvalidUtf8("plain"), 5u);
  EXPECT_EQ(FirstInvalidUtf8("h\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x9a\x9a"), 12u);  // é ✓ 🚚
  EXPECT_EQ(FirstInvalidUtf8("ab\x80"), 2u);             // stray continuation
  EXPECT_EQ(FirstInvalidUtf8("a\xc1\xbf"), 1u);          // overlong
  EXPECT_EQ(FirstInvalidUtf8("a\xe0\x80\x80"), 1u);      // overlong
  EXPECT_EQ(FirstInvalidUtf8("a\xed\xbf\xbf"), 1u);      // surrogate
  EXPECT_EQ(FirstInvalidUtf8("a\xf4\x90\x80\x80"), 1u);  // > U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("a\xf0\x9f\x9a"), 1u);      // truncated
  EXPECT_EQ(FirstInvalidUtf8("a\xf8\x88\x80\x80\x80"), 1u);
}

}  // namespace
}  // namespace telemdb::lineproto::internal

namespace telemdb::lineproto::internal {
namespace {

// The fast decimal path must agree bit for bit with from_chars.
TEST(ValuesTest, FastFloatPathMatchesFromChars) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 200000; ++i) {
    int int_digits = static_cast<int>(rng() % 10);
    int frac_digits = static_cast<int>(rng() % 12);
    std::string s = (rng() % 2) ? "-" : "";
    for (int d = 0; d < int_digits; ++d) s.push_back(static_cast<char>('0' + rng() % 10));
    if (frac_digits > 0 || int_digits == 0) {
      s.push_back('.');
      for (int d = 0; d < std::max(frac_digits, 1); ++d) {
        s.push_back(static_cast<char>('0' + rng() % 10));
      }
    }
    ParsedValue v = ParseUnquotedValue(s, false);
    ASSERT_EQ(v.error, ValueError::kNone) << s;
    double want = 0;
    std::from_chars(s.data(), s.data() + s.size(), want);
    ASSERT_EQ(std::memcmp(&v.value.f, &want, sizeof want), 0) << s;
  }
}

}  // namespace
}  // namespace telemdb::lineproto::internal
