#include "storage/commit_log.h"

#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/wal/wal_writer.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::storage {

struct CommitLog::Pending {
  Request req;
  absl::Status result;
  bool done = false;
};

absl::StatusOr<std::unique_ptr<CommitLog>> CommitLog::Open(const CommitLogOptions& options) {
  std::unique_ptr<CommitLog> log(new CommitLog(options));
  RETURN_IF_ERROR(options.fs->CreateDir(options.dir));
  ASSIGN_OR_RETURN(auto writer, wal::WalWriter::Create(options.fs, options.dir,
                                                       options.first_segment, options.cipher));
  {
    absl::MutexLock l(&log->io_mu_);
    log->writer_ = std::move(writer);
  }
  log->thread_ = std::thread([p = log.get()] { p->Run(); });
  log->sync_thread_ = std::thread([p = log.get()] { p->SyncLoop(); });
  return log;
}

CommitLog::CommitLog(const CommitLogOptions& o) : options_(o) {}

CommitLog::~CommitLog() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
    paused_ = false;
    work_cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
  if (sync_thread_.joinable()) sync_thread_.join();
  absl::MutexLock l(&io_mu_);
  if (writer_) {
    absl::Status s = writer_->Close();
    if (!s.ok()) Log(LogLevel::kError, "wal.close_failed", {{"error", s.ToString()}});
  }
}

absl::Status CommitLog::Submit(Request req) {
  Pending p{std::move(req)};
  absl::MutexLock l(&mu_);
  if (!broken_.ok()) return broken_;
  if (stop_) return absl::UnavailableError("WAL is closed");
  queue_.push_back(&p);
  work_cv_.Signal();
  while (!p.done) done_cv_.Wait(&mu_);
  return p.result;
}

void CommitLog::Run() {
  std::vector<Pending*> group;
  std::string buffer;
  while (true) {
    {
      absl::MutexLock l(&mu_);
      while (!(stop_ && queue_.empty()) && (queue_.empty() || paused_)) work_cv_.Wait(&mu_);
      if (queue_.empty()) return;
      group.assign(queue_.begin(), queue_.end());
      queue_.clear();
      busy_ = true;
    }
    buffer.clear();
    bool any_sync = false;
    for (Pending* p : group) {
      buffer += p->req.framed;
      any_sync |= p->req.sync;
    }
    absl::Status s;
    uint64_t segment = 0;
    {
      absl::MutexLock io(&io_mu_);
      s = writer_->AppendFramed(buffer);
      if (s.ok() && any_sync) s = TimedSync();
      segment = writer_->current_segment();
      if (s.ok() && options_.after_sync_hook) options_.after_sync_hook();
    }
    if (s.ok()) {
      for (Pending* p : group) p->req.apply(segment);
    }
    {
      absl::MutexLock io(&io_mu_);
      if (s.ok() && writer_->current_size() >= options_.segment_bytes) {
        absl::Status r = writer_->Rotate();
        if (!r.ok()) Log(LogLevel::kError, "wal.rotate_failed", {{"error", r.ToString()}});
      }
    }
    absl::MutexLock l(&mu_);
    if (s.ok()) {
      bytes_written_ += buffer.size();
      if (!any_sync) unsynced_ = true;
    } else {
      absl::MutexLock io(&io_mu_);
      if (!writer_->error().ok() && broken_.ok()) {
        broken_ = absl::UnavailableError(absl::StrCat(
            "WAL failed and accepts no more writes until restart: ", writer_->error().ToString()));
        Log(LogLevel::kError, "wal.broken", {{"error", writer_->error().ToString()}});
      }
    }
    for (Pending* p : group) {
      p->result = s;
      p->done = true;
    }
    busy_ = false;
    done_cv_.SignalAll();
  }
}

void CommitLog::SyncLoop() {
  while (true) {
    {
      absl::MutexLock l(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.async_sync_interval);
      if (stop_) return;
      if (!unsynced_) continue;
      unsynced_ = false;
    }
    absl::Status s = SyncNow();
    if (!s.ok()) Log(LogLevel::kError, "wal.async_sync_failed", {{"error", s.ToString()}});
  }
}

absl::Status CommitLog::SyncNow() {
  absl::Status s;
  {
    absl::MutexLock io(&io_mu_);
    s = TimedSync();
  }
  if (!s.ok()) {
    absl::MutexLock l(&mu_);
    if (broken_.ok()) {
      broken_ = absl::UnavailableError(
          absl::StrCat("WAL fsync failed; no more writes until restart: ", s.ToString()));
    }
  }
  return s;
}

absl::Status CommitLog::TimedSync() {
  const auto t0 = std::chrono::steady_clock::now();
  absl::Status s = writer_->Sync();
  fsync_seconds_.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return s;
}

absl::Status CommitLog::WithWritesPaused(const std::function<absl::Status()>& fn) {
  {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(
        +[](CommitLog* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) { return !c->paused_; }, this));
    paused_ = true;
    mu_.Await(absl::Condition(
        +[](CommitLog* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) { return !c->busy_; }, this));
  }
  absl::Status s = fn();
  absl::MutexLock l(&mu_);
  paused_ = false;
  work_cv_.SignalAll();
  return s;
}

absl::Status CommitLog::DeleteSegmentsBefore(uint64_t segment) {
  uint64_t current = current_segment();
  if (segment > current) segment = current;
  ASSIGN_OR_RETURN(auto names, options_.fs->ListDir(options_.dir));
  bool deleted = false;
  for (const auto& name : names) {
    uint64_t n;
    if (!wal::ParseSegmentName(name, &n) || n >= segment) continue;
    RETURN_IF_ERROR(options_.fs->DeleteFile(options_.dir + "/" + name));
    deleted = true;
  }
  if (deleted) RETURN_IF_ERROR(options_.fs->SyncDir(options_.dir));
  return absl::OkStatus();
}

absl::Status CommitLog::Rotate() {
  absl::MutexLock io(&io_mu_);
  return writer_->Rotate();
}

uint64_t CommitLog::current_segment() const {
  absl::MutexLock io(const_cast<absl::Mutex*>(&io_mu_));
  return writer_->current_segment();
}

uint64_t CommitLog::bytes_written() const {
  absl::MutexLock l(&mu_);
  return bytes_written_;
}

absl::Status CommitLog::health() const {
  absl::MutexLock l(&mu_);
  return broken_;
}

}  // namespace telemdb::storage
