#include "cli/write/write_pipeline.h"

#include "cli/client/batch_proto.h"

namespace telemdb::cli {
namespace {

constexpr size_t kQueueDepth = 3;

lineproto::BatcherOptions BatcherFor(const PipelineOptions& o) {
  lineproto::BatcherOptions b;
  b.max_values = o.batch_values;
  return b;
}

}  // namespace

WritePipeline::WritePipeline(const client::Connection& conn, const PipelineOptions& options)
    : options_(options), writer_(conn, options.stream), batcher_(BatcherFor(options)) {}

WritePipeline::~WritePipeline() {
  if (sender_.joinable()) {
    {
      std::lock_guard<std::mutex> l(mu_);
      closed_ = true;
      cv_.notify_all();
    }
    sender_.join();
  }
}

absl::Status WritePipeline::Start() {
  absl::Status s = writer_.Start();
  if (!s.ok()) return s;
  sender_ = std::thread([this] { SendLoop(); });
  started_ = true;
  return absl::OkStatus();
}

void WritePipeline::SendLoop() {
  while (true) {
    Item item;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return !queue_.empty() || closed_; });
      if (queue_.empty()) return;
      item = std::move(queue_.front());
      queue_.pop_front();
      cv_.notify_all();
    }
    if (!writer_.Send(std::move(item.req), item.points).ok()) {
      std::lock_guard<std::mutex> l(mu_);
      send_failed_ = true;
      queue_.clear();
      cv_.notify_all();
      return;
    }
  }
}

absl::Status WritePipeline::Emit() {
  Item item;
  item.points = static_cast<int64_t>(batcher_.points());
  std::vector<storage::SeriesBatch> groups = batcher_.Take();
  item.req = writer_.TakeSpare();
  client::AppendGroups(&groups, item.req->req());
  batcher_.Recycle(std::move(groups));
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return queue_.size() < kQueueDepth || send_failed_; });
  if (send_failed_) return absl::AbortedError("the write stream stopped");
  points_sent_ += item.points;
  queue_.push_back(std::move(item));
  cv_.notify_all();
  return absl::OkStatus();
}

absl::Status WritePipeline::Add(const lineproto::Point& point) {
  absl::Status s = batcher_.Add(point);
  if (!s.ok()) return s;
  if (batcher_.full()) return Emit();
  return absl::OkStatus();
}

absl::Status WritePipeline::Finish() {
  if (!started_) return absl::OkStatus();
  if (!batcher_.empty()) (void)Emit();
  {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  sender_.join();
  return writer_.Finish();
}

}  // namespace telemdb::cli
