#include "ingest/lineproto/format.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest/lineproto/fuzz_entry.h"
#include "ingest/lineproto/parser.h"
#include "ingest/lineproto/test_util.h"
#include "util/status_matchers.h"

namespace telemdb::lineproto {
namespace {

using ::telemdb::lineproto::testing::OwnedPoint;
using ::telemdb::lineproto::testing::ParseAll;

// Parses `text`, writes every point back, parses that, and expects the same points.
void ExpectRoundTrip(const std::string& text) {
  ParseOptions options;
  options.allow_non_finite = true;
  ASSERT_OK_AND_ASSIGN(std::vector<OwnedPoint> first, ParseAll(text, options));
  std::string written;
  ASSERT_OK(ParseLines(text, options, [&](const Point& p) {
              AppendPoint(p, &written);
              written.push_back('\n');
              return absl::OkStatus();
            }).status());
  ASSERT_OK_AND_ASSIGN(std::vector<OwnedPoint> second, ParseAll(written, options));
  ASSERT_EQ(first.size(), second.size()) << written;
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].measurement, second[i].measurement) << written;
    EXPECT_EQ(first[i].series_key, second[i].series_key) << written;
    EXPECT_EQ(first[i].tags, second[i].tags) << written;
    ASSERT_EQ(first[i].fields.size(), second[i].fields.size());
    for (size_t f = 0; f < first[i].fields.size(); ++f) {
      EXPECT_EQ(first[i].fields[f].first, second[i].fields[f].first);
      if (first[i].fields[f].second.f == first[i].fields[f].second.f) {  // NaN != NaN
        EXPECT_EQ(first[i].fields[f].second, second[i].fields[f].second) << written;
      }
    }
    EXPECT_EQ(first[i].timestamp_ns, second[i].timestamp_ns);
  }
}

TEST(FormatTest, WritesCanonicalLine) {
  ASSERT_OK(
      ParseLines("m,b=2,a=1 x=1.5,y=-3i,z=t,s=\"q\\\"\" 9", ParseOptions{}, [](const Point& p) {
        std::string out;
        AppendPoint(p, &out);
        EXPECT_EQ(out, "m,a=1,b=2 x=1.5,y=-3i,z=t,s=\"q\\\"\" 9");
        return absl::OkStatus();
      }).status());
}

TEST(FormatTest, EscapesRoundTripInEveryPosition) {
  ExpectRoundTrip(R"(my\ m\,x,t\ k\,\==v\ v\,\= f\ k\,\==1,s="a\"b\\c",n=-0 1)");
  ExpectRoundTrip(R"(m\\,t\\=v\\ f\\="\\" 2)");
  ExpectRoundTrip(R"(a=b,t=1 f=1 3)");
  ExpectRoundTrip(R"(\#notcomment f=1 4)");
  ExpectRoundTrip("m f=NaN,g=-Inf,h=1e-310,i=1.7976931348623157e308,j=0.1 5");
  ExpectRoundTrip("m f=\"tab\there\",g=\"\xc3\xa9\" 6");
  ExpectRoundTrip("m f=9223372036854775807u,g=-9223372036854775808i,h=F -7");
}

TEST(FormatTest, FuzzEntryOnSeedsAndMutations) {
  const std::vector<std::string> seeds = {
      "readings,device_version=v1.0,driver=Derek,fleet=East,model=F-150,name=truck_1 "
      "latitude=41.52311,longitude=-93.60422,elevation=312,velocity=54,heading=221,grade=3,"
      "fuel_consumption=23.4 1767225600000000000\n",
      "m,b=1,a=2 s=\"x\\\"y\",i=5i,u=7u,b=T 1\r\n# c\n\nm f=1\n",
      R"(m\ x\,y,k\==v\ f\,="\\" -1)",
      "m f=NaN,g=1e999,h=-inf 1\nm,t=\xff f=1\n",
  };
  std::mt19937_64 rng(7);
  const std::string alphabet = " ,=\\\"\n\r#tfiu0123456789.-eE\xc3\xa9\xff";
  for (const std::string& seed : seeds) {
    FuzzLineProtocol(seed);
    for (int round = 0; round < 2000; ++round) {
      std::string s = seed;
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !s.empty(); ++e) {
        size_t at = rng() % s.size();
        switch (rng() % 3) {
          case 0:
            s[at] = alphabet[rng() % alphabet.size()];
            break;
          case 1:
            s.erase(at, 1);
            break;
          default:
            s.insert(at, 1, alphabet[rng() % alphabet.size()]);
        }
      }
      FuzzLineProtocol(s);
    }
  }
}

}  // namespace
}  // namespace telemdb::lineproto
