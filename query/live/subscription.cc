#include "query/live/subscription.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace telemdb::query {

Subscription::Subscription(LiveSelector selector, SubscriptionOptions options, MemoryBudget* budget,
                           std::function<bool(const storage::TagSet&)> visible)
    : selector_(std::move(selector)),
      options_(options),
      budget_(budget),
      visible_(std::move(visible)) {}

Subscription::~Subscription() {
  Stop();
  absl::MutexLock l(&mu_);
  uint64_t held = buffer_bytes_ + waiting_bytes_;
  budget_->Release(held);
}

void Subscription::SetWake(std::function<void()> wake) {
  absl::MutexLock l(&mu_);
  wake_ = std::move(wake);
}

void Subscription::Wake() {
  std::function<void()> w;
  {
    absl::MutexLock l(&mu_);
    w = wake_;
  }
  if (w) w();
}

void Subscription::Start(LiveHub* hub, storage::Db* db, std::optional<int64_t> history_from) {
  {
    absl::MutexLock l(&mu_);
    catching_up_ = history_from.has_value();
  }
  hub_ = hub;
  hub_->Add(this, {selector_.measurement()});
  if (history_from.has_value()) {
    const int64_t from = *history_from;
    history_ = std::thread([this, db, from] { ReadHistory(db, from); });
  }
}

void Subscription::Stop() {
  if (hub_ != nullptr) hub_->Remove(this);
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  if (history_.joinable()) history_.join();
}

bool Subscription::Matches(storage::SeriesId key, const LiveGroup& group) {
  auto it = match_cache_.find(key);
  if (it != match_cache_.end()) return it->second;
  if (match_cache_.size() > 100'000) match_cache_.clear();
  const storage::TagSet tags = group.Tags();
  const bool ok = selector_.MatchesTags(tags) && (!visible_ || visible_(tags));
  match_cache_.emplace(key, ok);
  return ok;
}

void Subscription::DropLocked(uint64_t points, uint64_t values) {
  counters_.dropped_points += points;
  counters_.dropped_values += values;
  if (catching_up_) {
    waiting_dropped_points_ += points;
    waiting_dropped_values_ += values;
    return;
  }
  if (buffer_.empty() || buffer_.back().kind != LiveMessage::Kind::kOverflow) {
    Entry e;
    e.kind = LiveMessage::Kind::kOverflow;
    buffer_.push_back(std::move(e));
  }
  buffer_.back().points += points;
  buffer_.back().values += values;
}

void Subscription::OnEvent(const LiveEventPtr& event) {
  bool queued = false;
  LiveFrame frame;
  std::vector<storage::SeriesId> ids;
  {
    absl::MutexLock l(&mu_);
    if (event->seq >= skip_from_ && event->seq <= skip_to_) return;  // the hub counted it
  }
  for (const LiveGroup& grp : event->groups) {
    if (grp.measurement != selector_.measurement() || grp.n_columns == 0) continue;
    if (!Matches(grp.columns[0].id, grp)) continue;
    {
      // Full (or paused): count what is lost without building a frame.
      absl::MutexLock l(&mu_);
      if (stop_ || !ended_.ok()) return;
      if (paused_ || (!catching_up_ && buffer_bytes_ >= options_.buffer_bytes)) {
        uint64_t values = 0;
        for (size_t f = 0; f < grp.n_columns; f++) {
          if (!selector_.WantsField(grp.columns[f].name)) continue;
          for (size_t r = 0; r < grp.rows; r++) values += grp.columns[f].IsValid(r);
        }
        DropLocked(grp.rows, values);
        queued = true;
        continue;
      }
    }
    if (!FrameFromGroup(grp, selector_, &frame, &ids)) continue;
    const size_t bytes = frame.Bytes();
    absl::MutexLock l(&mu_);
    if (stop_ || !ended_.ok()) return;
    if (!catching_up_ && !snaps_.empty()) {
      // Past the catch-up, a write the history read can still arrive: drop its values.
      if (event->seq > max_snap_) {
        snaps_.clear();
      } else {
        for (size_t c = 0; c < ids.size() && c < frame.columns.size(); c++) {
          auto it = snaps_.find(ids[c]);
          if (it != snaps_.end() && event->seq <= it->second) {
            counters_.seam_duplicates += NullColumn(&frame, c);
          }
        }
        if (frame.rows() == 0) {
          frame = LiveFrame();
          ids.clear();
          continue;
        }
      }
    }
    size_t& held = catching_up_ ? waiting_bytes_ : buffer_bytes_;
    if (held + bytes > options_.buffer_bytes || !budget_->TryCharge(bytes)) {
      DropLocked(frame.rows(), frame.Values());
      queued = true;  // the overflow marker is news too
      if (!catching_up_ && !paused_ && hub_ != nullptr) {
        paused_ = true;
        // Takes only the hub's queue lock: fine from OnEvent.
        skip_from_ = hub_->Pause(this) + 1;
        skip_to_ = UINT64_MAX;
      }
      continue;
    }
    held += bytes;
    if (catching_up_) {
      waiting_.push_back({event->seq, std::move(frame), std::move(ids), bytes});
    } else {
      Entry e;
      e.frame = std::move(frame);
      e.bytes = bytes;
      buffer_.push_back(std::move(e));
      queued = true;
    }
    frame = LiveFrame();
    ids.clear();
  }
  if (queued) Wake();
}

void Subscription::OnDropped(uint64_t values) {
  {
    absl::MutexLock l(&mu_);
    if (stop_ || !ended_.ok()) return;
    // The hub does not know how the values were grouped into rows: count them as points too.
    DropLocked(values, values);
  }
  Wake();
}

bool Subscription::Take(size_t max_bytes, LiveMessage* out) {
  bool took = false;
  {
    absl::MutexLock l(&mu_);
    if (buffer_.empty()) return false;
    out->frames.clear();
    out->dropped_points = out->dropped_values = 0;
    Entry& first = buffer_.front();
    out->kind = first.kind;
    size_t released = 0;
    if (first.kind != LiveMessage::Kind::kFrames) {
      out->dropped_points = first.points;
      out->dropped_values = first.values;
      released = first.bytes;
      buffer_.pop_front();
    } else {
      size_t taken = 0;
      while (!buffer_.empty() && buffer_.front().kind == LiveMessage::Kind::kFrames &&
             (out->frames.empty() || taken + buffer_.front().bytes <= max_bytes)) {
        Entry& e = buffer_.front();
        taken += e.bytes;
        released += e.bytes;
        counters_.frames++;
        counters_.values += e.frame.Values();
        out->frames.push_back(std::move(e.frame));
        buffer_.pop_front();
      }
    }
    buffer_bytes_ -= released;
    budget_->Release(released);
    took = true;
    if (paused_ && buffer_bytes_ <= options_.buffer_bytes / 2) {
      // Room again: take back the copies, and report what the hub counted meanwhile.
      paused_ = false;
      const LiveHub::Counted c = hub_->Resume(this);
      skip_to_ = c.seq;
      if (c.rows > 0 || c.values > 0) DropLocked(c.rows, c.values);
    }
  }
  return took;
}

void Subscription::Wait(absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](Subscription* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
                             return !s->buffer_.empty() || !s->ended_.ok() || s->stop_;
                           },
                           this),
                       timeout);
}

