// calendar::parse_date, the one YYYY-MM-DD parser: real days in years 0001-9999, one spelling.
// config's start_date, the command line's --from/--to and sync.windows rows all go through it.
#include "daemon/calendar/iso_date.hpp"

#include <gtest/gtest.h>

namespace partnersync::calendar {
namespace {

using std::chrono::sys_days;
using std::chrono::year;

TEST(IsoDate, ReadsRealDaysAcrossTheWholeRange) {
  EXPECT_EQ(parse_date("2018-01-01"), sys_days(year(2018) / 1 / 1));
  EXPECT_EQ(parse_date("2024-02-29"), sys_days(year(2024) / 2 / 29));
  EXPECT_EQ(parse_date("2000-02-29"), sys_days(year(2000) / 2 / 29));
  EXPECT_EQ(parse_date("0001-01-01"), sys_days(year(1) / 1 / 1));
  EXPECT_EQ(parse_date("9999-12-31"), sys_days(year(9999) / 12 / 31));
  static_assert(parse_date("1970-01-02") == sys_days(std::chrono::days(1)));
}

TEST(IsoDate, RejectsDaysTheCalendarDoesNotHave) {
  for (const char* text : {"1900-02-29", "2023-02-29", "2024-04-31", "2024-13-01", "2024-00-10",
                           "2024-01-00", "2024-01-32", "0000-01-01"}) {
    EXPECT_EQ(parse_date(text), std::nullopt) << text;
  }
}

TEST(IsoDate, RejectsEverySpellingButYYYYMMDD) {
  for (const char* text :
       {"", "2024-1-01", "2024-01-1", "02024-01-01", "+2024-01-01", "-2024-01-01", "2024/01/01",
        "2024-01-01 ", " 2024-01-01", "2024-01-01T00:00:00", "2024-0a-01", "20240101xx",
        "2024--1-01", "2024-+1-01"}) {
    EXPECT_EQ(parse_date(text), std::nullopt) << text;
  }
  // A NUL inside the ten characters is not a digit either.
  EXPECT_EQ(parse_date(std::string_view("2024-01-0\0", 10)), std::nullopt);
}

}  // namespace
}  // namespace partnersync::calendar
