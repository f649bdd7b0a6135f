// LoadLineProtocol: chunked reads, whole lines to the shared parser, points to the pipeline.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cli/write/sources.h"

namespace telemdb::cli {
namespace {

constexpr size_t kChunk = 1 << 20;

}  // namespace

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::Status ReadAll(int fd, std::string* out, std::atomic<int64_t>* bytes_read) {
  size_t have = out->size();
  while (true) {
    if (out->size() - have < kChunk) out->resize(have + kChunk);
    ssize_t n = ::read(fd, out->data() + have, out->size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::InternalError(absl::StrCat("cannot read the input: ", std::strerror(errno)));
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
    if (bytes_read != nullptr) *bytes_read += n;
  }
  out->resize(have);
  return absl::OkStatus();
}

SourceResult LoadLineProtocol(int fd, const LineProtocolOptions& options, WritePipeline* pipe,
                              std::atomic<int64_t>* bytes_read, Progress* progress) {
  SourceResult result;
  lineproto::ParseOptions po;
  po.precision = options.precision;
  po.on_error = options.on_error;
  po.now_ns = NowNs();
  lineproto::Parser parser(po);
  int64_t batcher_rejects = 0;

  auto on_point = [&](const lineproto::Point& p) -> absl::Status {
    absl::Status s = pipe->Add(p);
    if (s.ok()) return s;
    if (s.code() != absl::StatusCode::kInvalidArgument) {  // the stream stopped
      result.pipeline = s;
      return s;
    }
    // A type conflict within the batch: a bad line like any other.
    batcher_rejects++;
    progress->Message(std::string(s.message()));
    if (options.on_error == lineproto::OnError::kStop) {
      result.stopped_line = p.line_number;
      return s;
    }
    return absl::OkStatus();
  };
  auto on_error = [&](const lineproto::LineError& e) {
    progress->Message(std::string(e.ToStatus().message()));
    if (options.on_error == lineproto::OnError::kStop) result.stopped_line = e.line_number;
  };

  std::string buf(kChunk, '\0');
  size_t have = 0;
  bool eof = false;
  while (!eof) {
    if (have == buf.size()) buf.resize(buf.size() * 2);  // a line longer than the buffer
    ssize_t n = ::read(fd, buf.data() + have, buf.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.read =
          absl::InternalError(absl::StrCat("cannot read the input: ", std::strerror(errno)));
      break;
    }
    eof = n == 0;
    have += static_cast<size_t>(n);
    *bytes_read += n;
    std::string_view text(buf.data(), have);
    std::string_view lines = eof ? text : lineproto::CompleteLines(text);
    if (lines.empty() && !eof) continue;
    parser.set_now_ns(NowNs());
    absl::Status s = parser.Parse(lines, on_point, on_error);
    if (!s.ok()) break;  // a bad line (kStop) or the pipeline stopped
    size_t rest = have - lines.size();
    std::memmove(buf.data(), buf.data() + lines.size(), rest);
    have = rest;
  }
  result.bad_lines = parser.stats().bad_lines + batcher_rejects;
  return result;
}

}  // namespace telemdb::cli
