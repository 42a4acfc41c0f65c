// The status page served at "/": one self-contained HTML page, a row per source and stream,
// each windowed stream's synced coverage drawn as an inline SVG bar so gaps show.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace partnersync::service {

// Days [from, to], both inclusive, as sync.windows keeps them.
struct CoverageInterval {
  std::chrono::sys_days from;
  std::chrono::sys_days to;
};

struct StreamStatus {
  std::string source;
  std::string stream;
  std::string state;  // e.g. "ok", "failed", "running", "never run", "not applicable"
  std::optional<std::chrono::sys_seconds> last_success;
  // Windowed streams: coverage over start_date..today. Others leave `windowed` false.
  bool windowed = false;
  std::chrono::sys_days start_date{};
  std::vector<CoverageInterval> coverage;  // any order; overlaps allowed
  std::optional<std::int64_t> rows;
  std::string last_error;  // one line; "" when the last run succeeded
};

struct StatusPageInput {
  std::vector<StreamStatus> streams;  // shown in this order
  std::chrono::sys_seconds now;       // "as of" and the age of each last success
  std::chrono::sys_days today;        // right end of every coverage bar (inclusive)
  std::string version = PARTNERSYNC_VERSION;
  int refresh_seconds = 30;
};

// Everything that came from upstream or the database is HTML-escaped.
std::string render_status_page(const StatusPageInput& input);

// &, <, >, " and ' as entities.
std::string html_escape(std::string_view text);

}  // namespace partnersync::service
