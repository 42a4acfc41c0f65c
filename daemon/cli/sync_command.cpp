// --once, --backfill and daemon mode: hand the selected sources to the sync engine.
#include <algorithm>

#include "daemon/cli/commands.hpp"
#include "daemon/sync/engine.hpp"

namespace partnersync::cli {

int run_sync(const config::Config& config, const Invocation& invocation) {
  sync::RunRequest request;
  request.sources = selected_sources(config, invocation);
  for (const auto& stream : invocation.streams) {
    const bool known =
        std::any_of(request.sources.begin(), request.sources.end(), [&](const config::Source* s) {
          return std::find(s->streams.begin(), s->streams.end(), stream) != s->streams.end();
        });
    if (!known) throw UsageError("--streams " + stream + ": no selected source syncs this stream");
    const auto parent = connectors::parent_of(stream);
    if (!parent.empty() && std::find(invocation.streams.begin(), invocation.streams.end(),
                                     parent) == invocation.streams.end())
      throw UsageError("--streams " + stream + " needs its parent stream " + std::string(parent) +
                       " (add it to --streams)");
  }
  request.streams = invocation.streams;
  request.config_path = invocation.config_path;
  switch (invocation.command) {
    case Command::once:
      request.mode = sync::RunMode::once;
      break;
    case Command::backfill:
      request.mode = sync::RunMode::backfill;
      request.backfill = sync::DateRange{*invocation.from, *invocation.to};
      break;
    default:
      request.mode = sync::RunMode::daemon;
      break;
  }
  return sync::run_engine(config, request);
}

}  // namespace partnersync::cli
