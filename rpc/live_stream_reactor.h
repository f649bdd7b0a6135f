// LiveStreamReactor: the gRPC half of a long-lived server stream fed by a live source (a
// subscription, an alert watcher): it writes whatever the source has, one message at a
// time (a slow client leaves the data in the source's bounded buffer, never here), sends a
// heartbeat when the stream was idle for `heartbeat`, re-checks the caller's credentials at
// the same pace (a revoked token ends the stream), and finishes with the source's status
// once it ended and is drained.
//
// Lifetime: gRPC deletes nothing; the reactor deletes itself after OnDone, its alarm
// callback and any queued pump, whichever comes last. `release` runs first (outside any
// lock): after it, the source must never call Wake() again.
//
// With an executor, Wake() only queues the pump (at most one at a time) there: the thread
// that announces new data (the live hub's, shared by every subscriber) does not encode and
// send for each stream in turn.
//
// Thread safety: Wake() from any thread; the rest is driven by gRPC.
#ifndef TELEMDB_RPC_LIVE_STREAM_REACTOR_H_
#define TELEMDB_RPC_LIVE_STREAM_REACTOR_H_

#include <chrono>
#include <functional>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/alarm.h"
#include "grpcpp/grpcpp.h"
#include "rpc/call_tracker.h"
#include "rpc/grpc_status.h"
#include "util/thread_pool.h"

namespace telemdb::rpc {

template <typename Response>
class LiveStreamReactor : public grpc::ServerWriteReactor<Response> {
 public:
  struct Hooks {
    // Fills the next message; false when nothing is ready. REQUIRED.
    std::function<bool(Response*)> next;
    // OK while the source runs; otherwise the status to finish with. REQUIRED.
    std::function<absl::Status()> ended;
    // Fills a heartbeat message. REQUIRED.
    std::function<void(Response*)> heartbeat;
    // Re-checks the caller (token still valid); a non-OK status ends the stream. Optional.
    std::function<absl::Status()> recheck;
    // Drops the source. Optional.
    std::function<void()> release;
  };

  // Counts the call in `calls` (Exit in OnDone); an Unavailable finish when draining.
  // `executor` (may be null: Wake pumps inline) must outlive the reactor.
  explicit LiveStreamReactor(CallTracker* calls, ThreadPool* executor = nullptr)
      : calls_(calls), executor_(executor) {
    tracked_ = calls_->Enter();
    if (!tracked_) Fail(absl::UnavailableError("server is shutting down"));
  }
  bool tracked() const { return tracked_; }

  // Ends the call before Begin (refused, bad request).
  void Fail(const absl::Status& s) {
    {
      absl::MutexLock l(&mu_);
      if (finished_) return;
      finished_ = true;
    }
    this->Finish(ToGrpcStatus(s));
  }

  // Starts streaming: `first`, if given, goes out first.
  void Begin(Hooks hooks, absl::Duration heartbeat, const Response* first = nullptr) {
    {
      absl::MutexLock l(&mu_);
      hooks_ = std::move(hooks);
      heartbeat_ = heartbeat;
      began_ = true;
      if (first != nullptr) {
        msg_ = *first;
        has_first_ = true;
      }
      alarm_pending_ = true;
      alarm_.Set(std::chrono::system_clock::now() + ToChrono(heartbeat_),
                 [this](bool ok) { OnAlarm(ok); });
    }
    Pump();
  }

  // Something may be ready.
  void Wake() {
    if (executor_ == nullptr) return Pump();
    {
      absl::MutexLock l(&mu_);
      if (pump_queued_ || done_) return;
      pump_queued_ = true;
      tasks_++;
    }
    executor_->Submit([this] {
      {
        absl::MutexLock l(&mu_);
        pump_queued_ = false;
      }
      Pump();
      bool del;
      {
        absl::MutexLock l(&mu_);
        tasks_--;
        del = done_ && !alarm_pending_ && tasks_ == 0;
      }
      if (del) delete this;
    });
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock l(&mu_);
      writing_ = false;
      if (!ok) cancelled_ = true;
      last_write_ = absl::Now();
    }
    Pump();
  }

  void OnCancel() override {
    {
      absl::MutexLock l(&mu_);
      cancelled_ = true;
    }
    Pump();
  }

  void OnDone() override {
    if (hooks_.release) hooks_.release();  // no Wake() after this
    if (tracked_) calls_->Exit();
    bool del;
    {
      absl::MutexLock l(&mu_);
      done_ = true;
      del = !alarm_pending_ && tasks_ == 0;
      if (alarm_pending_) alarm_.Cancel();
    }
    if (del) delete this;
  }

 private:
  static std::chrono::nanoseconds ToChrono(absl::Duration d) {
    return std::chrono::nanoseconds(absl::ToInt64Nanoseconds(d));
  }

  void Pump() {
    absl::Status finish;
    bool do_finish = false;
    {
      absl::MutexLock l(&mu_);
      if (!began_ || finished_ || writing_ || done_) return;
      if (cancelled_) {
        finish = absl::CancelledError("the client went away");
        do_finish = true;
      } else if (has_first_) {
        has_first_ = false;
        writing_ = true;
        this->StartWrite(&msg_);
      } else if (!forced_.ok()) {
        finish = forced_;
        do_finish = true;
      } else if (msg_.Clear(), hooks_.next(&msg_)) {
        writing_ = true;
        this->StartWrite(&msg_);
      } else if (absl::Status e = hooks_.ended(); !e.ok()) {
        finish = e;
        do_finish = true;
      } else if (heartbeat_due_) {
        heartbeat_due_ = false;
        msg_.Clear();
        hooks_.heartbeat(&msg_);
        writing_ = true;
        this->StartWrite(&msg_);
      }
      if (do_finish) finished_ = true;
    }
    if (do_finish) this->Finish(ToGrpcStatus(finish));
  }

  void OnAlarm(bool ok) {
    bool del = false;
    bool pump = false;
    {
      absl::MutexLock l(&mu_);
      alarm_pending_ = false;
      if (done_) {
        del = tasks_ == 0;
      } else if (ok && !finished_) {
        if (hooks_.recheck) {
          absl::Status s = hooks_.recheck();
          if (!s.ok() && forced_.ok()) forced_ = s;
        }
        if (absl::Now() - last_write_ >= heartbeat_) heartbeat_due_ = true;
        alarm_pending_ = true;
        alarm_.Set(std::chrono::system_clock::now() + ToChrono(heartbeat_),
                   [this](bool ok2) { OnAlarm(ok2); });
        pump = true;
      }
    }
    if (del) {
      delete this;
      return;
    }
    if (pump) Pump();
  }

  CallTracker* calls_;
  ThreadPool* executor_;
  bool tracked_ = false;
  bool pump_queued_ = false;
  int tasks_ = 0;  // queued pumps not yet finished
  absl::Mutex mu_;
  Hooks hooks_;
  Response msg_;
  absl::Duration heartbeat_ = absl::Seconds(15);
  absl::Time last_write_ = absl::Now();
  absl::Status forced_;
  bool began_ = false;
  bool has_first_ = false;
  bool writing_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
  bool heartbeat_due_ = false;
  bool done_ = false;
  bool alarm_pending_ = false;
  grpc::Alarm alarm_;
};

}  // namespace telemdb::rpc

#endif  // TELEMDB_RPC_LIVE_STREAM_REACTOR_H_
