#include "alert/webhook.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/crypto/openssl_util.h"
#include "util/client_text.h"

namespace telemdb::alert {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

absl::Status Bad(std::string_view url, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("webhook URL \"", ClientText(url), "\": ", what));
}

}  // namespace

absl::StatusOr<WebhookUrl> ParseWebhookUrl(std::string_view url) {
  if (url.size() > 2048) return Bad(url.substr(0, 64), "longer than 2048 bytes");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Bad(url, "holds a space or a control character");
    }
  }
  WebhookUrl u;
  u.text = std::string(url);
  std::string_view rest = url;
  const std::string lower = absl::AsciiStrToLower(std::string(url.substr(0, 8)));
  if (lower.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else if (lower.rfind("https://", 0) == 0) {
    u.tls = true;
    rest.remove_prefix(8);
  } else {
    return Bad(url, "must start with http:// or https://");
  }
  if (rest.find('#') != std::string_view::npos) return Bad(url, "must not have a #fragment");
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (u.target[0] == '?') u.target = "/" + u.target;
  if (authority.find('@') != std::string_view::npos) {
    return Bad(url, "must not carry user:password@ (the target's secret signs deliveries)");
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad(url, "unclosed [ in the host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Bad(url, "expected :port after ]");
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
  }
  if (host.empty()) return Bad(url, "has no host");
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '_') {
      return Bad(url, absl::StrCat("host has a character that is not allowed: '",
                                   ClientText(std::string(1, c)), "'"));
    }
  }
  u.host = std::string(host);
  u.port = u.tls ? 443 : 80;
  if (!port.empty()) {
    int p = 0;
    if (!absl::SimpleAtoi(std::string(port), &p) || p < 1 || p > 65535) {
      return Bad(url, absl::StrCat("bad port \"", ClientText(port), "\" (1..65535)"));
    }
    u.port = static_cast<uint16_t>(p);
  }
  return u;
}

std::string WebhookSignature(std::string_view secret, int64_t unix_seconds, std::string_view body) {
  std::string message = absl::StrCat(unix_seconds, ".");
  message.append(body.data(), body.size());
  return "sha256=" + storage::crypto::Hex(storage::crypto::HmacSha256(secret, message));
}

namespace {

struct Exchange {
  bhttp::request<bhttp::string_body> req;
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  absl::Status status = absl::DeadlineExceededError("no answer in time");
  bool done = false;
};

template <class Stream>
void WriteAndRead(Stream& stream, Exchange& x) {
  bhttp::async_write(stream, x.req, [&](beast::error_code ec, size_t) {
    if (ec) {
      x.status = absl::UnavailableError(absl::StrCat("send: ", ec.message()));
      x.done = true;
      return;
    }
    bhttp::async_read(stream, x.buffer, x.parser, [&](beast::error_code ec2, size_t) {
      // A body past the limit still has its status line: keep the status.
      if (ec2 && ec2 != bhttp::error::body_limit) {
        x.status = absl::UnavailableError(absl::StrCat("read the answer: ", ec2.message()));
      } else {
        x.status = absl::OkStatus();
      }
      x.done = true;
    });
  });
}

}  // namespace

absl::StatusOr<WebhookResponse> PostWebhook(
    const WebhookUrl& url, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers, absl::Duration timeout) {
  net::io_context ioc;
  Exchange x;
  x.parser.body_limit(1 << 10);
  x.req.method(bhttp::verb::post);
  x.req.target(url.target);
  x.req.version(11);
  const bool default_port = url.port == (url.tls ? 443 : 80);
  const std::string host_header =
      (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) +
      (default_port ? "" : ":" + std::to_string(url.port));
  x.req.set(bhttp::field::host, host_header);
  x.req.set(bhttp::field::user_agent, "telemdb");
  x.req.set(bhttp::field::content_type, "application/json");
  x.req.set(bhttp::field::connection, "close");
  for (const auto& [k, v] : headers) x.req.set(k, v);
  x.req.body() = std::string(body);
  x.req.prepare_payload();

  const auto deadline = std::chrono::nanoseconds(absl::ToInt64Nanoseconds(timeout));
  tcp::resolver resolver(ioc);
  ssl::context ctx(ssl::context::tls_client);
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  if (url.tls) {
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(ssl::verify_peer);
    secure.emplace(ioc, ctx);
    if (!SSL_set_tlsext_host_name(secure->native_handle(), url.host.c_str())) {
      return absl::UnavailableError("TLS: cannot set the server name");
    }
    secure->set_verify_callback(ssl::host_name_verification(url.host));
  } else {
    plain.emplace(ioc);
  }
  beast::tcp_stream& lowest = url.tls ? beast::get_lowest_layer(*secure) : *plain;
  lowest.expires_after(deadline);
  resolver.async_resolve(
      url.host, std::to_string(url.port),
      [&](beast::error_code ec, tcp::resolver::results_type results) {
        if (ec) {
          x.status = absl::UnavailableError(absl::StrCat("resolve ", url.host, ": ", ec.message()));
          x.done = true;
          return;
        }
        lowest.async_connect(results, [&](beast::error_code ec2, const tcp::endpoint&) {
          if (ec2) {
            x.status = absl::UnavailableError(absl::StrCat("connect: ", ec2.message()));
            x.done = true;
            return;
          }
          if (!url.tls) return WriteAndRead(*plain, x);
          secure->async_handshake(ssl::stream_base::client, [&](beast::error_code ec3) {
            if (ec3) {
              x.status = absl::UnavailableError(absl::StrCat("TLS handshake: ", ec3.message()));
              x.done = true;
              return;
            }
            WriteAndRead(*secure, x);
          });
        });
      });
  ioc.run_for(deadline + std::chrono::milliseconds(200));
  if (!x.done)
    return absl::DeadlineExceededError(
        absl::StrCat("no answer within ", absl::FormatDuration(timeout)));
  if (!x.status.ok()) return x.status;
  WebhookResponse r;
  r.status = x.parser.get().result_int();
  r.body = x.parser.get().body().substr(0, 1024);
  return r;
}

}  // namespace telemdb::alert
