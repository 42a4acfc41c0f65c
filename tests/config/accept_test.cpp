// Every valid key path is read with its value, and every omitted key gets its documented
// default (../shared/design/interface.md), interpolation included.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config_test_support.hpp"
#include "daemon/obs/redact.hpp"

namespace partnersync::config {
namespace {

using namespace testing;
using std::chrono::sys_days;
using std::chrono::year;

std::vector<std::string> all_streams(SourceKind kind) {
  if (kind == SourceKind::livechat_partner)
    return {connectors::kLivechatStreams.begin(), connectors::kLivechatStreams.end()};
  return {connectors::kLiveagentStreams.begin(), connectors::kLiveagentStreams.end()};
}

TEST(ConfigAccept, MinimalLivechatSourceGetsEveryDefault) {
  const Config c = parse(livechat_doc());
  EXPECT_EQ(c.file, "cfg.yaml");
  EXPECT_EQ(c.database_url, engine_url("postgresql://sync@localhost/w"));
  ASSERT_EQ(c.sources.size(), 1u);
  const Source& s = c.sources[0];
  EXPECT_EQ(s.name, "acme");
  EXPECT_EQ(s.kind, SourceKind::livechat_partner);
  EXPECT_EQ(s.base_url, "https://api.livechatinc.com");
  EXPECT_EQ(s.secret, "tok-abcdef");
  EXPECT_EQ(s.reseller, "");
  EXPECT_EQ(s.start_date, sys_days(year(2018) / 1 / 1));
  EXPECT_EQ(s.timezone, "UTC");
  EXPECT_EQ(s.streams, all_streams(SourceKind::livechat_partner));

  EXPECT_EQ(c.sync.interval, Seconds(15 * 60));
  EXPECT_EQ(c.sync.lookback, Seconds(30 * 86400));
  EXPECT_EQ(c.sync.full_refresh, Seconds(7 * 86400));
  EXPECT_EQ(c.sync.window, Seconds(31 * 86400));
  EXPECT_EQ(c.sync.concurrency, 4);
  EXPECT_EQ(c.database_connections, 2);
  EXPECT_EQ(c.database_statement_timeout, Seconds(600));
  EXPECT_TRUE(c.sync.stream_intervals.empty());
  EXPECT_EQ(c.http.timeout, Seconds(30));
  EXPECT_EQ(c.http.retries, 5);
  EXPECT_EQ(c.http.ca_file, "");
  EXPECT_EQ(c.http.max_body_bytes, 32u << 20);
  EXPECT_EQ(c.http.rate_limit, 0.0);
  EXPECT_EQ(c.server.listen, std::nullopt);
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.format, LogFormat::text);
}

TEST(ConfigAccept, MinimalLiveagentSourceDefaultsToLosAngelesAndAllSixStreams) {
  const Config c = parse(liveagent_doc());
  const Source& s = c.sources.at(0);
  EXPECT_EQ(s.kind, SourceKind::liveagent_reseller);
  EXPECT_EQ(s.base_url, "https://acme.ladesk.com");
  EXPECT_EQ(s.reseller, "partner@acme.example");
  EXPECT_EQ(s.secret, "key-123456");
  EXPECT_EQ(s.start_date, sys_days(year(2012) / 1 / 1));
  EXPECT_EQ(s.timezone, "America/Los_Angeles");
  EXPECT_EQ(s.streams, all_streams(SourceKind::liveagent_reseller));
}

TEST(ConfigAccept, EveryKeyPathIsReadWithItsValue) {
  const Config c = parse(R"(
database:
  url: host=db user=sync dbname=w
sources:
  - name: acme_1
    kind: livechat_partner
    base_url: http://127.0.0.1:8080/base
    token: tok-abcdef
    start_date: 2019-03-04
    timezone: Europe/Berlin
    streams: [earnings, affiliate_licenses]
  - name: acme-helpdesk
    kind: liveagent_reseller
    base_url: https://acme.ladesk.com
    reseller: partner@acme.example
    api_key: key-123456
    start_date: 2012-01-31
    timezone: Asia/Tokyo
    streams: [licenses]
sync:
  interval: 90s
  lookback: 6d
  full_refresh: 2d
  window: 10d
  concurrency: 64
  intervals:
    earnings: 6h
    accounts: 1m
http:
  timeout: 45s
  retries: 0
  max_body: 64MB
  rate_limit: 2.5
server:
  listen: 127.0.0.1:9187
log:
  level: debug
  format: json
)");
  EXPECT_EQ(c.database_url, engine_url("host=db user=sync dbname=w"));
  ASSERT_EQ(c.sources.size(), 2u);
  const Source& a = c.sources[0];
  EXPECT_EQ(a.name, "acme_1");
  EXPECT_EQ(a.base_url, "http://127.0.0.1:8080/base");
  EXPECT_EQ(a.start_date, sys_days(year(2019) / 3 / 4));
  EXPECT_EQ(a.timezone, "Europe/Berlin");
  EXPECT_EQ(a.streams, (std::vector<std::string>{"affiliate_licenses", "earnings"}));
  const Source& b = c.sources[1];
  EXPECT_EQ(b.name, "acme-helpdesk");
  EXPECT_EQ(b.kind, SourceKind::liveagent_reseller);
  EXPECT_EQ(b.start_date, sys_days(year(2012) / 1 / 31));
  EXPECT_EQ(b.timezone, "Asia/Tokyo");
  EXPECT_EQ(b.streams, std::vector<std::string>{"licenses"});
  EXPECT_EQ(c.sync.interval, Seconds(90));
  EXPECT_EQ(c.sync.lookback, Seconds(6 * 86400));
  EXPECT_EQ(c.sync.full_refresh, Seconds(2 * 86400));
  EXPECT_EQ(c.sync.window, Seconds(10 * 86400));
  EXPECT_EQ(c.sync.concurrency, 64);
  EXPECT_EQ(
      c.sync.stream_intervals,
      (std::map<std::string, Seconds>{{"earnings", Seconds(6 * 3600)}, {"accounts", Seconds(60)}}));
  EXPECT_EQ(c.http.timeout, Seconds(45));
  EXPECT_EQ(c.http.retries, 0);
  EXPECT_EQ(c.http.max_body_bytes, 64'000'000u);
  EXPECT_EQ(c.http.rate_limit, 2.5);
  EXPECT_EQ(c.server.listen, "127.0.0.1:9187");
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.format, LogFormat::json);
  EXPECT_EQ(c.find_source("acme-helpdesk"), &c.sources[1]);
  EXPECT_EQ(c.find_source("nobody"), nullptr);
}

