#include "cluster/config.h"

#include <sys/stat.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::cluster {
namespace {

using ::telemdb::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kMinimal[] = "node_id = \"n1\"\nnats_urls = [\"nats://127.0.0.1:4222\"]\n";

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

absl::StatusOr<ClusterConfig> Parse(const std::string& text, const std::string& dir = "") {
  return ParseClusterConfig(text, "c.toml", dir);
}

TEST(ClusterConfigTest, Defaults) {
  auto c = Parse(kMinimal);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node_id, "n1");
  EXPECT_EQ(c->nats_urls, std::vector<std::string>{"nats://127.0.0.1:4222"});
  EXPECT_EQ(c->shards, 64);
  EXPECT_EQ(c->replication, 2);
  EXPECT_EQ(c->stream_replicas, 3);
  EXPECT_EQ(c->max_age, absl::Hours(24 * 7));
  EXPECT_EQ(c->max_bytes, int64_t{10} << 30);
  EXPECT_EQ(c->duplicate_window, absl::Minutes(10));
  EXPECT_EQ(c->lease, absl::Seconds(10));
  EXPECT_EQ(c->ack, ClusterAck::kSync);
  EXPECT_TRUE(c->shard_tag.empty());
}

TEST(ClusterConfigTest, EveryKey) {
  TempDir dir;
  WriteFile(dir.Sub("nats.creds"), "creds", 0600);
  WriteFile(dir.Sub("client.key"), "key", 0400);
  auto c = Parse(std::string(kMinimal) +
                     "shards = 8\nreplication = 3\nstream_replicas = 1\nmax_age = \"2d\"\n"
                     "max_bytes = \"2GiB\"\nduplicate_window = \"1h\"\nlease = \"3s\"\n"
                     "ack = \"replicated\"\nsync_timeout = \"4s\"\npublish_timeout = 2\n"
                     "shard_tag = \"device\"\nca_file = \"ca.pem\"\ncert_file = \"client.pem\"\n"
                     "key_file = \"client.key\"\ncreds_file = \"nats.creds\"\n",
                 dir.path());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->shards, 8);
  EXPECT_EQ(c->replication, 3);
  EXPECT_EQ(c->stream_replicas, 1);
  EXPECT_EQ(c->max_age, absl::Hours(48));
  EXPECT_EQ(c->max_bytes, int64_t{2} << 30);
  EXPECT_EQ(c->duplicate_window, absl::Hours(1));
  EXPECT_EQ(c->lease, absl::Seconds(3));
  EXPECT_EQ(c->ack, ClusterAck::kReplicated);
  EXPECT_EQ(c->sync_timeout, absl::Seconds(4));
  EXPECT_EQ(c->publish_timeout, absl::Seconds(2));
  EXPECT_EQ(c->shard_tag, "device");
  EXPECT_EQ(c->ca_file, dir.Sub("ca.pem"));
  EXPECT_EQ(c->key_file, dir.Sub("client.key"));
  EXPECT_EQ(c->creds_file, dir.Sub("nats.creds"));
}

TEST(ClusterConfigTest, BadInputNamesTheProblem) {
  const std::string m = kMinimal;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {m + "shrads = 8\n", "c.toml:3: key \"shrads\": unknown key (docs/cluster.md"},
      {"nats_urls = [\"nats://a:1\"]\n", "needs node_id"},
      {"node_id = \"n 1\"\nnats_urls = [\"nats://a:1\"]\n", "key \"node_id\": use letters"},
      {"node_id = \"n1\"\n", "needs nats_urls"},
      {"node_id = \"n1\"\nnats_urls = [\"http://a:1\"]\n", "is not nats://host:port"},
      {"node_id = \"n1\"\nnats_urls = [\"nats://a\"]\n", "is not nats://host:port"},
      {"node_id = \"n1\"\nnats_urls = \"nats://a:1\"\n", "must be an array of strings"},
      {m + "shards = 0\n", "key \"shards\": must be 1 to 4096"},
      {m + "shards = \"8\"\n", "key \"shards\": must be an integer"},
      {m + "replication = 6\n", "key \"replication\": must be 1 to 5"},
      {m + "stream_replicas = 2\n", "must be 1, 3 or 5"},
      {m + "max_age = \"soon\"\n", "key \"max_age\": \"soon\" is not a duration"},
      {m + "max_age = \"1h\"\nduplicate_window = \"2h\"\n", "must not be longer than max_age"},
      {m + "lease = \"100ms\"\n", "key \"lease\": must be 1s to 10m"},
      {m + "ack = \"fast\"\n", "key \"ack\": must be \"sync\" or \"replicated\""},
      {m + "max_bytes = \"10TB\"\n", "key \"max_bytes\""},
      {m + "cert_file = \"c.pem\"\n", "cert_file and key_file go together"},
      {m + "shard_tag = \"\"\n", "key \"shard_tag\": must not be empty"},
      {m + "x = [\n", "c.toml:3"},
  };
  for (const auto& [text, want] : cases) {
    auto c = Parse(text);
    EXPECT_THAT(c.status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(want))) << text;
  }
}

