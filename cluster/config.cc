// The TOML walk of the cluster file (toml++, as the MQTT file: ingest/mqtt/config_table.h).
// toml::parse reports a syntax error by throwing: caught here, at the boundary.
#include "cluster/config.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <toml++/toml.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ingest/mqtt/config.h"
#include "ingest/mqtt/config_table.h"
#include "util/absl_compat.h"
#include "util/client_text.h"
#include "util/status_macros.h"

namespace telemdb::cluster {
namespace {

using ingest::mqtt::Table;

std::string Resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p.front() == '/' || base_dir.empty()) return p;
  return base_dir + "/" + p;
}

bool IsNodeId(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

// host:port with a port of 1 to 65535 and no path, user or space in the host.
bool IsHostPort(std::string_view rest) {
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view port = rest.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  int p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    p = p * 10 + (c - '0');
  }
  if (p < 1 || p > 65535) return false;
  return rest.substr(0, colon).find_first_of("/?#@ ") == std::string_view::npos;
}

// nats://host:port or tls://host:port, with a port.
bool IsNatsUrl(std::string_view u) {
  if (u.starts_with("nats://")) return IsHostPort(u.substr(7));
  if (u.starts_with("tls://")) return IsHostPort(u.substr(6));
  return false;
}

absl::Status GetInt(Table& t, std::string_view key, int* out, int lo, int hi) {
  int64_t v = *out;
  RETURN_IF_ERROR(t.Get(key, &v));
  if (v < lo || v > hi) return t.Error(key, absl::StrCat("must be ", lo, " to ", hi));
  *out = static_cast<int>(v);
  return absl::OkStatus();
}

// An integer, or a string with a unit: "512MiB", "10GiB".
absl::Status GetSize(Table& t, const toml::table& raw, std::string_view key, int64_t* out) {
  const toml::node* n = raw.get(key);
  if (n == nullptr) return absl::OkStatus();
  if (auto s = n->value_exact<std::string>(); s && s->ends_with("GiB")) {
    int64_t v = 0;
    // Read the key so the unknown-key check sees it, then parse the GiB form here.
    std::string ignored;
    RETURN_IF_ERROR(t.Get(key, &ignored));
    if (!absl::SimpleAtoi(s->substr(0, s->size() - 3), &v) || v <= 0 || v > 1 << 20) {
      return t.Error(key, "must be a size such as 1073741824, \"512MiB\" or \"10GiB\"");
    }
    *out = v << 30;
    return absl::OkStatus();
  }
  size_t v = static_cast<size_t>(*out);
  RETURN_IF_ERROR(t.GetBytes(key, &v));
  *out = static_cast<int64_t>(v);
  return absl::OkStatus();
}

absl::Status GetFile(Table& t, std::string_view key, const std::string& base_dir,
                     std::string* out) {
  RETURN_IF_ERROR(t.Get(key, out));
  if (t.Has(key) && out->empty()) return t.Error(key, "must not be empty");
  *out = Resolve(base_dir, *out);
  return absl::OkStatus();
}

}  // namespace

const char* ClusterAckName(ClusterAck a) { return a == ClusterAck::kSync ? "sync" : "replicated"; }

