// "Today" as a source's upstream counts days: the calendar day in the source's IANA time zone,
// read from the system tz database (/usr/share/zoneinfo, kept current by Debian's tzdata).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace partnersync::calendar {

// True when `name` is a zone of the system tz database, spelled exactly (case matters: "utc"
// is not "UTC"). "localtime" is refused: it is the host's zone under another name.
bool is_known_time_zone(std::string_view name);

// The calendar day in `iana_zone` at `now`: an account in America/Los_Angeles is still on
// yesterday from 16:00 UTC (17:00 in winter). Throws std::invalid_argument for a zone that
// is_known_time_zone() refuses (configuration load has checked every source's zone).
std::chrono::sys_days today_in(const std::string& iana_zone,
                               std::chrono::system_clock::time_point now);

}  // namespace partnersync::calendar
