#include "ingest/mqtt/config.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::ingest::mqtt {
namespace {

using ::telemdb::testing::IsOk;
using ::telemdb::testing::StatusIs;
using ::testing::HasSubstr;

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.Sub("token"), "tdb_aaaaaaaaaaaa_secret\n", 0600);
    WriteFile(dir_.Sub("password"), "hunter2\n", 0400);
  }
  absl::StatusOr<MqttConfig> Parse(const std::string& text, LoadOptions o = {}) {
    return ParseMqttConfig(text, "test.toml", dir_.path(), o);
  }
  // A valid file with `extra` appended to the subscription table.
  std::string Minimal(const std::string& extra = "") {
    return "[[broker]]\nurl = \"tcp://127.0.0.1:1883\"\n\n[[subscription]]\n"
           "topic = \"a/+\"\nmeasurement = \"m\"\ntoken_file = \"token\"\n" +
           extra;
  }
  TempDir dir_;
};

TEST_F(ConfigTest, ShippedExampleParsesWithItsOwnTokenFile) {
  std::ifstream in("docs/examples/mqtt.toml");
  ASSERT_TRUE(in) << "run from the source root";
  std::stringstream text;
  text << in.rdbuf();
  // Other programs use the file changing only the broker address and token_file.
  std::string changed =
      absl::StrReplaceAll(text.str(), {{"/etc/telemdb/mqtt-bridge.token", dir_.Sub("token")},
                                       {"tcp://127.0.0.1:1883", "tcp://127.0.0.1:18830"}});
  auto c = Parse(changed);
  ASSERT_THAT(c, IsOk());
  ASSERT_EQ(c->brokers.size(), 1u);
  EXPECT_EQ(c->brokers[0].host, "127.0.0.1");
  EXPECT_EQ(c->brokers[0].port, 18830);
  EXPECT_FALSE(c->brokers[0].tls);
  ASSERT_EQ(c->subscriptions.size(), 1u);
  const SubscriptionConfig& s = c->subscriptions[0];
  EXPECT_EQ(s.topic, "fleet/+/+/telemetry");
  EXPECT_EQ(s.qos, 1);
  EXPECT_EQ(s.format, PayloadFormat::kJson);
  EXPECT_EQ(s.measurement, "telemetry");
  EXPECT_EQ(s.token, "tdb_aaaaaaaaaaaa_secret");
  EXPECT_EQ(s.json.timestamp_field, "ts");
  EXPECT_EQ(s.json.timestamp_format, TimeFormat::kMillis);
  EXPECT_EQ(s.topic_template.text(), "fleet/{fleet}/{name}/telemetry");
}

TEST_F(ConfigTest, Defaults) {
  auto c = Parse(Minimal());
  ASSERT_THAT(c, IsOk());
  const BrokerConfig& b = c->brokers[0];
  EXPECT_EQ(b.name, "default");
  EXPECT_EQ(b.client_id, "telemdb");
  EXPECT_EQ(b.version, Version::k311);
  EXPECT_EQ(b.keep_alive, absl::Seconds(30));
  EXPECT_EQ(b.session_expiry, absl::Hours(24 * 7));
  const SubscriptionConfig& s = c->subscriptions[0];
  EXPECT_EQ(s.name, "sub1");
  EXPECT_EQ(s.broker, "default");
  EXPECT_EQ(s.qos, 1);
  EXPECT_EQ(s.connections, 1);
  EXPECT_EQ(s.receive_maximum, 256);
  EXPECT_EQ(s.max_message_bytes, 256u << 10);
  EXPECT_EQ(s.missing_timestamp, MissingTimestamp::kReceiveTime);
  EXPECT_EQ(s.json.timestamp_format, TimeFormat::kAuto);
}

