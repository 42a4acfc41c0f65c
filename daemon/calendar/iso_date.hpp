// The one parser of "YYYY-MM-DD" calendar days: config start_date, --from/--to, the window
// bounds PostgreSQL gives back. Header-only and constexpr, so a hot path may use it too.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace partnersync::calendar {

// Exactly ten characters, four-digit year 0001-9999 (PostgreSQL has no year 0), a real calendar
// day; anything else (other spellings, signs, spaces, a time part) is std::nullopt.
constexpr std::optional<std::chrono::sys_days> parse_date(std::string_view text) noexcept {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int fields[3] = {0, 0, 0};
  constexpr std::size_t kStart[3] = {0, 5, 8}, kLength[3] = {4, 2, 2};
  for (int f = 0; f < 3; ++f) {
    for (std::size_t i = kStart[f]; i < kStart[f] + kLength[f]; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      fields[f] = fields[f] * 10 + (text[i] - '0');
    }
  }
  if (fields[0] == 0) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(fields[0]),
                                        std::chrono::month(static_cast<unsigned>(fields[1])),
                                        std::chrono::day(static_cast<unsigned>(fields[2]))};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd);
}

}  // namespace partnersync::calendar
