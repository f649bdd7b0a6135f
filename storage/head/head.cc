#include "storage/head/head.h"

#include <algorithm>
#include <bit>
#include <chrono>

#include "absl/container/flat_hash_map.h"

namespace telemdb::storage {
namespace {

using PointBits = std::pair<int64_t, uint64_t>;

enum LvcState : uint8_t {
  kUnknown = 0,           // never loaded, no write seen
  kUnknownCandidate = 1,  // never loaded; last_* holds the newest write since
  kKnownEmpty = 2,        // the series has no points
  kKnown = 3,             // last_* is the last point
};

int64_t MonotonicSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

HeadStream::Kind StreamKind(ValueType t) {
  switch (t) {
    case ValueType::kFloat:
      return HeadStream::Kind::kFloat;
    case ValueType::kBool:
      return HeadStream::Kind::kBool;
    default:
      return HeadStream::Kind::kInt;  // ints and string dictionary indexes
  }
}

struct StringDict {
  std::vector<std::string> values;
  absl::flat_hash_map<std::string, uint32_t> index;
  size_t bytes = 0;

  uint32_t Intern(const std::string& s) {
    auto [it, inserted] = index.try_emplace(s, static_cast<uint32_t>(values.size()));
    if (inserted) {
      values.push_back(s);
      bytes += 2 * s.size() + 64;
    }
    return it->second;
  }
};

// Merges `b` into `a` (both sorted, unique ts); on equal timestamps `b` wins.
void MergeNewerInto(std::vector<PointBits>* a, const std::vector<PointBits>& b) {
  if (b.empty()) return;
  if (a->empty() || a->back().first < b.front().first) {
    a->insert(a->end(), b.begin(), b.end());
    return;
  }
  std::vector<PointBits> out;
  out.reserve(a->size() + b.size());
  size_t i = 0, j = 0;
  while (i < a->size() || j < b.size()) {
    if (j == b.size() || (i < a->size() && (*a)[i].first < b[j].first)) {
      out.push_back((*a)[i++]);
    } else {
      if (i < a->size() && (*a)[i].first == b[j].first) i++;
      out.push_back(b[j++]);
    }
  }
  a->swap(out);
}

}  // namespace

struct Head::Run {
  // Rarely needed parts live apart so an in-order numeric series stays small.
  struct Extra {
    std::vector<PointBits> ooo;  // arrival order; later entries win
    StringDict dict;
  };
  HeadStream stream;
  std::unique_ptr<Extra> extra;
  uint32_t min_segment = 0;