void Subscription::Close(const absl::Status& why) {
  {
    absl::MutexLock l(&mu_);
    if (ended_.ok()) ended_ = why.ok() ? absl::CancelledError("subscription closed") : why;
  }
  Wake();
}

absl::Status Subscription::ended() const {
  absl::MutexLock l(&mu_);
  return ended_;
}

SubscriptionCounters Subscription::counters() const {
  absl::MutexLock l(&mu_);
  return counters_;
}

void Subscription::ReadHistory(storage::Db* db, int64_t from) {
  absl::Status s = ReadHistoryImpl(db, from);
  if (!s.ok()) {
    Close(s);
    return;
  }
  FinishCatchUp();
}

absl::Status Subscription::ReadHistoryImpl(storage::Db* db, int64_t from) {
  storage::SeriesSelector sel;
  sel.measurement = selector_.measurement();
  sel.fields = selector_.fields();
  sel.matchers = selector_.IndexMatchers();
  const std::vector<storage::SeriesId> ids = db->index().Select(sel);
  struct Member {
    std::string field;
    storage::SeriesId id;
  };
  std::map<storage::TagSet, std::vector<Member>> groups;
  uint64_t series = 0;
  for (storage::SeriesId id : ids) {
    auto info = db->index().Get(id);
    if (!info || !selector_.MatchesTags(info->key.tags)) continue;
    if (visible_ && !visible_(info->key.tags)) continue;
    if (++series > options_.max_history_series) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the history of this subscription spans more than ",
                       options_.max_history_series, " series; narrow the selector or `since`"));
    }
    groups[info->key.tags].push_back({info->key.field, id});
  }
  uint64_t values = 0;
  for (auto& [tags, members] : groups) {
    std::sort(members.begin(), members.end(),
              [](const Member& a, const Member& b) { return a.field < b.field; });
    std::vector<std::string> names;
    std::vector<storage::codec::Columns> cols;
    for (const Member& m : members) {
      {
        absl::MutexLock l(&mu_);
        if (stop_ || !ended_.ok()) return absl::CancelledError("subscription ended");
      }
      uint64_t snap = 0;
      auto cursor = db->ReadAt(m.id, from, INT64_MAX, &snap);
      if (absl::IsNotFound(cursor.status())) continue;  // deleted meanwhile
      RETURN_IF_ERROR(cursor.status());
      storage::codec::Columns c;
      RETURN_IF_ERROR((*cursor)->ReadAll(&c));
      {
        absl::MutexLock l(&mu_);
        snaps_[m.id] = snap;
      }
      values += c.size();
      if (values > options_.max_history_values) {
        return absl::ResourceExhaustedError(
            absl::StrCat("the history of this subscription holds more than ",
                         options_.max_history_values, " values; ask for a shorter `since`"));
      }
      if (c.size() == 0) continue;
      names.push_back(m.field);
      cols.push_back(std::move(c));
    }
    if (names.empty()) continue;
    LiveFrame frame;
    frame.measurement = selector_.measurement();
    frame.tags = tags;
    frame.history = true;
    MergeColumns(names, cols, &frame);
    for (LiveFrame& f : SplitRows(std::move(frame), options_.frame_rows)) {
      RETURN_IF_ERROR(PushHistory(std::move(f)));
    }
  }
  absl::MutexLock l(&mu_);
  counters_.history_values = values;
  return absl::OkStatus();
}

