// The TOML walk of the MQTT configuration (toml++, Debian's libtomlplusplus-dev shared
// library). Strict: every key is checked against what its table may hold. toml::parse
// reports a syntax error by throwing toml::parse_error: it is caught here, at the boundary,
// in ParseMqttConfig only; nothing else of toml++ used here throws.
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ingest/mqtt/config.h"
#include "ingest/mqtt/config_table.h"
#include "util/absl_compat.h"
#include "util/client_text.h"
#include "util/status_macros.h"

namespace telemdb::ingest::mqtt {
namespace {

std::string Resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p.front() == '/' || base_dir.empty()) return p;
  return base_dir + "/" + p;
}

// A name used in client ids and metric labels.
bool IsSimpleName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<storage::ValueType> TypeNamed(std::string_view s) {
  if (s == "float") return storage::ValueType::kFloat;
  if (s == "int") return storage::ValueType::kInt;
  if (s == "bool") return storage::ValueType::kBool;
  if (s == "string") return storage::ValueType::kString;
  return absl::InvalidArgumentError("must be \"float\", \"int\", \"bool\" or \"string\"");
}

absl::Status ParseUrl(BrokerConfig* b) {
  std::string rest;
  const std::string& url = b->url;
  for (auto [scheme, tls] : {std::pair<std::string_view, bool>{"tcp://", false},
                             {"mqtt://", false},
                             {"ssl://", true},
                             {"mqtts://", true}}) {
    if (url.starts_with(scheme)) {
      rest = url.substr(scheme.size());
      b->tls = tls;
      break;
    }
  }
  if (rest.empty()) {
    return absl::InvalidArgumentError("must be tcp://host:port or ssl://host:port");
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  b->port = b->tls ? 8883 : 1883;
  std::string port;
  if (rest.front() == '[') {  // [v6]:port
    size_t close = rest.find(']');
    if (close == std::string::npos) return absl::InvalidArgumentError("unclosed [ in the host");
    b->host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return absl::InvalidArgumentError("expected :port after ]");
      port = rest.substr(close + 2);
    }
  } else {
    size_t colon = rest.rfind(':');
    b->host = rest.substr(0, colon);
    if (colon != std::string::npos) port = rest.substr(colon + 1);
  }
  if (b->host.empty() || b->host.find_first_of("/?#@ ") != std::string::npos) {
    return absl::InvalidArgumentError("bad host");
  }
  if (!port.empty()) {
    int p = 0;
    if (!absl::SimpleAtoi(port, &p) || p < 1 || p > 65535) {
      return absl::InvalidArgumentError("bad port");
    }
    b->port = p;
  }
  return absl::OkStatus();
}

