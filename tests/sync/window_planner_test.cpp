// WindowPlanner: gaps, lookback, full refresh, backfill resume and splitting.
#include "daemon/sync/window_planner.hpp"

#include <gtest/gtest.h>

namespace partnersync::sync {
namespace {

using namespace std::chrono;

Day d(int y, unsigned m, unsigned dd) { return sys_days(year(y) / month(m) / day(dd)); }

TEST(WindowPlanner, FirstSyncWalksFromStartDateInWindows) {
  const auto plan = plan_incremental({d(2024, 1, 1), d(2024, 3, 10), {}, 30, false, 31});
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0], (DateRange{d(2024, 1, 1), d(2024, 1, 31)}));
  EXPECT_EQ(plan[1], (DateRange{d(2024, 2, 1), d(2024, 3, 2)}));
  EXPECT_EQ(plan[2], (DateRange{d(2024, 3, 3), d(2024, 3, 10)}));
}

TEST(WindowPlanner, IncrementalRunReadsOnlyGapsAndLookback) {
  // Covered Jan 1 - Mar 1 and Mar 5 - Mar 6; today Mar 10; lookback 3 days (Mar 8-10).
  const auto plan =
      plan_incremental({d(2024, 1, 1),
                        d(2024, 3, 10),
                        {{d(2024, 1, 1), d(2024, 3, 1)}, {d(2024, 3, 5), d(2024, 3, 6)}},
                        3,
                        false,
                        31});
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0], (DateRange{d(2024, 3, 2), d(2024, 3, 4)}));
  EXPECT_EQ(plan[1], (DateRange{d(2024, 3, 7), d(2024, 3, 10)}));
}

TEST(WindowPlanner, FullRefreshRereadsEverything) {
  const auto plan = plan_incremental(
      {d(2024, 1, 1), d(2024, 1, 20), {{d(2024, 1, 1), d(2024, 1, 20)}}, 3, true, 10});
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0], (DateRange{d(2024, 1, 1), d(2024, 1, 10)}));
  EXPECT_EQ(plan[1], (DateRange{d(2024, 1, 11), d(2024, 1, 20)}));
}

TEST(WindowPlanner, DailyReportsGetOneWindowPerDay) {
  const auto plan = plan_incremental(
      {d(2024, 1, 1), d(2024, 1, 10), {{d(2024, 1, 1), d(2024, 1, 10)}}, 3, false, 1});
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0], (DateRange{d(2024, 1, 8), d(2024, 1, 8)}));
  EXPECT_EQ(plan[2], (DateRange{d(2024, 1, 10), d(2024, 1, 10)}));
}

TEST(WindowPlanner, BackfillSkipsWindowsAnInterruptedRunCommitted) {
  const auto plan =
      plan_backfill({d(2024, 1, 1), d(2024, 1, 31)},
                    {{d(2024, 1, 1), d(2024, 1, 10)}, {d(2024, 1, 21), d(2024, 1, 25)}}, 31);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0], (DateRange{d(2024, 1, 11), d(2024, 1, 20)}));
  EXPECT_EQ(plan[1], (DateRange{d(2024, 1, 26), d(2024, 1, 31)}));
}

TEST(WindowPlanner, SplitHalvesDownToOneDay) {
  const auto [a, b] = split_range({d(2024, 1, 1), d(2024, 1, 31)});
  EXPECT_EQ(a, (DateRange{d(2024, 1, 1), d(2024, 1, 15)}));
  EXPECT_EQ(b, (DateRange{d(2024, 1, 16), d(2024, 1, 31)}));
  const auto [c, e] = split_range({d(2024, 1, 1), d(2024, 1, 2)});
  EXPECT_EQ(c.days(), 1);
  EXPECT_EQ(e.days(), 1);
}

TEST(WindowPlanner, AdjacentRangesMerge) {
  const auto merged = merge_ranges({{d(2024, 1, 5), d(2024, 1, 9)},
                                    {d(2024, 1, 1), d(2024, 1, 4)},
                                    {d(2024, 1, 20), d(2024, 1, 21)}});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0], (DateRange{d(2024, 1, 1), d(2024, 1, 9)}));
}

TEST(WindowPlanner, FormatsDaysAsUpstreamExpects) {
  EXPECT_EQ(format_day(d(2024, 3, 5)), "2024-03-05");
}

}  // namespace
}  // namespace partnersync::sync