TEST(ConfigAccept, SectionsWithEveryKeyCommentedOutKeepTheirDefaults) {
  const Config c =
      parse(livechat_doc("", "sync:\n  intervals:\nhttp:\n  # timeout: 5s\nserver:\nlog:\n"));
  EXPECT_EQ(c.sync.interval, SyncSettings{}.interval);
  EXPECT_TRUE(c.sync.stream_intervals.empty());
  EXPECT_EQ(c.http.timeout, HttpSettings{}.timeout);
  EXPECT_EQ(c.server.listen, std::nullopt);
  EXPECT_EQ(c.log.level, "info");
}

TEST(ConfigAccept, StreamsAreResolvedInCatalogOrder) {
  const Config c = parse(livechat_doc("    streams: [leads, earnings, affiliate_licenses]\n"));
  EXPECT_EQ(c.sources[0].streams,
            (std::vector<std::string>{"affiliate_licenses", "earnings", "leads"}));
}

TEST(ConfigAccept, BaseUrlLosesTrailingSlashes) {
  EXPECT_EQ(parse(livechat_doc("    base_url: https://api.example.com//\n")).sources[0].base_url,
            "https://api.example.com");
  EXPECT_EQ(parse(livechat_doc("    base_url: http://[::1]:9000/\n")).sources[0].base_url,
            "http://[::1]:9000");
}

