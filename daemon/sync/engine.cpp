// Process wiring: the stores, one io_context for every source's coroutines, the signals, and
// the exit code. What a pass does is in source_runner.cpp, how streams are read in
// stream_modes.cpp, when they run in scheduler.cpp.
#include "daemon/sync/engine.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <memory>

#include "daemon/sync/progress.hpp"
#include "daemon/sync/requester.hpp"
#include "daemon/sync/scheduler.hpp"
#include "daemon/sync/source_runner.hpp"
#include "daemon/sync/store_pool.hpp"

namespace partnersync::sync {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

std::vector<const config::Source*> sources_of(const config::Config& config,
                                              const RunRequest& request) {
  if (!request.sources.empty()) return request.sources;
  std::vector<const config::Source*> out;
  for (const auto& s : config.sources) out.push_back(&s);
  return out;
}

}  // namespace

int run_engine(const config::Config& config, const RunRequest& request) {
  StorePool stores(config.database_url, config.database_connections);
  stores.store().migrate();  // throws DatabaseUnavailable when the database cannot be reached

  asio::io_context ioc(1);
  Progress progress(request.mode == RunMode::backfill);
  const auto sources = sources_of(config, request);
  std::vector<std::unique_ptr<SourceRunner>> runners;
  runners.reserve(sources.size());
  for (const auto* s : sources)
    runners.push_back(
        std::make_unique<SourceRunner>(config, *s, stores, progress, request, ioc.get_executor()));

  // The first SIGINT/SIGTERM cancels every source's waits and requests (a window in flight
  // rolls back, or commits if it is already committing); a second one exits at once.
  int stop_signal = 0;
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (stop_signal != 0) {
          static constexpr char kNow[] = "partnersync: second signal, exiting now\n";
          [[maybe_unused]] auto n = ::write(STDERR_FILENO, kNow, sizeof kNow - 1);
          ::_exit(128 + signal);
        }
        stop_signal = signal;
        spdlog::info("signal {}: stopping (windows in flight roll back); a second signal exits now",
                     signal);
        for (auto& r : runners) r->cancel();
        stores.stop();
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);

  bool ok = true;
  bool unavailable = false;
  int remaining = static_cast<int>(runners.size());
  for (auto& owned : runners) {
    SourceRunner& runner = *owned;
    asio::co_spawn(
        ioc,
        [&]() -> awaitable<PassOutcome> {
          if (request.mode == RunMode::daemon) {
            co_await run_on_schedule(runner, stores);
            co_return PassOutcome::cancelled;
          }
          const std::set<std::string> streams(runner.source().streams.begin(),
                                              runner.source().streams.end());
          co_return co_await runner.pass(streams);
        },
        [&](const std::exception_ptr& e, PassOutcome outcome) {
          if (e) {
            // Every failure is classified inside the pass; reaching here is a bug, and it
            // must not look like success.
            try {
              std::rethrow_exception(e);
            } catch (const std::exception& error) {
              spdlog::error("source {}: {}", runner.source().name, error.what());
            }
            outcome = PassOutcome::failed;
          }
          if (outcome == PassOutcome::failed) ok = false;
          if (outcome == PassOutcome::database_down) unavailable = true;
          if (--remaining == 0) signals.cancel();
        });
  }
  if (runners.empty()) signals.cancel();
  ioc.run();
  progress.finish();
  if (unavailable) return 69;
  if (stop_signal != 0 && request.mode != RunMode::daemon) return 128 + stop_signal;
  if (request.mode == RunMode::daemon) return ok ? 0 : 1;  // stopped by a signal, as asked
  return ok ? 0 : 1;
}

std::vector<SourceCheck> check_sources(const config::Config& config,
                                       const std::vector<const config::Source*>& sources) {
  asio::io_context ioc(1);
  std::vector<SourceCheck> checks;
  http::ClientOptions options;
  options.request_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.http.timeout);
  options.connect_timeout = std::min(options.request_timeout, std::chrono::milliseconds(10'000));
  options.retries = 0;
  options.ca_file = config.http.ca_file;
  options.max_body_bytes = config.http.max_body_bytes;
  http::Client client(ioc.get_executor(), options);
  asio::co_spawn(
      ioc,
      [&]() -> awaitable<void> {
        for (const auto* s : sources) {
          Requester requester(*s, client);
          auto [ok, detail] = co_await requester.check();
          checks.push_back({s->name, ok, std::move(detail)});
        }
      },
      asio::detached);
  ioc.run();
  return checks;
}

}  // namespace partnersync::sync