  bool empty() const { return stream.empty() && (!extra || extra->ooo.empty()); }
  uint32_t points() const {
    return stream.count() + (extra ? static_cast<uint32_t>(extra->ooo.size()) : 0);
  }
  Extra& GetExtra() {
    if (!extra) extra = std::make_unique<Extra>();
    return *extra;
  }
  const StringDict* dict() const { return extra ? &extra->dict : nullptr; }
  size_t Bytes() const {
    size_t b = stream.heap_bytes();
    if (extra) b += sizeof(Extra) + extra->ooo.capacity() * sizeof(PointBits) + extra->dict.bytes;
    return b;
  }
  // Sorted points, one per timestamp, within [start, end) (every point when `all`).
  std::vector<PointBits> Points(int64_t start, int64_t end, bool all = false) const {
    std::vector<int64_t> ts;
    std::vector<uint64_t> bits;
    stream.Decode(&ts, &bits);
    std::vector<PointBits> out;
    out.reserve(ts.size());
    for (size_t i = 0; i < ts.size(); i++) {
      if (all || (ts[i] >= start && ts[i] < end)) out.emplace_back(ts[i], bits[i]);
    }
    if (extra && !extra->ooo.empty()) {
      std::vector<PointBits> late;
      for (const auto& p : extra->ooo) {
        if (all || (p.first >= start && p.first < end)) late.push_back(p);
      }
      std::stable_sort(late.begin(), late.end(),
                       [](const PointBits& x, const PointBits& y) { return x.first < y.first; });
      std::vector<PointBits> unique;
      for (const auto& p : late) {
        if (!unique.empty() && unique.back().first == p.first) {
          unique.back() = p;
        } else {
          unique.push_back(p);
        }
      }
      MergeNewerInto(&out, unique);
    }
    return out;
  }
};

// A run being sealed, with the chunk sequence it will be written under.
struct Head::Frozen {
  Run run;
  uint64_t seq = 0;
  uint64_t generation = 0;  // bumped by every change (deletes)
};

struct Head::Series {
  Run active;
  std::unique_ptr<Frozen> frozen;
  std::unique_ptr<std::string> last_string;  // string series: the cached last value
  int64_t last_ts = 0;
  uint64_t last_bits = 0;
  int32_t age_origin = 0;  // monotonic seconds when the oldest unsealed point arrived
  ValueType type = ValueType::kFloat;
  uint8_t lvc = kUnknown;
  bool exists = false;
};

Head::Head() : blocks_(new std::atomic<Series*>[kMaxBlocks]) {
  for (size_t i = 0; i < kMaxBlocks; i++) blocks_[i].store(nullptr, std::memory_order_relaxed);
}

Head::~Head() {
  for (size_t i = 0; i < kMaxBlocks; i++) delete[] blocks_[i].load();
}

Head::Series* Head::Get(SeriesId id) const {
  Series* block = blocks_[id >> kBlockBits].load(std::memory_order_acquire);
  if (block == nullptr) return nullptr;
  Series* s = &block[id & (kBlockSize - 1)];
  return s->exists ? s : nullptr;
}

void Head::Account(int64_t delta_bytes, int64_t delta_points) {
  if (delta_bytes != 0) heap_bytes_.fetch_add(delta_bytes, std::memory_order_relaxed);
  if (delta_points != 0) points_.fetch_add(delta_points, std::memory_order_relaxed);
}

void Head::AddSeries(SeriesId id, ValueType type) {
  size_t b = id >> kBlockBits;
  if (blocks_[b].load(std::memory_order_acquire) == nullptr) {
    absl::MutexLock g(&grow_mu_);
    if (blocks_[b].load(std::memory_order_acquire) == nullptr) {
      blocks_[b].store(new Series[kBlockSize], std::memory_order_release);
      slot_bytes_.fetch_add(kBlockSize * sizeof(Series), std::memory_order_relaxed);
    }
  }
  absl::MutexLock l(&Stripe(id));
  Series* s = &blocks_[b].load()[id & (kBlockSize - 1)];
  if (s->exists) return;
  s->exists = true;
  s->type = type;
  s->active.stream = HeadStream(StreamKind(type));
  s->lvc = kUnknown;
  SeriesId prev = max_id_.load();
  while (prev < id && !max_id_.compare_exchange_weak(prev, id)) {
  }
}

void Head::DropSeries(SeriesId id) {
  absl::MutexLock l(&Stripe(id));
  Series* s = Get(id);
  if (s == nullptr) return;
  int64_t bytes =
      static_cast<int64_t>(s->active.Bytes() + (s->frozen ? s->frozen->run.Bytes() : 0));
  int64_t points = s->active.points() + (s->frozen ? s->frozen->run.points() : 0);
  *s = Series();
  Account(-bytes, -points);
}

void Head::Append(SeriesId id, const int64_t* ts, const FieldColumn& col, size_t n,
                  uint64_t segment) {
  absl::MutexLock l(&Stripe(id));
  Series* s = Get(id);
  if (s == nullptr) return;
  Run& run = s->active;
  size_t before = run.Bytes();
  int64_t added = 0;
  if (run.empty()) s->age_origin = static_cast<int32_t>(MonotonicSeconds());
  if (run.min_segment == 0) run.min_segment = static_cast<uint32_t>(segment);
  for (size_t i = 0; i < n; i++) {
    if (!col.IsValid(i)) continue;
    uint64_t bits = 0;
    switch (s->type) {
      case ValueType::kFloat:
        bits = std::bit_cast<uint64_t>(col.floats[i]);
        break;
      case ValueType::kInt:
        bits = static_cast<uint64_t>(col.ints[i]);
        break;
      case ValueType::kBool:
        bits = col.bools[i] ? 1 : 0;
        break;
      case ValueType::kString:
        bits = run.GetExtra().dict.Intern(col.strings[i]);
        break;
    }
    int64_t t = ts[i];
    if (run.stream.empty() || t > run.stream.last_ts()) {
      run.stream.Append(t, bits);
    } else {
      run.GetExtra().ooo.emplace_back(t, bits);
    }
    added++;
    // Last-value cache: the greatest timestamp; on a tie the later write.
    bool newer = s->lvc == kUnknown || s->lvc == kKnownEmpty || t >= s->last_ts;
    if (newer) {
      s->last_ts = t;
      s->last_bits = bits;
      if (s->type == ValueType::kString) {
        if (!s->last_string) s->last_string = std::make_unique<std::string>();
        *s->last_string = col.strings[i];
      }
      if (s->lvc == kUnknown) s->lvc = kUnknownCandidate;
      if (s->lvc == kKnownEmpty) s->lvc = kKnown;
    }
  }
  Account(static_cast<int64_t>(run.Bytes()) - static_cast<int64_t>(before), added);
}

namespace {

void ToColumns(ValueType type, const std::vector<PointBits>& pts, const StringDict* dict,
               codec::Columns* out) {
  out->Clear();
  out->type = type;
  out->ts.reserve(pts.size());
  for (const auto& p : pts) out->ts.push_back(p.first);
  switch (type) {
    case ValueType::kFloat:
      out->floats.reserve(pts.size());
      for (const auto& p : pts) out->floats.push_back(std::bit_cast<double>(p.second));
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      out->ints.reserve(pts.size());
      for (const auto& p : pts) out->ints.push_back(static_cast<int64_t>(p.second));
      break;
    case ValueType::kString:
      out->strings.reserve(pts.size());
      for (const auto& p : pts) out->strings.push_back(dict->values[p.second]);
      break;
  }
}

// Merges `b` (newer) into `a`, both sorted columns with unique timestamps.
void MergeNewerColumns(codec::Columns* a, codec::Columns* b) {
  if (b->size() == 0) return;
  if (a->size() == 0) {
    *a = std::move(*b);
    return;
  }
  codec::Columns out;
  out.type = a->type;
  size_t i = 0, j = 0;
  auto take = [&](codec::Columns* c, size_t k) {
    out.ts.push_back(c->ts[k]);
    switch (c->type) {
      case ValueType::kFloat:
        out.floats.push_back(c->floats[k]);
        break;
      case ValueType::kInt:
      case ValueType::kBool:
        out.ints.push_back(c->ints[k]);
        break;
      case ValueType::kString:
        out.strings.push_back(std::move(c->strings[k]));
        break;
    }
  };
  while (i < a->size() || j < b->size()) {
    if (j == b->size() || (i < a->size() && a->ts[i] < b->ts[j])) {
      take(a, i++);
    } else {
      if (i < a->size() && a->ts[i] == b->ts[j]) i++;
      take(b, j++);
    }
  }
  *a = std::move(out);
}

}  // namespace

bool Head::Read(SeriesId id, int64_t start, int64_t end, codec::Columns* out) const {
  codec::Columns active;
  {
    absl::MutexLock l(&Stripe(id));
    Series* s = Get(id);
    if (s == nullptr) return false;
    // Dictionary indexes differ between runs: resolve each run on its own, then merge.
    if (s->frozen) {
      ToColumns(s->type, s->frozen->run.Points(start, end), s->frozen->run.dict(), out);
    } else {
      out->Clear();
      out->type = s->type;
    }
    ToColumns(s->type, s->active.Points(start, end), s->active.dict(), &active);
  }
  MergeNewerColumns(out, &active);
  return out->size() > 0;
}

Head::SealInfo Head::Inspect(SeriesId id) const {
  absl::MutexLock l(&Stripe(id));
  SealInfo info;
  Series* s = Get(id);
  if (s == nullptr) return info;
  info.points = s->active.points();
  info.bytes = s->active.Bytes();
  info.age_origin = s->age_origin;
  info.min_segment = s->active.min_segment;
  if (s->frozen && (info.min_segment == 0 || s->frozen->run.min_segment < info.min_segment)) {
    info.min_segment = s->frozen->run.min_segment;
  }
  info.frozen = s->frozen != nullptr;
  return info;
}

bool Head::Freeze(SeriesId id, uint64_t seq) {
  absl::MutexLock l(&Stripe(id));
  Series* s = Get(id);
  if (s == nullptr || s->frozen || s->active.empty()) return false;
  s->frozen = std::make_unique<Frozen>();
  s->frozen->run = std::move(s->active);
  s->frozen->seq = seq;
  s->frozen->generation = ++generations_;
  s->active = Run();
  s->active.stream = HeadStream(StreamKind(s->type));
  return true;
}

bool Head::ReadFrozen(SeriesId id, codec::Columns* out, uint64_t* seq, uint64_t* generation) const {
  absl::MutexLock l(&Stripe(id));
  Series* s = Get(id);
  if (s == nullptr || !s->frozen) return false;
  ToColumns(s->type, s->frozen->run.Points(0, 0, /*all=*/true), s->frozen->run.dict(), out);
  *seq = s->frozen->seq;
  *generation = s->frozen->generation;
  return true;
}

uint64_t Head::FrozenGeneration(SeriesId id) const {
  absl::MutexLock l(&Stripe(id));
  Series* s = Get(id);
  return s != nullptr && s->frozen ? s->frozen->generation : 0;
}

bool Head::DropFrozen(SeriesId id, uint64_t generation) {
  absl::MutexLock l(&Stripe(id));
  Series* s = Get(id);
  if (s == nullptr || !s->frozen) return true;
  if (s->frozen->generation != generation) return false;
  int64_t bytes = static_cast<int64_t>(s->frozen->run.Bytes());
  int64_t points = s->frozen->run.points();
  s->frozen.reset();
  Account(-bytes, -points);
  return true;
}

void Head::DeleteRange(SeriesId id, int64_t start, int64_t end) {
  absl::MutexLock l(&Stripe(id));
  Series* s = Get(id);
  if (s == nullptr) return;
  auto rebuild = [&](Run* run) {
    int64_t before_bytes = static_cast<int64_t>(run->Bytes());
    int64_t before_points = run->points();
    auto pts = run->Points(0, 0, /*all=*/true);
    HeadStream fresh(StreamKind(s->type));
    int64_t kept = 0;
    for (const auto& p : pts) {
      if (p.first >= start && p.first < end) continue;
      fresh.Append(p.first, p.second);
      kept++;
    }
    run->stream = std::move(fresh);
    if (run->extra) {
      run->extra->ooo.clear();
      run->extra->ooo.shrink_to_fit();
    }
    Account(static_cast<int64_t>(run->Bytes()) - before_bytes, kept - before_points);
  };
  rebuild(&s->active);
  if (s->frozen) {
    rebuild(&s->frozen->run);
    s->frozen->generation = ++generations_;
  }
  s->lvc = kUnknown;
}

std::optional<LastPoint> Head::CachedLast(SeriesId id, bool* known) const {
  absl::MutexLock l(&Stripe(id));
  Series* s = Get(id);
  *known = false;
  if (s == nullptr) return std::nullopt;
  if (s->lvc == kKnownEmpty) {
    *known = true;
    return std::nullopt;
  }
  if (s->lvc != kKnown) return std::nullopt;
  *known = true;
  LastPoint p;
  p.ts = s->last_ts;
  switch (s->type) {
    case ValueType::kFloat:
      p.value = Value::Float(std::bit_cast<double>(s->last_bits));
      break;
    case ValueType::kInt:
      p.value = Value::Int(static_cast<int64_t>(s->last_bits));
      break;
    case ValueType::kBool:
      p.value = Value::Bool(s->last_bits != 0);
      break;
    case ValueType::kString:
      p.value = Value::String(s->last_string ? *s->last_string : std::string());
      break;
  }
  return p;
}

void Head::InstallLast(SeriesId id, const std::optional<LastPoint>& loaded) {
  absl::MutexLock l(&Stripe(id));
  Series* s = Get(id);
  if (s == nullptr || s->lvc == kKnown || s->lvc == kKnownEmpty) return;
  if (s->lvc == kUnknownCandidate && (!loaded || loaded->ts <= s->last_ts)) {
    s->lvc = kKnown;  // the write seen since is the newest
    return;
  }
  if (!loaded) {
    s->lvc = kKnownEmpty;
    return;
  }
  s->last_ts = loaded->ts;
  switch (s->type) {
    case ValueType::kFloat:
      s->last_bits = std::bit_cast<uint64_t>(loaded->value.f);
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      s->last_bits = static_cast<uint64_t>(loaded->value.i);
      break;
    case ValueType::kString:
      if (!s->last_string) s->last_string = std::make_unique<std::string>();
      *s->last_string = loaded->value.s;
      break;
  }
  s->lvc = kKnown;
}

uint64_t Head::MinSegment() const {
  uint64_t min = 0;
  SeriesId max = max_id_.load(std::memory_order_acquire);
  for (int stripe = 0; stripe < kStripes; stripe++) {
    absl::MutexLock l(&stripes_[stripe]);
    for (SeriesId id = static_cast<SeriesId>(stripe); id <= max; id += kStripes) {
      Series* s = Get(id);
      if (s == nullptr) continue;
      for (uint32_t seg : {s->active.min_segment, s->frozen ? s->frozen->run.min_segment : 0u}) {
        if (seg != 0 && (min == 0 || seg < min)) min = seg;
      }
    }
  }
  return min;
}

}  // namespace telemdb::storage
