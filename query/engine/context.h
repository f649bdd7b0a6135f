// Context: the deadline and cancellation flag of one query. The engine calls Check() between
// blocks, frames and series, so a query stops within one block's work of either event.
//
//   Context ctx(absl::Now() + absl::Seconds(30));
//   ... on the client going away, from any thread: ctx.Cancel();
//
// Thread safety: Cancel() and cancelled() are thread-safe; the rest is set up before the query.
#ifndef TELEMDB_QUERY_ENGINE_CONTEXT_H_
#define TELEMDB_QUERY_ENGINE_CONTEXT_H_

#include <atomic>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace telemdb::query {

class Context {
 public:
  // No deadline.
  Context() = default;
  explicit Context(absl::Time deadline) : deadline_(deadline) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  absl::Time deadline() const { return deadline_; }
  void set_deadline(absl::Time deadline) { deadline_ = deadline; }

  // OK while the query may go on. Errors: Cancelled ("query cancelled"), DeadlineExceeded
  // ("query deadline exceeded ...").
  absl::Status Check() const;

 private:
  absl::Time deadline_ = absl::InfiniteFuture();
  std::atomic<bool> cancelled_{false};
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_CONTEXT_H_
