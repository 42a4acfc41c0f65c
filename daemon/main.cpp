// partnersync: parse the command line, load the configuration, hand over to the command.
// Every failure ends as one line on stderr and a documented exit code.
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>

#include "daemon/cli/command_line.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/config/config.hpp"
#include "daemon/db/database.hpp"
#include "daemon/obs/log.hpp"
#include "daemon/obs/redact.hpp"

namespace {

using namespace partnersync;

int fail(int code, const std::string& message) {
  std::cerr << "partnersync: " << obs::redact(message) << "\n";
  return code;
}

int run(int argc, char** argv) {
  // The latest calendar day anywhere on Earth (UTC+14): --to may not be after it, and a
  // backfill without --to ends there, clipped by each source to today in its own zone.
  const auto today =
      std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now() + std::chrono::hours(14));
  cli::Invocation invocation;
  try {
    invocation = cli::parse_command_line(argc, argv, today);
  } catch (const cli::UsageError& e) {
    return fail(cli::kExitUsage, e.what());
  }
  if (invocation.command == cli::Command::help) {
    std::cout << cli::usage_text();
    return cli::kExitOk;
  }
  if (invocation.command == cli::Command::version) {
    std::cout << "partnersync " PARTNERSYNC_VERSION "\n";
    return cli::kExitOk;
  }

  obs::init_logging(obs::LogFormat::text, "info");
  config::Config config;
  try {
    config = config::load_config(invocation.config_path);
  } catch (const config::ConfigError& e) {
    return fail(cli::kExitConfig, e.what());
  }
  obs::init_logging(
      config.log.format == config::LogFormat::json ? obs::LogFormat::json : obs::LogFormat::text,
      config.log.level);

  try {
    switch (invocation.command) {
      case cli::Command::migrate:
        return cli::run_migrate(config);
      case cli::Command::validate:
        return cli::run_validate(config);
      case cli::Command::check:
        return cli::run_check(config, invocation);
      case cli::Command::status:
        return cli::run_status(config, invocation);
      default:
        return cli::run_sync(config, invocation);
    }
  } catch (const cli::UsageError& e) {
    return fail(cli::kExitUsage, e.what());
  } catch (const db::DatabaseUnavailable& e) {
    return fail(cli::kExitUnavailable, e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Window buffers are a few MiB each and come and go all the time: served from the heap
  // they are reused instead of being mapped, faulted in and unmapped for every window. The
  // daemon hands memory back with malloc_trim after each pass.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  // Two threads (the io_context and the database thread): one arena is enough, and freed
  // window buffers of either thread are then reused by both and trimmed together.
  mallopt(M_ARENA_MAX, 1);
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    return fail(partnersync::cli::kExitSyncFailed, e.what());
  }
}
