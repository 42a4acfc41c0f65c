// config/partnersync.example.yaml is a real, loadable configuration that shows the defaults,
// and without its environment it says precisely which variable is missing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "config_test_support.hpp"

namespace partnersync::config {
namespace {

using namespace testing;

std::filesystem::path example_path() {
  // CTest sets PARTNERSYNC_SOURCE_DIR; running the binary by hand falls back to this file.
  const char* source_dir = std::getenv("PARTNERSYNC_SOURCE_DIR");
  const std::filesystem::path root = source_dir != nullptr
                                         ? std::filesystem::path(source_dir)
                                         : std::filesystem::path(__FILE__).parent_path() / "../..";
  return root / "config/partnersync.example.yaml";
}

const std::map<std::string, std::string> kFullEnvironment = {
    {"PARTNERSYNC_DATABASE_URL", "postgresql://sync:pw-Example1@localhost/warehouse"},
    {"LIVECHAT_TOKEN", "tok-Example2"},
    {"LIVEAGENT_API_KEY", "key-Example3"}};

TEST(ExampleConfig, LoadsWithItsVariablesSet) {
  const Config c = load_config(example_path(), env_of(kFullEnvironment));
  EXPECT_EQ(c.database_url, engine_url("postgresql://sync:pw-Example1@localhost/warehouse"));
  ASSERT_EQ(c.sources.size(), 2u);
  EXPECT_EQ(c.sources[0].name, "acme");
  EXPECT_EQ(c.sources[0].kind, SourceKind::livechat_partner);
  EXPECT_EQ(c.sources[0].secret, "tok-Example2");
  EXPECT_EQ(c.sources[1].name, "acme-helpdesk");
  EXPECT_EQ(c.sources[1].kind, SourceKind::liveagent_reseller);
  EXPECT_EQ(c.sources[1].secret, "key-Example3");
  EXPECT_EQ(c.sources[1].reseller, "partner@acme.example");
  EXPECT_EQ(c.sync.stream_intervals.at("earnings"), Seconds(6 * 3600));
  EXPECT_EQ(c.server.listen, "127.0.0.1:9187");
}

TEST(ExampleConfig, ShowsTheDefaultOfEveryDefaultedKey) {
  const Config c = load_config(example_path(), env_of(kFullEnvironment));
  const SyncSettings sync;
  const HttpSettings http;
  const LogSettings log;
  EXPECT_EQ(c.sync.interval, sync.interval);
  EXPECT_EQ(c.sync.lookback, sync.lookback);
  EXPECT_EQ(c.sync.full_refresh, sync.full_refresh);
  EXPECT_EQ(c.sync.window, sync.window);
  EXPECT_EQ(c.sync.concurrency, sync.concurrency);
  EXPECT_EQ(c.http.timeout, http.timeout);
  EXPECT_EQ(c.http.retries, http.retries);
  EXPECT_EQ(c.http.ca_file, http.ca_file);
  EXPECT_EQ(c.http.max_body_bytes, http.max_body_bytes);
  EXPECT_EQ(c.http.rate_limit, http.rate_limit);
  EXPECT_EQ(c.log.level, log.level);
  EXPECT_EQ(c.log.format, log.format);
  // Sources list their kind's defaults explicitly: the same as leaving the keys out.
  const Config defaults = parse(livechat_doc() +
                                "  - name: helpdesk\n"
                                "    kind: liveagent_reseller\n"
                                "    base_url: https://acme.ladesk.com\n"
                                "    reseller: partner@acme.example\n"
                                "    api_key: key-123456\n"
                                "    start_date: 2012-01-01\n");
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(c.sources[i].timezone, defaults.sources[i].timezone) << i;
    EXPECT_EQ(c.sources[i].streams, defaults.sources[i].streams) << i;
  }
  EXPECT_EQ(c.sources[0].base_url, defaults.sources[0].base_url);
}

TEST(ExampleConfig, MentionsEveryKey) {
  std::ifstream in(example_path());
  std::stringstream text;
  text << in.rdbuf();
  for (const char* key : {"database:",   "url:",         "connections:", "statement_timeout:",
                          "sources:",    "name:",        "kind:",        "base_url:",
                          "token:",      "token_file:",  "api_key:",     "api_key_file:",
                          "reseller:",   "start_date:",  "timezone:",    "streams:",
                          "sync:",       "interval:",    "lookback:",    "full_refresh:",
                          "window:",     "concurrency:", "intervals:",   "http:",
                          "timeout:",    "retries:",     "ca_file:",     "max_body:",
                          "rate_limit:", "server:",      "listen:",      "log:",
                          "level:",      "format:"}) {
    EXPECT_NE(text.str().find(key), std::string::npos) << key;
  }
}

TEST(ExampleConfig, WithoutEnvironmentNamesTheDatabaseVariable) {
  const std::string file = example_path().string();
  try {
    load_config(example_path(), env_of());
    FAIL() << "accepted without environment";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              file +
                  ": database.url: environment variable PARTNERSYNC_DATABASE_URL is not set "
                  "(also not set: LIVECHAT_TOKEN, LIVEAGENT_API_KEY)");
  }
}

TEST(ExampleConfig, WithOnlyTheDatabaseSetNamesTheTokenVariable) {
  const std::string file = example_path().string();
  try {
    load_config(example_path(),
                env_of({{"PARTNERSYNC_DATABASE_URL", "postgresql://localhost/warehouse"}}));
    FAIL() << "accepted without LIVECHAT_TOKEN";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              file +
                  ": sources[0].token: environment variable LIVECHAT_TOKEN is not set "
                  "(also not set: LIVEAGENT_API_KEY)");
  }
}

TEST(ExampleConfig, WithoutTheApiKeyNamesItsVariable) {
  auto env = kFullEnvironment;
  env.erase("LIVEAGENT_API_KEY");
  try {
    load_config(example_path(), env_of(env));
    FAIL() << "accepted without LIVEAGENT_API_KEY";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), example_path().string() +
                                         ": sources[1].api_key: environment variable "
                                         "LIVEAGENT_API_KEY is not set");
  }
}

}  // namespace
}  // namespace partnersync::config