TEST(ConfigAccept, SizesAcceptDecimalAndBinaryUnitsAndPlainBytes) {
  const std::vector<std::pair<std::string, std::size_t>> cases = {
      {"1048576", 1048576},   {"100B", 100},
      {"5KB", 5000},          {"10KiB", 10 * 1024},
      {"64MB", 64'000'000},   {"256MiB", 256u << 20},
      {"1GB", 1'000'000'000}, {"1GiB", std::size_t{1} << 30}};
  for (const auto& [text, bytes] : cases) {
    EXPECT_EQ(parse(livechat_doc("", "http:\n  max_body: " + text + "\n")).http.max_body_bytes,
              bytes)
        << text;
  }
}

TEST(ConfigAccept, RetriesAndConcurrencyBoundsAreInclusive) {
  EXPECT_EQ(parse(livechat_doc("", "http:\n  retries: 20\n")).http.retries, 20);
  EXPECT_EQ(parse(livechat_doc("", "sync:\n  concurrency: 1\n")).sync.concurrency, 1);
  const std::string one = "database:\n  url: postgresql://sync@localhost/w\n  connections: 1\n";
  const std::string sixteen =
      "database:\n  url: postgresql://sync@localhost/w\n  connections: 16\n";
  const std::string rest = livechat_doc().substr(std::string(kDatabase).size());
  EXPECT_EQ(parse(one + rest).database_connections, 1);
  EXPECT_EQ(parse(sixteen + rest).database_connections, 16);
}

TEST(ConfigAccept, StatementTimeoutReachesTheConnectionStringOrIsTurnedOff) {
  const std::string rest = livechat_doc().substr(std::string(kDatabase).size());
  const auto with = [&](const std::string& value) {
    return parse("database:\n  url: postgresql://sync@localhost/w\n  statement_timeout: " + value +
                 "\n" + rest);
  };
  const Config ninety = with("90s");
  EXPECT_EQ(ninety.database_statement_timeout, Seconds(90));
  EXPECT_NE(ninety.database_url.find("options=-c%20statement_timeout%3D90s"), std::string::npos)
      << ninety.database_url;
  EXPECT_EQ(with("24h").database_statement_timeout, Seconds(86400));
  for (const char* off : {"0", "0s", "0m"}) {
    const Config c = with(off);
    EXPECT_EQ(c.database_statement_timeout, Seconds(0)) << off;
    EXPECT_EQ(c.database_url.find("statement_timeout"), std::string::npos) << c.database_url;
    EXPECT_NE(c.database_url.find("keepalives=1"), std::string::npos) << c.database_url;
  }
  // The DSN's own setting wins over the key.
  const Config own = parse(
      "database:\n  url: \"host=db options='-c statement_timeout=1h'\"\n"
      "  statement_timeout: 90s\n" +
      rest);
  EXPECT_EQ(own.database_url.find("90s"), std::string::npos) << own.database_url;
}

TEST(ConfigAccept, ListenTakesIpv4Ipv6OrLocalhost) {
  for (const char* address : {"0.0.0.0:9187", "[::1]:9187", "localhost:8080", "127.0.0.1:0"}) {
    EXPECT_EQ(parse(livechat_doc("", std::string("server:\n  listen: \"") + address + "\"\n"))
                  .server.listen,
              address);
  }
}

TEST(ConfigAccept, EmptyOrNullListenDisablesTheServer) {
  EXPECT_EQ(parse(livechat_doc("", "server:\n  listen: \"\"\n")).server.listen, std::nullopt);
  EXPECT_EQ(parse(livechat_doc("", "server:\n  listen:\n")).server.listen, std::nullopt);
  EXPECT_EQ(parse(livechat_doc("", "server:\n  listen: ${LISTEN:-}\n")).server.listen,
            std::nullopt);
}

TEST(ConfigAccept, StartDateOfTodayIsNotInTheFuture) {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::chrono::year_month_day ymd{today};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  const Config c = parse(source_doc("postgresql://localhost/w", "tok-abcdef", text));
  EXPECT_EQ(c.sources[0].start_date, today);
}

TEST(ConfigAccept, VariableIsReplacedAnywhereInsideAValue) {
  const Config c = parse(source_doc("postgresql://sync@${HOST}:5432/w", "tok-${PART}-end") +
                             "log:\n  level: ${LEVEL}\n# comment with ${NOT_A_VALUE}\n",
                         env_of({{"LEVEL", "warn"}, {"HOST", "db.internal"}, {"PART", "middle"}}));
  EXPECT_EQ(c.log.level, "warn");
  EXPECT_EQ(c.database_url, engine_url("postgresql://sync@db.internal:5432/w"));
  EXPECT_EQ(c.sources[0].secret, "tok-middle-end");
}

TEST(ConfigAccept, DefaultAppliesWhenVariableIsUnsetOrEmpty) {
  const std::string doc = livechat_doc("", "http:\n  timeout: ${TIMEOUT:-12s}\n");
  EXPECT_EQ(parse(doc, env_of()).http.timeout, Seconds(12));
  EXPECT_EQ(parse(doc, env_of({{"TIMEOUT", ""}})).http.timeout, Seconds(12));
  EXPECT_EQ(parse(doc, env_of({{"TIMEOUT", "3m"}})).http.timeout, Seconds(180));
}

TEST(ConfigAccept, SetButEmptyVariableWithoutDefaultIsEmpty) {
  const Config c =
      parse(livechat_doc("", "server:\n  listen: ${LISTEN}\n"), env_of({{"LISTEN", ""}}));
  EXPECT_EQ(c.server.listen, std::nullopt);
}

TEST(ConfigAccept, InterpolationHappensBeforeTypeChecks) {
  const Config c = parse(livechat_doc("", "http:\n  retries: ${RETRIES}\n  rate_limit: ${RATE}\n"),
                         env_of({{"RETRIES", "7"}, {"RATE", "0.5"}}));
  EXPECT_EQ(c.http.retries, 7);
  EXPECT_EQ(c.http.rate_limit, 0.5);
}

TEST(ConfigAccept, DoubleDollarIsALiteralDollarAndALoneDollarIsKept) {
  const Config c = parse(source_doc("postgresql://localhost/w", "\"pa$${NOT_EXPANDED}-x$y$\""));
  EXPECT_EQ(c.sources[0].secret, "pa${NOT_EXPANDED}-x$y$");
}

TEST(ConfigAccept, LoadedSecretsAreMaskedByRedact) {
  const Config c = parse(source_doc("postgresql://sync:pw-Zq81x@db/w", "${TOKEN}"),
                         env_of({{"TOKEN", "tok-Registered9"}}));
  EXPECT_EQ(c.sources[0].secret, "tok-Registered9");
  EXPECT_EQ(obs::redact("a tok-Registered9 b pw-Zq81x c"), "a *** b *** c");
}

TEST(ConfigAccept, PercentEncodedDatabasePasswordIsRegisteredDecodedToo) {
  parse(source_doc("postgresql://sync:pw%40Enc9@db/w", "tok-abcdef"));
  EXPECT_EQ(obs::redact("a pw@Enc9 b pw%40Enc9 c"), "a *** b *** c");
}

TEST(ConfigAccept, KeyValueDatabasePasswordIsRegistered) {
  parse(source_doc("\"host=db password='kv pw-77Q' dbname=w\"", "tok-abcdef"));
  EXPECT_EQ(obs::redact("saw kv pw-77Q here"), "saw *** here");
}

}  // namespace
}  // namespace partnersync::config
