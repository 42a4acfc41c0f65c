// /proc/self/stat for CPU time, start and memory, /proc/stat for the boot time the start is
// counted from, /proc/self/fd for open descriptors: what Prometheus' own clients read.
#include "daemon/service/process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace partnersync::service {
namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<std::uint64_t> to_u64(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::uint64_t boot_time_seconds() {
  std::istringstream in(read_file("/proc/stat"));
  std::string key;
  std::uint64_t value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

}  // namespace

std::optional<StatFields> parse_proc_stat(std::string_view line) {
  // The command name in parentheses may itself hold spaces and ')': the fields start after
  // the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> fields;  // fields[0] is field 3 of proc(5), the state
  std::string_view rest = line.substr(close + 1);
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = std::min(rest.find_first_of(" \n"), rest.size());
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end);
  }
  if (fields.size() < 22) return std::nullopt;
  const auto utime = to_u64(fields[11]), stime = to_u64(fields[12]), start = to_u64(fields[19]),
             vsize = to_u64(fields[20]), rss = to_u64(fields[21]);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  return StatFields{*utime, *stime, *start, *vsize, *rss};
}

ProcessStats read_process_stats() {
  ProcessStats stats;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (const auto fields = parse_proc_stat(read_file("/proc/self/stat")); fields && ticks > 0) {
    stats.cpu_seconds = static_cast<double>(fields->utime_ticks + fields->stime_ticks) / ticks;
    // /proc/stat is hidden under the unit's ProcSubset=pid: then the start stays unknown (0).
    if (const auto boot = boot_time_seconds(); boot > 0)
      stats.start_time_seconds =
          static_cast<double>(boot) + static_cast<double>(fields->start_ticks) / ticks;
    stats.virtual_bytes = fields->vsize;
    stats.resident_bytes = fields->rss_pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  }
  std::error_code ec;
  std::uint64_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++fds;
  stats.open_fds = fds > 0 ? fds - 1 : 0;  // less the descriptor the listing itself holds
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    stats.max_fds = limit.rlim_cur;
  return stats;
}

}  // namespace partnersync::service
