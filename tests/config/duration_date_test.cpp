// parse_duration and parse_date: the two value grammars every other module may reuse.
// Durations are `<whole number><s|m|h|d>`; dates are real calendar days written YYYY-MM-DD.
#include <gtest/gtest.h>

#include "daemon/config/config.hpp"

namespace partnersync::config {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using namespace std::chrono_literals;

TEST(ParseDuration, EachUnitScalesToSeconds) {
  EXPECT_EQ(parse_duration("90s"), Seconds(90));
  EXPECT_EQ(parse_duration("15m"), Seconds(15 * 60));
  EXPECT_EQ(parse_duration("6h"), Seconds(6 * 3600));
  EXPECT_EQ(parse_duration("7d"), Seconds(7 * 86400));
  EXPECT_EQ(parse_duration("0s"), Seconds(0));
}

TEST(ParseDuration, RejectsMissingUnknownOrSpelledOutUnits) {
  for (const char* text :
       {"", "s", "90", "15 m", "15min", "1w", "1.5h", "-5m", "+5m", "m15", "1h30m", " 5s", "5s "}) {
    EXPECT_EQ(parse_duration(text), std::nullopt) << text;
  }
}

TEST(ParseDuration, RejectsValuesThatOverflow) {
  EXPECT_EQ(parse_duration("99999999999999999999s"), std::nullopt);
  EXPECT_EQ(parse_duration("999999999999999999d"), std::nullopt);
}

TEST(ParseDate, ReadsACalendarDay) {
  EXPECT_EQ(parse_date("2018-01-01"), sys_days(std::chrono::year(2018) / 1 / 1));
  EXPECT_EQ(parse_date("2024-02-29"), sys_days(std::chrono::year(2024) / 2 / 29));
}

TEST(ParseDate, RejectsImpossibleDays) {
  for (const char* text :
       {"2024-02-30", "2023-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00"}) {
    EXPECT_EQ(parse_date(text), std::nullopt) << text;
  }
}

TEST(ParseDate, RejectsOtherSpellings) {
  for (const char* text : {"2024-2-3", "01/02/2024", "2024-01-01T00:00:00", "20240101",
                           "2024-01-0a", " 2024-01-01", ""}) {
    EXPECT_EQ(parse_date(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace partnersync::config
