// Process wiring: the stores, one io_context for every source's coroutines, the signals, and
// the exit code. What a pass does is in source_runner.cpp, how streams are read in
// stream_modes.cpp, when they run in scheduler.cpp.
#include "daemon/sync/engine.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <map>
#include <memory>

#include "daemon/config/config.hpp"
#include "daemon/obs/log.hpp"
#include "daemon/service/http_server.hpp"
#include "daemon/service/metrics.hpp"
#include "daemon/sync/daemon_service.hpp"
#include "daemon/sync/progress.hpp"
#include "daemon/sync/requester.hpp"
#include "daemon/sync/scheduler.hpp"
#include "daemon/sync/source_runner.hpp"
#include "daemon/sync/store_pool.hpp"
#include "daemon/sync/wait_group.hpp"

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

// The first SIGINT/SIGTERM sets `stop_signal` and calls `stop` (which cancels every source's
// waits and requests: a window in flight rolls back, or commits if it is already committing);
// a second one exits at once with 128 + the signal.
void on_stop_signals(asio::signal_set& signals, int& stop_signal, std::function<void()> stop) {
  signals.async_wait([&signals, &stop_signal, stop = std::move(stop)](
                         const boost::system::error_code& ec, int signal) mutable {
    if (ec) return;
    if (stop_signal != 0) {
      static constexpr char kNow[] = "partnersync: second signal, exiting now\n";
      [[maybe_unused]] auto n = ::write(STDERR_FILENO, kNow, sizeof kNow - 1);
      ::_exit(128 + signal);
    }
    stop_signal = signal;
    spdlog::info("signal {}: stopping (windows in flight roll back); a second signal exits now",
                 signal);
    stop();
    on_stop_signals(signals, stop_signal, std::move(stop));
  });
}

// The sources a daemon generation runs: --source names, looked up in the configuration in
// force (a reload may have changed them).
std::vector<const config::Source*> selected_in(const config::Config& config,
                                               const std::vector<std::string>& names) {
  std::vector<const config::Source*> out;
  for (const auto& s : config.sources)
    if (names.empty() || std::find(names.begin(), names.end(), s.name) != names.end())
      out.push_back(&s);
  return out;
}

// What a reload cannot change in a running process.
void warn_restart_needed(const config::Config& running, const config::Config& next) {
  if (running.database_url != next.database_url ||
      running.database_connections != next.database_connections)
    spdlog::warn("reload: database settings changed; they take effect after a restart");
  if (running.server.listen != next.server.listen)
    spdlog::warn("reload: server.listen changed; it takes effect after a restart");
}

// Daemon mode: generations of source loops under one io_context, server and set of stores.
// SIGHUP validates the file again; a valid one ends the generation once every pass in flight
// is done (windows in flight finish under the old configuration) and starts the next.
int run_daemon(const config::Config& initial, const RunRequest& request) {
  StorePool stores(initial.database_url, initial.database_connections);
  stores.store().migrate();  // throws DatabaseUnavailable when the database cannot be reached

  asio::io_context ioc(1);
  std::unique_ptr<DaemonService> service;
  try {
    service = std::make_unique<DaemonService>(initial, ioc.get_executor(), stores);
  } catch (const service::HttpServerError& e) {
    spdlog::error("{}: server.listen: {}", initial.file, e.what());
    return 78;
  }
  std::vector<std::string> names;
  for (const auto* s : request.sources) names.push_back(s->name);

  Progress progress(false);
  auto current = std::make_shared<const config::Config>(initial);
  std::shared_ptr<const config::Config> pending;
  std::vector<std::unique_ptr<SourceRunner>> runners;
  auto drain = std::make_unique<Cancellation>();
  std::map<std::string, LastRuns> last_runs;
  int stop_signal = 0;

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  on_stop_signals(signals, stop_signal, [&] {
    service->stopping();
    for (auto& r : runners) r->cancel();
    drain->request();
    stores.stop();
  });

  asio::signal_set hangup(ioc, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_hangup =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        service->reloading();
        try {
          auto next =
              std::make_shared<const config::Config>(config::load_config(request.config_path));
          warn_restart_needed(*current, *next);
          obs::init_logging(next->log.format == config::LogFormat::json ? obs::LogFormat::json
                                                                        : obs::LogFormat::text,
                            next->log.level);
          spdlog::info("reload: {} is valid; it applies once the passes in flight are done",
                       request.config_path);
          pending = std::move(next);
          drain->request();
        } catch (const config::ConfigError& e) {
          spdlog::error("reload failed, keeping the running configuration: {}", e.what());
          service->reloaded(*current);
        }
        hangup.async_wait(on_hangup);
      };
  hangup.async_wait(on_hangup);

  asio::co_spawn(
      ioc,
      [&]() -> awaitable<void> {
        for (;;) {
          const auto sources = selected_in(*current, names);
          WaitGroup group(ioc.get_executor());
          for (const auto* s : sources) {
            runners.push_back(std::make_unique<SourceRunner>(
                *current, *s, stores, progress, request, ioc.get_executor(), &service->metrics()));
            SourceRunner& runner = *runners.back();
            group.add();
            asio::co_spawn(
                ioc, run_on_schedule(runner, stores, service.get(), last_runs[s->name], *drain),
                [&group](const std::exception_ptr& e) { group.done(e); });
          }
          std::exception_ptr error;
          try {
            co_await group.wait();
          } catch (const std::exception& e) {
            // Every failure is classified inside a pass; reaching here is a bug.
            spdlog::error("scheduler: {}", e.what());
            error = std::current_exception();
          }
          runners.clear();
          if (stop_signal != 0 || error || !pending) break;
          current = std::move(pending);
          drain = std::make_unique<Cancellation>();
          service->reloaded(*current);
          spdlog::info("reload: running with the new configuration");
        }
        service->stopping();
        signals.cancel();
        hangup.cancel();
      },
      asio::detached);
  service->ready();
  ioc.run();
  return 0;
}

}  // namespace

int run_engine(const config::Config& config, const RunRequest& request) {
  if (request.mode == RunMode::daemon) return run_daemon(config, request);
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

  int stop_signal = 0;
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  on_stop_signals(signals, stop_signal, [&] {
    for (auto& r : runners) r->cancel();
    stores.stop();
  });

  bool ok = true;
  bool unavailable = false;
  int remaining = static_cast<int>(runners.size());
  for (auto& owned : runners) {
    SourceRunner& runner = *owned;
    asio::co_spawn(
        ioc,
        [&]() -> awaitable<PassOutcome> {
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
