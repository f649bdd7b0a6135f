#include "auth/audit_log.h"

#include <fcntl.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "storage/crypto/record_cipher.h"
#include "storage/db.h"
#include "util/client_text.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::auth {
namespace {

using Json = nlohmann::json;

constexpr char kSecretKey[] = "audit/secret";
constexpr char kAnchorKey[] = "audit/anchor";
constexpr char kGapPrefix[] = "audit/gap/";
constexpr char kGenesis[] = "telemdb-audit-v1";

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; i++) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 15]);
  }
  return out;
}

std::string Mac(const std::string& key, const std::string& prev, const std::string& body) {
  std::string data = prev + "\n" + body;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &n);
  return Hex(md, n);
}

// Serializes without ever throwing: values are already valid UTF-8 (ClientText), and the
// replace handler covers anything else.
std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// The line as written minus its `mac` member: what the MAC covers.
std::string Body(Json record) {
  record.erase("mac");
  return Dump(record);
}

// A parsed line of the log: its sequence and mac, when it is a record.
struct Link {
  bool ok = false;
  uint64_t seq = 0;
  std::string mac;
};

Link ParseLink(const std::string& line) {
  Link l;
  auto j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("mac") || !j.contains("seq") ||
      !j["seq"].is_number_unsigned() || !j["mac"].is_string()) {
    return l;
  }
  l.ok = true;
  l.seq = j["seq"].get<uint64_t>();
  l.mac = j["mac"].get<std::string>();
  return l;
}

struct Anchor {
  uint64_t seq = 0;
  std::string mac;
};

std::optional<Anchor> ParseAnchor(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  auto a = Json::parse(*text, nullptr, false);
  if (!a.is_object()) return Anchor{};
  return Anchor{a.value("seq", uint64_t{0}), a.value("mac", "")};
}

std::string GapKey(uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu", static_cast<unsigned long long>(n));
  return std::string(kGapPrefix) + buf;
}

}  // namespace

AuditLog::AuditLog(std::string path, storage::Db* db, AuditOptions options)
    : path_(std::move(path)), db_(db), options_(options) {}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(
    const std::string& path, storage::Db* db, std::unique_ptr<storage::crypto::RecordCipher> cipher,
    AuditOptions options) {
  std::unique_ptr<AuditLog> log(new AuditLog(path, db, options));
  log->cipher_ = std::move(cipher);
  ASSIGN_OR_RETURN(auto secret, db->GetMeta(kSecretKey));
  if (secret) {
    log->secret_ = *secret;
  } else {
    log->secret_.resize(32);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(log->secret_.data()), 32) != 1) {
      return absl::InternalError("OpenSSL RAND_bytes failed");
    }
    RETURN_IF_ERROR(db->PutMeta(kSecretKey, log->secret_));
  }
  ASSIGN_OR_RETURN(std::vector<Pending> first, log->Recover());
  {
    absl::MutexLock l(&log->mu_);
    log->interval_end_ = absl::Now() + options.repeat_interval;
    for (auto& p : first) log->EnqueueLocked(std::move(p));
  }
  log->writer_ = std::thread([raw = log.get()] { raw->WriterLoop(); });
  return log;
}

