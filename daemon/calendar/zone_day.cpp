// date/tz.h stands in for C++20's std::chrono::locate_zone, which libstdc++ has only from g++ 14.
// Debian builds it with USE_OS_TZDB=1: zones come from /usr/share/zoneinfo, loaded once (about
// 35 ms and 0.4 MiB, on the first call) and shared by every thread.
#include "daemon/calendar/zone_day.hpp"

#include <date/tz.h>

#include <stdexcept>

namespace partnersync::calendar {
namespace {

const date::time_zone* find_zone(std::string_view name) {
  if (name.empty() || name == "localtime") return nullptr;
  try {
    return date::locate_zone(name);
  } catch (const std::runtime_error&) {
    return nullptr;
  }
}

}  // namespace

bool is_known_time_zone(std::string_view name) { return find_zone(name) != nullptr; }

std::chrono::sys_days today_in(const std::string& iana_zone,
                               std::chrono::system_clock::time_point now) {
  const date::time_zone* zone = find_zone(iana_zone);
  if (zone == nullptr) throw std::invalid_argument("unknown time zone \"" + iana_zone + "\"");
  const auto local = zone->to_local(now);
  return std::chrono::sys_days(std::chrono::floor<std::chrono::days>(local.time_since_epoch()));
}

}  // namespace partnersync::calendar