absl::StatusOr<BrokerConfig> ParseBroker(Table t, const std::string& base_dir) {
  RETURN_IF_ERROR(
      t.CheckKeys({"name", "url", "client_id", "protocol", "username", "password_file", "ca_file",
                   "cert_file", "key_file", "verify_hostname", "keep_alive", "session_expiry",
                   "connect_timeout", "reconnect_min", "reconnect_max"}));
  BrokerConfig b;
  RETURN_IF_ERROR(t.Get("name", &b.name));
  if (!IsSimpleName(b.name)) return t.Error("name", "use letters, digits, _ - . (1-64)");
  RETURN_IF_ERROR(t.Get("url", &b.url));
  if (b.url.empty()) return t.TableError("needs url = \"tcp://host:port\"");
  if (absl::Status s = ParseUrl(&b); !s.ok()) return t.Error("url", StdSv(s.message()));
  RETURN_IF_ERROR(t.Get("client_id", &b.client_id));
  if (!IsSimpleName(b.client_id)) {
    return t.Error("client_id", "use letters, digits, _ - . (1-64)");
  }
  std::string protocol = "3.1.1";
  RETURN_IF_ERROR(t.Get("protocol", &protocol));
  if (protocol == "3.1.1") {
    b.version = Version::k311;
  } else if (protocol == "5" || protocol == "5.0") {
    b.version = Version::k5;
  } else {
    return t.Error("protocol", "must be \"3.1.1\" or \"5\"");
  }
  std::string username, password_file;
  RETURN_IF_ERROR(t.Get("username", &username));
  RETURN_IF_ERROR(t.Get("password_file", &password_file));
  if (!username.empty()) b.username = username;
  if (!password_file.empty()) {
    if (username.empty()) return t.Error("password_file", "needs username");
    auto pw = ReadSecretFile(Resolve(base_dir, password_file), "password_file");
    if (!pw.ok()) return pw.status();
    b.password = *std::move(pw);
  }
  RETURN_IF_ERROR(t.Get("ca_file", &b.ca_file));
  RETURN_IF_ERROR(t.Get("cert_file", &b.cert_file));
  RETURN_IF_ERROR(t.Get("key_file", &b.key_file));
  RETURN_IF_ERROR(t.Get("verify_hostname", &b.verify_hostname));
  b.ca_file = Resolve(base_dir, b.ca_file);
  b.cert_file = Resolve(base_dir, b.cert_file);
  b.key_file = Resolve(base_dir, b.key_file);
  if (!b.tls && (!b.ca_file.empty() || !b.cert_file.empty() || !b.key_file.empty())) {
    return t.Error("url", "ca_file, cert_file and key_file need an ssl:// url");
  }
  if (b.cert_file.empty() != b.key_file.empty()) {
    return t.TableError("cert_file and key_file come together");
  }
  if (!b.key_file.empty()) RETURN_IF_ERROR(CheckOwnerOnly(b.key_file, "key_file"));
  RETURN_IF_ERROR(t.Get("keep_alive", &b.keep_alive));
  if (b.keep_alive < absl::Seconds(1) || b.keep_alive > absl::Seconds(65535)) {
    return t.Error("keep_alive", "must be 1s to 65535s");
  }
  RETURN_IF_ERROR(t.Get("session_expiry", &b.session_expiry));
  if (b.session_expiry > absl::Seconds(UINT32_MAX - 1)) {
    return t.Error("session_expiry", "at most 136 years");
  }
  RETURN_IF_ERROR(t.Get("connect_timeout", &b.connect_timeout));
  RETURN_IF_ERROR(t.Get("reconnect_min", &b.reconnect_min));
  RETURN_IF_ERROR(t.Get("reconnect_max", &b.reconnect_max));
  if (b.reconnect_max < b.reconnect_min) {
    return t.Error("reconnect_max", "must not be less than reconnect_min");
  }
  RETURN_IF_ERROR(t.CheckNoUnknown());
  return b;
}

// Flattens a nested `types` table into dotted paths.
absl::Status CollectTypes(const toml::table& t, const std::string& prefix, Table& owner,
                          std::map<std::string, storage::ValueType>* out) {
  for (const auto& [k, v] : t) {
    const std::string path =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const toml::table* sub = v.as_table()) {
      RETURN_IF_ERROR(CollectTypes(*sub, path, owner, out));
      continue;
    }
    auto s = v.value_exact<std::string>();
    if (!s) return owner.Error("types", absl::StrCat("\"", path, "\" must name a type"));
    auto type = TypeNamed(*s);
    if (!type.ok()) {
      return owner.Error("types", absl::StrCat("\"", path, "\" ", type.status().message()));
    }
    (*out)[path] = *type;
  }
  return absl::OkStatus();
}

