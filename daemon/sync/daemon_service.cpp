// Handlers answer from memory only (they share the loop with the sync): sync.state is read on a
// store thread when a page or /readyz asks and the copy is older than 5 s, and that store's
// connection is closed again unless a pass is running, so an idle daemon holds no backend.
#include "daemon/sync/daemon_service.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include "daemon/service/http_server.hpp"
#include "daemon/service/metrics.hpp"
#include "daemon/service/notifier.hpp"
#include "daemon/service/readiness.hpp"
#include "daemon/service/status_page.hpp"
#include "daemon/sync/store_pool.hpp"
#include "daemon/sync/stream_spec.hpp"

namespace partnersync::sync {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
constexpr auto kRefreshEvery = std::chrono::seconds(5);
// /healthz fails when the loop has not turned for this long (it turns every second).
constexpr auto kStalledAfter = std::chrono::seconds(10);

struct ConfiguredStream {
  std::string source, stream;
  std::chrono::seconds interval{};
  bool windowed = false;
  Day start_date{};
};

std::vector<ConfiguredStream> configured_streams(const config::Config& config) {
  std::vector<ConfiguredStream> out;
  for (const auto& source : config.sources) {
    for (const auto& stream : source.streams) {
      const auto it = config.sync.stream_intervals.find(stream);
      const auto* spec = find_stream_spec(source.kind, stream);
      const bool windowed = spec != nullptr && (spec->mode == SyncMode::created_windows ||
                                                spec->mode == SyncMode::daily_report);
      out.push_back({source.name, stream,
                     it != config.sync.stream_intervals.end() ? it->second : config.sync.interval,
                     windowed, source.start_date});
    }
  }
  return out;
}

std::chrono::sys_seconds seconds_of(TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t);
}

// A test-only fault (tests/e2e): after the first pass the loop blocks for this many seconds,
// as a hung scheduler would, so the watchdog beats must stop.
int stall_fault_seconds() {
  const char* value = std::getenv("PARTNERSYNC_TEST_STALL_LOOP_SECONDS");
  return value != nullptr ? std::atoi(value) : 0;
}

}  // namespace

struct DaemonService::Impl : std::enable_shared_from_this<Impl> {
  asio::any_io_executor executor;
  StorePool& stores;
  service::Notifier notifier;
  service::Metrics metrics;
  std::optional<service::HttpServer> server;
  std::vector<ConfiguredStream> streams;
  const std::chrono::sys_seconds started = seconds_of(std::chrono::system_clock::now());
  Clock::time_point last_turn = Clock::now();
  asio::steady_timer heartbeat;
  bool stopped = false;
  int stall_seconds = stall_fault_seconds();
  bool first_pass_done = false;
  std::atomic<int> passes_in_flight{0};

  std::mutex mutex;  // guards the copy below (written on a store thread)
  std::vector<StreamStatusRow> rows;
  bool database_reachable = true;
  std::string database_error;
  std::optional<Clock::time_point> last_refresh;
  bool refreshing = false;

  Impl(const asio::any_io_executor& ex, StorePool& s) : executor(ex), stores(s), heartbeat(ex) {}

  Clock::duration tick() const {
    Clock::duration t = std::chrono::seconds(1);
    if (const auto w = notifier.watchdog_interval()) t = std::min<Clock::duration>(t, *w);
    return t;
  }

  void beat() {
    auto self = shared_from_this();
    heartbeat.expires_after(tick());
    heartbeat.async_wait([self](const boost::system::error_code& ec) {
      if (ec || self->stopped) return;
      // The watchdog is beaten from this loop's own turns: a loop that hangs stops it.
      if (self->stall_seconds > 0 && self->first_pass_done) {
        const int stall = std::exchange(self->stall_seconds, 0);
        spdlog::warn("test fault: blocking the loop for {}s", stall);
        std::this_thread::sleep_for(std::chrono::seconds(stall));
      }
      self->last_turn = Clock::now();
      if (self->notifier.watchdog_interval()) self->notifier.watchdog();
      self->beat();
    });
  }

  void refresh(bool force) {
    {
      std::lock_guard lock(mutex);
      if (refreshing || stopped) return;
      if (!force && last_refresh && Clock::now() - *last_refresh < kRefreshEvery) return;
      refreshing = true;
    }
    auto self = shared_from_this();
    asio::co_spawn(
        executor,
        [self]() -> asio::awaitable<void> {
          auto read = [self](SyncStore& s) {
            auto r = s.status_rows();
            if (self->passes_in_flight.load() == 0) s.disconnect();
            return r;
          };
          std::vector<StreamStatusRow> fresh;
          std::string error;
          try {
            fresh = co_await self->stores.run(std::move(read));
          } catch (const std::exception& e) {
            error = e.what();
          }
          std::lock_guard lock(self->mutex);
          self->refreshing = false;
          self->last_refresh = Clock::now();
          self->database_reachable = error.empty();
          self->database_error = error;
          if (error.empty()) self->rows = std::move(fresh);
        },
        asio::detached);
  }

