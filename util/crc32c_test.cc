#include "util/crc32c.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace telemdb::crc32c {
namespace {

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Value("123456789"), 0xE3069283u);
  EXPECT_EQ(Value(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Value(std::string(32, '\xff')), 0x62A8AB43u);
}

TEST(Crc32cTest, HardwareMatchesPortableAndExtends) {
  std::mt19937 rng(7);
  for (size_t n : {0u, 1u, 7u, 8u, 9u, 63u, 1000u, 4097u}) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    for (size_t off = 0; off < 8 && off <= n; off++) {
      EXPECT_EQ(Extend(0, s.data() + off, n - off), ExtendPortable(0, s.data() + off, n - off));
    }
    size_t half = n / 2;
    EXPECT_EQ(Extend(Extend(0, s.data(), half), s.data() + half, n - half), Value(s));
  }
}

}  // namespace
}  // namespace telemdb::crc32c
