// The ways a stream is read, each a small unit over the requester and the window transaction:
// created-date windows with adaptive halving and daily reports (windows), full lists and
// snapshots (whole), one request per parent key (children); details ride inside windows.
// A new mode is added beside these. Failures leave as SyncError (failure_policy.hpp).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/sync/stream_run.hpp"
#include "daemon/sync/window_planner.hpp"

namespace partnersync::sync {

// Reads and commits `plan`'s windows, sync.concurrency at a time. A window that fails is
// logged and recorded in `run` (it stays unsynced) while the others go on.
boost::asio::awaitable<void> read_windows(SourceContext& ctx, StreamRun& run,
                                          std::vector<DateRange> plan,
                                          std::optional<DateRange> backfill);
// full_list and snapshot: every endpoint once, one commit.
boost::asio::awaitable<void> read_whole(SourceContext& ctx, StreamRun& run);
// per_parent: the parents synced in this run, committed in batches.
boost::asio::awaitable<void> read_children(SourceContext& ctx, StreamRun& run,
                                           const std::vector<std::string>& parents);

}  // namespace partnersync::sync
