// What daemon mode adds to the engine for systemd and its users: sd_notify (readiness, status,
// the watchdog beaten from the io_context's own loop), the HTTP endpoints (/healthz, /readyz,
// /metrics, the status page) and the Prometheus metrics the stream runs feed.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "daemon/config/config.hpp"

namespace partnersync::service {
class Metrics;
}

namespace partnersync::sync {

class StorePool;

class DaemonService {
 public:
  // Binds server.listen at once (service::HttpServerError names what is wrong).
  DaemonService(const config::Config& config, const boost::asio::any_io_executor& executor,
                StorePool& stores);
  ~DaemonService();
  DaemonService(const DaemonService&) = delete;
  DaemonService& operator=(const DaemonService&) = delete;

  service::Metrics& metrics();

  // Migrations applied and the scheduler running: READY=1, the watchdog starts beating.
  void ready();
  void pass_started(const std::string& source);
  void pass_finished(const std::string& source, bool ok, bool database_down);
  // Another instance owns the source (its lock): this one stands by. Readiness and the status
  // page need nothing of it: they read sync.state, which the owner keeps for both.
  void standby(const std::string& source, bool standing_by);
  // The status page and /readyz read sync.state again (on a store thread, at most every 5 s).
  void refresh();
  // SIGHUP: RELOADING=1 now; reloaded() with the configuration in force afterwards.
  void reloading();
  void reloaded(const config::Config& config);
  // SIGTERM/SIGINT: STOPPING=1, the server and the heartbeat stop.
  void stopping();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace partnersync::sync
