// What the standard process_* metrics report, read from /proc (Linux only, like the daemon).
// Separate from Metrics so that the parsing of /proc/self/stat is tested on its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace partnersync::service {

struct ProcessStats {
  double cpu_seconds = 0;         // user + system time
  double start_time_seconds = 0;  // Unix time the process started; 0 when /proc/stat is hidden
  std::uint64_t resident_bytes = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;  // the soft RLIMIT_NOFILE
};

// The fields of a /proc/PID/stat line; none when it does not parse.
struct StatFields {
  std::uint64_t utime_ticks = 0, stime_ticks = 0, start_ticks = 0, vsize = 0, rss_pages = 0;
};
std::optional<StatFields> parse_proc_stat(std::string_view line);

// This process now; fields that cannot be read stay 0.
ProcessStats read_process_stats();

}  // namespace partnersync::service
