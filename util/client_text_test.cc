#include "util/client_text.h"

#include <string>

#include "gtest/gtest.h"

namespace telemdb {
namespace {

TEST(ClientTextTest, KeepsShortValidText) {
  EXPECT_EQ(ClientText("truck_17"), "truck_17");
  EXPECT_EQ(ClientText("Zürich 🚚"), "Zürich 🚚");
}

TEST(ClientTextTest, EscapesInvalidUtf8AndControlCharacters) {
  EXPECT_EQ(ClientText("\xff"), "\\xff");
  EXPECT_EQ(ClientText(std::string("a\0b\nc", 5)), "a\\x00b\\x0ac");
  EXPECT_EQ(ClientText("\xc3("), "\\xc3(");                  // truncated sequence
  EXPECT_EQ(ClientText("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_TRUE(IsValidUtf8(ClientText("\xf8\x88\x80\x80\x80 \x7f")));
}

TEST(ClientTextTest, CutsLongTextAndSaysHowMuch) {
  std::string mib(1 << 20, 'x');
  std::string out = ClientText(mib);
  EXPECT_EQ(out, std::string(256, 'x') + "...[" + std::to_string((1 << 20) - 256) + " more bytes]");
  // A multi-byte character is never split by the cut.
  std::string umlauts;
  for (int i = 0; i < 200; i++) umlauts += "ü";
  out = ClientText(umlauts, 255);
  EXPECT_TRUE(IsValidUtf8(out));
  EXPECT_EQ(out.substr(0, 254), umlauts.substr(0, 254));
  EXPECT_NE(out.find("[146 more bytes]"), std::string::npos) << out;
}

TEST(ClientTextTest, EveryByteStringGivesValidUtf8) {
  std::string all;
  for (int i = 0; i < 256; i++) all.push_back(static_cast<char>(i));
  for (size_t max : {0, 1, 7, 256, 1000}) EXPECT_TRUE(IsValidUtf8(ClientText(all, max)));
}

TEST(ClientTextTest, Utf8PrefixStopsBetweenCharacters) {
  EXPECT_EQ(Utf8Prefix("aü", 2), "a");
  EXPECT_EQ(Utf8Prefix("aü", 3), "aü");
  EXPECT_EQ(Utf8Prefix("abc", 10), "abc");
}

}  // namespace
}  // namespace telemdb
