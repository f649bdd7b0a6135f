// WritePipeline: points in, WriteStream requests out. The caller's thread parses and adds
// points to a ColumnarBatcher; every ~batch_values field values the batch becomes a
// WriteRequest (reusing acknowledged requests' memory) and goes through a short queue to a
// sender thread, which writes it on the stream (StreamWriter) while parsing goes on.
//
//   WritePipeline pipe(conn, options);
//   RETURN_IF_ERROR(pipe.Start());
//   ... pipe.Add(point) for each point ...
//   absl::Status s = pipe.Finish();   // the partial batch, then every ack
//
// Thread safety: Add/Finish from one thread; counters() from any thread.
#ifndef TELEMDB_CLI_WRITE_WRITE_PIPELINE_H_
#define TELEMDB_CLI_WRITE_WRITE_PIPELINE_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "cli/write/stream_writer.h"
#include "ingest/lineproto/columnar_batcher.h"
#include "ingest/lineproto/point.h"

namespace telemdb::cli {

struct PipelineOptions {
  // Field values per request. Default: 10,000.
  size_t batch_values = 10000;
  StreamWriterOptions stream;
};

class WritePipeline {
 public:
  WritePipeline(const client::Connection& conn, const PipelineOptions& options);
  ~WritePipeline();

  // Rejections, forwarded from the StreamWriter (called on its reader thread).
  void set_on_reject(std::function<void(const absl::Status&, int64_t)> f) {
    writer_.on_reject = std::move(f);
  }

  absl::Status Start();
  // Adds one point. Errors: InvalidArgument from the batcher (a field's type differs within
  // the batch; the message names the line), the point is then not added; Aborted once the
  // stream failed or stopped (Finish() says why).
  absl::Status Add(const lineproto::Point& point);
  // Sends what is batched, waits for every acknowledgement and closes the stream.
  // Returns the stream's status (see StreamWriter::Finish).
  absl::Status Finish();

  const WriteCounters& counters() const { return writer_.counters(); }
  int64_t points_sent() const { return points_sent_; }

 private:
  struct Item {
    std::unique_ptr<RequestSlot> req;
    int64_t points = 0;
  };
  absl::Status Emit();
  void SendLoop();

  PipelineOptions options_;
  StreamWriter writer_;
  lineproto::ColumnarBatcher batcher_;
  std::thread sender_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;    // GUARDED_BY(mu_)
  bool closed_ = false;       // no more items; GUARDED_BY(mu_)
  bool send_failed_ = false;  // GUARDED_BY(mu_)
  bool started_ = false;
  int64_t points_sent_ = 0;  // producer thread
};

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_WRITE_WRITE_PIPELINE_H_
