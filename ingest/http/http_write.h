// The HTTP write front doors, thin adapters over the shared write path (ingest/write_path.h):
//
//   POST /write?db=&rp=&precision=n|ns|u|us|ms|s|m|h   InfluxDB 1.x line protocol
//   POST /api/v2/write?bucket=&org=&precision=          the same, as InfluxDB 2.x clients send
//   POST /api/v1/write                                  Prometheus remote_write 1.0
//
// Every request is authenticated (http/http_auth.h), parsed whole, then written atomically
// by WritePath (validate, scopes, idempotency, WAL): all of it is stored or none. Answers
// follow InfluxDB 1.8: 204 on success; 400 {"error":"unable to parse '<line>': <reason>
// (line N)"}; 401/403; 413 over the size limits; 503 with Retry-After when the server is
// over its memory budget (never 429). docs/http.md has every detail.
//
// Thread safety: thread-safe; one instance serves every request.
#ifndef TELEMDB_INGEST_HTTP_HTTP_WRITE_H_
#define TELEMDB_INGEST_HTTP_HTTP_WRITE_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "auth/authenticator.h"
#include "http/message.h"
#include "ingest/write_path.h"

namespace telemdb::ingest {

struct HttpWriteOptions {
  // Field values one request may hold (the storage limit, --max-points-per-request); more is
  // 413. Default: 1,000,000.
  size_t max_points = 1'000'000;
  // Prometheus: the measurement of every sample. Empty: the metric name (__name__) is the
  // measurement. Otherwise the metric name becomes the tag `__name__`. Default: empty
  // (--remote-write-measurement).
  std::string remote_write_measurement;
  // Called with the `db` (or `bucket`) of each accepted /write, so that SHOW DATABASES can
  // list what clients use. Default: none.
  std::function<void(std::string_view)> note_database;
  // ns since the epoch, for lines without a timestamp. Default: the real clock.
  std::function<int64_t()> now;
};

class HttpWriteHandlers {
 public:
  HttpWriteHandlers(WritePath* writes, const auth::Authenticator* auth, HttpWriteOptions options)
      : writes_(writes), auth_(auth), options_(std::move(options)) {}

  // /write and /api/v2/write.
  void LineProtocol(const http::Request& req, http::ResponseWriter& w);
  // /api/v1/write.
  void RemoteWrite(const http::Request& req, http::ResponseWriter& w);

 private:
  // Authenticates and checks a write right; answers and returns false when refused.
  bool Admit(const http::Request& req, http::ResponseWriter& w, auth::Identity* who);
  // Idempotency from X-Telemdb-Producer / -Sequence / -Epoch. Errors: InvalidArgument.
  absl::Status IdempotencyFrom(const http::Request& req, storage::WriteOptions* o) const;
  void Commit(const auth::Identity& who, const http::Request& req,
              std::vector<storage::SeriesBatch>* groups, storage::WriteOptions options,
              http::ResponseWriter& w);
  int64_t Now() const;

  WritePath* writes_;
  const auth::Authenticator* auth_;
  HttpWriteOptions options_;
};

}  // namespace telemdb::ingest

#endif  // TELEMDB_INGEST_HTTP_HTTP_WRITE_H_
