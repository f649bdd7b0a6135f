// The HTTP front door's transport-free messages: a parsed request (method, path, query and
// form parameters, headers, a bounded and decoded body, the peer) and the ResponseWriter a
// handler answers through, whole or streamed (chunked). No Beast or Asio type appears here:
// handlers in ingest/ and query/ include only this header.
//
// Thread safety: a Request is immutable once handed to a handler; a ResponseWriter is used
// by one handler thread.
#ifndef TELEMDB_HTTP_MESSAGE_H_
#define TELEMDB_HTTP_MESSAGE_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace telemdb::http {

// Header fields in arrival order; names compare case-insensitively.
class Headers {
 public:
  void Add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
  }
  // The first value of `name`, or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct Request {
  std::string method;  // "GET", "POST", "HEAD", ...
  std::string path;    // percent-decoded, without the query string
  // Query-string parameters, then (for POST application/x-www-form-urlencoded) form
  // parameters, percent-decoded, in order.
  std::vector<std::pair<std::string, std::string>> params;
  Headers headers;
  std::string body;  // gzip already inflated; at most the server's body limit
  std::string peer;  // "ipv4:127.0.0.1" / "ipv6:[::1]": the same form gRPC peers take
  bool tls = false;
  std::optional<std::string> certificate_name;  // a verified client certificate's CN/URI
  size_t wire_bytes = 0;                        // body bytes as received (before inflating)

  // The first value of parameter `name`, or nullopt.
  std::optional<std::string_view> Param(std::string_view name) const;
  // The request target with secrets (`p=`, `u=`, `password=`, `token=`) replaced by "***":
  // the only form of a target that may be logged.
  std::string RedactedTarget() const;
  std::string raw_query;  // the query string as sent (never logged: use RedactedTarget)
};

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // The whole response at once. Content-Length is set here.
  virtual void Send(int status, Headers headers, std::string body) = 0;
  // A streamed response (Transfer-Encoding: chunked): Start, Write chunks, Finish. Write
  // waits until the chunk is handed to the socket (a slow reader slows the writer, memory
  // stays bounded) and returns false once the client is gone; the handler should stop.
  virtual bool Start(int status, Headers headers) = 0;
  virtual bool Write(std::string_view chunk) = 0;
  virtual void Finish() = 0;
  // The answer will come later, from any thread, without holding a worker (a failed
  // authentication held back by the throttle): call the returned function once.
  using Deferred = std::function<void(int status, Headers headers, std::string body)>;
  virtual Deferred Defer() = 0;
};

using Handler = std::function<void(const Request&, ResponseWriter&)>;

// Percent-decoding of a URL component ('+' as space when `plus_is_space`). Malformed
// escapes are kept as they are.
std::string PercentDecode(std::string_view s, bool plus_is_space);
// "a=1&b=2" -> pairs, percent-decoded.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);

}  // namespace telemdb::http

#endif  // TELEMDB_HTTP_MESSAGE_H_
