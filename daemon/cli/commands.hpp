// What each command of the command line does, given a loaded configuration. Each returns the
// process exit code (cli::ExitCode).
#pragma once

#include "daemon/cli/command_line.hpp"
#include "daemon/config/config.hpp"

namespace partnersync::cli {

int run_migrate(const config::Config& config);
int run_validate(const config::Config& config);  // the config loaded: nothing left to do
int run_check(const config::Config& config, const Invocation& invocation);
int run_status(const config::Config& config, const Invocation& invocation);
int run_sync(const config::Config& config, const Invocation& invocation);  // once/backfill/daemon

// Sources selected by --source (all when none), or UsageError naming an unknown one.
std::vector<const config::Source*> selected_sources(const config::Config& config,
                                                    const Invocation& invocation);

}  // namespace partnersync::cli
