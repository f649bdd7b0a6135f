#include "query/live/live_event.h"

#include <cmath>
#include <cstring>

#include "absl/time/clock.h"

namespace telemdb::query {

double LiveColumn::AsDouble(size_t r) const {
  switch (type) {
    case storage::ValueType::kFloat:
      return floats[r];
    case storage::ValueType::kInt:
      return static_cast<double>(ints[r]);
    case storage::ValueType::kBool:
      return bools[r] != 0 ? 1.0 : 0.0;
    case storage::ValueType::kString:
      return std::nan("");
  }
  return std::nan("");
}

storage::TagSet LiveGroup::Tags() const {
  storage::TagSet out;
  out.reserve(n_tags);
  for (size_t i = 0; i < n_tags; i++) {
    out.emplace_back(std::string(tags[i].first), std::string(tags[i].second));
  }
  return out;
}

uint64_t LiveGroup::Values() const {
  uint64_t n = 0;
  for (size_t c = 0; c < n_columns; c++) {
    if (columns[c].valid == nullptr) {
      n += rows;
    } else {
      for (size_t r = 0; r < rows; r++) n += columns[c].valid[r] != 0;
    }
  }
  return n;
}

std::shared_ptr<LiveEvent> LiveEventPool::Take() {
  std::unique_ptr<LiveEvent> e;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!free_.empty()) {
      e = std::move(free_.back());
      free_.pop_back();
    }
  }
  if (e == nullptr) e = std::make_unique<LiveEvent>();
  auto self = shared_from_this();
  return std::shared_ptr<LiveEvent>(e.release(), [self](LiveEvent* ev) { self->Give(ev); });
}

void LiveEventPool::Give(LiveEvent* e) {
  std::unique_ptr<LiveEvent> owned(e);
  if (e->bytes > (4u << 20)) return;
  e->groups.clear();
  e->ints.clear();
  e->floats.clear();
  e->bytes_arena.clear();
  e->tag_views.clear();
  e->columns.clear();
  e->strings.clear();
  std::lock_guard<std::mutex> l(mu_);
  if (free_.size() < 16) free_.push_back(std::move(owned));
}

std::shared_ptr<LiveEvent> BuildLiveEvent(uint64_t seq,
                                          const std::vector<storage::SeriesBatch>& groups,
                                          const std::vector<std::vector<storage::SeriesId>>& ids,
                                          const std::function<bool(size_t g)>& wanted,
                                          LiveEventPool* pool) {
  // Pass 1: sizes, so that every array is allocated once and views stay valid.
  size_t n_groups = 0, n_tags = 0, n_cols = 0, n_ints = 0, n_floats = 0, n_bytes = 0, n_strings = 0;
  std::vector<size_t> picked;
  for (size_t g = 0; g < groups.size(); g++) {
    if (!wanted(g)) continue;
    picked.push_back(g);
    const storage::SeriesBatch& b = groups[g];
    const size_t rows = b.timestamps.size();
    n_groups++;
    n_bytes += b.measurement.size();
    n_tags += b.tags.size();
    for (const auto& [k, v] : b.tags) n_bytes += k.size() + v.size();
    n_ints += rows;
    n_cols += b.fields.size();
    for (const auto& f : b.fields) {
      n_bytes += f.name.size() + f.valid.size();
      switch (f.type) {
        case storage::ValueType::kFloat:
          n_floats += rows;
          break;
        case storage::ValueType::kInt:
          n_ints += rows;
          break;
        case storage::ValueType::kBool:
          n_bytes += rows;
          break;
        case storage::ValueType::kString:
          n_strings += rows;
          for (const auto& s : f.strings) n_bytes += s.size();
          break;
      }
    }
  }
  if (n_groups == 0) return nullptr;
  std::shared_ptr<LiveEvent> ev = pool != nullptr ? pool->Take() : std::make_shared<LiveEvent>();
  ev->seq = seq;
  ev->values = 0;
  ev->applied_ns = absl::GetCurrentTimeNanos();
  ev->ints.reserve(n_ints);
  ev->floats.reserve(n_floats);
  ev->bytes_arena.reserve(n_bytes);
  ev->tag_views.reserve(n_tags);
  ev->columns.reserve(n_cols);
  ev->strings.reserve(n_strings);
  ev->groups.reserve(n_groups);
  std::string& arena = ev->bytes_arena;
  // Appends bytes; returns a view (valid: the arena never reallocates, it was reserved).
  auto put = [&arena](const void* p, size_t n) {
    const size_t at = arena.size();
    arena.append(static_cast<const char*>(p), n);
    return std::string_view(arena.data() + at, n);
  };
  for (size_t g : picked) {
    const storage::SeriesBatch& b = groups[g];
    const size_t rows = b.timestamps.size();
    LiveGroup lg;
    lg.measurement = put(b.measurement.data(), b.measurement.size());
    lg.tags = ev->tag_views.data() + ev->tag_views.size();
    for (const auto& [k, v] : b.tags) {
      ev->tag_views.emplace_back(put(k.data(), k.size()), put(v.data(), v.size()));
    }
    lg.n_tags = b.tags.size();
    lg.ts = ev->ints.data() + ev->ints.size();
    ev->ints.insert(ev->ints.end(), b.timestamps.begin(), b.timestamps.end());
    lg.rows = rows;
    lg.columns = ev->columns.data() + ev->columns.size();
    for (size_t f = 0; f < b.fields.size(); f++) {
      const storage::FieldColumn& fc = b.fields[f];
      LiveColumn c;
      c.name = put(fc.name.data(), fc.name.size());
      c.type = fc.type;
      c.id = f < ids[g].size() ? ids[g][f] : storage::kInvalidSeriesId;
      if (!fc.valid.empty()) {
        c.valid = reinterpret_cast<const uint8_t*>(put(fc.valid.data(), fc.valid.size()).data());
      }
      switch (fc.type) {
        case storage::ValueType::kFloat:
          c.floats = ev->floats.data() + ev->floats.size();
          ev->floats.insert(ev->floats.end(), fc.floats.begin(), fc.floats.end());
          break;
        case storage::ValueType::kInt:
          c.ints = ev->ints.data() + ev->ints.size();
          ev->ints.insert(ev->ints.end(), fc.ints.begin(), fc.ints.end());
          break;
        case storage::ValueType::kBool:
          c.bools = reinterpret_cast<const uint8_t*>(put(fc.bools.data(), fc.bools.size()).data());
          break;
        case storage::ValueType::kString:
          c.strings = ev->strings.data() + ev->strings.size();
          for (const auto& s : fc.strings) ev->strings.push_back(put(s.data(), s.size()));
          break;
      }
      ev->columns.push_back(c);
    }
    lg.n_columns = b.fields.size();
    ev->values += lg.Values();
    ev->groups.push_back(lg);
  }
  ev->bytes = sizeof(LiveEvent) + 8 * (ev->ints.capacity() + ev->floats.capacity()) +
              ev->bytes_arena.capacity() + sizeof(LiveGroup) * ev->groups.capacity() +
              sizeof(ev->tag_views[0]) * ev->tag_views.capacity() +
              sizeof(LiveColumn) * ev->columns.capacity() +
              sizeof(std::string_view) * ev->strings.capacity();
  return ev;
}

}  // namespace telemdb::query