absl::StatusOr<std::vector<AuditLog::Pending>> AuditLog::Recover() {
  std::vector<Pending> events;
  std::string contents;
  {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    contents = ss.str();
  }
  ASSIGN_OR_RETURN(auto anchor_text, db_->GetMeta(kAnchorKey));
  const std::optional<Anchor> anchor = ParseAnchor(anchor_text);

  // Walk the complete lines; remember the last record and the one the anchor names.
  last_mac_ = kGenesis;
  seq_ = 0;
  size_t good_end = 0;  // end of the last line that is a record
  std::optional<std::string> mac_at_anchor;
  size_t pos = 0;
  while (pos < contents.size()) {
    size_t nl = contents.find('\n', pos);
    const bool complete = nl != std::string::npos;
    std::string line = contents.substr(pos, (complete ? nl : contents.size()) - pos);
    Link link = complete ? ParseLink(line) : Link{};
    if (link.ok) {
      seq_ = link.seq;
      last_mac_ = link.mac;
      good_end = nl + 1;
      if (anchor && link.seq == anchor->seq) mac_at_anchor = link.mac;
    }
    pos = complete ? nl + 1 : contents.size();
  }
  if (good_end < contents.size()) {
    // Everything after the last record is a torn write (a crash mid-line), or garbage
    // appended: cut it so new records do not continue a broken line.
    const uint64_t dropped = contents.size() - good_end;
    if (::truncate(path_.c_str(), static_cast<off_t>(good_end)) != 0) {
      return absl::UnavailableError(absl::StrCat("cannot repair the audit log ", path_));
    }
    Log(LogLevel::kWarning, "audit.torn_tail_repaired",
        {{"path", path_}, {"bytes", dropped}, {"after_seq", seq_}});
    events.push_back(
        {"audit.torn_tail_repaired",
         "telemdbd",
         "repaired",
         {{"bytes_dropped", std::to_string(dropped)}, {"after_seq", std::to_string(seq_)}},
         absl::Now()});
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return absl::UnavailableError(absl::StrCat("cannot open audit log ", path_));
  if (good_end < contents.size() && ::fsync(fd_) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot sync the audit log ", path_));
  }

  // The tail against the anchor: the database says which record was the newest.
  std::string gap;
  if (anchor) {
    if (anchor->seq > seq_) {
      gap = absl::StrCat("records ", seq_ + 1, " to ", anchor->seq,
                         " are missing: the log ends at record ", seq_,
                         " but the database anchors record ", anchor->seq);
    } else if (mac_at_anchor != anchor->mac) {
      gap = absl::StrCat("record ", anchor->seq,
                         " differs from the one anchored in the database: the log was cut and "
                         "rewritten from there");
    }
  }
  if (!gap.empty()) {
    ASSIGN_OR_RETURN(auto existing, db_->ScanMeta(kGapPrefix));
    Json g = {
        {"detected", absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone())},
        {"anchor_seq", anchor->seq},
        {"log_seq", seq_},
        {"description", gap},
        {"acknowledged", false}};
    RETURN_IF_ERROR(db_->PutMeta(GapKey(existing.size() + 1), Dump(g)));
    Log(LogLevel::kError, "audit.gap", {{"path", path_}, {"problem", gap}});
    events.push_back({"audit.gap",
                      "telemdbd",
                      "detected",
                      {{"problem", gap},
                       {"anchor_seq", std::to_string(anchor->seq)},
                       {"log_seq", std::to_string(seq_)}},
                      absl::Now()});
  }
  return events;
}

AuditLog::~AuditLog() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  if (writer_.joinable()) writer_.join();
  if (fd_ >= 0) ::close(fd_);
}

uint64_t AuditLog::EnqueueLocked(Pending p) {
  if (queue_.size() >= options_.max_queued) {
    dropped_unreported_++;
    counters_.dropped++;
    return 0;
  }
  queue_.push_back(std::move(p));
  return ++enqueued_;
}

void AuditLog::Record(const std::string& event, const std::string& who, const std::string& outcome,
                      const Fields& fields) {
  absl::MutexLock l(&mu_);
  EnqueueLocked({event, who, outcome, fields, absl::Now()});
}

