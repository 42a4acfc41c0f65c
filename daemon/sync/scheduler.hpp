// Daemon mode for one source: run the streams that are due, sleep until the next one is, with
// jitter; release connections and memory before long sleeps; wait out a database outage.
#pragma once

#include <boost/asio/awaitable.hpp>

namespace partnersync::sync {

class SourceRunner;

// Returns only when the source's cancellation fires.
boost::asio::awaitable<void> run_on_schedule(SourceRunner& runner, class StorePool& stores);

}  // namespace partnersync::sync
