// Jitter (+-10%) keeps many streams and sources from firing together; a database outage is
// retried with backoff (5 s doubling, at most 5 minutes). A pass runs only while this instance
// owns the source (its advisory lock, held across passes); otherwise it stands by.
#include "daemon/sync/scheduler.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <random>
#include <set>

#include "daemon/sync/daemon_service.hpp"
#include "daemon/sync/record_parser.hpp"
#include "daemon/sync/source_runner.hpp"
#include "daemon/sync/store_pool.hpp"

namespace partnersync::sync {

namespace {
using Clock = std::chrono::steady_clock;
constexpr auto kOutageRetryFirst = std::chrono::seconds(5);
constexpr auto kOutageRetryMax = std::chrono::seconds(300);
constexpr auto kOwnerPollMax = std::chrono::seconds(5);
}  // namespace

boost::asio::awaitable<void> run_on_schedule(SourceRunner& runner, StorePool& stores,
                                             DaemonService* service, LastRuns& last_runs,
                                             Cancellation& drain) {
  const config::Source& source = runner.source();
  Cancellation& cancel = runner.cancellation();
  std::mt19937_64 random(std::random_device{}());
  auto jittered = [&](std::chrono::seconds interval) {
    std::uniform_real_distribution<double> jitter(0.9, 1.1);
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(interval.count()) * jitter(random)));
  };
  std::map<std::string, Clock::time_point> next_due;
  for (const auto& s : source.streams) {
    const auto last = last_runs.find(s);
    next_due[s] =
        last == last_runs.end() ? Clock::now() : last->second + jittered(runner.interval_of(s));
  }
  // A standby asks for the source's lock this often, so it takes over within one interval of
  // the owner's death (its backend ends with its connection, and the lock with it).
  std::chrono::seconds poll = kOwnerPollMax;
  for (const auto& s : source.streams) poll = std::min(poll, runner.interval_of(s));
  poll = std::max(poll, std::chrono::seconds(1));
  std::chrono::seconds outage_wait = kOutageRetryFirst;
  while (!cancel.requested() && !drain.requested()) {
    if (!runner.owns_source()) {
      bool stood_by = false;
      // Named: GCC 12 mishandles temporaries in co_await expressions.
      const std::function<void()> on_standby = [&] {
        stood_by = true;
        if (service != nullptr) service->standby(source.name, true);
      };
      const bool owned = co_await runner.own_source(drain, poll, on_standby);
      if (!owned) break;
      if (stood_by && service != nullptr) service->standby(source.name, false);
    }
    std::set<std::string> due;
    const auto now = Clock::now();
    for (const auto& [stream, at] : next_due)
      if (at <= now) due.insert(stream);
    if (!due.empty()) {
      if (service != nullptr) service->pass_started(source.name);
      const auto started = Clock::now();
      std::set<std::string> ran;
      const PassOutcome outcome = co_await runner.pass(due, &ran);
      if (service != nullptr)
        service->pass_finished(source.name, outcome == PassOutcome::succeeded,
                               outcome == PassOutcome::database_down);
      if (outcome == PassOutcome::cancelled) break;
      // The streams stay due: they run once the lock is held again (by this instance or not).
      if (outcome == PassOutcome::lost_lock) continue;
      if (outcome == PassOutcome::database_down) {
        // The streams stay due: the pass runs again as soon as the database is back.
        spdlog::warn("source {}: database unavailable, next attempt in {}s", source.name,
                     outage_wait.count());
        if (!co_await sleep_for(cancel, drain, outage_wait)) break;
        outage_wait = std::min(outage_wait * 2, kOutageRetryMax);
        continue;
      }
      outage_wait = kOutageRetryFirst;
      // The due streams (also those a failure kept from running: they wait an interval) and
      // the children that ran because their parent did: those have read their parents and are
      // not due again at once (after a long pass they were read twice, back to back).
      ran.insert(due.begin(), due.end());
      for (const auto& stream : ran) {
        if (!next_due.count(stream)) continue;
        last_runs[stream] = started;
        next_due[stream] = Clock::now() + jittered(runner.interval_of(stream));
      }
    }
    auto earliest = Clock::time_point::max();
    for (const auto& [stream, at] : next_due) earliest = std::min(earliest, at);
    if (!due.empty()) {
      // A long sleep outlasts any server's keep-alive: close the HTTP connections now (their
      // TLS state goes with them) and the database's (libpq's buffers, an idle backend on the
      // server), and give the window buffers back, so an idle daemon stays small.
      if (earliest - Clock::now() > std::chrono::minutes(1)) {
        runner.close_idle_connections();
        stores.close_idle();
        RecordParser::release_shared_buffers();
      }
      malloc_trim(0);
    }
    if (!co_await sleep_for(cancel, drain, earliest - Clock::now())) break;
  }
  // Shutdown or reload: a standby (or the next generation) takes the source at once.
  co_await runner.disown_source();
}

}  // namespace partnersync::sync
