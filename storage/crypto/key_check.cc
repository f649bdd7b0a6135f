#include "storage/crypto/key_check.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "storage/crypto/key_ring.h"
#include "storage/crypto/openssl_util.h"
#include "util/absl_compat.h"

namespace telemdb::storage::crypto {
namespace {

bool ParseHexId(absl::string_view s, uint32_t* id) {
  if (s.size() != 8) return false;
  return absl::SimpleHexAtoi(s, id);
}

bool ParseHexBytes(absl::string_view s, std::string* out) {
  if (s.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < s.size(); i += 2) {
    uint32_t b;
    if (!absl::SimpleHexAtoi(s.substr(i, 2), &b)) return false;
    out->push_back(static_cast<char>(b));
  }
  return true;
}

absl::Status SyncFd(int fd, const std::string& what) {
  if (::fsync(fd) != 0) {
    return absl::UnavailableError(absl::StrCat("fsync ", what, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

const std::string* KeyCheck::Find(uint32_t id) const {
  for (const auto& [k, v] : keys) {
    if (k == id) return &v;
  }
  return nullptr;
}

std::string EncodeKeyCheck(const KeyCheck& kc) {
  std::string out =
      "# telemdb key check: which keys this data directory is encrypted with (no key "
      "material)\nversion 1\n";
  absl::StrAppend(&out, "active ", KeyIdString(kc.active), "\n");
  for (const auto& [id, check] : kc.keys) {
    absl::StrAppend(&out, "key ", KeyIdString(id), " ", Hex(check), "\n");
  }
  return out;
}

absl::StatusOr<KeyCheck> ParseKeyCheck(std::string_view text) {
  KeyCheck kc;
  bool version = false, active = false;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(Sv(text), '\n')) {
    line_no++;
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.empty()) continue;  // a line of spaces (regression: read f[0] out of bounds)
    auto bad = [&] {
      return absl::DataLossError(
          absl::StrCat(kKeyCheckFile, " line ", line_no, " is malformed: \"", line, "\""));
    };
    if (f[0] == "version") {
      if (f.size() != 2 || f[1] != "1") {
        return absl::FailedPreconditionError(
            absl::StrCat(kKeyCheckFile, " has an unsupported version: \"", line, "\""));
      }
      version = true;
    } else if (f[0] == "active") {
      if (f.size() != 2 || !ParseHexId(f[1], &kc.active)) return bad();
      active = true;
    } else if (f[0] == "key") {
      uint32_t id;
      std::string check;
      if (f.size() != 3 || !ParseHexId(f[1], &id) || !ParseHexBytes(f[2], &check) ||
          check.size() != 32) {
        return bad();
      }
      kc.keys.emplace_back(id, std::move(check));
    } else {
      return bad();
    }
  }
  if (!version || !active || kc.Find(kc.active) == nullptr) {
    return absl::DataLossError(absl::StrCat(
        kKeyCheckFile, " is incomplete (needs version, active and a key line for the active id)"));
  }
  return kc;
}

absl::StatusOr<std::optional<KeyCheck>> ReadKeyCheck(const std::string& dir) {
  const std::string path = dir + "/" + kKeyCheckFile;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return std::optional<KeyCheck>();
    return absl::UnavailableError(absl::StrCat("cannot read ", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto kc = ParseKeyCheck(ss.str());
  if (!kc.ok())
    return absl::Status(kc.status().code(), absl::StrCat(path, ": ", kc.status().message()));
  return std::optional<KeyCheck>(*std::move(kc));
}

absl::Status WriteKeyCheck(const std::string& dir, const KeyCheck& kc) {
  const std::string path = dir + "/" + kKeyCheckFile;
  const std::string tmp = path + ".tmp";
  const std::string text = EncodeKeyCheck(kc);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return absl::UnavailableError(absl::StrCat("cannot create ", tmp, ": ", strerror(errno)));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  absl::Status s =
      ok ? SyncFd(fd, tmp) : absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  ::close(fd);
  if (!s.ok()) return s;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, ": ", strerror(errno)));
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return absl::UnavailableError(absl::StrCat("cannot open ", dir));
  s = SyncFd(dfd, dir);
  ::close(dfd);
  return s;
}

}  // namespace telemdb::storage::crypto
