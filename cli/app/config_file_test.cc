#include "cli/app/config_file.h"

#include <cstdlib>

#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::cli {
namespace {

using ::telemdb::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ConfigFileTest, ParsesStrings) {
  auto c = ParseConfig(
      "# telemdb\naddr = \"db:7700\"  # comment\n\ntoken_file='~/t'\ntls_ca = \"a\\u00e9\\\"\"\n",
      "c.toml");
  ASSERT_OK(c.status());
  EXPECT_EQ(c->at("addr"), "db:7700");
  EXPECT_EQ(c->at("token_file"), "~/t");
  EXPECT_EQ(c->at("tls_ca"), "a\xc3\xa9\"");
}

TEST(ConfigFileTest, Errors) {
  EXPECT_THAT(ParseConfig("addr = 7700\n", "c.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("c.toml line 1")));
  EXPECT_THAT(ParseConfig("\n[server]\n", "c.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
  EXPECT_FALSE(ParseConfig("addr = \"a\"\naddr = \"b\"\n", "c").ok());
  EXPECT_FALSE(ParseConfig("addr = \"a\n", "c").ok());
  EXPECT_FALSE(ParseConfig("addr = \"a\" b\n", "c").ok());
}

TEST(ConfigFileTest, Paths) {
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(ResolveConfigPath("~/tok", "/etc/x/config.toml"), "/home/u/tok");
  EXPECT_EQ(ResolveConfigPath("ca.pem", "/etc/x/config.toml"), "/etc/x/ca.pem");
  EXPECT_EQ(ResolveConfigPath("/abs", "/etc/x/config.toml"), "/abs");
  setenv("XDG_CONFIG_HOME", "/xdg", 1);
  EXPECT_EQ(DefaultConfigPath(), "/xdg/telemdb/config.toml");
  unsetenv("XDG_CONFIG_HOME");
  EXPECT_EQ(DefaultConfigPath(), "/home/u/.config/telemdb/config.toml");
}

}  // namespace
}  // namespace telemdb::cli
