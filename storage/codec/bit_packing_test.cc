#include "storage/codec/bit_packing.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/codec/chunk_format.h"

namespace telemdb::storage::codec {
namespace {

TEST(BitPackingTest, BitWidth) {
  EXPECT_EQ(BitWidth(0), 0);
  EXPECT_EQ(BitWidth(1), 1);
  EXPECT_EQ(BitWidth(255), 8);
  EXPECT_EQ(BitWidth(256), 9);
  EXPECT_EQ(BitWidth(~uint64_t{0}), 64);
}

TEST(BitPackingTest, RoundTripsEveryWidthAndCount) {
  std::mt19937_64 rng(7);
  for (int width = 0; width <= 64; width++) {
    const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
    for (size_t n : {size_t{1}, size_t{3}, size_t{8}, size_t{63}, size_t{127}, kBlockSize}) {
      std::vector<uint64_t> in(n);
      for (auto& v : in) v = rng() & mask;
      if (n > 1) in[0] = mask;  // the extreme value
      std::string packed;
      PackBits(in.data(), n, width, &packed);
      ASSERT_EQ(packed.size(), PackedSize(n, width));
      std::vector<uint64_t> out(kBlockSize, 12345);
      // Exact-size buffer: the safe path must not read beyond it (ASan checks this).
      std::vector<char> exact(packed.begin(), packed.end());
      UnpackBitsSafe(exact.data(), exact.size(), n, width, out.data());
      for (size_t i = 0; i < n; i++) ASSERT_EQ(out[i], in[i]) << "width " << width << " i " << i;
      std::string padded = packed + std::string(kUnpackPadding, '\xff');
      UnpackBits(padded.data(), n, width, out.data());
      for (size_t i = 0; i < n; i++) ASSERT_EQ(out[i], in[i]) << "width " << width << " i " << i;
    }
  }
}

TEST(BitPackingTest, PackIgnoresHighBits) {
  std::vector<uint64_t> in(kBlockSize, ~uint64_t{0});
  std::string packed;
  PackBits(in.data(), in.size(), 3, &packed);
  std::vector<uint64_t> out(kBlockSize);
  UnpackBitsSafe(packed.data(), packed.size(), kBlockSize, 3, out.data());
  for (uint64_t v : out) EXPECT_EQ(v, 7u);
}

}  // namespace
}  // namespace telemdb::storage::codec
