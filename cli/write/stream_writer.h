// StreamWriter: sends WriteRequests over one IngestService.WriteStream with several requests
// in flight, and accounts for every acknowledgement.
//
// One thread calls Send() and Finish(); a reader thread owned by the writer consumes the
// responses. Send() blocks while `inflight` requests are unacknowledged. A request the server
// refuses for being over its memory budget (RESOURCE_EXHAUSTED with a RetryInfo detail) is
// sent again after the delay the server asks for, for at most `max_retry_seconds`; any other
// refusal counts its points as rejected and is reported through `on_reject`. Acknowledged
// requests go back to a free list (TakeSpare()) so that their memory is reused.
//
// Thread safety: Send/Finish/TakeSpare from one producer thread; counters from any thread.
#ifndef TELEMDB_CLI_WRITE_STREAM_WRITER_H_
#define TELEMDB_CLI_WRITE_STREAM_WRITER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "cli/client/connection.h"
#include "telemdb/v1/ingest.grpc.pb.h"

namespace telemdb::cli {

// A WriteRequest on its own protobuf arena. Reset() empties it and keeps the arena's first
// block, so a reused slot builds the next request without any heap allocation, and a request
// is freed in one step instead of message by message.
class RequestSlot {
 public:
  RequestSlot();
  RequestSlot(const RequestSlot&) = delete;
  RequestSlot& operator=(const RequestSlot&) = delete;

  v1::WriteRequest* req() { return req_; }
  void Reset();

 private:
  static constexpr size_t kBlockBytes = 1 << 20;
  std::unique_ptr<char[]> block_;
  std::unique_ptr<google::protobuf::Arena> arena_;
  v1::WriteRequest* req_ = nullptr;  // owned by arena_
};

struct StreamWriterOptions {
  // Requests sent but not yet acknowledged. Default: 8 (the server works on up to 8 of a
  // stream at once; more would only wait in transport buffers).
  int inflight = 8;
  // How long a request refused for backpressure is retried. Default: 60 s.
  int max_retry_seconds = 60;
  // After the first rejected request, refuse further Send() calls. Default: false.
  bool stop_on_reject = false;
};

struct WriteCounters {
  std::atomic<int64_t> points_written{0};   // rows of acknowledged requests
  std::atomic<int64_t> values_written{0};   // field values the server accepted
  std::atomic<int64_t> points_rejected{0};  // rows of rejected requests
  std::atomic<int64_t> requests_rejected{0};
};

class StreamWriter {
 public:
  StreamWriter(const client::Connection& conn, const StreamWriterOptions& options);
  ~StreamWriter();

  // Called (on the reader thread) for each rejected request with the server's error and the
  // request's row count.
  std::function<void(const absl::Status& error, int64_t points)> on_reject;

  // Opens the stream. Errors: none so far (a dead stream shows at the first Send).
  absl::Status Start();
  // Sends `req` holding `points` rows. Errors: Aborted once the stream failed or (with
  // stop_on_reject) a request was rejected; the reason is then Finish()'s.
  absl::Status Send(std::unique_ptr<RequestSlot> req, int64_t points);
  // Waits for every acknowledgement, closes the stream. Returns the stream's status
  // (UNAUTHENTICATED, UNAVAILABLE, ...) or DataLoss when requests went unacknowledged.
  absl::Status Finish();
  // An acknowledged request's slot to reuse (emptied), or a new one.
  std::unique_ptr<RequestSlot> TakeSpare();

  const WriteCounters& counters() const { return counters_; }

 private:
  struct Pending {
    std::unique_ptr<RequestSlot> req;
    int64_t points = 0;
    int attempts = 0;
    std::chrono::steady_clock::time_point first_sent;
  };
  struct Retry {
    Pending p;
    std::chrono::steady_clock::time_point due;
  };

  void ReadLoop();
  // Writes one request (holding mu_ released). REQUIRES: called from the producer thread.
  bool WriteOne(Pending p);
  // Sends due retries. REQUIRES: the producer thread.
  absl::Status SendRetries(bool wait_for_all);

  const client::Connection& conn_;
  StreamWriterOptions options_;
  std::unique_ptr<v1::IngestService::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::WriteRequest, v1::WriteResponse>> stream_;
  std::thread reader_;
  WriteCounters counters_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Pending> pending_;              // by request_index; GUARDED_BY(mu_)
  std::deque<Retry> retries_;                        // GUARDED_BY(mu_)
  std::vector<std::unique_ptr<RequestSlot>> spare_;  // GUARDED_BY(mu_)
  uint64_t next_index_ = 0;                          // producer thread only
  bool broken_ = false;                              // a write or read failed; GUARDED_BY(mu_)
  bool stopped_ = false;                             // stop_on_reject fired; GUARDED_BY(mu_)
  bool reader_done_ = false;                         // GUARDED_BY(mu_)
  bool finished_ = false;
};

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_WRITE_STREAM_WRITER_H_
