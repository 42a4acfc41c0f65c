// Date arithmetic on sys_days; everything here is pure and unit-tested.
#include "daemon/sync/window_planner.hpp"

#include <algorithm>
#include <cstdio>

namespace partnersync::sync {

std::string format_day(Day day) {
  const std::chrono::year_month_day ymd(day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::vector<DateRange> merge_ranges(std::vector<DateRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const DateRange& a, const DateRange& b) { return a.from < b.from; });
  std::vector<DateRange> out;
  for (const auto& r : ranges) {
    if (!out.empty() && r.from <= out.back().to + std::chrono::days(1)) {
      out.back().to = std::max(out.back().to, r.to);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

std::vector<DateRange> subtract_ranges(DateRange range, const std::vector<DateRange>& covered) {
  std::vector<DateRange> out;
  Day cursor = range.from;
  for (const auto& c : merge_ranges(covered)) {
    if (c.to < cursor) continue;
    if (c.from > range.to) break;
    if (c.from > cursor) out.push_back({cursor, std::min(range.to, c.from - std::chrono::days(1))});
    cursor = c.to + std::chrono::days(1);
    if (cursor > range.to) return out;
  }
  if (cursor <= range.to) out.push_back({cursor, range.to});
  return out;
}

std::vector<DateRange> chunk_ranges(const std::vector<DateRange>& ranges, int days) {
  std::vector<DateRange> out;
  const auto step = std::chrono::days(std::max(1, days));
  for (const auto& r : ranges) {
    for (Day from = r.from; from <= r.to; from += step) {
      out.push_back({from, std::min(r.to, from + step - std::chrono::days(1))});
    }
  }
  return out;
}

std::pair<DateRange, DateRange> split_range(DateRange range) {
  const auto first_days = std::chrono::days(range.days() / 2);
  return {{range.from, range.from + first_days - std::chrono::days(1)},
          {range.from + first_days, range.to}};
}

std::vector<DateRange> plan_incremental(const IncrementalPlanInput& input) {
  if (input.start_date > input.today) return {};
  const DateRange all{input.start_date, input.today};
  if (input.full_refresh) return chunk_ranges({all}, input.window_days);
  auto wanted = subtract_ranges(all, input.coverage);
  if (input.lookback_days > 0) {
    const Day lookback_from =
        std::max(input.start_date, input.today - std::chrono::days(input.lookback_days - 1));
    wanted.push_back({lookback_from, input.today});
  }
  return chunk_ranges(merge_ranges(std::move(wanted)), input.window_days);
}

std::vector<DateRange> plan_backfill(DateRange range, const std::vector<DateRange>& done,
                                     int window_days) {
  return chunk_ranges(subtract_ranges(range, done), window_days);
}

}  // namespace partnersync::sync
