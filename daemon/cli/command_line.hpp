// The command line of ../shared/design/interface.md parsed into one Invocation; usage errors
// (exit code 2) are UsageError with a one-line message.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace partnersync::cli {

// sysexits.h values that interface.md names.
enum ExitCode : int {
  kExitOk = 0,
  kExitSyncFailed = 1,
  kExitUsage = 2,
  kExitUnavailable = 69,  // EX_UNAVAILABLE: database or upstream unreachable
  kExitConfig = 78,       // EX_CONFIG
};

enum class Command { daemon, once, backfill, check, validate, migrate, status, version, help };

struct Invocation {
  Command command = Command::daemon;
  std::string config_path;
  std::optional<std::chrono::sys_days> from;
  std::optional<std::chrono::sys_days> to;
  std::vector<std::string> sources;  // --source NAME (repeatable); empty = all
  std::vector<std::string> streams;  // --streams a,b; empty = all
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses argv. `today` (the latest calendar day on Earth) bounds --to and is the default --to
// of a backfill; each source then ends a backfill at today in its own zone.
Invocation parse_command_line(int argc, char** argv, std::chrono::sys_days today);

std::string usage_text();

}  // namespace partnersync::cli
