#include "server/audit/audit_log.h"

#include <fcntl.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "storage/crypto/record_cipher.h"
#include "storage/db.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::audit {
namespace {

constexpr char kSecretKey[] = "audit/secret";
constexpr char kAnchorKey[] = "audit/anchor";
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

// The line as written minus its `mac` member: what the MAC covers.
std::string Body(nlohmann::json record) {
  record.erase("mac");
  return record.dump();
}

}  // namespace

AuditLog::AuditLog(std::string path, storage::Db* db) : path_(std::move(path)), db_(db) {}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(
    const std::string& path, storage::Db* db,
    std::unique_ptr<storage::crypto::RecordCipher> cipher) {
  std::unique_ptr<AuditLog> log(new AuditLog(path, db));
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
  // Continue the chain from the file's last line (the anchor is checked by Verify()).
  std::string last_mac = kGenesis;
  uint64_t seq = 0;
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.contains("mac") || !j.contains("seq")) continue;
      last_mac = j["mac"].get<std::string>();
      seq = j["seq"].get<uint64_t>();
    }
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot open audit log ", path));
  absl::MutexLock l(&log->mu_);
  log->fd_ = fd;
  log->seq_ = seq;
  log->last_mac_ = last_mac;
  return log;
}

AuditLog::~AuditLog() {
  absl::MutexLock l(&mu_);
  if (fd_ >= 0) ::close(fd_);
}

void AuditLog::Record(const std::string& event, const std::string& who, const std::string& outcome,
                      const std::vector<std::pair<std::string, std::string>>& fields) {
  absl::MutexLock l(&mu_);
  nlohmann::json content;
  content["ts"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone());
  content["event"] = event;
  content["who"] = who;
  content["outcome"] = outcome;
  for (const auto& [k, v] : fields) content[k] = v;
  nlohmann::json j;
  if (cipher_) {
    // Sealed: who did what stays out of the data directory's plaintext.
    std::string sealed;
    absl::Status s = cipher_->Seal(absl::StrCat("audit:", seq_ + 1), content.dump(), &sealed);
    if (!s.ok()) {
      Log(LogLevel::kError, "audit.seal_failed", {{"error", s.ToString()}});
      return;
    }
    j["seq"] = seq_ + 1;
    j["key"] = cipher_->active_key_id();
    j["sealed"] = absl::Base64Escape(sealed);
  } else {
    j = content;
    j["seq"] = seq_ + 1;
  }
  std::string mac = Mac(secret_, last_mac_, j.dump());
  j["mac"] = mac;
  std::string line = j.dump() + "\n";
  if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
      ::fdatasync(fd_) != 0) {
    Log(LogLevel::kError, "audit.write_failed", {{"path", path_}});
    return;
  }
  seq_++;
  last_mac_ = mac;
  nlohmann::json anchor = {{"seq", seq_}, {"mac", last_mac_}};
  absl::Status s = db_->PutMeta(kAnchorKey, anchor.dump());
  if (!s.ok()) Log(LogLevel::kError, "audit.anchor_failed", {{"error", s.ToString()}});
}

absl::StatusOr<VerifyResult> AuditLog::Verify() {
  absl::MutexLock l(&mu_);
  VerifyResult r;
  std::ifstream in(path_);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read audit log ", path_));
  std::string line, prev = kGenesis;
  uint64_t n = 0, expect_seq = 1;
  while (std::getline(in, line)) {
    n++;
    auto j = nlohmann::json::parse(line, nullptr, false);
    auto broken = [&](const std::string& why) {
      r.ok = false;
      r.records = n - 1;
      r.problem = absl::StrCat("line ", n, ": ", why);
      return r;
    };
    if (j.is_discarded() || !j.is_object() || !j.contains("mac") || !j.contains("seq")) {
      return broken("not an audit record");
    }
    if (!j["seq"].is_number_unsigned() || j["seq"].get<uint64_t>() != expect_seq) {
      return broken(absl::StrCat("sequence ", j["seq"].dump(), " where ", expect_seq,
                                 " was expected (a record is missing or inserted)"));
    }
    std::string mac = j["mac"].is_string() ? j["mac"].get<std::string>() : "";
    if (Mac(secret_, prev, Body(j)) != mac) {
      return broken("HMAC mismatch: the record or the one before it was altered");
    }
    prev = mac;
    expect_seq++;
  }
  r.records = n;
  ASSIGN_OR_RETURN(auto anchor_text, db_->GetMeta(kAnchorKey));
  if (anchor_text) {
    auto a = nlohmann::json::parse(*anchor_text, nullptr, false);
    uint64_t anchor_seq = a.is_object() ? a.value("seq", uint64_t{0}) : 0;
    std::string anchor_mac = a.is_object() ? a.value("mac", "") : "";
    if (anchor_seq > n) {
      r.problem = absl::StrCat("the log ends at record ", n, " but the database anchors record ",
                               anchor_seq, ": its tail was cut");
      return r;
    }
    if (anchor_seq == n && anchor_mac != prev) {
      r.problem = "the last record does not match the anchor in the database";
      return r;
    }
  }
  r.ok = true;
  return r;
}

}  // namespace telemdb::audit
