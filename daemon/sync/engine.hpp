// The sync engine: runs the selected streams of the selected sources, once, as a backfill of
// a date range, or as a daemon on a schedule, on one io_context plus one database thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/sync/window_planner.hpp"

namespace partnersync::sync {

enum class RunMode { once, backfill, daemon };

struct RunRequest {
  RunMode mode = RunMode::once;
  std::vector<const config::Source*> sources;  // empty = all
  std::vector<std::string> streams;            // empty = each source's configured streams
  std::optional<DateRange> backfill;           // RunMode::backfill
  std::string config_path;                     // daemon mode: read again on SIGHUP
};

// Runs and returns the process exit code: 0 everything synced (not-applicable streams count
// as synced), 1 a stream failed, 69 the database was unreachable, 128+signal a one-shot run
// cancelled by SIGINT/SIGTERM; daemon mode returns 0 when stopped by a signal, 78 when
// server.listen cannot be served.
int run_engine(const config::Config& config, const RunRequest& request);

struct SourceCheck {
  std::string source;
  bool ok = false;
  std::string detail;  // "HTTP 200 from https://.../v2/partners/status" or the error
};

// --check: one cheap authenticated request per source (LiveChat: /v2/partners/status plus an
// authenticated read; LiveAgent: the variations list).
std::vector<SourceCheck> check_sources(const config::Config& config,
                                       const std::vector<const config::Source*>& sources);

}  // namespace partnersync::sync
