// Which date windows a stream run reads: the gaps in what is synced, the lookback re-read, a
// full refresh when due, or a backfill range less what an interrupted backfill committed.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace partnersync::sync {

using Day = std::chrono::sys_days;

// Inclusive on both ends, as upstream date_from/date_to are.
struct DateRange {
  Day from;
  Day to;
  int days() const { return static_cast<int>((to - from).count()) + 1; }
  friend bool operator==(const DateRange&, const DateRange&) = default;
};

std::string format_day(Day day);  // "YYYY-MM-DD"

// Sorted, merged union (adjacent ranges merge too).
std::vector<DateRange> merge_ranges(std::vector<DateRange> ranges);
// `range` less everything in `covered`.
std::vector<DateRange> subtract_ranges(DateRange range, const std::vector<DateRange>& covered);
// Cuts ranges into windows of at most `days` days.
std::vector<DateRange> chunk_ranges(const std::vector<DateRange>& ranges, int days);
// Halves a window of two days or more (adaptive splitting): first half, second half.
std::pair<DateRange, DateRange> split_range(DateRange range);

struct IncrementalPlanInput {
  Day start_date;
  Day today;
  std::vector<DateRange> coverage;  // from sync.windows
  int lookback_days = 30;
  bool full_refresh = false;
  int window_days = 31;
};

// Windows of an incremental run: everything from start_date when a full refresh is due,
// otherwise the gaps in coverage plus the last lookback_days up to today.
std::vector<DateRange> plan_incremental(const IncrementalPlanInput& input);

// Windows of a backfill of `range`, less the windows an interrupted run of it committed.
std::vector<DateRange> plan_backfill(DateRange range, const std::vector<DateRange>& done,
                                     int window_days);

}  // namespace partnersync::sync