absl::Status AuditLog::RecordDurable(const std::string& event, const std::string& who,
                                     const std::string& outcome, const Fields& fields) {
  absl::MutexLock l(&mu_);
  // Waits for room rather than dropping: operator actions are never lost to a flood.
  mu_.Await(absl::Condition(
      +[](AuditLog* a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(a->mu_) {
        return a->stop_ || a->queue_.size() < a->options_.max_queued;
      },
      this));
  if (stop_) return absl::UnavailableError("the audit log is closing");
  const uint64_t ticket = EnqueueLocked({event, who, outcome, fields, absl::Now()});
  if (ticket == 0) return absl::UnavailableError("the audit queue is full");
  struct Wait {
    AuditLog* a;
    uint64_t ticket;
  } w{this, ticket};
  mu_.Await(absl::Condition(
      +[](Wait* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->a->mu_) { return w->a->done_ >= w->ticket; },
      &w));
  if (ticket >= failed_lo_ && ticket <= failed_hi_) {
    return absl::UnavailableError(absl::StrCat("cannot write the audit log ", path_));
  }
  return absl::OkStatus();
}

void AuditLog::RecordRepeated(const std::string& event, const std::string& who,
                              const std::string& outcome, const Fields& fields,
                              const std::string& fold_key) {
  absl::MutexLock l(&mu_);
  std::string key =
      absl::StrCat(event, absl::string_view("\0", 1), fold_key.empty() ? who : fold_key);
  std::string as_who = who;
  auto it = repeats_.find(key);
  if (it == repeats_.end() && repeats_.size() >= options_.max_repeat_keys) {
    as_who = "(other)";
    key = absl::StrCat(event, absl::string_view("\0", 1), as_who);
    it = repeats_.find(key);
  }
  if (it != repeats_.end()) {
    it->second.count++;
    counters_.folded++;
    return;
  }
  repeats_.emplace(key, Repeat{0, event, as_who, outcome, fields});
  EnqueueLocked({event, as_who, outcome, fields, absl::Now()});
}

void AuditLog::FoldRepeatsLocked(std::vector<Pending>* out) {
  const std::string interval = absl::StrCat(absl::ToInt64Seconds(options_.repeat_interval));
  for (auto& [key, r] : repeats_) {
    if (r.count == 0) continue;
    Fields f = r.fields;
    f.emplace_back("count", std::to_string(r.count));
    f.emplace_back("interval_s", interval);
    f.emplace_back("first_outcome", r.outcome);
    out->push_back({r.event, r.who, "repeated", std::move(f), absl::Now()});
  }
  repeats_.clear();
  interval_end_ = absl::Now() + options_.repeat_interval;
}

absl::Status AuditLog::Flush() {
  absl::MutexLock l(&mu_);
  const uint64_t target = enqueued_;
  const uint64_t request = ++flush_requested_;
  struct Wait {
    AuditLog* a;
    uint64_t target, request;
  } w{this, target, request};
  mu_.Await(absl::Condition(
      +[](Wait* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->a->mu_) {
        return w->a->done_ >= w->target && w->a->flush_done_ >= w->request;
      },
      &w));
  if (target >= failed_lo_ && target <= failed_hi_) {
    return absl::UnavailableError(absl::StrCat("cannot write the audit log ", path_));
  }
  return absl::OkStatus();
}

void AuditLog::WriterLoop() {
  while (true) {
    std::vector<Pending> batch;
    uint64_t first_ticket = 0, last_ticket = 0, flush_request = 0;
    bool stopping;
    {
      absl::MutexLock l(&mu_);
      mu_.AwaitWithDeadline(absl::Condition(
                                +[](AuditLog* a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(a->mu_) {
                                  return a->stop_ || !a->queue_.empty() ||
                                         a->flush_requested_ > a->flush_done_;
                                },
                                this),
                            interval_end_);
      stopping = stop_;
      first_ticket = done_ + 1;
      last_ticket = done_ + queue_.size();
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
      flush_request = flush_requested_;
      if (stopping || flush_request > flush_done_ || absl::Now() >= interval_end_) {
        FoldRepeatsLocked(&batch);
      }
      if (dropped_unreported_ > 0) {
        batch.push_back({"audit.dropped",
                         "telemdbd",
                         "queue full",
                         {{"count", std::to_string(dropped_unreported_)}},
                         absl::Now()});
        dropped_unreported_ = 0;
      }
    }
    bool ok = true;
    if (!batch.empty()) {
      absl::MutexLock fl(&file_mu_);
      ok = WriteBatch(&batch);
    }
    {
      absl::MutexLock l(&mu_);
      if (!ok) {
        counters_.write_errors++;
        failed_lo_ = first_ticket;
        failed_hi_ = last_ticket;
      } else {
        counters_.written += batch.size();
      }
      done_ = last_ticket;
      flush_done_ = std::max(flush_done_, flush_request);
      if (stopping && queue_.empty()) return;
    }
  }
}

std::string AuditLog::Format(const Pending& p, uint64_t seq) const {
  const size_t cap = options_.max_value_bytes;
  Json content;
  content["ts"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", p.ts, absl::UTCTimeZone());
  content["event"] = ClientText(p.event, cap);
  content["who"] = ClientText(p.who, cap);
  content["outcome"] = ClientText(p.outcome, cap);
  for (const auto& [k, v] : p.fields) content[ClientText(k, 64)] = ClientText(v, cap);
  Json j;
  if (cipher_) {
    // Sealed: who did what stays out of the data directory's plaintext.
    std::string sealed;
    absl::Status s = cipher_->Seal(absl::StrCat("audit:", seq), Dump(content), &sealed);
    if (!s.ok()) {
      Log(LogLevel::kError, "audit.seal_failed", {{"error", s.ToString()}});
      return "";
    }
    j["seq"] = seq;
    j["key"] = cipher_->active_key_id();
    j["sealed"] = absl::Base64Escape(sealed);
  } else {
    j = std::move(content);
    j["seq"] = seq;
  }
  return Dump(j);
}

bool AuditLog::WriteBatch(std::vector<Pending>* batch) {
  std::string out;
  uint64_t seq = seq_;
  std::string mac = last_mac_;
  for (const Pending& p : *batch) {
    std::string body = Format(p, seq + 1);
    if (body.empty()) continue;
    std::string m = Mac(secret_, mac, body);
    // Append the mac member: `body` is a JSON object; re-open it before its closing brace.
    body.pop_back();
    absl::StrAppend(&out, body, ",\"mac\":\"", m, "\"}\n");
    mac = std::move(m);
    seq++;
  }
  if (out.empty()) return true;
  size_t off = 0;
  while (off < out.size()) {
    ssize_t w = ::write(fd_, out.data() + off, out.size() - off);
    if (w <= 0) {
      Log(LogLevel::kError, "audit.write_failed", {{"path", path_}});
      // Do not leave half a line for the next batch to continue: cut back to the last record.
      struct stat st;
      if (off > 0 && ::fstat(fd_, &st) == 0) {
        (void)::ftruncate(fd_, st.st_size - static_cast<off_t>(off));
      }
      return false;
    }
    off += static_cast<size_t>(w);
  }
  if (::fdatasync(fd_) != 0) {
    Log(LogLevel::kError, "audit.sync_failed", {{"path", path_}});
    return false;
  }
  seq_ = seq;
  last_mac_ = mac;
  Json anchor = {{"seq", seq_}, {"mac", last_mac_}};
  absl::Status s = db_->PutMeta(kAnchorKey, Dump(anchor));
  if (!s.ok()) Log(LogLevel::kError, "audit.anchor_failed", {{"error", s.ToString()}});
  return true;
}

absl::StatusOr<VerifyResult> AuditLog::Verify() {
  RETURN_IF_ERROR(Flush());
  absl::MutexLock fl(&file_mu_);
  VerifyResult r;
  std::ifstream in(path_);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read audit log ", path_));
  std::string line, prev = kGenesis;
  uint64_t n = 0, expect_seq = 1;
  bool chain_ok = true;
  while (chain_ok && std::getline(in, line)) {
    n++;
    auto j = Json::parse(line, nullptr, false);
    auto broken = [&](const std::string& why) {
      chain_ok = false;
      r.records = n - 1;
      r.problem = absl::StrCat("line ", n, ": ", why);
    };
    if (j.is_discarded() || !j.is_object() || !j.contains("mac") || !j.contains("seq")) {
      broken("not an audit record");
      break;
    }
    if (!j["seq"].is_number_unsigned() || j["seq"].get<uint64_t>() != expect_seq) {
      broken(absl::StrCat("sequence ", Dump(j["seq"]), " where ", expect_seq,
                          " was expected (a record is missing or inserted)"));
      break;
    }
    std::string mac = j["mac"].is_string() ? j["mac"].get<std::string>() : "";
    if (Mac(secret_, prev, Body(j)) != mac) {
      broken("HMAC mismatch: the record or the one before it was altered");
      break;
    }
    prev = mac;
    expect_seq++;
  }
  if (chain_ok) {
    r.records = n;
    ASSIGN_OR_RETURN(auto anchor_text, db_->GetMeta(kAnchorKey));
    if (auto anchor = ParseAnchor(anchor_text)) {
      if (anchor->seq > n) {
        chain_ok = false;
        r.problem = absl::StrCat("the log ends at record ", n, " but the database anchors record ",
                                 anchor->seq, ": its tail was cut");
      } else if (anchor->seq == n && anchor->mac != prev) {
        chain_ok = false;
        r.problem = "the last record does not match the anchor in the database";
      }
    }
  }
  ASSIGN_OR_RETURN(auto gaps, db_->ScanMeta(kGapPrefix));
  std::vector<std::string> open_gaps;
  for (const auto& [key, value] : gaps) {
    auto g = Json::parse(value, nullptr, false);
    if (!g.is_object()) continue;
    const bool acked = g.value("acknowledged", false);
    std::string text =
        absl::StrCat(g.value("detected", ""), ": ", g.value("description", ""),
                     acked ? absl::StrCat(" (acknowledged by ", g.value("acknowledged_by", ""), ")")
                           : std::string(" (not acknowledged)"));
    r.gaps.push_back(text);
    if (!acked) {
      r.unacknowledged_gaps++;
      open_gaps.push_back(text);
    }
  }
  r.ok = chain_ok && r.unacknowledged_gaps == 0;
  if (chain_ok && !open_gaps.empty()) {
    r.problem = absl::StrCat(open_gaps.size(),
                             " gap(s) in the log found at start, not yet "
                             "acknowledged (telemdb admin audit ack-gap): ",
                             absl::StrJoin(open_gaps, "; "));
  }
  return r;
}

absl::StatusOr<uint64_t> AuditLog::AcknowledgeGaps(const std::string& who) {
  ASSIGN_OR_RETURN(auto gaps, db_->ScanMeta(kGapPrefix));
  uint64_t n = 0;
  std::vector<std::string> what;
  for (const auto& [key, value] : gaps) {
    auto g = Json::parse(value, nullptr, false);
    if (!g.is_object() || g.value("acknowledged", false)) continue;
    g["acknowledged"] = true;
    g["acknowledged_by"] = who;
    g["acknowledged_at"] =
        absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone());
    RETURN_IF_ERROR(db_->PutMeta(key, Dump(g)));
    what.push_back(g.value("description", ""));
    n++;
  }
  if (n > 0) {
    RETURN_IF_ERROR(
        RecordDurable("audit.gap_acknowledged", who, "ok",
                      {{"gaps", std::to_string(n)}, {"detail", absl::StrJoin(what, "; ")}}));
  }
  return n;
}

AuditCounters AuditLog::counters() const {
  absl::MutexLock l(&mu_);
  return counters_;
}

}  // namespace telemdb::auth