TEST_F(ConfigTest, FullBrokerAndJsonMapping) {
  WriteFile(dir_.Sub("client.key"), "k", 0600);
  auto c = Parse(R"(
[[broker]]
name = "tls"
url = "ssl://broker.example:8884"
client_id = "plant-7"
protocol = "5"
username = "telemdb"
password_file = "password"
ca_file = "ca.crt"
cert_file = "client.crt"
key_file = "client.key"
keep_alive = "45s"
session_expiry = "2d"
reconnect_min = "250ms"
reconnect_max = 60

[[subscription]]
name = "vib"
topic = "$share/telemdb/plant/+/vibration"
connections = 4
qos = 2
token_file = "token"
topic_template = "plant/{line}/{measurement}"
max_message_bytes = "1MiB"
dead_letter_topic = "telemdb/dead"

[subscription.json]
timestamp_field = "meta.time"
timestamp_format = "rfc3339"
tags = ["site"]
ignore = ["debug"]
types = { rpm = "int", "axis.x" = "float", ok = "bool" }
)");
  ASSERT_THAT(c, IsOk());
  const BrokerConfig& b = c->brokers[0];
  EXPECT_TRUE(b.tls);
  EXPECT_EQ(b.port, 8884);
  EXPECT_EQ(b.version, Version::k5);
  EXPECT_EQ(*b.password, "hunter2");
  EXPECT_EQ(b.ca_file, dir_.Sub("ca.crt"));
  EXPECT_EQ(b.session_expiry, absl::Hours(48));
  EXPECT_EQ(b.reconnect_max, absl::Seconds(60));
  const SubscriptionConfig& s = c->subscriptions[0];
  EXPECT_EQ(s.broker, "tls");
  EXPECT_EQ(s.connections, 4);
  EXPECT_EQ(s.qos, 2);
  EXPECT_EQ(s.max_message_bytes, 1u << 20);
  EXPECT_EQ(s.json.types.at("rpm"), storage::ValueType::kInt);
  EXPECT_EQ(s.json.types.at("axis.x"), storage::ValueType::kFloat);
  EXPECT_EQ(s.json.types.at("ok"), storage::ValueType::kBool);
}

struct BadCase {
  std::string text;
  std::string message;
};

TEST_F(ConfigTest, ErrorsNameTheProblem) {
  const std::string broker = "[[broker]]\nurl = \"tcp://127.0.0.1:1883\"\n";
  std::vector<BadCase> cases = {
      {"x = [", "test.toml:1"},
      {Minimal("topc = \"x\"\n"), "key \"topc\": unknown key"},
      {Minimal("qos = 3\n"), "key \"qos\": must be 0, 1 or 2"},
      {Minimal("qos = \"1\"\n"), "key \"qos\": must be an integer"},
      {Minimal("connections = 4\n"), "needs a shared subscription"},
      {Minimal("format = \"xml\"\n"), "key \"format\""},
      {Minimal("format = \"lineproto\"\n"), "line protocol carries its own measurement"},
      {Minimal("field = \"v\"\n"), "applies to format = \"value\" only"},
      {Minimal("topic_template = \"a/{x}/b\"\n"), "cannot match topics"},
      {Minimal("dead_letter_topic = \"dead/#\"\n"), "wildcards"},
      {Minimal("max_message_bytes = \"1GiB\"\n"), "unknown unit"},
      {Minimal("[subscription.json]\ntimestamp_format = \"iso\"\n"), "timestamp_format"},
      {Minimal("[subscription.json]\ntypes = { a = \"double\" }\n"), "\"a\" must be"},
      {broker + "[[subscription]]\ntopic = \"a\"\ntoken_file = \"token\"\n", "needs measurement"},
      {broker + "[[subscription]]\nmeasurement = \"m\"\ntoken_file = \"token\"\n", "needs topic"},
      {broker + "[[subscription]]\ntopic = \"a\"\nmeasurement = \"m\"\n", "needs token_file"},
      {"[[broker]]\nurl = \"http://x\"\n[[subscription]]\ntopic=\"a\"\nmeasurement=\"m\"\n"
       "token_file=\"token\"\n",
       "tcp://host:port"},
      {"[[broker]]\nurl = \"tcp://h:99999\"\n", "bad port"},
      {"[[broker]]\nurl = \"tcp://h\"\nca_file = \"x\"\n", "need an ssl:// url"},
      {"[[broker]]\nurl = \"tcp://h\"\npassword_file = \"password\"\n", "needs username"},
      {"[[broker]]\nurl = \"tcp://h\"\nkeep_alive = \"soon\"\n", "not a duration"},
      {"[[broker]]\nurl = \"tcp://h\"\n[[broker]]\nurl = \"tcp://g\"\n", "two brokers"},
      {Minimal() + "[[subscription]]\ntopic = \"b\"\nmeasurement = \"m\"\ntoken_file = "
                   "\"token\"\nname = \"sub1\"\n",
       "two subscriptions are named \"sub1\""},
      {Minimal() + "extra = 1\n", "unknown key"},
      {"[[subscription]]\ntopic = \"a\"\n", "no [[broker]]"},
      {broker, "no [[subscription]]"},
      {"name = \"\xff\"\n", "not valid UTF-8"},
  };
  for (const BadCase& c : cases) {
    auto r = Parse(c.text);
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message))) << c.text;
  }
}