absl::Status ParseJson(Table t, JsonMapping* j) {
  RETURN_IF_ERROR(t.CheckKeys(
      {"timestamp_field", "timestamp_format", "tags", "ignore", "measurement_field", "types"}));
  RETURN_IF_ERROR(t.Get("timestamp_field", &j->timestamp_field));
  std::string format = "auto";
  RETURN_IF_ERROR(t.Get("timestamp_format", &format));
  static const std::pair<const char*, TimeFormat> kFormats[] = {
      {"auto", TimeFormat::kAuto}, {"s", TimeFormat::kSeconds}, {"ms", TimeFormat::kMillis},
      {"us", TimeFormat::kMicros}, {"ns", TimeFormat::kNanos},  {"rfc3339", TimeFormat::kRfc3339}};
  bool found = false;
  for (const auto& [name, f] : kFormats) {
    if (format == name) {
      j->timestamp_format = f;
      found = true;
    }
  }
  if (!found) return t.Error("timestamp_format", "must be auto, s, ms, us, ns or rfc3339");
  RETURN_IF_ERROR(t.Get("tags", &j->tags));
  RETURN_IF_ERROR(t.Get("ignore", &j->ignore));
  RETURN_IF_ERROR(t.Get("measurement_field", &j->measurement_field));
  if (t.Has("types")) {
    const toml::table* types = t.SubTable("types");
    if (types == nullptr) return t.Error("types", "must be a table of path = \"type\"");
    RETURN_IF_ERROR(CollectTypes(*types, "", t, &j->types));
  }
  return t.CheckNoUnknown();
}

