#include "auth/identity_stats.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "auth/audit_log.h"
#include "nlohmann/json.hpp"
#include "storage/db.h"
#include "util/absl_compat.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::auth {
namespace {

using Json = nlohmann::json;

constexpr char kPrefix[] = "identity/";
constexpr size_t kExactSeries = 64;
constexpr int kHllBits = 10;
constexpr size_t kHllRegisters = size_t{1} << kHllBits;
constexpr size_t kMaxMeasurements = 256;
constexpr size_t kMaxTagKeys = 32;
constexpr size_t kMaxTagValues = 64;
constexpr int64_t kMinuteNs = 60'000'000'000LL;
constexpr double kEwmaAlpha = 0.2;

// A hash that is the same in every process (persisted sets and sketches depend on it):
// FNV-1a, then a MurmurHash3 finalizer to spread the bits.
uint64_t StableHash(std::string_view s, uint64_t h = 14695981039346656037ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

uint64_t GroupHash(const storage::SeriesBatch& g) {
  uint64_t h = StableHash(g.measurement);
  for (const auto& [k, v] : g.tags) h = StableHash(v, StableHash(k, h));
  return h;
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

const char* KindName(Identity::Kind k) {
  switch (k) {
    case Identity::Kind::kToken:
      return "token";
    case Identity::Kind::kCertificate:
      return "certificate";
    case Identity::Kind::kAnonymous:
      return "anonymous";
  }
  return "token";
}

}  // namespace

struct IdentityStats::State {
  absl::Mutex mu;
  std::string kind;
  std::vector<std::string> scopes;
  uint64_t writes = 0, points = 0, bytes = 0, groups = 0;
  std::vector<uint64_t> exact;  // distinct series hashes while few
  std::string hll;              // registers, once `exact` overflowed
  std::vector<std::string> measurements;
  bool measurements_capped = false;
  struct TagKey {
    std::string key;
    std::vector<std::string> values;
    bool open = false;    // more than kMaxTagValues values
    uint64_t groups = 0;  // groups that carried this key
  };
  std::vector<TagKey> tags;
  bool tags_capped = false;
  int64_t first_seen = 0, last_seen = 0;
  std::string last_peer;
  // Rate baseline: points in the current minute, and the usual points per minute.
  int64_t minute = 0;
  uint64_t minute_points = 0;
  bool minute_flagged = false;
  double ewma_ppm = 0;
  uint64_t learning_points = 0;
  uint64_t anomalies = 0;
  bool dirty = false;

  void AddSeries(uint64_t h) {
    if (hll.empty()) {
      auto it = std::lower_bound(exact.begin(), exact.end(), h);
      if (it != exact.end() && *it == h) return;
      if (exact.size() < kExactSeries) {
        exact.insert(it, h);
        return;
      }
      hll.assign(kHllRegisters, '\0');
      for (uint64_t e : exact) AddHll(e);
      exact.clear();
    }
    AddHll(h);
  }
  void AddHll(uint64_t h) {
    const size_t j = h >> (64 - kHllBits);
    const uint64_t rest = h << kHllBits;
    const uint8_t rank = static_cast<uint8_t>(
        std::min(rest == 0 ? 64 - kHllBits + 1 : std::countl_zero(rest) + 1, 64 - kHllBits + 1));
    uint8_t& r = reinterpret_cast<uint8_t&>(hll[j]);
    r = std::max(r, rank);
  }
  uint64_t SeriesCount() const {
    if (hll.empty()) return exact.size();
    const double m = kHllRegisters;
    double sum = 0;
    int zeros = 0;
    for (char c : hll) {
      sum += std::ldexp(1.0, -static_cast<uint8_t>(c));
      zeros += c == 0;
    }
    double e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
    if (e <= 2.5 * m && zeros > 0) e = m * std::log(m / zeros);
    return static_cast<uint64_t>(std::llround(e));
  }
  // Index of `key` in tags, adding it (nullptr when there are too many keys).
  TagKey* Tag(const std::string& key) {
    for (auto& t : tags) {
      if (t.key == key) return &t;
    }
    if (tags.size() >= kMaxTagKeys) {
      tags_capped = true;
      return nullptr;
    }
    tags.push_back({key, {}, false, 0});
    return &tags.back();
  }
};

IdentityStats::IdentityStats(storage::Db* db, AuditLog* audit, IdentityStatsOptions options)
    : db_(db), audit_(audit), options_(std::move(options)) {}

int64_t IdentityStats::Now() const {
  return options_.now ? options_.now() : absl::GetCurrentTimeNanos();
}

absl::StatusOr<std::unique_ptr<IdentityStats>> IdentityStats::Open(storage::Db* db, AuditLog* audit,
                                                                   IdentityStatsOptions options) {
  std::unique_ptr<IdentityStats> s(new IdentityStats(db, audit, std::move(options)));
  RETURN_IF_ERROR(s->Load());
  s->persister_ = std::thread([raw = s.get()] { raw->PersistLoop(); });
  return s;
}

IdentityStats::~IdentityStats() {
  {
    absl::MutexLock l(&stop_mu_);
    stop_ = true;
  }
  if (persister_.joinable()) persister_.join();
  absl::Status s = Persist();
  if (!s.ok()) Log(LogLevel::kError, "identity_stats.persist_failed", {{"error", s.ToString()}});
}

void IdentityStats::PersistLoop() {
  absl::MutexLock l(&stop_mu_);
  while (!stop_mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.persist_interval)) {
    stop_mu_.Unlock();
    absl::Status s = Persist();
    if (!s.ok()) Log(LogLevel::kError, "identity_stats.persist_failed", {{"error", s.ToString()}});
    stop_mu_.Lock();
  }
}

void IdentityStats::RecordWrite(const Identity& who,
                                const std::vector<storage::SeriesBatch>& groups, uint64_t points,
                                uint64_t bytes, std::string_view peer) {
  const int64_t now = Now();
  State* s;
  {
    absl::MutexLock l(&mu_);
    auto it = states_.find(who.name);
    if (it == states_.end()) {
      if (states_.size() >= options_.max_identities) {
        untracked_++;
        return;
      }
      it = states_.emplace(who.name, std::make_unique<State>()).first;
      it->second->kind = KindName(who.kind);
      it->second->first_seen = now;
      it->second->minute = now / kMinuteNs;
    }
    s = it->second.get();
  }
  absl::MutexLock l(&s->mu);
  if (options_.anomaly_detection) CheckAnomalies(who.name, *s, groups, points, now);
  if (s->scopes.size() != who.scopes.size()) s->scopes.clear();
  for (size_t i = 0; i < who.scopes.size(); i++) {
    std::string text = who.scopes[i].ToString();
    if (i < s->scopes.size()) {
      if (s->scopes[i] != text) s->scopes[i] = std::move(text);
    } else {
      s->scopes.push_back(std::move(text));
    }
  }
  s->writes++;
  s->points += points;
  s->bytes += bytes;
  s->groups += groups.size();
  s->last_seen = now;
  if (s->last_peer != Sv(peer)) s->last_peer = std::string(peer);
  s->dirty = true;
  const std::string* last_measurement = nullptr;
  for (const auto& g : groups) {
    s->AddSeries(GroupHash(g));
    if (last_measurement == nullptr || *last_measurement != g.measurement) {
      last_measurement = &g.measurement;
      if (std::find(s->measurements.begin(), s->measurements.end(), g.measurement) ==
          s->measurements.end()) {
        if (s->measurements.size() < kMaxMeasurements) {
          s->measurements.push_back(g.measurement);
        } else {
          s->measurements_capped = true;
        }
      }
    }
    for (const auto& [k, v] : g.tags) {
      State::TagKey* t = s->Tag(k);
      if (t == nullptr) continue;
      t->groups++;
      if (t->open) continue;
      if (std::find(t->values.begin(), t->values.end(), v) != t->values.end()) continue;
      if (t->values.size() < kMaxTagValues) {
        t->values.push_back(v);
      } else {
        t->open = true;
        t->values.clear();
      }
    }
  }
}

void IdentityStats::CheckAnomalies(const std::string& name, State& s,
                                   const std::vector<storage::SeriesBatch>& groups, uint64_t points,
                                   int64_t now) {
  // Roll the minute: the finished minutes (and empty ones since) feed the baseline.
  const int64_t minute = now / kMinuteNs;
  if (minute != s.minute) {
    const bool learning_then =
        s.minute * kMinuteNs < s.first_seen + absl::ToInt64Nanoseconds(options_.learning);
    if (learning_then) s.learning_points += s.minute_points;
    s.ewma_ppm = s.ewma_ppm * (1 - kEwmaAlpha) + kEwmaAlpha * static_cast<double>(s.minute_points);
    const int64_t idle = std::min<int64_t>(minute - s.minute - 1, 1000);
    for (int64_t i = 0; i < idle; i++) s.ewma_ppm *= 1 - kEwmaAlpha;
    s.minute = minute;
    s.minute_points = 0;
    s.minute_flagged = false;
  }
  s.minute_points += points;
  const bool learning = now < s.first_seen + absl::ToInt64Nanoseconds(options_.learning);
  if (learning) return;

  std::vector<std::string> findings;
  std::vector<std::string> new_values, new_measurements;
  for (const auto& g : groups) {
    if (std::find(s.measurements.begin(), s.measurements.end(), g.measurement) ==
            s.measurements.end() &&
        !s.measurements_capped &&
        std::find(new_measurements.begin(), new_measurements.end(), g.measurement) ==
            new_measurements.end()) {
      new_measurements.push_back(g.measurement);
    }
    for (const auto& [k, v] : g.tags) {
      const State::TagKey* known = nullptr;
      for (const auto& t : s.tags) {
        if (t.key == k) known = &t;
      }
      if (known == nullptr ? s.tags_capped : known->open) continue;
      if (known != nullptr &&
          std::find(known->values.begin(), known->values.end(), v) != known->values.end()) {
        continue;
      }
      std::string kv = absl::StrCat(k, "=", v);
      if (std::find(new_values.begin(), new_values.end(), kv) == new_values.end() &&
          new_values.size() < 8) {
        new_values.push_back(std::move(kv));
      }
    }
  }
  AuditLog::Fields fields;
  if (!new_measurements.empty()) {
    findings.push_back("new_measurement");
    fields.emplace_back("new_measurements", absl::StrJoin(new_measurements, ","));
    fields.emplace_back("known_measurements", std::to_string(s.measurements.size()));
  }
  if (!new_values.empty()) {
    findings.push_back("new_tag_value");
    fields.emplace_back("new_tag_values", absl::StrJoin(new_values, ","));
    std::vector<std::string> known;
    for (const auto& t : s.tags) {
      if (!t.open) known.push_back(absl::StrCat(t.key, ":", t.values.size()));
    }
    fields.emplace_back("known_values_per_tag", absl::StrJoin(known, ","));
  }
  if (options_.rate_factor > 0 && !s.minute_flagged) {
    const double minutes = std::max(1.0, absl::ToDoubleMinutes(options_.learning));
    const double usual = std::max(s.ewma_ppm, static_cast<double>(s.learning_points) / minutes);
    if (s.minute_points >= options_.rate_min_points &&
        static_cast<double>(s.minute_points) > options_.rate_factor * std::max(usual, 1.0)) {
      s.minute_flagged = true;
      findings.push_back("rate");
      fields.emplace_back("points_this_minute", std::to_string(s.minute_points));
      fields.emplace_back("usual_points_per_minute", absl::StrCat(std::llround(usual)));
      fields.emplace_back("factor", absl::StrCat(options_.rate_factor));
    }
  }
  if (findings.empty()) return;
  s.anomalies++;
  anomalies_++;
  fields.emplace_back("kind", absl::StrJoin(findings, ","));
  Log(LogLevel::kWarning, "identity.anomaly",
      {{"identity", name}, {"kind", absl::StrJoin(findings, ",")}});
  // Folded per identity and kind: a burst of one kind is one record and a count.
  if (audit_ != nullptr) {
    audit_->RecordRepeated("identity.anomaly", name, "detected", fields,
                           absl::StrCat(name, "/", absl::StrJoin(findings, ",")));
  }
}

std::vector<IdentityReport> IdentityStats::Report() const {
  std::vector<IdentityReport> out;
  absl::MutexLock l(&mu_);
  for (const auto& [name, sp] : states_) {
    State& s = *sp;
    absl::MutexLock sl(&s.mu);
    IdentityReport r;
    r.name = name;
    r.kind = s.kind;
    r.scopes = s.scopes;
    r.writes = s.writes;
    r.points = s.points;
    r.bytes = s.bytes;
    r.series = s.SeriesCount();
    r.series_estimated = !s.hll.empty();
    r.measurements = s.measurements.size();
    r.measurements_capped = s.measurements_capped;
    r.first_seen_ns = s.first_seen;
    r.last_seen_ns = s.last_seen;
    r.last_peer = s.last_peer;
    r.anomalies = s.anomalies;
    // The narrowest write scope covering everything written: a tag present in every series
    // written, with one value (exact) or values sharing a prefix (prefix*).
    std::string best;
    int best_rank = 3;  // 0: the device tag; 1: a tag with one value; 2: a common prefix
    for (const auto& t : s.tags) {
      if (t.open || t.values.empty() || t.groups != s.groups || s.tags_capped) continue;
      std::string glob;
      if (t.values.size() == 1) {
        glob = EscapeGlob(t.values[0]);
      } else {
        std::string_view prefix = t.values[0];
        for (const auto& v : t.values) {
          size_t n = 0;
          while (n < prefix.size() && n < v.size() && prefix[n] == v[n]) n++;
          prefix = prefix.substr(0, n);
        }
        if (prefix.empty()) continue;
        glob = EscapeGlob(prefix) + "*";
      }
      const int rank = t.key == "device" ? 0 : t.values.size() == 1 ? 1 : 2;
      if (rank < best_rank) {
        best_rank = rank;
        best = absl::StrCat("write:", t.key, "=", glob);
      }
    }
    if (!best.empty() && std::find(s.scopes.begin(), s.scopes.end(), best) == s.scopes.end()) {
      r.suggestion = best;
    }
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(),
            [](const IdentityReport& a, const IdentityReport& b) { return a.name < b.name; });
  return out;
}

uint64_t IdentityStats::untracked_writes() const {
  absl::MutexLock l(&mu_);
  return untracked_;
}

uint64_t IdentityStats::anomalies() const { return anomalies_.load(); }

absl::Status IdentityStats::Persist() {
  absl::MutexLock pl(&persist_mu_);
  std::vector<std::pair<std::string, std::string>> rows;
  {
    absl::MutexLock l(&mu_);
    for (const auto& [name, sp] : states_) {
      State& s = *sp;
      absl::MutexLock sl(&s.mu);
      if (!s.dirty) continue;
      s.dirty = false;
      Json j;
      j["kind"] = s.kind;
      j["scopes"] = s.scopes;
      j["writes"] = s.writes;
      j["points"] = s.points;
      j["bytes"] = s.bytes;
      j["groups"] = s.groups;
      j["exact"] = s.exact;
      j["hll"] = absl::Base64Escape(s.hll);
      j["measurements"] = s.measurements;
      j["measurements_capped"] = s.measurements_capped;
      Json tags = Json::array();
      for (const auto& t : s.tags) {
        tags.push_back(
            {{"key", t.key}, {"values", t.values}, {"open", t.open}, {"groups", t.groups}});
      }
      j["tags"] = std::move(tags);
      j["tags_capped"] = s.tags_capped;
      j["first_seen"] = s.first_seen;
      j["last_seen"] = s.last_seen;
      j["last_peer"] = s.last_peer;
      j["minute"] = s.minute;
      j["minute_points"] = s.minute_points;
      j["ewma_ppm"] = s.ewma_ppm;
      j["learning_points"] = s.learning_points;
      j["anomalies"] = s.anomalies;
      rows.emplace_back(kPrefix + name, Dump(j));
    }
  }
  for (const auto& [key, value] : rows) RETURN_IF_ERROR(db_->PutMeta(key, value));
  return absl::OkStatus();
}

absl::Status IdentityStats::Load() {
  ASSIGN_OR_RETURN(auto rows, db_->ScanMeta(kPrefix));
  absl::MutexLock l(&mu_);
  for (const auto& [key, value] : rows) {
    auto j = Json::parse(value, nullptr, false);
    if (!j.is_object()) {
      Log(LogLevel::kWarning, "identity_stats.malformed_record", {{"key", key}});
      continue;
    }
    auto s = std::make_unique<State>();
    try {
      s->kind = j.value("kind", "token");
      s->scopes = j.value("scopes", std::vector<std::string>());
      s->writes = j.value("writes", uint64_t{0});
      s->points = j.value("points", uint64_t{0});
      s->bytes = j.value("bytes", uint64_t{0});
      s->groups = j.value("groups", uint64_t{0});
      s->exact = j.value("exact", std::vector<uint64_t>());
      std::sort(s->exact.begin(), s->exact.end());
      std::string hll;
      if (absl::Base64Unescape(j.value("hll", ""), &hll) &&
          (hll.empty() || hll.size() == kHllRegisters)) {
        s->hll = std::move(hll);
      }
      s->measurements = j.value("measurements", std::vector<std::string>());
      s->measurements_capped = j.value("measurements_capped", false);
      if (j.contains("tags") && j["tags"].is_array()) {
        for (const auto& t : j["tags"]) {
          s->tags.push_back({t.value("key", ""), t.value("values", std::vector<std::string>()),
                             t.value("open", false), t.value("groups", uint64_t{0})});
        }
      }
      s->tags_capped = j.value("tags_capped", false);
      s->first_seen = j.value("first_seen", int64_t{0});
      s->last_seen = j.value("last_seen", int64_t{0});
      s->last_peer = j.value("last_peer", "");
      s->minute = j.value("minute", int64_t{0});
      s->minute_points = j.value("minute_points", uint64_t{0});
      s->ewma_ppm = j.value("ewma_ppm", 0.0);
      s->learning_points = j.value("learning_points", uint64_t{0});
      s->anomalies = j.value("anomalies", uint64_t{0});
    } catch (const Json::exception& e) {
      // A record of the wrong shape (types) is skipped, not fatal: these are statistics.
      Log(LogLevel::kWarning, "identity_stats.malformed_record",
          {{"key", key}, {"error", e.what()}});
      continue;
    }
    anomalies_ += s->anomalies;
    states_[key.substr(sizeof(kPrefix) - 1)] = std::move(s);
  }
  return absl::OkStatus();
}

}  // namespace telemdb::auth
