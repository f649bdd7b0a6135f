#include "server/console_http.h"

#include <regex>
#include <string>

#include "console/assets.h"
#include "gtest/gtest.h"

namespace telemdb::server {
namespace {

// Records the one answer a handler gives.
class Recorder : public http::ResponseWriter {
 public:
  void Send(int s, http::Headers h, std::string b) override {
    status = s;
    headers = std::move(h);
    body = std::move(b);
  }
  bool Start(int, http::Headers) override { return false; }
  bool Write(std::string_view) override { return false; }
  void Finish() override {}
  Deferred Defer() override { return {}; }

  int status = 0;
  http::Headers headers;
  std::string body;
};

http::Request Get(std::string path) {
  http::Request r;
  r.method = "GET";
  r.path = std::move(path);
  return r;
}

TEST(ConsoleHttpTest, ServesThePageWithItsPolicy) {
  Recorder w;
  ASSERT_TRUE(ServeConsole(Get("/"), w));
  EXPECT_EQ(w.status, 200);
  EXPECT_EQ(w.headers.Get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(w.headers.Get("Content-Security-Policy"), kConsoleCsp);
  EXPECT_EQ(w.headers.Get("X-Frame-Options"), "DENY");
  EXPECT_EQ(w.headers.Get("Referrer-Policy"), "no-referrer");
  EXPECT_NE(w.body.find("<!doctype html>"), std::string::npos);
  EXPECT_EQ(std::string(kConsoleCsp).find("unsafe"), std::string::npos);
  Recorder again;
  ASSERT_TRUE(ServeConsole(Get("/index.html"), again));
  EXPECT_EQ(again.body, w.body);
}

TEST(ConsoleHttpTest, EveryFileThePageNamesIsCompiledIn) {
  const console::Asset* page = console::FindAsset("/");
  ASSERT_NE(page, nullptr);
  const std::string html(page->body);
  const std::regex ref("(?:src|href)=\"(/console/[^\"]+)\"");
  int n = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), ref); it != std::sregex_iterator();
       ++it, ++n) {
    const std::string path = (*it)[1];
    const console::Asset* a = console::FindAsset(path);
    ASSERT_NE(a, nullptr) << path;
    EXPECT_FALSE(a->body.empty()) << path;
    if (path.ends_with(".js")) {
      EXPECT_EQ(a->content_type, "text/javascript; charset=utf-8");
    } else if (path.ends_with(".css")) {
      EXPECT_EQ(a->content_type, "text/css; charset=utf-8");
    }
  }
  EXPECT_GE(n, 10);  // dygraphs, its CSS and crosshair, our stylesheet and scripts
  // No inline script: every <script> names its file.
  EXPECT_FALSE(std::regex_search(html, std::regex("<script(?![^>]*src=)[^>]*>")));
  EXPECT_EQ(html.find(" style="), std::string::npos);
}

TEST(ConsoleHttpTest, RevalidatesWithTheEtag) {
  Recorder first;
  ASSERT_TRUE(ServeConsole(Get("/console/app.css"), first));
  auto etag = first.headers.Get("ETag");
  ASSERT_TRUE(etag.has_value());
  http::Request r = Get("/console/app.css");
  r.headers.Add("If-None-Match", std::string(*etag));
  Recorder second;
  ASSERT_TRUE(ServeConsole(r, second));
  EXPECT_EQ(second.status, 304);
  EXPECT_EQ(second.body, "");
}

TEST(ConsoleHttpTest, LeavesOtherRequestsAlone) {
  Recorder w;
  EXPECT_FALSE(ServeConsole(Get("/console/nosuch.js"), w));
  EXPECT_FALSE(ServeConsole(Get("/query"), w));
  http::Request post = Get("/");
  post.method = "POST";
  EXPECT_FALSE(ServeConsole(post, w));
  EXPECT_EQ(w.status, 0);
  http::Request head = Get("/");
  head.method = "HEAD";
  EXPECT_TRUE(ServeConsole(head, w));
  EXPECT_EQ(w.status, 200);
  EXPECT_EQ(w.body, "");
}

}  // namespace
}  // namespace telemdb::server