absl::Status Subscription::PushHistory(LiveFrame&& frame) {
  const size_t bytes = frame.Bytes();
  {
    absl::MutexLock l(&mu_);
    while (true) {
      if (stop_ || !ended_.ok()) return absl::CancelledError("subscription ended");
      const bool room = buffer_.empty() || buffer_bytes_ + bytes <= options_.buffer_bytes;
      if (room && budget_->TryCharge(bytes)) break;
      if (buffer_.empty()) {  // one frame larger than every budget: let it through
        budget_->ForceCharge(bytes);
        break;
      }
      // Woken by Take (the budget is shared: re-check it now and then).
      std::pair<Subscription*, size_t> arg(this, bytes);
      mu_.AwaitWithTimeout(absl::Condition(
                               +[](std::pair<Subscription*, size_t>* a)
                                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(a->first->mu_) {
                                      Subscription* s = a->first;
                                      return s->stop_ || !s->ended_.ok() || s->buffer_.empty() ||
                                             s->buffer_bytes_ + a->second <=
                                                 s->options_.buffer_bytes;
                                    },
                               &arg),
                           absl::Milliseconds(50));
    }
    Entry e;
    e.frame = std::move(frame);
    e.bytes = bytes;
    buffer_bytes_ += bytes;
    buffer_.push_back(std::move(e));
  }
  Wake();
  return absl::OkStatus();
}

void Subscription::FinishCatchUp() {
  {
    absl::MutexLock l(&mu_);
    Entry marker;
    marker.kind = LiveMessage::Kind::kCaughtUp;
    buffer_.push_back(std::move(marker));
    for (Waiting& w : waiting_) {
      for (size_t c = 0; c < w.ids.size() && c < w.frame.columns.size(); c++) {
        auto it = snaps_.find(w.ids[c]);
        if (it != snaps_.end() && w.seq <= it->second) {
          counters_.seam_duplicates += NullColumn(&w.frame, c);
        }
      }
      if (w.frame.rows() == 0) {
        budget_->Release(w.bytes);
        continue;
      }
      Entry e;
      e.frame = std::move(w.frame);
      e.bytes = w.bytes;
      buffer_bytes_ += w.bytes;
      buffer_.push_back(std::move(e));
    }
    waiting_.clear();
    waiting_bytes_ = 0;
    for (const auto& [id, snap] : snaps_) max_snap_ = std::max(max_snap_, snap);
    catching_up_ = false;
    if (waiting_dropped_points_ > 0) {
      DropLocked(waiting_dropped_points_, waiting_dropped_values_);
      counters_.dropped_points -= waiting_dropped_points_;  // counted when dropped
      counters_.dropped_values -= waiting_dropped_values_;
      waiting_dropped_points_ = waiting_dropped_values_ = 0;
    }
  }
  Wake();
}

}  // namespace telemdb::query
