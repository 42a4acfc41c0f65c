// Runs a program (the real partnersync binary) and collects its exit code and output.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace partnersync::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};

// Runs `argv` with the current environment plus `env` (a value of "\x01" unsets the variable),
// waits at most `timeout_seconds` (then SIGKILL), and returns what it printed.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env = {},
                          int timeout_seconds = 120);

// The partnersync binary under test and the source tree (env PARTNERSYNC_BINARY and
// PARTNERSYNC_SOURCE_DIR, else the build's own).
std::string partnersync_binary();
std::string source_dir();

// A file with `content` in a fresh temporary directory; removed with the directory at exit.
std::string write_temp_file(const std::string& name, const std::string& content);

}  // namespace partnersync::testing
