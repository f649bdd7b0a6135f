#include "server/console_http.h"

#include <string>

#include "console/assets.h"

namespace telemdb::server {

bool ServeConsole(const http::Request& req, http::ResponseWriter& w) {
  if (req.method != "GET" && req.method != "HEAD") return false;
  // "/index.html" is the same page, for people who type it.
  const console::Asset* a = console::FindAsset(req.path == "/index.html" ? "/" : req.path);
  if (a == nullptr) return false;
  http::Headers h;
  h.Add("Content-Security-Policy", kConsoleCsp);
  h.Add("X-Frame-Options", "DENY");
  h.Add("Referrer-Policy", "no-referrer");
  h.Add("Cross-Origin-Opener-Policy", "same-origin");
  h.Add("Cross-Origin-Resource-Policy", "same-origin");
  h.Add("Cache-Control", "no-cache");
  h.Add("ETag", std::string(a->etag));
  auto match = req.headers.Get("If-None-Match");
  if (match && *match == a->etag) {
    w.Send(304, std::move(h), "");
    return true;
  }
  h.Add("Content-Type", std::string(a->content_type));
  w.Send(200, std::move(h), req.method == "HEAD" ? std::string() : std::string(a->body));
  return true;
}

}  // namespace telemdb::server
