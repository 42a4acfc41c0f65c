// --once, --backfill and daemon mode: hand the selected sources to the sync engine.
#include <iostream>

#include "daemon/cli/commands.hpp"

namespace partnersync::cli {

int run_sync(const config::Config& config, const Invocation& invocation) {
  (void)selected_sources(config, invocation);
  std::cerr << "partnersync: the sync engine is not built yet (issue 4)\n";
  return kExitSyncFailed;
}

}  // namespace partnersync::cli
