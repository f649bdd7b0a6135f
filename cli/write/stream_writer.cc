#include "cli/write/stream_writer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cli/client/rpc_status.h"
#include "telemdb/v1/common.pb.h"

namespace telemdb::cli {
namespace {

using Clock = std::chrono::steady_clock;

// The delay a RESOURCE_EXHAUSTED refusal asks for, or -1 when it is not a retryable one.
int64_t RetryAfterMs(const v1::Status& error) {
  if (error.code() != static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED)) return -1;
  for (const auto& d : error.details()) {
    v1::RetryInfo info;
    if (d.UnpackTo(&info)) return std::max<int64_t>(10, info.retry_after_ms());
  }
  return -1;
}

}  // namespace

RequestSlot::RequestSlot() : block_(new char[kBlockBytes]) { Reset(); }

void RequestSlot::Reset() {
  if (arena_ != nullptr) {
    arena_->Reset();
  } else {
    google::protobuf::ArenaOptions o;
    o.initial_block = block_.get();
    o.initial_block_size = kBlockBytes;
    o.start_block_size = kBlockBytes;
    o.max_block_size = 8 * kBlockBytes;
    arena_ = std::make_unique<google::protobuf::Arena>(o);
  }
  req_ = google::protobuf::Arena::CreateMessage<v1::WriteRequest>(arena_.get());
}

StreamWriter::StreamWriter(const client::Connection& conn, const StreamWriterOptions& options)
    : conn_(conn), options_(options) {
  options_.inflight = std::max(1, options_.inflight);
}

StreamWriter::~StreamWriter() {
  if (!finished_ && stream_ != nullptr) {
    ctx_.TryCancel();
    if (reader_.joinable()) reader_.join();
    (void)stream_->Finish();
  }
}

absl::Status StreamWriter::Start() {
  stub_ = v1::IngestService::NewStub(conn_.channel());
  conn_.Prepare(&ctx_);
  stream_ = stub_->WriteStream(&ctx_);
  reader_ = std::thread([this] { ReadLoop(); });
  return absl::OkStatus();
}

std::unique_ptr<RequestSlot> StreamWriter::TakeSpare() {
  std::unique_ptr<RequestSlot> r;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!spare_.empty()) {
      r = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  if (r == nullptr) return std::make_unique<RequestSlot>();
  r->Reset();
  return r;
}

void StreamWriter::ReadLoop() {
  v1::WriteResponse resp;
  while (stream_->Read(&resp)) {
    std::unique_lock<std::mutex> l(mu_);
    auto it = pending_.find(resp.request_index());
    if (it == pending_.end()) continue;  // not ours: ignore
    Pending p = std::move(it->second);
    pending_.erase(it);
    if (!resp.has_error() || resp.error().code() == 0) {
      counters_.points_written += p.points;
      counters_.values_written += static_cast<int64_t>(resp.points_accepted());
      if (spare_.size() < static_cast<size_t>(options_.inflight) + 4) {
        spare_.push_back(std::move(p.req));
      }
      cv_.notify_all();
      continue;
    }
    int64_t delay = RetryAfterMs(resp.error());
    auto now = Clock::now();
    if (delay >= 0 && now - p.first_sent < std::chrono::seconds(options_.max_retry_seconds)) {
      retries_.push_back(Retry{std::move(p), now + std::chrono::milliseconds(delay)});
      cv_.notify_all();
      continue;
    }
    counters_.points_rejected += p.points;
    counters_.requests_rejected++;
    if (options_.stop_on_reject) stopped_ = true;
    cv_.notify_all();
    l.unlock();
    if (on_reject) {
      on_reject(client::FromStatusFields(resp.error().code(), resp.error().message()), p.points);
    }
  }
  std::lock_guard<std::mutex> l(mu_);
  reader_done_ = true;
  if (!pending_.empty()) broken_ = true;
  cv_.notify_all();
}

bool StreamWriter::WriteOne(Pending p) {
  const v1::WriteRequest* req = p.req->req();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (p.attempts == 0) p.first_sent = Clock::now();
    p.attempts++;
    pending_.emplace(next_index_++, std::move(p));
  }
  if (!stream_->Write(*req)) {
    std::lock_guard<std::mutex> l(mu_);
    broken_ = true;
    cv_.notify_all();
    return false;
  }
  return true;
}

absl::Status StreamWriter::SendRetries(bool wait_for_all) {
  while (true) {
    std::unique_lock<std::mutex> l(mu_);
    if (broken_) return absl::AbortedError("the write stream failed");
    if (retries_.empty()) {
      if (!wait_for_all || pending_.empty()) return absl::OkStatus();
      cv_.wait(l, [&] { return broken_ || !retries_.empty() || pending_.empty() || reader_done_; });
      if (reader_done_ && retries_.empty()) return absl::OkStatus();
      continue;
    }
    auto due = retries_.front().due;
    if (Clock::now() < due) {
      if (!wait_for_all && pending_.size() < static_cast<size_t>(options_.inflight)) {
        return absl::OkStatus();  // not yet due: carry on with new requests
      }
      cv_.wait_until(l, due, [&] { return broken_; });
      continue;
    }
    Pending p = std::move(retries_.front().p);
    retries_.pop_front();
    l.unlock();
    if (!WriteOne(std::move(p))) return absl::AbortedError("the write stream failed");
  }
}

absl::Status StreamWriter::Send(std::unique_ptr<RequestSlot> req, int64_t points) {
  {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] {
      return broken_ || stopped_ || reader_done_ ||
             pending_.size() < static_cast<size_t>(options_.inflight) ||
             (!retries_.empty() && retries_.front().due <= Clock::now());
    });
    if (broken_ || reader_done_) return absl::AbortedError("the write stream failed");
    if (stopped_) return absl::AbortedError("stopped after a rejected request");
  }
  absl::Status s = SendRetries(false);
  if (!s.ok()) return s;
  Pending p;
  p.req = std::move(req);
  p.points = points;
  if (!WriteOne(std::move(p))) return absl::AbortedError("the write stream failed");
  return absl::OkStatus();
}

absl::Status StreamWriter::Finish() {
  if (stream_ == nullptr) return absl::OkStatus();
  (void)SendRetries(true);
  stream_->WritesDone();
  reader_.join();
  finished_ = true;
  absl::Status s = client::FromGrpcStatus(stream_->Finish());
  std::lock_guard<std::mutex> l(mu_);
  int64_t lost = 0;
  for (const auto& [i, p] : pending_) lost += p.points;
  for (const auto& r : retries_) lost += r.p.points;
  if (!s.ok()) return s;
  if (lost > 0) {
    return absl::DataLossError(
        absl::StrCat(lost, " points were sent but not acknowledged by the server"));
  }
  return absl::OkStatus();
}

}  // namespace telemdb::cli
