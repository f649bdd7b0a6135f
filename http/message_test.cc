#include "http/message.h"

#include "gtest/gtest.h"
#include "http/http_auth.h"
#include "http/http_status.h"

namespace telemdb::http {
namespace {

TEST(MessageTest, QueryParsingAndDecoding) {
  auto p = ParseQuery("q=SELECT+mean(%22v%22)+FROM+m&db=&epoch=ms&flag&bad=%zz");
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].second, "SELECT mean(\"v\") FROM m");
  EXPECT_EQ(p[1], (std::pair<std::string, std::string>{"db", ""}));
  EXPECT_EQ(p[3].first, "flag");
  EXPECT_EQ(p[4].second, "%zz");
  EXPECT_EQ(PercentDecode("a%2Fb+c", false), "a/b+c");
}

TEST(MessageTest, SecretsAreRedactedFromTargets) {
  Request r;
  r.path = "/query";
  r.raw_query = "u=admin&p=tdb_secret&q=SHOW+DATABASES&password=x&token=y";
  EXPECT_EQ(r.RedactedTarget(), "/query?u=***&p=***&q=SHOW+DATABASES&password=***&token=***");
}

TEST(MessageTest, HeadersAreCaseInsensitive) {
  Headers h;
  h.Add("Content-Type", "text/plain");
  EXPECT_EQ(*h.Get("content-type"), "text/plain");
  EXPECT_FALSE(h.Get("Accept").has_value());
}

TEST(HttpAuthTest, EverySchemeInfluxClientsUse) {
  auto with = [](const std::string& header) {
    Request r;
    r.peer = "ipv4:127.0.0.1";
    r.headers.Add("Authorization", header);
    return CredentialsOf(r);
  };
  EXPECT_EQ(*with("Bearer tdb_x").token, "tdb_x");
  EXPECT_EQ(*with("Token tdb_y").token, "tdb_y");
  EXPECT_EQ(*with("Basic Z3JhZmFuYTp0ZGJfeg==").token, "tdb_z");  // grafana:tdb_z
  EXPECT_FALSE(with("Basic !!!").malformed.empty());
  EXPECT_FALSE(with("Digest abc").malformed.empty());
  Request q;
  q.params = {{"u", "me"}, {"p", "tdb_p"}};
  EXPECT_EQ(*CredentialsOf(q).token, "tdb_p");
  Request none;
  none.certificate_name = "truck_1";
  auto c = CredentialsOf(none);
  EXPECT_FALSE(c.token.has_value());
  EXPECT_EQ(*c.certificate_name, "truck_1");
  EXPECT_EQ(c.transport, "http");
}

TEST(HttpStatusTest, CodesAndBodies) {
  EXPECT_EQ(HttpCode(absl::InvalidArgumentError("x")), 400);
  EXPECT_EQ(HttpCode(absl::UnauthenticatedError("x")), 401);
  EXPECT_EQ(HttpCode(absl::PermissionDeniedError("x")), 403);
  EXPECT_EQ(HttpCode(absl::ResourceExhaustedError("x")), 503);
  EXPECT_EQ(HttpCode(absl::UnavailableError("x")), 503);
  EXPECT_EQ(ErrorJson("say \"hi\"\n\xff"), "{\"error\":\"say \\\"hi\\\"\\n\xef\xbf\xbd\"}");
}

}  // namespace
}  // namespace telemdb::http