absl::StatusOr<SubscriptionConfig> ParseSubscription(Table t, int index, const MqttConfig& cfg,
                                                     const std::string& base_dir,
                                                     const LoadOptions& options,
                                                     const std::string& file) {
  RETURN_IF_ERROR(t.CheckKeys(
      {"name", "broker", "topic", "qos", "format", "token_file", "topic_template", "measurement",
       "missing_timestamp", "field", "value_type", "precision", "json", "connections",
       "receive_maximum", "max_message_bytes", "max_values_per_message", "dead_letter_topic"}));
  SubscriptionConfig s;
  s.name = absl::StrCat("sub", index + 1);
  RETURN_IF_ERROR(t.Get("name", &s.name));
  if (!IsSimpleName(s.name)) return t.Error("name", "use letters, digits, _ - . (1-64)");
  RETURN_IF_ERROR(t.Get("broker", &s.broker));
  if (s.broker.empty()) {
    if (cfg.brokers.size() != 1) return t.Error("broker", "name the broker (there are several)");
    s.broker = cfg.brokers[0].name;
  } else if (cfg.FindBroker(s.broker) == nullptr) {
    return t.Error("broker", absl::StrCat("no broker named \"", s.broker, "\""));
  }
  RETURN_IF_ERROR(t.Get("topic", &s.topic));
  if (s.topic.empty()) return t.TableError("needs topic = \"<filter>\"");
  if (absl::Status v = ValidateFilter(s.topic); !v.ok())
    return t.Error("topic", StdSv(v.message()));
  int64_t qos = 1;
  RETURN_IF_ERROR(t.Get("qos", &qos));
  if (qos < 0 || qos > 2) return t.Error("qos", "must be 0, 1 or 2");
  s.qos = static_cast<uint8_t>(qos);
  std::string format = "json";
  RETURN_IF_ERROR(t.Get("format", &format));
  if (format == "json") {
    s.format = PayloadFormat::kJson;
  } else if (format == "lineproto") {
    s.format = PayloadFormat::kLineProtocol;
  } else if (format == "value") {
    s.format = PayloadFormat::kValue;
  } else {
    return t.Error("format", "must be \"json\", \"lineproto\" or \"value\"");
  }
  RETURN_IF_ERROR(t.Get("token_file", &s.token_file));
  if (!s.token_file.empty()) {
    s.token_file = Resolve(base_dir, s.token_file);
    auto token = ReadSecretFile(s.token_file, "token_file");
    if (!token.ok()) return token.status();
    s.token = *std::move(token);
  } else if (!options.auth_disabled) {
    return t.TableError("needs token_file (the telemdb token this subscription writes as)");
  }
  std::string tmpl;
  RETURN_IF_ERROR(t.Get("topic_template", &tmpl));
  auto parsed = TopicTemplate::Parse(tmpl);
  if (!parsed.ok()) return t.Error("topic_template", StdSv(parsed.status().message()));
  s.topic_template = *std::move(parsed);
  if (absl::Status v = s.topic_template.CheckAgainstFilter(s.topic); !v.ok()) {
    return t.Error("topic_template", StdSv(v.message()));
  }
  RETURN_IF_ERROR(t.Get("measurement", &s.measurement));
  std::string missing = "receive_time";
  RETURN_IF_ERROR(t.Get("missing_timestamp", &missing));
  if (missing == "receive_time") {
    s.missing_timestamp = MissingTimestamp::kReceiveTime;
  } else if (missing == "reject") {
    s.missing_timestamp = MissingTimestamp::kReject;
  } else {
    return t.Error("missing_timestamp", "must be \"receive_time\" or \"reject\"");
  }
  // Keys that belong to one payload format only.
  auto only_for = [&](std::string_view key, PayloadFormat f) -> absl::Status {
    if (t.Has(key) && s.format != f) {
      return t.Error(key, absl::StrCat("applies to format = \"", PayloadFormatName(f), "\" only"));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(only_for("field", PayloadFormat::kValue));
  RETURN_IF_ERROR(only_for("value_type", PayloadFormat::kValue));
  RETURN_IF_ERROR(only_for("precision", PayloadFormat::kLineProtocol));
  RETURN_IF_ERROR(only_for("json", PayloadFormat::kJson));
  RETURN_IF_ERROR(t.Get("field", &s.field));
  std::string value_type = "float";
  RETURN_IF_ERROR(t.Get("value_type", &value_type));
  if (value_type != "float" && value_type != "int") {
    return t.Error("value_type", "must be \"float\" or \"int\"");
  }
  s.value_type = value_type == "int" ? storage::ValueType::kInt : storage::ValueType::kFloat;
  RETURN_IF_ERROR(t.Get("precision", &s.precision));
  if (s.precision != "ns" && s.precision != "us" && s.precision != "ms" && s.precision != "s") {
    return t.Error("precision", "must be ns, us, ms or s");
  }
  if (t.Has("json")) {
    const toml::table* j = t.SubTable("json");
    if (j == nullptr) return t.Error("json", "must be a table ([subscription.json])");
    RETURN_IF_ERROR(
        ParseJson(Table(*j, absl::StrCat("subscription \"", s.name, "\" json: "), file), &s.json));
  }
  if (s.topic_template.has_field() && s.format != PayloadFormat::kValue) {
    return t.Error("topic_template", "{field} applies to format = \"value\" only");
  }
  if (s.format == PayloadFormat::kLineProtocol) {
    if (!s.measurement.empty() || s.topic_template.has_measurement()) {
      return t.Error("measurement", "line protocol carries its own measurement");
    }
  } else if (s.measurement.empty() && !s.topic_template.has_measurement() &&
             s.json.measurement_field.empty()) {
    return t.TableError(
        "needs measurement = \"...\", {measurement} in topic_template, or "
        "json.measurement_field");
  }
  int64_t connections = 1, receive_maximum = 256, max_values = 10'000;
  RETURN_IF_ERROR(t.Get("connections", &connections));
  if (connections < 1 || connections > 64) return t.Error("connections", "must be 1 to 64");
  if (connections > 1 && !IsSharedFilter(s.topic)) {
    return t.Error("connections",
                   absl::StrCat("more than one connection needs a shared subscription, e.g. "
                                "topic = \"$share/telemdb/",
                                s.topic, "\" (otherwise every connection gets every message)"));
  }
  s.connections = static_cast<int>(connections);
  RETURN_IF_ERROR(t.Get("receive_maximum", &receive_maximum));
  if (receive_maximum < 1 || receive_maximum > 65535) {
    return t.Error("receive_maximum", "must be 1 to 65535");
  }
  s.receive_maximum = static_cast<int>(receive_maximum);
  RETURN_IF_ERROR(t.GetBytes("max_message_bytes", &s.max_message_bytes));
  if (s.max_message_bytes < 1024 || s.max_message_bytes > (64u << 20)) {
    return t.Error("max_message_bytes", "must be 1KiB to 64MiB");
  }
  RETURN_IF_ERROR(t.Get("max_values_per_message", &max_values));
  if (max_values < 1 || max_values > 1'000'000) {
    return t.Error("max_values_per_message", "must be 1 to 1,000,000");
  }
  s.max_values_per_message = static_cast<size_t>(max_values);
  RETURN_IF_ERROR(t.Get("dead_letter_topic", &s.dead_letter_topic));
  if (!s.dead_letter_topic.empty()) {
    if (absl::Status v = ValidateTopic(s.dead_letter_topic); !v.ok()) {
      return t.Error("dead_letter_topic", StdSv(v.message()));
    }
  }
  RETURN_IF_ERROR(t.CheckNoUnknown());
  return s;
}

// `[[name]]` (an array of tables) or a single `[name]` table.
absl::StatusOr<std::vector<const toml::table*>> Tables(const toml::table& root,
                                                       std::string_view key,
                                                       const std::string& file) {
  std::vector<const toml::table*> out;
  const toml::node* n = root.get(key);
  if (n == nullptr) return out;
  if (const toml::table* t = n->as_table()) {
    out.push_back(t);
    return out;
  }
  const toml::array* a = n->as_array();
  if (a != nullptr) {
    for (const toml::node& e : *a) {
      if (e.as_table() == nullptr) break;
      out.push_back(e.as_table());
    }
    if (out.size() == a->size()) return out;
  }
  return absl::InvalidArgumentError(absl::StrCat(file, ":",
                                                 static_cast<int>(n->source().begin.line), ": \"",
                                                 Sv(key), "\" must be tables ([[", Sv(key), "]])"));
}

}  // namespace

absl::StatusOr<MqttConfig> ParseMqttConfig(std::string_view text, const std::string& path,
                                           const std::string& base_dir, LoadOptions options) {
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
  MqttConfig cfg;
  cfg.path = path;
  for (const auto& [k, v] : root) {
    if (k.str() != "broker" && k.str() != "subscription") {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", static_cast<int>(v.source().begin.line), ": unknown key \"",
          ClientText(k.str()), "\" (the file holds [[broker]] and [[subscription]] tables)"));
    }
  }
  ASSIGN_OR_RETURN(auto brokers, Tables(root, "broker", path));
  ASSIGN_OR_RETURN(auto subs, Tables(root, "subscription", path));
  if (brokers.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no [[broker]]"));
  for (size_t i = 0; i < brokers.size(); i++) {
    ASSIGN_OR_RETURN(
        BrokerConfig b,
        ParseBroker(Table(*brokers[i], absl::StrCat("broker ", i + 1, ": "), path), base_dir));
    if (cfg.FindBroker(b.name) != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": two brokers are named \"", b.name, "\""));
    }
    cfg.brokers.push_back(std::move(b));
  }
  if (subs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no [[subscription]]"));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < subs.size(); i++) {
    ASSIGN_OR_RETURN(
        SubscriptionConfig s,
        ParseSubscription(Table(*subs[i], absl::StrCat("subscription ", i + 1, ": "), path),
                          static_cast<int>(i), cfg, base_dir, options, path));
    if (!names.insert(s.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": two subscriptions are named \"", s.name, "\""));
    }
    cfg.subscriptions.push_back(std::move(s));
  }
  return cfg;
}

absl::StatusOr<MqttConfig> LoadMqttConfig(const std::string& path, LoadOptions options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read MQTT config ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > (1u << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": larger than 1 MiB"));
  }
  std::string dir;
  size_t slash = path.rfind('/');
  dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  return ParseMqttConfig(text.str(), path, dir, options);
}

}  // namespace telemdb::ingest::mqtt
