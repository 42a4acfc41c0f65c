// Daemon mode for one source: run the streams that are due, sleep until the next one is, with
// jitter; release connections and memory before long sleeps; wait out a database outage.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <string>

namespace partnersync::sync {

class Cancellation;
class DaemonService;
class SourceRunner;
class StorePool;

// When each stream of a source last ran: kept across reloads, so a reload re-times the streams
// with their new intervals instead of running them all again.
using LastRuns = std::map<std::string, std::chrono::steady_clock::time_point>;

// Returns when the source's cancellation fires, or when `drain` does (a reload) and no pass is
// in flight. `service` may be null.
boost::asio::awaitable<void> run_on_schedule(SourceRunner& runner, StorePool& stores,
                                             DaemonService* service, LastRuns& last_runs,
                                             Cancellation& drain);

}  // namespace partnersync::sync