TEST_F(ConfigTest, SecretFilesMustBeOwnerOnly) {
  ::chmod(dir_.Sub("token").c_str(), 0644);
  EXPECT_THAT(Parse(Minimal()), StatusIs(absl::StatusCode::kFailedPrecondition,
                                         HasSubstr("readable by its owner only")));
  ::chmod(dir_.Sub("token").c_str(), 0400);
  EXPECT_THAT(Parse(Minimal()), IsOk());
  ::chmod(dir_.Sub("password").c_str(), 0640);
  EXPECT_THAT(Parse("[[broker]]\nurl = \"tcp://h\"\nusername = \"u\"\npassword_file = "
                    "\"password\"\n[[subscription]]\ntopic = \"a\"\nmeasurement = \"m\"\n"
                    "token_file = \"token\"\n"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("password_file")));
  WriteFile(dir_.Sub("k.key"), "key", 0644);
  EXPECT_THAT(Parse("[[broker]]\nurl = \"ssl://h\"\ncert_file = \"c\"\nkey_file = \"k.key\"\n"
                    "[[subscription]]\ntopic = \"a\"\nmeasurement = \"m\"\ntoken_file = "
                    "\"token\"\n"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("key_file")));
  EXPECT_THAT(Parse(Minimal() + "").status(), IsOk());
  EXPECT_THAT(ReadSecretFile(dir_.Sub("missing"), "token_file"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ReadSecretFile(dir_.path(), "token_file"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not a regular file")));
  WriteFile(dir_.Sub("empty"), "\n", 0600);
  EXPECT_THAT(ReadSecretFile(dir_.Sub("empty"), "token_file"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST_F(ConfigTest, TokenOptionalWithoutAuth) {
  LoadOptions o;
  o.auth_disabled = true;
  auto c = Parse(
      "[[broker]]\nurl = \"tcp://h\"\n[[subscription]]\ntopic = \"a\"\n"
      "measurement = \"m\"\n",
      o);
  ASSERT_THAT(c, IsOk());
  EXPECT_TRUE(c->subscriptions[0].token.empty());
}

TEST_F(ConfigTest, LoadResolvesPathsFromTheFilesDirectory) {
  WriteFile(dir_.Sub("mqtt.toml"), Minimal(), 0644);
  auto c = LoadMqttConfig(dir_.Sub("mqtt.toml"));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->subscriptions[0].token_file, dir_.Sub("token"));
  EXPECT_EQ(c->path, dir_.Sub("mqtt.toml"));
  EXPECT_THAT(LoadMqttConfig(dir_.Sub("nope.toml")), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace telemdb::ingest::mqtt
