// Secret files and small helpers of the MQTT configuration; the TOML walk is in
// config_toml.cc.
#include "ingest/mqtt/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "util/absl_compat.h"

namespace telemdb::ingest::mqtt {
namespace {

constexpr size_t kMaxSecretBytes = 64 << 10;

absl::Status OpenError(int err, std::string_view what, const std::string& path) {
  std::string msg = absl::StrCat(Sv(what), " ", path, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  return absl::UnavailableError(msg);
}

absl::Status CheckStat(const struct stat& st, std::string_view what, const std::string& path) {
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(Sv(what), " ", path, " is not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s %s has mode %04o; it must be readable by its owner only (chmod 600 %s)",
                        std::string(what), path, st.st_mode & 07777, path));
  }
  return absl::OkStatus();
}

}  // namespace

const char* PayloadFormatName(PayloadFormat f) {
  switch (f) {
    case PayloadFormat::kJson:
      return "json";
    case PayloadFormat::kLineProtocol:
      return "lineproto";
    case PayloadFormat::kValue:
      return "value";
  }
  return "json";
}

const BrokerConfig* MqttConfig::FindBroker(std::string_view name) const {
  for (const BrokerConfig& b : brokers) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

absl::Status CheckOwnerOnly(const std::string& path, std::string_view what) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return OpenError(errno, what, path);
  return CheckStat(st, what, path);
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path, std::string_view what) {
  // O_NOFOLLOW is not used: operators commonly link secrets from a secrets directory; the
  // mode of the file itself is what is checked (fstat on the opened file).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OpenError(errno, what, path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return OpenError(e, what, path);
  }
  if (absl::Status s = CheckStat(st, what, path); !s.ok()) {
    ::close(fd);
    return s;
  }
  std::string data(kMaxSecretBytes + 1, '\0');
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got > kMaxSecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(Sv(what), " ", path, " is larger than ", kMaxSecretBytes, " bytes"));
  }
  data.resize(got);
  while (!data.empty() && (data.back() == '\n' || data.back() == '\r' || data.back() == ' ' ||
                           data.back() == '\t')) {
    data.pop_back();
  }
  if (data.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(what), " ", path, " is empty"));
  }
  return data;
}

}  // namespace telemdb::ingest::mqtt
