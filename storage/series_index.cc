#include "storage/series_index.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"
#include "storage/key_layout.h"
#include "storage/kv_store.h"
#include "storage/wal/batch_record.h"
#include "util/coding.h"
#include "util/status_macros.h"

namespace telemdb::storage {
namespace {

constexpr size_t kArenaBlock = 1 << 20;

// Views into a canonical key. Returns false when malformed.
struct KeyViews {
  std::string_view measurement;
  std::vector<std::pair<std::string_view, std::string_view>> tags;
  std::string_view field;
};

bool SplitKey(std::string_view b, KeyViews* out) {
  out->tags.clear();
  size_t p = b.find('\0');
  if (p == std::string_view::npos || p == 0) return false;
  out->measurement = b.substr(0, p);
  p++;
  while (true) {
    if (p >= b.size()) return false;
    if (b[p] == '\0') {
      p++;
      break;
    }
    size_t k = b.find('\0', p);
    if (k == std::string_view::npos) return false;
    size_t v = b.find('\0', k + 1);
    if (v == std::string_view::npos) return false;
    out->tags.emplace_back(b.substr(p, k - p), b.substr(k + 1, v - k - 1));
    p = v + 1;
  }
  out->field = b.substr(p);
  return !out->field.empty();
}

std::string PostingName(std::string_view k, std::string_view v) {
  std::string s;
  s.reserve(k.size() + 1 + v.size());
  s.append(k.data(), k.size());
  s.push_back('\0');
  s.append(v.data(), v.size());
  return s;
}

std::vector<SeriesId> Intersect(const std::vector<SeriesId>& a, const std::vector<SeriesId>& b) {
  std::vector<SeriesId> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}
std::vector<SeriesId> Subtract(const std::vector<SeriesId>& a, const std::vector<SeriesId>& b) {
  std::vector<SeriesId> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

void EraseSorted(std::vector<SeriesId>* v, SeriesId id) {
  auto it = std::lower_bound(v->begin(), v->end(), id);
  if (it != v->end() && *it == id) v->erase(it);
}
void InsertSorted(std::vector<SeriesId>* v, SeriesId id) {
  if (v->empty() || v->back() < id) {
    v->push_back(id);
    return;
  }
  auto it = std::lower_bound(v->begin(), v->end(), id);
  if (it == v->end() || *it != id) v->insert(it, id);
}

}  // namespace

const char* SeriesIndex::StoreKey(std::string_view key) {
  if (arena_.empty() || arena_used_ + key.size() > kArenaBlock) {
    size_t n = std::max(kArenaBlock, key.size());
    arena_.push_back(std::make_unique<char[]>(n));
    arena_used_ = 0;
    arena_bytes_ += n;
  }
  char* p = arena_.back().get() + arena_used_;
  std::memcpy(p, key.data(), key.size());
  arena_used_ += key.size();
  if (key.size() > kArenaBlock) arena_used_ = kArenaBlock;  // a dedicated block is full
  return p;
}

uint32_t SeriesIndex::Intern(std::string_view name) {
  auto it = name_ids_.find(std::string(name));
  if (it != name_ids_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name);
  name_ids_.emplace(std::string(name), id);
  return id;
}

absl::Status SeriesIndex::AddLocked(SeriesId id, ValueType type, std::string_view key_bytes,
                                    bool add_tag_postings) {
  KeyViews kv;
  if (!SplitKey(key_bytes, &kv)) {
    return absl::DataLossError(absl::StrCat("malformed series key for series ", id));
  }
  if (entries_.size() <= id) entries_.resize(id + 1);
  Entry& e = entries_[id];
  if (e.live) return absl::OkStatus();
  e.key = StoreKey(key_bytes);
  e.key_len = static_cast<uint32_t>(key_bytes.size());
  e.measurement = Intern(kv.measurement);
  e.field = Intern(kv.field);
  e.type = type;
  e.live = true;
  live_++;
  by_key_[KeyOf(e)] = id;
  InsertSorted(&by_field_[e.measurement][e.field], id);
  MeasurementSchema& schema = schemas_[e.measurement];
  schema.field_types[e.field][static_cast<int>(type)]++;
  for (const auto& [k, v] : kv.tags) schema.tag_keys[std::string(k)]++;
  if (add_tag_postings) {
    for (const auto& [k, v] : kv.tags) InsertSorted(&postings_[PostingName(k, v)], id);
  }
  next_id_ = std::max(next_id_, id + 1);
  return absl::OkStatus();
}

absl::Status SeriesIndex::Load(KvStore* store) {
  absl::MutexLock l(&mu_);
  auto it = store->NewIterator(Cf::kSeriesMeta);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return absl::DataLossError("malformed series_meta key");
    SeriesId id = keys::SeriesIdFromMetaKey(it->key());
    ValueType type;
    std::string_view key_bytes;
    RETURN_IF_ERROR(keys::ParseSeriesMetaValue(it->value(), &type, &key_bytes));
    RETURN_IF_ERROR(AddLocked(id, type, key_bytes, /*add_tag_postings=*/false));
  }
  RETURN_IF_ERROR(it->status());
  // Tag postings come sorted from the postings column family: 't' key \0 value \0 id(BE64).
  auto pit = store->NewIterator(Cf::kPostings, "t", "u");
  for (pit->SeekToFirst(); pit->Valid(); pit->Next()) {
    std::string_view k = pit->key();
    if (k.size() < 1 + 8 + 2) return absl::DataLossError("malformed postings key");
    SeriesId id = DecodeBigEndian64(k.data() + k.size() - 8);
    std::string_view name = k.substr(1, k.size() - 1 - 8 - 1);  // drop 't', trailing \0 + id
    if (id < entries_.size() && entries_[id].live) {
      auto& list = postings_[std::string(name)];
      InsertSorted(&list, id);
    }
  }
  return pit->status();
}

SeriesId SeriesIndex::Find(std::string_view key_bytes, ValueType* type) const {
  absl::ReaderMutexLock l(&mu_);
  auto it = by_key_.find(key_bytes);
  if (it == by_key_.end()) return kInvalidSeriesId;
  if (type != nullptr) *type = entries_[it->second].type;
  return it->second;
}

absl::StatusOr<SeriesIndex::Resolved> SeriesIndex::FindOrReserve(std::string_view key_bytes,
                                                                 ValueType type,
                                                                 uint64_t max_series) {
  {
    absl::ReaderMutexLock l(&mu_);
    auto it = by_key_.find(key_bytes);
    if (it != by_key_.end()) {
      const Entry& e = entries_[it->second];
      if (e.type != type) {
        return absl::InvalidArgumentError(absl::StrCat("field type conflict: series already holds ",
                                                       ValueTypeName(e.type), " values, got ",
                                                       ValueTypeName(type)));
      }
      return Resolved{it->second, false};
    }
  }
  absl::MutexLock l(&mu_);
  auto it = by_key_.find(key_bytes);
  if (it != by_key_.end()) {
    if (entries_[it->second].type != type) {
      return absl::InvalidArgumentError(absl::StrCat("field type conflict: series already holds ",
                                                     ValueTypeName(entries_[it->second].type),
                                                     " values, got ", ValueTypeName(type)));
    }
    return Resolved{it->second, false};
  }
  std::string key(key_bytes);
  auto pit = pending_.find(key);
  if (pit != pending_.end()) {
    if (pit->second.type != type) {
      return absl::InvalidArgumentError(
          absl::StrCat("field type conflict: series is being created with ",
                       ValueTypeName(pit->second.type), " values, got ", ValueTypeName(type)));
    }
    pit->second.refs++;
    return Resolved{pit->second.id, true};
  }
  if (live_ + pending_.size() >= max_series) {
    return absl::ResourceExhaustedError(
        absl::StrCat("series cardinality limit reached: the database holds ", live_,
                     " series and the limit is ", max_series));
  }
  SeriesId id = next_id_++;
  pending_.emplace(std::move(key), Pending{id, type, 1});
  return Resolved{id, true};
}

void SeriesIndex::Release(const std::vector<wal::NewSeries>& reserved) {
  if (reserved.empty()) return;
  absl::MutexLock l(&mu_);
  for (const auto& ns : reserved) {
    auto it = pending_.find(ns.key);
    if (it != pending_.end() && --it->second.refs == 0) pending_.erase(it);
  }
}

absl::Status SeriesIndex::Commit(SeriesId id, ValueType type, std::string_view key_bytes,
                                 KvBatch* persist) {
  absl::MutexLock l(&mu_);
  pending_.erase(std::string(key_bytes));
  if (id < entries_.size() && entries_[id].live) return absl::OkStatus();
  auto existing = by_key_.find(key_bytes);
  if (existing != by_key_.end() && existing->second != id) {
    return absl::DataLossError(
        absl::StrCat("series ", id, " duplicates series ", existing->second));
  }
  RETURN_IF_ERROR(AddLocked(id, type, key_bytes, /*add_tag_postings=*/true));
  persist->Put(Cf::kSeries, key_bytes, keys::SeriesIdValue(id));
  persist->Put(Cf::kSeriesMeta, keys::SeriesMetaKey(id), keys::SeriesMetaValue(type, key_bytes));
  KeyViews kv;
  SplitKey(key_bytes, &kv);
  persist->Put(Cf::kPostings, keys::MeasurementPostingKey(kv.measurement, id), "");
  for (const auto& [k, v] : kv.tags) persist->Put(Cf::kPostings, keys::TagPostingKey(k, v, id), "");
  return absl::OkStatus();
}

void SeriesIndex::Remove(const std::vector<SeriesId>& ids, KvBatch* persist) {
  absl::MutexLock l(&mu_);
  for (SeriesId id : ids) {
    if (id >= entries_.size() || !entries_[id].live) continue;
    Entry& e = entries_[id];
    std::string_view key = KeyOf(e);
    KeyViews kv;
    SplitKey(key, &kv);
    persist->Delete(Cf::kSeries, key);
    persist->Delete(Cf::kSeriesMeta, keys::SeriesMetaKey(id));
    persist->Delete(Cf::kPostings, keys::MeasurementPostingKey(kv.measurement, id));
    for (const auto& [k, v] : kv.tags) {
      persist->Delete(Cf::kPostings, keys::TagPostingKey(k, v, id));
      auto pit = postings_.find(PostingName(k, v));
      if (pit != postings_.end()) {
        EraseSorted(&pit->second, id);
        if (pit->second.empty()) postings_.erase(pit);
      }
    }
    if (auto sit = schemas_.find(e.measurement); sit != schemas_.end()) {
      MeasurementSchema& schema = sit->second;
      auto ft = schema.field_types.find(e.field);
      if (ft != schema.field_types.end() && --ft->second[static_cast<int>(e.type)] == 0 &&
          std::all_of(ft->second.begin(), ft->second.end(), [](uint32_t n) { return n == 0; })) {
        schema.field_types.erase(ft);
      }
      for (const auto& [k, v] : kv.tags) {
        auto tk = schema.tag_keys.find(std::string(k));
        if (tk != schema.tag_keys.end() && --tk->second == 0) schema.tag_keys.erase(tk);
      }
      if (schema.field_types.empty()) schemas_.erase(sit);
    }
    auto mit = by_field_.find(e.measurement);
    if (mit != by_field_.end()) {
      auto fit = mit->second.find(e.field);
      if (fit != mit->second.end()) {
        EraseSorted(&fit->second, id);
        if (fit->second.empty()) mit->second.erase(fit);
      }
      if (mit->second.empty()) by_field_.erase(mit);
    }
    by_key_.erase(key);
    e.live = false;
    live_--;
  }
}

std::vector<SeriesId> SeriesIndex::MatchLocked(const std::vector<SeriesId>& candidates,
                                               const TagMatcher& m) const {
  auto all_with_key = [&]() {
    std::vector<SeriesId> ids;
    std::string prefix = m.key + '\0';
    for (auto it = postings_.lower_bound(prefix);
         it != postings_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      std::vector<SeriesId> merged;
      std::set_union(ids.begin(), ids.end(), it->second.begin(), it->second.end(),
                     std::back_inserter(merged));
      ids.swap(merged);
    }
    return ids;
  };
  auto matching_values = [&]() {
    std::vector<SeriesId> ids;
    std::string prefix = m.key + '\0';
    for (auto it = postings_.lower_bound(prefix);
         it != postings_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      re2::StringPiece value(it->first.data() + prefix.size(), it->first.size() - prefix.size());
      if (!RE2::FullMatch(value, *m.re)) continue;
      std::vector<SeriesId> merged;
      std::set_union(ids.begin(), ids.end(), it->second.begin(), it->second.end(),
                     std::back_inserter(merged));
      ids.swap(merged);
    }
    return ids;
  };
  static const std::vector<SeriesId> kEmpty;
  switch (m.op) {
    case TagMatcher::Op::kEqual: {
      auto it = postings_.find(PostingName(m.key, m.value));
      return Intersect(candidates, it == postings_.end() ? kEmpty : it->second);
    }
    case TagMatcher::Op::kNotEqual: {
      auto it = postings_.find(PostingName(m.key, m.value));
      return Subtract(candidates, it == postings_.end() ? kEmpty : it->second);
    }
    case TagMatcher::Op::kRegex:
      return Intersect(candidates, matching_values());
    case TagMatcher::Op::kNotRegex:
      return Subtract(candidates, matching_values());
    case TagMatcher::Op::kExists:
      return Intersect(candidates, all_with_key());
    case TagMatcher::Op::kNotExists:
      return Subtract(candidates, all_with_key());
  }
  return {};
}

std::vector<SeriesId> SeriesIndex::Select(const SeriesSelector& sel) const {
  absl::ReaderMutexLock l(&mu_);
  auto mid = name_ids_.find(sel.measurement);
  if (mid == name_ids_.end()) return {};
  auto mit = by_field_.find(mid->second);
  if (mit == by_field_.end()) return {};
  std::vector<SeriesId> ids;
  if (sel.fields.empty()) {
    for (const auto& [field, list] : mit->second) ids.insert(ids.end(), list.begin(), list.end());
    std::sort(ids.begin(), ids.end());
  } else {
    for (const auto& f : sel.fields) {
      auto fid = name_ids_.find(f);
      if (fid == name_ids_.end()) continue;
      auto fit = mit->second.find(fid->second);
      if (fit != mit->second.end()) ids.insert(ids.end(), fit->second.begin(), fit->second.end());
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
  for (const auto& m : sel.matchers) {
    if (ids.empty()) break;
    ids = MatchLocked(ids, m);
  }
  return ids;
}

void SeriesIndex::ForEach(const std::function<void(SeriesId, ValueType)>& fn) const {
  absl::ReaderMutexLock l(&mu_);
  for (SeriesId id = 1; id < entries_.size(); id++) {
    if (entries_[id].live) fn(id, entries_[id].type);
  }
}

std::optional<SeriesInfo> SeriesIndex::Get(SeriesId id) const {
  absl::ReaderMutexLock l(&mu_);
  if (id >= entries_.size() || !entries_[id].live) return std::nullopt;
  auto key = keys::ParseSeriesKey(KeyOf(entries_[id]));
  if (!key.ok()) return std::nullopt;
  return SeriesInfo{id, entries_[id].type, *std::move(key)};
}

void SeriesIndex::ForEachKey(const SeriesId* ids, size_t n,
                             absl::FunctionRef<bool(size_t, ValueType, std::string_view)> fn) const {
  constexpr size_t kPerLock = 4096;
  for (size_t b = 0; b < n; b += kPerLock) {
    absl::ReaderMutexLock l(&mu_);
    for (size_t i = b; i < std::min(n, b + kPerLock); i++) {
      const SeriesId id = ids[i];
      if (id >= entries_.size() || !entries_[id].live) continue;
      if (!fn(i, entries_[id].type, KeyOf(entries_[id]))) return;
    }
  }
}

std::optional<ValueType> SeriesIndex::TypeOf(SeriesId id) const {
  absl::ReaderMutexLock l(&mu_);
  if (id >= entries_.size() || !entries_[id].live) return std::nullopt;
  return entries_[id].type;
}

std::vector<std::string> SeriesIndex::Measurements() const {
  absl::ReaderMutexLock l(&mu_);
  std::vector<std::string> out;
  for (const auto& [mid, fields] : by_field_) {
    if (!fields.empty()) out.push_back(names_[mid]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::pair<std::string, ValueType>> SeriesIndex::Fields(
    std::string_view measurement) const {
  absl::ReaderMutexLock l(&mu_);
  std::vector<std::pair<std::string, ValueType>> out;
  auto mid = name_ids_.find(std::string(measurement));
  if (mid == name_ids_.end()) return out;
  auto sit = schemas_.find(mid->second);
  if (sit == schemas_.end()) return out;
  for (const auto& [fid, counts] : sit->second.field_types) {
    // Series of one field may differ in type (one device sends ints, another floats).
    for (int t = 1; t <= 4; t++) {
      if (counts[t] > 0) out.emplace_back(names_[fid], static_cast<ValueType>(t));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> SeriesIndex::TagKeys(std::string_view measurement) const {
  absl::ReaderMutexLock l(&mu_);
  std::vector<std::string> out;
  if (!measurement.empty()) {
    auto mid = name_ids_.find(std::string(measurement));
    if (mid == name_ids_.end()) return out;
    auto sit = schemas_.find(mid->second);
    if (sit == schemas_.end()) return out;
    for (const auto& [key, count] : sit->second.tag_keys) out.push_back(key);
    return out;
  }
  for (const auto& [name, ids] : postings_) {
    std::string key = name.substr(0, name.find('\0'));
    if (!out.empty() && out.back() == key) continue;
    out.push_back(std::move(key));
  }
  return out;
}

std::vector<std::string> SeriesIndex::TagValues(std::string_view key, std::string_view measurement,
                                                size_t limit) const {
  absl::ReaderMutexLock l(&mu_);
  std::vector<std::string> out;
  uint32_t m = 0;
  if (!measurement.empty()) {
    auto mid = name_ids_.find(std::string(measurement));
    if (mid == name_ids_.end()) return out;
    auto sit = schemas_.find(mid->second);
    if (sit == schemas_.end() || !sit->second.tag_keys.contains(std::string(key))) return out;
    m = mid->second;
  }
  std::string prefix = std::string(key) + '\0';
  for (auto it = postings_.lower_bound(prefix);
       it != postings_.end() && it->first.compare(0, prefix.size(), prefix) == 0 &&
       out.size() < limit;
       ++it) {
    // A value belongs to the measurement when one of its series does (usually the first).
    if (!measurement.empty() &&
        std::none_of(it->second.begin(), it->second.end(),
                     [&](SeriesId id) { return entries_[id].measurement == m; })) {
      continue;
    }
    out.push_back(it->first.substr(prefix.size()));
  }
  return out;
}

uint64_t SeriesIndex::size() const {
  absl::ReaderMutexLock l(&mu_);
  return live_;
}

SeriesId SeriesIndex::max_id() const {
  absl::ReaderMutexLock l(&mu_);
  return next_id_ - 1;
}

uint64_t SeriesIndex::memory_bytes() const {
  absl::ReaderMutexLock l(&mu_);
  uint64_t postings = 0;
  for (const auto& [name, ids] : postings_) postings += name.size() + 48 + ids.capacity() * 8;
  return arena_bytes_ + entries_.capacity() * sizeof(Entry) + by_key_.capacity() * 32 + postings;
}

}  // namespace telemdb::storage
