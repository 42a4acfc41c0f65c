// Every class of invalid configuration is rejected with its exact one-line message:
// "<file>: <key path>: <what is wrong>", never carrying a secret.
#include <gtest/gtest.h>

#include <string>

#include "config_test_support.hpp"

namespace partnersync::config {
namespace {

using namespace testing;

constexpr const char* kDuration =
    " is not a valid duration (expected a whole number followed by s, m, h or d, e.g. 90s, 15m, "
    "6h, 7d)";

TEST(ConfigReject, UnknownTopLevelKey) {
  EXPECT_EQ(error_of(livechat_doc("", "logging:\n  level: info\n")),
            "cfg.yaml: logging: unknown key");
}

TEST(ConfigReject, UnknownKeyInASource) {
  EXPECT_EQ(error_of(livechat_doc("    tokne: x\n")), "cfg.yaml: sources[0].tokne: unknown key");
}

TEST(ConfigReject, UnknownKeyInEachSection) {
  EXPECT_EQ(error_of(livechat_doc("", "sync:\n  windw: 31d\n")),
            "cfg.yaml: sync.windw: unknown key");
  EXPECT_EQ(error_of(livechat_doc("", "http:\n  timout: 30s\n")),
            "cfg.yaml: http.timout: unknown key");
  EXPECT_EQ(error_of(livechat_doc("", "log:\n  colour: true\n")),
            "cfg.yaml: log.colour: unknown key");
  EXPECT_EQ(error_of(livechat_doc("", "server:\n  port: 9187\n")),
            "cfg.yaml: server.port: unknown key");
  EXPECT_EQ(error_of("database:\n  url: x\n  pool: 3\n"), "cfg.yaml: database.pool: unknown key");
}

TEST(ConfigReject, UnknownKeyWithAControlCharacterIsNamedOnOneLine) {
  EXPECT_EQ(error_of(livechat_doc("", "\"unknown\\nkey\": 1\n")),
            "cfg.yaml: \"unknown\\nkey\": unknown key");
  EXPECT_EQ(error_of(livechat_doc("", "sync:\n  intervals:\n    \"a\\tb\": 1m\n")),
            "cfg.yaml: sync.intervals.\"a\\tb\": unknown stream \"a\\tb\"");
}

TEST(ConfigReject, YamlMessageAboutAControlCharacterStaysOnOneLine) {
  // yaml-cpp's message for these three bytes ends in the raw line break it stopped at.
  const std::string message = error_of(std::string("\xff\0\n", 3));
  EXPECT_TRUE(message.starts_with("cfg.yaml: invalid YAML")) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(ConfigReject, KeyRepeatedInOneMap) {
  EXPECT_EQ(error_of(livechat_doc("", "log:\n  level: info\n  level: debug\n")),
            "cfg.yaml: log.level: duplicate key");
}

TEST(ConfigReject, KeyOfTheOtherKind) {
  EXPECT_EQ(error_of(livechat_doc("    reseller: partner@acme.example\n")),
            "cfg.yaml: sources[0].reseller: not allowed for kind livechat_partner");
  EXPECT_EQ(error_of(liveagent_doc("    token_file: tok\n")),
            "cfg.yaml: sources[0].token_file: not allowed for kind liveagent_reseller");
}

TEST(ConfigReject, WrongTypes) {
  EXPECT_EQ(error_of(livechat_doc("", "http:\n  retries: many\n")),
            "cfg.yaml: http.retries: expected an integer, got \"many\"");
  EXPECT_EQ(error_of(livechat_doc("", "sync:\n  concurrency: 2.5\n")),
            "cfg.yaml: sync.concurrency: expected an integer, got \"2.5\"");
  EXPECT_EQ(error_of(livechat_doc("", "http:\n  rate_limit: fast\n")),
            "cfg.yaml: http.rate_limit: expected a number, got \"fast\"");
  EXPECT_EQ(error_of(livechat_doc("", "http:\n  rate_limit: nan\n")),
            "cfg.yaml: http.rate_limit: expected a number, got \"nan\"");
  EXPECT_EQ(error_of(livechat_doc("", "http:\n  rate_limit: 0x10\n")),
            "cfg.yaml: http.rate_limit: expected a number, got \"0x10\"");
  EXPECT_EQ(error_of(livechat_doc("", "http:\n  timeout: [30s]\n")),
            "cfg.yaml: http.timeout: expected a duration, got a list");
  EXPECT_EQ(error_of(livechat_doc("", "http:\n  timeout:\n")),
            "cfg.yaml: http.timeout: expected a duration, got null");
  EXPECT_EQ(error_of(livechat_doc("", "sync: 15m\n")),
            "cfg.yaml: sync: expected a map, got a string");
  EXPECT_EQ(error_of(std::string(kDatabase) + "sources:\n  name: acme\n"),
            "cfg.yaml: sources: expected a list, got a map");
  EXPECT_EQ(error_of(std::string(kDatabase) + "sources:\n  - acme\n"),
            "cfg.yaml: sources[0]: expected a map, got a string");
  EXPECT_EQ(error_of(livechat_doc("    streams: earnings\n")),
            "cfg.yaml: sources[0].streams: expected a list, got a string");
  EXPECT_EQ(error_of(livechat_doc("", "log:\n  level: {a: b}\n")),
            "cfg.yaml: log.level: expected a string, got a map");
  EXPECT_EQ(error_of("- a\n- b\n"), "cfg.yaml: expected a map at the top level, got a list");
}

TEST(ConfigReject, WrongTypeOfASecretDoesNotEchoIt) {
  EXPECT_EQ(error_of(source_doc("x", "[tok-Listed77]")),
            "cfg.yaml: sources[0].token: expected a string, got a list");
  const std::string message =
      error_of("database: postgresql://sync:pw-Inline55@db/w\nsources: []\n");
  EXPECT_EQ(message, "cfg.yaml: database: expected a map, got a string");
}

TEST(ConfigReject, MultiLineSecretIsRejectedWithoutEchoingIt) {
  EXPECT_EQ(error_of(source_doc("x", "\"tok-Line1\\ntok-Line2\"")),
            "cfg.yaml: sources[0].token: must be a single line");
}

TEST(ConfigReject, BadUrls) {
  const std::string expected =
      " is not a valid URL (expected http:// or https:// followed by a host)";
  for (const std::string url :
       {"ftp://api.example.com", "https://", "api.livechatinc.com", "https://:443",
        "https://api.example.com:99999", "https://user@api.example.com",
        "https://api.example.com/?x=1", "https://api example.com", "http://[::1"}) {
    EXPECT_EQ(error_of(livechat_doc("    base_url: \"" + url + "\"\n")),
              "cfg.yaml: sources[0].base_url: \"" + url + "\"" + expected)
        << url;
  }
}

TEST(ConfigReject, UrlWithCredentialsIsRejectedWithThePasswordMasked) {
  EXPECT_EQ(error_of(livechat_doc("    base_url: \"https://user:pw-Url99@api.example.com\"\n")),
            "cfg.yaml: sources[0].base_url: \"https://user:***@api.example.com\" is not a valid "
            "URL (expected http:// or https:// followed by a host)");
}

TEST(ConfigReject, MalformedDate) {
  EXPECT_EQ(error_of(source_doc("x", "tok-abcdef", "2024-2-3")),
            "cfg.yaml: sources[0].start_date: \"2024-2-3\" is not a valid date (expected "
            "YYYY-MM-DD)");
  EXPECT_EQ(error_of(source_doc("x", "tok-abcdef", "01/02/2024")),
            "cfg.yaml: sources[0].start_date: \"01/02/2024\" is not a valid date (expected "
            "YYYY-MM-DD)");
}

TEST(ConfigReject, ImpossibleDateNamesTheSource) {
  const std::string doc = livechat_doc() +
                          "  - name: acme2\n"
                          "    kind: livechat_partner\n"
                          "    token: tok-abcdef\n"
                          "    start_date: 2024-02-30\n";
  EXPECT_EQ(error_of(doc),
            "cfg.yaml: sources[1].start_date: \"2024-02-30\" is not a valid date (expected "
            "YYYY-MM-DD)");
}

TEST(ConfigReject, FutureStartDate) {
  EXPECT_EQ(error_of(source_doc("x", "tok-abcdef", "9999-12-31")),
            "cfg.yaml: sources[0].start_date: \"9999-12-31\" is in the future");
}

TEST(ConfigReject, UnknownStream) {
  EXPECT_EQ(error_of(livechat_doc("    streams: [earnings, stats, lisences]\n")),
            "cfg.yaml: sources[0].streams[2]: unknown stream \"lisences\" for kind "
            "livechat_partner");
  // A stream of the other API is unknown for this kind.
  EXPECT_EQ(error_of(liveagent_doc("    streams: [earnings]\n")),
            "cfg.yaml: sources[0].streams[0]: unknown stream \"earnings\" for kind "
            "liveagent_reseller");
  EXPECT_EQ(error_of(livechat_doc("", "sync:\n  intervals:\n    earning: 6h\n")),
            "cfg.yaml: sync.intervals.earning: unknown stream \"earning\"");
}

TEST(ConfigReject, ChildStreamWithoutItsParent) {
  EXPECT_EQ(error_of(livechat_doc("    streams: [earnings, solution_invoices]\n")),
            "cfg.yaml: sources[0].streams[1]: \"solution_invoices\" needs its parent stream "
            "\"solution_licenses\" in the same list");
  EXPECT_EQ(error_of(liveagent_doc("    streams: [account_users, licenses]\n")),
            "cfg.yaml: sources[0].streams[0]: \"account_users\" needs its parent stream "
            "\"accounts\" in the same list");
  EXPECT_NO_THROW(parse(livechat_doc("    streams: [solution_invoices, solution_licenses]\n")));
}

TEST(ConfigReject, RepeatedOrEmptyStreamList) {
  EXPECT_EQ(error_of(livechat_doc("    streams: [earnings, stats, earnings]\n")),
            "cfg.yaml: sources[0].streams[2]: duplicate stream \"earnings\"");
  EXPECT_EQ(error_of(livechat_doc("    streams: []\n")),
            "cfg.yaml: sources[0].streams: must list at least one stream (omit the key for all "
            "streams)");
}

TEST(ConfigReject, DuplicateSourceName) {
  const std::string doc = livechat_doc() +
                          "  - name: other\n"
                          "    kind: livechat_partner\n"
                          "    token: tok-abcdef\n"
                          "    start_date: 2018-01-01\n"
                          "  - name: acme\n"
                          "    kind: liveagent_reseller\n"
                          "    base_url: https://acme.ladesk.com\n"
                          "    reseller: r\n"
                          "    api_key: key-123456\n"
                          "    start_date: 2018-01-01\n";
  EXPECT_EQ(error_of(doc),
            "cfg.yaml: sources[2].name: duplicate source name \"acme\" (also "
            "sources[0])");
}

TEST(ConfigReject, SourceNameOutsideTheAllowedCharacters) {
  EXPECT_EQ(
      error_of(livechat_doc().replace(livechat_doc().find("name: acme"), 10, "name: Acme Corp")),
      "cfg.yaml: sources[0].name: \"Acme Corp\" is not a valid source name (expected "
      "lowercase letters, digits, '_' and '-')");
}

TEST(ConfigReject, UnsetEnvironmentVariable) {
  EXPECT_EQ(error_of(source_doc("${PARTNERSYNC_DATABASE_URL}", "tok-abcdef")),
            "cfg.yaml: database.url: environment variable PARTNERSYNC_DATABASE_URL is not set");
  EXPECT_EQ(error_of(liveagent_doc().replace(liveagent_doc().find("key-123456"), 10,
                                             "${LIVEAGENT_API_KEY}")),
            "cfg.yaml: sources[0].api_key: environment variable LIVEAGENT_API_KEY is not set");
  EXPECT_EQ(error_of(livechat_doc("    streams: [earnings, \"${EXTRA}\"]\n")),
            "cfg.yaml: sources[0].streams[1]: environment variable EXTRA is not set");
}

TEST(ConfigReject, MalformedVariableReference) {
  EXPECT_EQ(error_of(livechat_doc("", "log:\n  level: ${LEVEL\n")),
            "cfg.yaml: log.level: unterminated \"${\" (write \"$$\" for a literal \"$\")");
  EXPECT_EQ(error_of(livechat_doc("", "log:\n  level: ${1LEVEL}\n")),
            "cfg.yaml: log.level: invalid environment variable name \"1LEVEL\"");
}

TEST(ConfigReject, MissingRequiredKeys) {
  EXPECT_EQ(error_of(""), "cfg.yaml: database: missing required key");
  EXPECT_EQ(error_of("sources: []\n"), "cfg.yaml: database: missing required key");
  EXPECT_EQ(error_of("database: {}\n"), "cfg.yaml: database.url: missing required key");
  EXPECT_EQ(error_of(kDatabase), "cfg.yaml: sources: missing required key");
  EXPECT_EQ(error_of(std::string(kDatabase) + "sources: []\n"),
            "cfg.yaml: sources: must list at least one source");
  EXPECT_EQ(error_of(std::string(kDatabase) + "sources:\n  - kind: livechat_partner\n"),
            "cfg.yaml: sources[0].name: missing required key");
  EXPECT_EQ(error_of(std::string(kDatabase) + "sources:\n  - name: a\n"),
            "cfg.yaml: sources[0].kind: missing required key");
  EXPECT_EQ(error_of(std::string(kDatabase) +
                     "sources:\n  - {name: a, kind: livechat_partner, start_date: 2018-01-01}\n"),
            "cfg.yaml: sources[0].token: missing required key (or token_file)");
  EXPECT_EQ(error_of(std::string(kDatabase) +
                     "sources:\n  - {name: a, kind: livechat_partner, token: tok-abcdef}\n"),
            "cfg.yaml: sources[0].start_date: missing required key");
  EXPECT_EQ(error_of(std::string(kDatabase) +
                     "sources:\n  - {name: a, kind: liveagent_reseller, reseller: r, api_key: "
                     "key-123456, start_date: 2018-01-01}\n"),
            "cfg.yaml: sources[0].base_url: missing required key");
  EXPECT_EQ(error_of(std::string(kDatabase) +
                     "sources:\n  - {name: a, kind: liveagent_reseller, base_url: "
                     "\"https://a.ladesk.com\", start_date: 2018-01-01}\n"),
            "cfg.yaml: sources[0].api_key: missing required key (or api_key_file)");
  EXPECT_EQ(error_of(std::string(kDatabase) +
                     "sources:\n  - {name: a, kind: liveagent_reseller, base_url: "
                     "\"https://a.ladesk.com\", api_key: key-123456, start_date: 2018-01-01}\n"),
            "cfg.yaml: sources[0].reseller: missing required key");
}

TEST(ConfigReject, EmptyRequiredValues) {
  EXPECT_EQ(error_of(source_doc("\"\"", "tok-abcdef")),
            "cfg.yaml: database.url: must not be empty");
  EXPECT_EQ(error_of(source_doc("x", "\"\"")), "cfg.yaml: sources[0].token: must not be empty");
}

TEST(ConfigReject, BadDurations) {
  EXPECT_EQ(error_of(livechat_doc("", "sync:\n  interval: 15 minutes\n")),
            std::string("cfg.yaml: sync.interval: \"15 minutes\"") + kDuration);
  EXPECT_EQ(error_of(livechat_doc("", "sync:\n  lookback: 30\n")),
            std::string("cfg.yaml: sync.lookback: \"30\"") + kDuration);
  EXPECT_EQ(error_of(livechat_doc("", "sync:\n  intervals:\n    earnings: 1w\n")),
            std::string("cfg.yaml: sync.intervals.earnings: \"1w\"") + kDuration);
  EXPECT_EQ(error_of(livechat_doc("", "sync:\n  window: 0d\n")),
            "cfg.yaml: sync.window: must be greater than zero");
  EXPECT_EQ(error_of(livechat_doc("", "sync:\n  full_refresh: 0s\n")),
            "cfg.yaml: sync.full_refresh: must be greater than zero");
}

TEST(ConfigReject, BadEnumValues) {
  EXPECT_EQ(error_of(livechat_doc("", "log:\n  level: verbose\n")),
            "cfg.yaml: log.level: unknown value \"verbose\" (expected one of trace, debug, info, "
            "warn, error)");
  EXPECT_EQ(error_of(livechat_doc("", "log:\n  format: xml\n")),
            "cfg.yaml: log.format: unknown value \"xml\" (expected one of text, json)");
  EXPECT_EQ(error_of(std::string(kDatabase) + "sources:\n  - {name: a, kind: livechat}\n"),
            "cfg.yaml: sources[0].kind: unknown value \"livechat\" (expected one of "
            "livechat_partner, liveagent_reseller, liveagent_helpdesk)");
}

TEST(ConfigReject, DatabaseConnectionsOutOfRange) {
  const std::string rest = livechat_doc().substr(std::string(kDatabase).size());
  EXPECT_EQ(error_of("database:\n  url: postgresql://sync@localhost/w\n  connections: 0\n" + rest),
            "cfg.yaml: database.connections: 0 is out of range (expected 1 to 16)");
  EXPECT_EQ(error_of("database:\n  url: postgresql://sync@localhost/w\n  connections: 17\n" + rest),
            "cfg.yaml: database.connections: 17 is out of range (expected 1 to 16)");
}

TEST(ConfigReject, StatementTimeoutMustBeADurationOfAtMostADay) {
  const std::string rest = livechat_doc().substr(std::string(kDatabase).size());
  const auto with = [&](const std::string& value) {
    return error_of("database:\n  url: postgresql://sync@localhost/w\n  statement_timeout: " +
                    value + "\n" + rest);
  };
  EXPECT_EQ(with("25h"), "cfg.yaml: database.statement_timeout: \"25h\" is too long (at most 1d)");
  EXPECT_EQ(with("5 minutes"),
            "cfg.yaml: database.statement_timeout: \"5 minutes\" is not a valid duration "
            "(expected a whole number followed by s, m, h or d, e.g. 90s, 15m, 6h, 7d)");
  EXPECT_EQ(with("-1s"),
            "cfg.yaml: database.statement_timeout: \"-1s\" is not a valid duration "
            "(expected a whole number followed by s, m, h or d, e.g. 90s, 15m, 6h, 7d)");
  EXPECT_EQ(with("[1]"), "cfg.yaml: database.statement_timeout: expected a duration, got a list");
}

TEST(ConfigReject, NumbersOutOfRange) {
  EXPECT_EQ(error_of(livechat_doc("", "sync:\n  concurrency: 0\n")),
            "cfg.yaml: sync.concurrency: 0 is out of range (expected 1 to 64)");
  EXPECT_EQ(error_of(livechat_doc("", "sync:\n  concurrency: 65\n")),
            "cfg.yaml: sync.concurrency: 65 is out of range (expected 1 to 64)");
  EXPECT_EQ(error_of(livechat_doc("", "http:\n  retries: 21\n")),
            "cfg.yaml: http.retries: 21 is out of range (expected 0 to 20)");
  EXPECT_EQ(error_of(livechat_doc("", "http:\n  retries: -1\n")),
            "cfg.yaml: http.retries: -1 is out of range (expected 0 to 20)");
  EXPECT_EQ(error_of(livechat_doc("", "http:\n  rate_limit: -0.5\n")),
            "cfg.yaml: http.rate_limit: -0.5 is out of range (expected 0 or more requests per "
            "second)");
}

TEST(ConfigReject, BadSizes) {
  const std::string expected =
      " is not a valid size (expected bytes or a whole number followed by B, KB, MB, GB, KiB, "
      "MiB or GiB, e.g. 256MiB)";
  for (const std::string size : {"lots", "256mib", "1TB", "1.5GiB", "-1", "MiB"}) {
    EXPECT_EQ(error_of(livechat_doc("", "http:\n  max_body: \"" + size + "\"\n")),
              "cfg.yaml: http.max_body: \"" + size + "\"" + expected)
        << size;
  }
  EXPECT_EQ(error_of(livechat_doc("", "http:\n  max_body: 0MiB\n")),
            "cfg.yaml: http.max_body: must be greater than zero");
}

TEST(ConfigReject, BadListenAddresses) {
  const std::string expected =
      " is not a valid listen address (expected host:port with an IP address or localhost as "
      "host, e.g. 127.0.0.1:9187)";
  for (const std::string address : {"9187", "example.com:9187", "127.0.0.1", "127.0.0.1:65536",
                                    "::1:9187", "[::1]", "256.0.0.1:80", "localhost:http"}) {
    EXPECT_EQ(error_of(livechat_doc("", "server:\n  listen: \"" + address + "\"\n")),
              "cfg.yaml: server.listen: \"" + address + "\"" + expected)
        << address;
  }
}

TEST(ConfigReject, UnknownTimeZone) {
  const std::string expected = " (expected an IANA name such as UTC or Europe/Berlin)";
  for (const std::string zone :
       {"Mars/Olympus_Mons", "../../../etc/passwd", "/usr/share/zoneinfo/UTC", "America", "utc"}) {
    EXPECT_EQ(error_of(livechat_doc("    timezone: \"" + zone + "\"\n")),
              "cfg.yaml: sources[0].timezone: unknown time zone \"" + zone + "\"" + expected)
        << zone;
  }
}

TEST(ConfigReject, YamlSyntaxErrorGivesLineAndColumn) {
  EXPECT_EQ(error_of("database:\n  url: x\nsources: [a, b\nsync: {}\n"),
            "cfg.yaml: invalid YAML at line 4, column 5: end of sequence flow not found");
  EXPECT_EQ(error_of("database: url: x\n"),
            "cfg.yaml: invalid YAML at line 1, column 14: illegal map value");
}

TEST(ConfigReject, MessageUsesTheFileNameAsGiven) {
  EXPECT_EQ(error_of("database: {}\n", env_of(), "etc/../conf/ps.yaml"),
            "etc/../conf/ps.yaml: database.url: missing required key");
}

TEST(ConfigReject, MissingConfigFile) {
  try {
    load_config("no-such-dir/partnersync.yaml", env_of());
    FAIL() << "accepted a missing file";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "no-such-dir/partnersync.yaml: cannot read file: No such file or "
                 "directory");
  }
}

TEST(ConfigReject, ErrorExposesTheKeyPath) {
  try {
    parse(livechat_doc("", "http:\n  retries: many\n"));
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key_path(), "http.retries");
  }
}

}  // namespace
}  // namespace partnersync::config