TEST(ClusterConfigTest, LooseSecretModesAreRefused) {
  TempDir dir;
  WriteFile(dir.Sub("nats.creds"), "creds", 0644);
  auto c = Parse(std::string(kMinimal) + "creds_file = \"nats.creds\"\n", dir.path());
  EXPECT_THAT(c.status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                   HasSubstr("readable by its owner only")));
  WriteFile(dir.Sub("k.key"), "key", 0640);
  c = Parse(
      std::string(kMinimal) + "ca_file = \"ca.pem\"\ncert_file = \"c.pem\"\nkey_file = \"k.key\"\n",
      dir.path());
  EXPECT_THAT(c.status(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("k.key")));
  c = Parse(std::string(kMinimal) + "creds_file = \"absent.creds\"\n", dir.path());
  EXPECT_THAT(c.status(), StatusIs(absl::StatusCode::kNotFound));
}

TEST(ClusterConfigTest, LoadReadsTheFileAndResolvesPaths) {
  TempDir dir;
  WriteFile(dir.Sub("c.toml"), kMinimal, 0644);
  auto c = LoadClusterConfig(dir.Sub("c.toml"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->path, dir.Sub("c.toml"));
  EXPECT_THAT(LoadClusterConfig(dir.Sub("none.toml")).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(ClusterConfigTest, ExampleFileParses) {
  auto c = LoadClusterConfig("docs/examples/cluster.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node_id, "node-1");
}

TEST(ClusterConfigTest, QueryKeysAndTheNodeCredential) {
  TempDir dir;
  WriteFile(dir.Sub("node.secret"), std::string(64, 'a') + "\n", 0600);
  auto c = Parse(std::string(kMinimal) +
                     "query_address = \"10.0.0.5:7001\"\nnode_secret_file = \"node.secret\"\n"
                     "node_ca_file = \"nodes-ca.pem\"\n",
                 dir.path());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->query_address, "10.0.0.5:7001");
  EXPECT_EQ(c->node_secret_file, dir.Sub("node.secret"));
  EXPECT_EQ(c->node_ca_file, dir.Sub("nodes-ca.pem"));
  // The credential: the same for the same secret (every node derives it alone), another
  // for another secret, and never the secret itself.
  auto token = LoadNodeToken(*c);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_THAT(*token, ::testing::StartsWith("tdbnode_"));
  EXPECT_THAT(*token, ::testing::Not(HasSubstr("aaaa")));
  EXPECT_EQ(*LoadNodeToken(*c), *token);
  WriteFile(dir.Sub("node.secret"), std::string(64, 'b'), 0600);
  EXPECT_NE(*LoadNodeToken(*c), *token);
  // No secret file: no credential.
  EXPECT_EQ(*LoadNodeToken(*Parse(kMinimal)), "");
  // Too short, or readable by others.
  WriteFile(dir.Sub("node.secret"), "short\n", 0600);
  EXPECT_THAT(LoadNodeToken(*c), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("expected at least 32 bytes of secret, "
                                                    "found 5")));
  WriteFile(dir.Sub("node.secret"), std::string(64, 'a'), 0644);
  EXPECT_FALSE(LoadNodeToken(*c).ok());
  EXPECT_FALSE(Parse(std::string(kMinimal) + "node_secret_file = \"node.secret\"\n", dir.path())
                   .ok());
  EXPECT_THAT(Parse(std::string(kMinimal) + "query_address = \"10.0.0.5\"\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"10.0.0.5\" is not host:port")));
  EXPECT_THAT(Parse(std::string(kMinimal) + "query_address = \"h:99999\"\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not host:port")));
}

}  // namespace
}  // namespace telemdb::cluster
