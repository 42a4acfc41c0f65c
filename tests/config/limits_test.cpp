// The bounds the configuration puts on durations, sizes, zones and base URLs (issue 10): each
// rejection names the key path, and each bound is inclusive.
#include <gtest/gtest.h>

#include "tests/config/config_test_support.hpp"

namespace partnersync::config {
namespace {

using namespace testing;

std::string sync_error(const std::string& lines) { return error_of(livechat_doc("", lines)); }

TEST(ConfigLimits, LookbackAndWindowMustBeWholeDays) {
  // `lookback: 12h` used to become 0 days: no lookback at all, silently.
  EXPECT_EQ(sync_error("sync:\n  lookback: 12h\n"),
            "cfg.yaml: sync.lookback: \"12h\" is not a whole number of days (expected e.g. 30d)");
  EXPECT_EQ(sync_error("sync:\n  window: 36h\n"),
            "cfg.yaml: sync.window: \"36h\" is not a whole number of days (expected e.g. 30d)");
  EXPECT_EQ(sync_error("sync:\n  window: 90s\n"),
            "cfg.yaml: sync.window: \"90s\" is not a whole number of days (expected e.g. 30d)");
  // Whole days written in hours are whole days.
  EXPECT_EQ(parse(livechat_doc("", "sync:\n  lookback: 48h\n")).sync.lookback, Seconds(2 * 86400));
  EXPECT_EQ(parse(livechat_doc("", "sync:\n  window: 1440m\n")).sync.window, Seconds(86400));
}

TEST(ConfigLimits, FullRefreshIsADurationNotADayCount) {
  EXPECT_EQ(parse(livechat_doc("", "sync:\n  full_refresh: 12h\n")).sync.full_refresh,
            Seconds(12 * 3600));
}

TEST(ConfigLimits, DurationsAboveTheirCapAreRejected) {
  EXPECT_EQ(sync_error("sync:\n  interval: 8d\n"),
            "cfg.yaml: sync.interval: \"8d\" is too long (at most 7d)");
  EXPECT_EQ(sync_error("sync:\n  intervals:\n    earnings: 169h\n"),
            "cfg.yaml: sync.intervals.earnings: \"169h\" is too long (at most 7d)");
  EXPECT_EQ(sync_error("http:\n  timeout: 61m\n"),
            "cfg.yaml: http.timeout: \"61m\" is too long (at most 1h)");
  EXPECT_EQ(sync_error("sync:\n  lookback: 36501d\n"),
            "cfg.yaml: sync.lookback: \"36501d\" is too long (at most 36500d)");
  EXPECT_EQ(sync_error("sync:\n  window: 36501d\n"),
            "cfg.yaml: sync.window: \"36501d\" is too long (at most 36500d)");
  EXPECT_EQ(sync_error("sync:\n  full_refresh: 36501d\n"),
            "cfg.yaml: sync.full_refresh: \"36501d\" is too long (at most 36500d)");
  // Far beyond any clock's range, still a clear message rather than an overflow.
  EXPECT_EQ(sync_error("http:\n  timeout: 9000000000000000s\n"),
            "cfg.yaml: http.timeout: \"9000000000000000s\" is too long (at most 1h)");
}

TEST(ConfigLimits, DurationCapsAreInclusive) {
  const Config c = parse(livechat_doc(
      "",
      "sync:\n  interval: 7d\n  lookback: 36500d\n  full_refresh: 36500d\n  window: 36500d\n"
      "  intervals:\n    earnings: 604800s\nhttp:\n  timeout: 3600s\n"));
  EXPECT_EQ(c.sync.interval, kMaxInterval);
  EXPECT_EQ(c.sync.lookback, kMaxLookback);
  EXPECT_EQ(c.sync.full_refresh, kMaxFullRefresh);
  EXPECT_EQ(c.sync.window, kMaxWindow);
  EXPECT_EQ(c.sync.stream_intervals.at("earnings"), kMaxInterval);
  EXPECT_EQ(c.http.timeout, kMaxHttpTimeout);
  // Nothing a cap lets through overflows a nanosecond clock.
  EXPECT_LT(kMaxLookback.count(), std::chrono::nanoseconds::max().count() / 1'000'000'000);
}

TEST(ConfigLimits, MaxBodyDefaultFitsTheUnitAndHasACap) {
  EXPECT_EQ(parse(livechat_doc()).http.max_body_bytes, std::size_t{32} << 20);
  EXPECT_EQ(sync_error("http:\n  max_body: 2GiB\n"),
            "cfg.yaml: http.max_body: \"2GiB\" is too large (at most 1GiB)");
  EXPECT_EQ(sync_error("http:\n  max_body: 1073741825\n"),
            "cfg.yaml: http.max_body: \"1073741825\" is too large (at most 1GiB)");
  EXPECT_EQ(parse(livechat_doc("", "http:\n  max_body: 1073741824\n")).http.max_body_bytes,
            std::size_t{1} << 30);
}

TEST(ConfigLimits, TimeZoneMustBeInTheTzDatabase) {
  const std::string expected = " (expected an IANA name such as UTC or Europe/Berlin)";
  for (const std::string zone : {"Europe/Berlinn", "localtime", "posix/UTC", "EST5EDT "}) {
    EXPECT_EQ(error_of(livechat_doc("    timezone: \"" + zone + "\"\n")),
              "cfg.yaml: sources[0].timezone: unknown time zone \"" + zone + "\"" + expected)
        << zone;
  }
  for (const std::string zone : {"Pacific/Kiritimati", "Etc/GMT-14", "US/Pacific"}) {
    EXPECT_EQ(parse(livechat_doc("    timezone: " + zone + "\n")).sources[0].timezone, zone);
  }
}

TEST(ConfigLimits, BaseUrlEdgeCases) {
  const std::string expected =
      " is not a valid URL (expected http:// or https:// followed by a host)";
  for (const std::string url :
       {"https://api.example.com#top", "https://api.example.com/v2?", "https://ex%61mple.com",
        "https://a,b.example.com", "https://[v1.fe]/",
        "https://api.example.com:", "https://api.example.com:0", "https://api.example.com/a|b",
        "https://api.example.com/a^b"}) {
    EXPECT_EQ(error_of(livechat_doc("    base_url: \"" + url + "\"\n")),
              "cfg.yaml: sources[0].base_url: \"" + url + "\"" + expected)
        << url;
  }
  for (const std::string url : {"HTTPS://API.Example.com/v2", "http://127.0.0.1:65535/base%20x",
                                "https://[2001:db8::1]:8443"}) {
    EXPECT_EQ(parse(livechat_doc("    base_url: \"" + url + "\"\n")).sources[0].base_url, url);
  }
}

}  // namespace
}  // namespace partnersync::config