absl::StatusOr<ClusterConfig> ParseClusterConfig(std::string_view text, const std::string& path,
                                                 const std::string& base_dir) {
  if (!IsValidUtf8(text)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid UTF-8"));
  }
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":", e.source().begin.line, ":", e.source().begin.column, ": ", Sv(e.description())));
  }
  Table t(root, "", path, "docs/cluster.md");
  RETURN_IF_ERROR(t.CheckKeys({"node_id", "nats_urls", "shards", "replication", "stream_replicas",
                               "max_age", "max_bytes", "duplicate_window", "lease", "ack",
                               "sync_timeout", "publish_timeout", "shard_tag", "ca_file",
                               "cert_file", "key_file", "creds_file", "query_address",
                               "node_secret_file", "node_ca_file"}));
  ClusterConfig c;
  c.path = path;
  RETURN_IF_ERROR(t.Get("node_id", &c.node_id));
  if (!t.Has("node_id")) return t.TableError("needs node_id = \"<name of this node>\"");
  if (!IsNodeId(c.node_id)) return t.Error("node_id", "use letters, digits, _ and - (1-32)");
  RETURN_IF_ERROR(t.Get("nats_urls", &c.nats_urls));
  if (c.nats_urls.empty()) {
    return t.TableError("needs nats_urls = [\"nats://host:4222\", ...]");
  }
  for (const std::string& u : c.nats_urls) {
    if (!IsNatsUrl(u)) {
      return t.Error("nats_urls", absl::StrCat("\"", ClientText(u),
                                               "\" is not nats://host:port or tls://host:port"));
    }
  }
  RETURN_IF_ERROR(GetInt(t, "shards", &c.shards, 1, 4096));
  RETURN_IF_ERROR(GetInt(t, "replication", &c.replication, 1, 5));
  RETURN_IF_ERROR(GetInt(t, "stream_replicas", &c.stream_replicas, 1, 5));
  if (c.stream_replicas % 2 == 0) return t.Error("stream_replicas", "must be 1, 3 or 5");
  RETURN_IF_ERROR(t.Get("max_age", &c.max_age));
  RETURN_IF_ERROR(GetSize(t, root, "max_bytes", &c.max_bytes));
  RETURN_IF_ERROR(t.Get("duplicate_window", &c.duplicate_window));
  if (c.duplicate_window > c.max_age) {
    return t.Error("duplicate_window", "must not be longer than max_age");
  }
  RETURN_IF_ERROR(t.Get("lease", &c.lease));
  if (c.lease < absl::Seconds(1) || c.lease > absl::Minutes(10)) {
    return t.Error("lease", "must be 1s to 10m");
  }
  std::string ack = "sync";
  RETURN_IF_ERROR(t.Get("ack", &ack));
  if (ack == "sync") {
    c.ack = ClusterAck::kSync;
  } else if (ack == "replicated") {
    c.ack = ClusterAck::kReplicated;
  } else {
    return t.Error("ack", "must be \"sync\" or \"replicated\"");
  }
  RETURN_IF_ERROR(t.Get("sync_timeout", &c.sync_timeout));
  RETURN_IF_ERROR(t.Get("publish_timeout", &c.publish_timeout));
  RETURN_IF_ERROR(t.Get("shard_tag", &c.shard_tag));
  if (t.Has("shard_tag") && c.shard_tag.empty()) return t.Error("shard_tag", "must not be empty");
  RETURN_IF_ERROR(GetFile(t, "ca_file", base_dir, &c.ca_file));
  RETURN_IF_ERROR(GetFile(t, "cert_file", base_dir, &c.cert_file));
  RETURN_IF_ERROR(GetFile(t, "key_file", base_dir, &c.key_file));
  RETURN_IF_ERROR(GetFile(t, "creds_file", base_dir, &c.creds_file));
  if (c.cert_file.empty() != c.key_file.empty()) {
    return t.TableError("cert_file and key_file go together");
  }
  if (!c.cert_file.empty() && c.ca_file.empty()) {
    return t.TableError("cert_file needs ca_file (TLS to NATS)");
  }
  RETURN_IF_ERROR(t.Get("query_address", &c.query_address));
  if (t.Has("query_address") && !IsHostPort(c.query_address)) {
    return t.Error("query_address", absl::StrCat("\"", ClientText(c.query_address),
                                                 "\" is not host:port (e.g. \"10.0.0.5:7001\")"));
  }
  RETURN_IF_ERROR(GetFile(t, "node_secret_file", base_dir, &c.node_secret_file));
  RETURN_IF_ERROR(GetFile(t, "node_ca_file", base_dir, &c.node_ca_file));
  RETURN_IF_ERROR(t.CheckNoUnknown());
  if (!c.node_secret_file.empty()) {
    RETURN_IF_ERROR(ingest::mqtt::CheckOwnerOnly(c.node_secret_file, "node_secret_file"));
  }
  if (!c.key_file.empty()) RETURN_IF_ERROR(ingest::mqtt::CheckOwnerOnly(c.key_file, "key_file"));
  if (!c.creds_file.empty()) {
    RETURN_IF_ERROR(ingest::mqtt::CheckOwnerOnly(c.creds_file, "creds_file"));
  }
  return c;
}

absl::StatusOr<std::string> LoadNodeToken(const ClusterConfig& config) {
  if (config.node_secret_file.empty()) return std::string();
  RETURN_IF_ERROR(ingest::mqtt::CheckOwnerOnly(config.node_secret_file, "node_secret_file"));
  std::ifstream in(config.node_secret_file, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("node_secret_file ", config.node_secret_file, ": cannot be read"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string secret = ss.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.size() < 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "node_secret_file ", config.node_secret_file, ": expected at least 32 bytes of secret, found ",
        secret.size(), " (e.g. `openssl rand -hex 32 > FILE`)"));
  }
  static constexpr char kLabel[] = "telemdb cluster node credential v1";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(kLabel), sizeof(kLabel) - 1, mac, &len);
  return absl::StrCat(
      "tdbnode_",
      absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(mac), len)));
}

absl::StatusOr<ClusterConfig> LoadClusterConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cluster file ", path, ": cannot be read"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string dir;
  if (size_t slash = path.rfind('/'); slash != std::string::npos) dir = path.substr(0, slash);
  return ParseClusterConfig(ss.str(), path, dir);
}

}  // namespace telemdb::cluster
