// "Today" in a source's time zone with an injected clock: the day upstream counts in, on both
// sides of midnight and of DST changes, against the system tz database.
#include "daemon/calendar/zone_day.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "daemon/calendar/iso_date.hpp"

namespace partnersync::calendar {
namespace {

using namespace std::chrono_literals;

// A UTC instant written YYYY-MM-DD plus hours and minutes.
std::chrono::system_clock::time_point utc(const char* day, std::chrono::hours h,
                                          std::chrono::minutes m = 0min) {
  return std::chrono::system_clock::time_point(parse_date(day)->time_since_epoch() + h + m);
}

std::chrono::sys_days day(const char* text) { return *parse_date(text); }

TEST(ZoneDay, LosAngelesAt2330LocalIsStillYesterdayInUtcTerms) {
  // 2024-06-01 06:30 UTC is 2024-05-31 23:30 PDT: the UTC date would ask for tomorrow.
  EXPECT_EQ(today_in("America/Los_Angeles", utc("2024-06-01", 6h, 30min)), day("2024-05-31"));
  EXPECT_EQ(today_in("UTC", utc("2024-06-01", 6h, 30min)), day("2024-06-01"));
}

TEST(ZoneDay, TokyoAt0030LocalIsAlreadyTomorrowInUtcTerms) {
  // 2024-06-01 15:30 UTC is 2024-06-02 00:30 JST.
  EXPECT_EQ(today_in("Asia/Tokyo", utc("2024-06-01", 15h, 30min)), day("2024-06-02"));
  EXPECT_EQ(today_in("Asia/Tokyo", utc("2024-06-01", 14h, 59min)), day("2024-06-01"));
}

TEST(ZoneDay, LosAngelesMidnightFollowsDaylightSavingTime) {
  // Summer (UTC-7): 07:30 UTC is 00:30 local, the new day; winter time would say 23:30.
  EXPECT_EQ(today_in("America/Los_Angeles", utc("2024-07-01", 7h, 30min)), day("2024-07-01"));
  // Winter (UTC-8): 07:30 UTC is 23:30 local, still the day before; summer time would say 00:30.
  EXPECT_EQ(today_in("America/Los_Angeles", utc("2024-01-15", 7h, 30min)), day("2024-01-14"));
}

TEST(ZoneDay, DaysAroundTheDstChangesHaveTheirOwnMidnights) {
  // 2024-03-10 starts at 08:00 UTC (PST) and 2024-03-11 at 07:00 UTC (PDT): a 23-hour day.
  EXPECT_EQ(today_in("America/Los_Angeles", utc("2024-03-10", 7h, 59min)), day("2024-03-09"));
  EXPECT_EQ(today_in("America/Los_Angeles", utc("2024-03-10", 8h)), day("2024-03-10"));
  EXPECT_EQ(today_in("America/Los_Angeles", utc("2024-03-11", 6h, 59min)), day("2024-03-10"));
  EXPECT_EQ(today_in("America/Los_Angeles", utc("2024-03-11", 7h)), day("2024-03-11"));
  // 2024-11-03 starts at 07:00 UTC (PDT) and 2024-11-04 at 08:00 UTC (PST): a 25-hour day.
  EXPECT_EQ(today_in("America/Los_Angeles", utc("2024-11-03", 6h, 59min)), day("2024-11-02"));
  EXPECT_EQ(today_in("America/Los_Angeles", utc("2024-11-04", 7h, 59min)), day("2024-11-03"));
  EXPECT_EQ(today_in("America/Los_Angeles", utc("2024-11-04", 8h)), day("2024-11-04"));
  // Southern hemisphere: Sydney is UTC+11 in January (summer), UTC+10 in July.
  EXPECT_EQ(today_in("Australia/Sydney", utc("2024-01-15", 13h)), day("2024-01-16"));
  EXPECT_EQ(today_in("Australia/Sydney", utc("2024-07-15", 13h)), day("2024-07-15"));
}

TEST(ZoneDay, SamoaSkippedTheThirtiethOfDecember2011) {
  // Apia moved from UTC-10 to UTC+14 at the end of 2011-12-29 local time.
  EXPECT_EQ(today_in("Pacific/Apia", utc("2011-12-30", 9h, 59min)), day("2011-12-29"));
  EXPECT_EQ(today_in("Pacific/Apia", utc("2011-12-30", 10h)), day("2011-12-31"));
}

TEST(ZoneDay, KnowsTheSystemZonesSpelledExactly) {
  for (const char* zone :
       {"UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Tokyo", "Etc/GMT+5", "US/Pacific"}) {
    EXPECT_TRUE(is_known_time_zone(zone)) << zone;
  }
  for (const char* zone : {"", "utc", "America", "Mars/Olympus_Mons", "../../../etc/passwd",
                           "/usr/share/zoneinfo/UTC", "posix/UTC", "localtime"}) {
    EXPECT_FALSE(is_known_time_zone(zone)) << zone;
  }
}

TEST(ZoneDay, UnknownZoneIsAnError) {
  EXPECT_THROW(today_in("Mars/Olympus_Mons", utc("2024-06-01", 0h)), std::invalid_argument);
}

}  // namespace
}  // namespace partnersync::calendar