  const StreamStatusRow* row_of(const ConfiguredStream& c) const {
    for (const auto& r : rows)
      if (r.source == c.source && r.stream == c.stream) return &r;
    return nullptr;
  }

  service::HttpAnswer healthz() const {
    const auto age = Clock::now() - last_turn;
    if (age > kStalledAfter) {
      return {503, "text/plain; charset=utf-8",
              "scheduler loop stalled for " +
                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(age).count()) +
                  "s\n"};
    }
    return {200, "text/plain; charset=utf-8", "ok\n"};
  }

  service::HttpAnswer readyz() {
    refresh(false);
    std::lock_guard lock(mutex);
    service::ReadinessInput input;
    input.database_reachable = database_reachable;
    input.database_error = database_error;
    input.now = seconds_of(std::chrono::system_clock::now());
    input.daemon_started = started;
    for (const auto& c : streams) {
      service::StreamReadiness s{c.source, c.stream, c.interval, std::nullopt, false};
      if (const auto* r = row_of(c)) {
        if (r->last_success) s.last_success = seconds_of(*r->last_success);
        s.not_applicable = r->not_applicable;
      }
      input.streams.push_back(std::move(s));
    }
    return service::readiness_answer(input);
  }

  service::HttpAnswer status_page() {
    refresh(false);
    std::lock_guard lock(mutex);
    service::StatusPageInput input;
    input.now = seconds_of(std::chrono::system_clock::now());
    input.today = std::chrono::floor<std::chrono::days>(input.now);
    for (const auto& c : streams) {
      service::StreamStatus s;
      s.source = c.source;
      s.stream = c.stream;
      s.windowed = c.windowed;
      s.start_date = c.start_date;
      s.state = "never run";
      if (const auto* r = row_of(c)) {
        if (r->last_success) s.last_success = seconds_of(*r->last_success);
        s.last_error = r->last_error;
        s.rows = r->last_rows;
        for (const auto& w : r->coverage) s.coverage.push_back({w.from, w.to});
        if (r->not_applicable) {
          s.state = "not applicable";
        } else if (r->last_status == "succeeded") {
          s.state = "ok";
        } else if (!r->last_status.empty()) {
          s.state = r->last_status;
        }
      }
      input.streams.push_back(std::move(s));
    }
    return {200, "text/html; charset=utf-8", service::render_status_page(input)};
  }
};

DaemonService::DaemonService(const config::Config& config, const asio::any_io_executor& executor,
                             StorePool& stores)
    : impl_(std::make_shared<Impl>(executor, stores)) {
  impl_->streams = configured_streams(config);
  for (const auto& source : config.sources) {
    impl_->metrics.declare_source(source.name);
    for (const auto& stream : source.streams) impl_->metrics.declare_stream(source.name, stream);
  }
  if (config.server.listen) {
    std::weak_ptr<Impl> weak = impl_;
    service::HttpHandlers handlers;
    handlers.healthz = [weak] { return weak.lock()->healthz(); };
    handlers.readyz = [weak] { return weak.lock()->readyz(); };
    handlers.metrics = [weak] {
      return service::HttpAnswer{200, std::string(service::Metrics::kContentType),
                                 weak.lock()->metrics.serialize()};
    };
    handlers.status_page = [weak] { return weak.lock()->status_page(); };
    impl_->server.emplace(executor, *config.server.listen, std::move(handlers));
    impl_->server->start();
    spdlog::info("serving /healthz, /readyz, /metrics and the status page on http://{}/",
                 impl_->server->local_address());
  }
  impl_->beat();
}

DaemonService::~DaemonService() { stopping(); }

service::Metrics& DaemonService::metrics() { return impl_->metrics; }

void DaemonService::ready() {
  impl_->notifier.ready();
  impl_->notifier.status("scheduler running");
  impl_->refresh(true);
}

void DaemonService::pass_started(const std::string& source) {
  ++impl_->passes_in_flight;
  impl_->notifier.status("syncing " + source);
}

void DaemonService::pass_finished(const std::string& source, bool ok, bool database_down) {
  --impl_->passes_in_flight;
  impl_->first_pass_done = true;
  impl_->notifier.status("last pass of " + source + ": " +
                         (database_down ? "database unavailable"
                          : ok          ? "synced"
                                        : "failed"));
  impl_->refresh(true);
}

void DaemonService::standby(const std::string& source, bool standing_by) {
  impl_->notifier.status(standing_by ? "standing by for " + source + ": another instance owns it"
                                     : "owner of " + source);
}

void DaemonService::refresh() { impl_->refresh(false); }

void DaemonService::reloading() { impl_->notifier.reloading(); }

void DaemonService::reloaded(const config::Config& config) {
  impl_->streams = configured_streams(config);
  for (const auto& source : config.sources) {
    impl_->metrics.declare_source(source.name);
    for (const auto& stream : source.streams) impl_->metrics.declare_stream(source.name, stream);
  }
  impl_->notifier.ready();
  impl_->refresh(true);
}

void DaemonService::stopping() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->notifier.stopping();
  impl_->heartbeat.cancel();
  if (impl_->server) impl_->server->stop();
}

}  // namespace partnersync::sync
