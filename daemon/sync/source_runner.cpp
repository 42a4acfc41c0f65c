// The one place a stream run's outcome is decided and recorded: every failure reaches
// run_stream as a value or a SyncError and is classified by failure_policy.hpp.
#include "daemon/sync/source_runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "daemon/calendar/zone_day.hpp"
#include "daemon/service/metrics.hpp"
#include "daemon/sync/failure_policy.hpp"
#include "daemon/sync/progress.hpp"
#include "daemon/sync/store_pool.hpp"
#include "daemon/sync/stream_modes.hpp"

namespace partnersync::sync {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

// A child stream reads its pending parents this many at a time (sync.pending_children).
constexpr std::size_t kPendingPage = 5000;
// A stream that answered 403 "not applicable" is asked again after this long.
constexpr auto kNotApplicableRetry = std::chrono::hours(24 * 7);

http::ClientOptions client_options(const config::Config& config, const std::string& source,
                                   service::Metrics* metrics) {
  http::ClientOptions o;
  o.request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config.http.timeout);
  o.idle_timeout = std::min(o.request_timeout, std::chrono::milliseconds(15'000));
  o.connect_timeout = std::min(o.request_timeout, std::chrono::milliseconds(10'000));
  o.retries = config.http.retries;
  o.ca_file = config.http.ca_file;
  o.max_body_bytes = config.http.max_body_bytes;
  o.max_in_flight = config.sync.concurrency;
  o.rate_limit = config.http.rate_limit;
  if (metrics != nullptr) {
    o.on_attempt = [metrics, source](unsigned status) { metrics->http_request(source, status); };
    o.on_retry = [metrics, source] { metrics->http_retry(source); };
  }
  return o;
}

std::string_view outcome_word(RunStatus status) {
  switch (status) {
    case RunStatus::succeeded:
      return "synced";
    case RunStatus::not_applicable:
      return "not applicable";
    case RunStatus::cancelled:
      return "cancelled";
    case RunStatus::failed:
      return "failed";
  }
  return "failed";
}

}  // namespace

SourceRunner::SourceRunner(const config::Config& config, const config::Source& source,
                           StorePool& stores, Progress& progress, const RunRequest& request,
                           asio::any_io_executor ex, service::Metrics* metrics)
    : config_(config),
      source_(source),
      stores_(stores),
      progress_(progress),
      request_(request),
      metrics_(metrics),
      client_(std::move(ex), client_options(config, source.name, metrics)),
      requester_(source, client_),
      context_{config, source, requester_, stores, cancel_, progress, metrics} {}

void SourceRunner::cancel() {
  cancel_.request();
  client_.cancel();
}

void SourceRunner::close_idle_connections() { client_.close_idle(); }

std::chrono::seconds SourceRunner::interval_of(const std::string& stream) const {
  const auto it = config_.sync.stream_intervals.find(stream);
  return it != config_.sync.stream_intervals.end() ? it->second : config_.sync.interval;
}

bool SourceRunner::selected(const std::string& stream) const {
  // A stream outside the catalog (liveagent variation_addons) is an internal child: it runs
  // whenever its parent is selected.
  if (!connectors::is_known_stream(source_.kind, stream)) {
    const StreamSpec* spec = find_stream_spec(source_.kind, stream);
    return spec != nullptr && !spec->parent.empty() && selected(spec->parent);
  }
  if (std::find(source_.streams.begin(), source_.streams.end(), stream) == source_.streams.end())
    return false;
  return request_.streams.empty() || std::find(request_.streams.begin(), request_.streams.end(),
                                               stream) != request_.streams.end();
}

// The column a stream must collect: its detail key, or what a selected child needs.
std::string SourceRunner::collect_column_for(const StreamSpec& spec) const {
  if (!spec.details.empty()) return spec.details.front().key_column;
  for (const auto& other : stream_specs(source_.kind))
    if (other.parent == spec.name && selected(other.name)) return other.parent_key;
  return {};
}

awaitable<void> SourceRunner::close_orphaned_runs() {
  if (orphaned_runs_.empty()) co_return;
  auto runs = orphaned_runs_;
  auto close = [runs](SyncStore& s) {
    for (const auto id : runs)
      s.finish_run(id, RunTotals{}, RunStatus::failed,
                   "the database became unreachable before the run finished");
    return 0;
  };
  co_await stores_.run(std::move(close));
  orphaned_runs_.clear();
}

awaitable<PassOutcome> SourceRunner::pass(const std::set<std::string>& due,
                                          std::set<std::string>* ran) {
  std::exception_ptr error;
  // Every pass holds the pass lock; daemon mode also owns the source (own_source), checked
  // before each stream.
  const bool owner = request_.mode == RunMode::daemon;
  bool locked = false;
  bool lost = false;
  bool ok = true;
  try {
    // A one-shot run's pass may be in flight (it holds no ownership): wait for it.
    locked = co_await lock_source();
    if (!locked) co_return PassOutcome::cancelled;
    co_await close_orphaned_runs();
    std::set<std::string> parents_ran;
    for (const auto& spec : stream_specs(source_.kind)) {
      if (!selected(spec.name)) continue;
      // A child stream runs whenever its parent ran in this pass: its parents are pending.
      const bool parent_ran = !spec.parent.empty() && parents_ran.count(spec.parent) > 0;
      if (!due.count(spec.name) && !parent_ran) continue;
      if (cancel_.requested()) break;
      // Without the lock another instance may be syncing the source by now: stop here.
      if (owner && !co_await still_own_source()) {
        lost = true;
        break;
      }
      StreamRun run(spec);
      run.collect = collect_column_for(spec);
      if (!run.collect.empty())
        for (const auto& other : stream_specs(source_.kind))
          if (other.parent == spec.name && selected(other.name))
            run.child_streams.push_back(other.name);
      if (ran != nullptr) ran->insert(spec.name);
      const RunStatus status = co_await run_stream(run, parents_ran.count(spec.parent) > 0);
      ok = ok && (status == RunStatus::succeeded || status == RunStatus::not_applicable);
      if (!run.collect.empty()) parents_ran.insert(spec.name);
    }
  } catch (const std::exception&) {
    error = std::current_exception();
  }
  if (locked) {
    try {
      co_await unlock_source();
    } catch (const std::exception& e) {
      // The lock went with its connection.
      spdlog::debug("source {}: releasing the source lock: {}", source_.name, e.what());
    }
  }
  if (cancel_.requested()) co_return PassOutcome::cancelled;
  if (lost && !error) co_return PassOutcome::lost_lock;
  if (!error) co_return ok ? PassOutcome::succeeded : PassOutcome::failed;
  const Failure failure = classify(error);
  switch (failure.kind) {
    case FailureKind::database_down:
    case FailureKind::transient:
      spdlog::error("source {}: {}", source_.name, failure.reason);
      co_return PassOutcome::database_down;
    case FailureKind::cancelled:
      co_return PassOutcome::cancelled;
    default:
      spdlog::error("source {}: {}", source_.name, failure.reason);
      co_return PassOutcome::failed;
  }
}

awaitable<RunStatus> SourceRunner::run_stream(StreamRun& run, bool parent_ran) {
  const auto& spec = run.spec;
  const std::string source = source_.name, stream = spec.name;
  auto read_state = [=](SyncStore& s) { return s.state(source, stream); };
  const auto state = co_await stores_.run(std::move(read_state));
  const auto now = std::chrono::system_clock::now();
  if (state.not_applicable && request_.mode != RunMode::backfill && state.not_applicable_since &&
      now - *state.not_applicable_since < kNotApplicableRetry) {
    spdlog::debug("source {} stream {}: not applicable, skipped", source, stream);
    co_return RunStatus::not_applicable;
  }

  const bool windowed =
      spec.mode == SyncMode::created_windows || spec.mode == SyncMode::daily_report;
  const int window_days =
      spec.mode == SyncMode::daily_report
          ? 1
          : std::max<int>(1, static_cast<int>(config_.sync.window.count() / 86400));
  // "Today" is the source's calendar day: upstream counts its dates in the account's zone.
  const Day today = calendar::today_in(source_.timezone, now);
  bool full_refresh = false;
  bool first_complete = false;
  std::vector<DateRange> plan;
  std::optional<DateRange> backfill;
  std::string mode = "incremental";
  if (windowed && request_.mode == RunMode::backfill && request_.backfill) {
    backfill = request_.backfill;
    // --to (or its default, the latest day on Earth) ends at today in the source's zone: a
    // day that has not begun there has no data yet, and a window is never read ahead of it.
    if (backfill->to > today) backfill->to = today;
    mode = "backfill";
    auto read_done = [=, range = *backfill](SyncStore& s) {
      return s.backfill_done(source, stream, range);
    };
    const auto done = co_await stores_.run(std::move(read_done));
    if (backfill->from <= backfill->to) plan = plan_backfill(*backfill, done, window_days);
  } else if (windowed) {
    auto read_coverage = [=](SyncStore& s) { return s.coverage(source, stream); };
    const auto coverage = co_await stores_.run(std::move(read_coverage));
    // The full-refresh clock starts when a run first leaves no gap (a first sync, or the
    // incremental run after a backfill): a backfilled database is not read twice.
    full_refresh = spec.mode == SyncMode::created_windows && state.last_full_refresh_at &&
                   now - *state.last_full_refresh_at >= config_.sync.full_refresh;
    first_complete = spec.mode == SyncMode::created_windows && !state.last_full_refresh_at;
    if (full_refresh) mode = "full_refresh";
    plan = plan_incremental({source_.start_date, today, coverage,
                             static_cast<int>(config_.sync.lookback.count() / 86400), full_refresh,
                             window_days});
  } else if (spec.mode == SyncMode::per_parent && spec.keys_from &&
             !spec.not_found_column.empty()) {
    // Keys that answered 404 are asked again only on the stream's full refresh (its first run,
    // then every sync.full_refresh): helpdesk.md "agents".
    full_refresh = !state.last_full_refresh_at ||
                   now - *state.last_full_refresh_at >= config_.sync.full_refresh;
    if (full_refresh) mode = "full_refresh";
  }
  progress_.planned(plan.size());
  std::optional<DateRange> overall;
  if (!plan.empty()) overall = DateRange{plan.front().from, plan.back().to};
  const auto started = std::chrono::steady_clock::now();
  auto start = [=](SyncStore& s) { return s.start_run(source, stream, mode, overall); };
  run.run_id = co_await stores_.run(std::move(start));

  std::exception_ptr error;
  try {
    if (windowed) {
      co_await read_windows(context_, run, plan, backfill);
    } else if (spec.mode == SyncMode::per_parent && spec.keys_from) {
      const std::string table = spec.keys_from.table, column = spec.keys_from.column;
      const std::string own = spec.table,
                        not_found = full_refresh ? std::string() : spec.not_found_column;
      std::string own_key;
      for (const auto& c : spec.columns)
        if (c.origin == model::Origin::parent_key) own_key = c.name;
      auto read_keys = [=](SyncStore& s) {
        return s.keys_from(table, column, source, own, own_key, not_found);
      };
      const auto parents = co_await stores_.run(std::move(read_keys));
      co_await read_children(context_, run, parents);
    } else if (spec.mode == SyncMode::per_parent) {
      // The parents' windows recorded their keys in sync.pending_children as they committed:
      // this pass's parents and those an earlier run left unread (a failed child request, a
      // pass stopped or killed before its children were read) are read page by page, in key
      // order, and cleared batch by batch. Each parent once (a key is one row there), and
      // memory bounded by a page, not by the number of parents (issue 13: 1M conversations
      // held 1M keys, about 170 bytes each).
      const std::string parent = spec.parent;
      auto count_earlier = [=](SyncStore& s) {
        return s.pending_children_before(source, stream, parent_ran ? parent : std::string());
      };
      const std::int64_t earlier = co_await stores_.run(std::move(count_earlier));
      if (earlier > 0)
        spdlog::info("source {} stream {}: {} parent(s) an earlier run left unread are read too",
                     source, stream, earlier);
      run.pending_tracked = true;
      std::string after;
      while (!run.stopping) {
        auto read_page = [=](SyncStore& s) {
          return s.pending_children(source, stream, after, kPendingPage);
        };
        const auto parents = co_await stores_.run(std::move(read_page));
        if (parents.empty()) break;
        after = parents.back();
        co_await read_children(context_, run, parents);
        if (parents.size() < kPendingPage) break;
      }
    } else {
      co_await read_whole(context_, run);
    }
    if (cancel_.requested()) throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
  } catch (const std::exception&) {
    error = std::current_exception();
  }

  RunStatus status = run.failed ? RunStatus::failed : RunStatus::succeeded;
  std::string reason = run.first_error;
  Failure failure;
  if (error) {
    failure = classify(error);
    reason = failure.reason;
    if (failure.kind == FailureKind::not_applicable) {
      status = RunStatus::not_applicable;
      spdlog::info("source {} stream {}: not applicable ({})", source, stream, reason);
    } else if (failure.kind == FailureKind::cancelled) {
      status = RunStatus::cancelled;
    } else {
      status = RunStatus::failed;
    }
  }
  if (run.totals.invalid_values > 0) {
    spdlog::warn("source {} stream {}: {} invalid value(s) stored as NULL (kept in raw), e.g. {}",
                 source, stream, run.totals.invalid_values, run.first_invalid);
  }
  // A failure that ends the source's pass is logged once, by pass().
  const bool stops_source = error && policy_for(failure.kind).stop_source;
  if (status == RunStatus::failed && !stops_source)
    spdlog::error("source {} stream {}: {}", source, stream, reason);

  const RunTotals totals = run.totals;
  const std::int64_t run_id = run.run_id;
  const bool refreshed = (full_refresh || first_complete) && status == RunStatus::succeeded;
  const bool backfill_done = backfill && status == RunStatus::succeeded;
  std::optional<TimePoint> next;
  if (request_.mode == RunMode::daemon) next = now + interval_of(stream);
  const std::string recorded = status == RunStatus::succeeded ? "" : reason;
  const bool want_coverage = windowed && metrics_ != nullptr;
  auto record = [=](SyncStore& s) {
    s.finish_run(run_id, totals, status, recorded);
    s.record_outcome(source, stream, status, recorded, refreshed, next);
    if (backfill_done) s.finish_backfill(source, stream);
    std::optional<Day> covered_to;
    if (want_coverage) {
      const auto coverage = s.coverage(source, stream);
      if (!coverage.empty()) covered_to = coverage.back().to;
    }
    return covered_to;
  };
  std::exception_ptr record_error;
  std::optional<Day> covered_to;
  try {
    covered_to = co_await stores_.run(std::move(record));
  } catch (const std::exception&) {
    record_error = std::current_exception();
  }
  if (record_error) {
    orphaned_runs_.push_back(run_id);
    std::rethrow_exception(record_error);
  }
  // The metrics hear of the run where its sync.runs row is written (cancelled runs are no
  // outcome interface.md counts).
  if (metrics_ != nullptr && status != RunStatus::cancelled) {
    const auto finished = std::chrono::system_clock::now();
    const auto kind = status == RunStatus::succeeded        ? service::RunStatus::succeeded
                      : status == RunStatus::not_applicable ? service::RunStatus::not_applicable
                                                            : service::RunStatus::failed;
    metrics_->run_finished(
        source, stream, kind, static_cast<std::uint64_t>(totals.rows_inserted),
        static_cast<std::uint64_t>(totals.rows_updated),
        static_cast<std::uint64_t>(totals.rows_unchanged),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
        std::chrono::duration<double>(finished.time_since_epoch()).count());
    if (covered_to) {
      const auto end = std::chrono::sys_seconds(*covered_to + std::chrono::days(1));
      metrics_->coverage_end(source, stream, static_cast<double>(end.time_since_epoch().count()));
    }
  }
  // Recorded; now the failures that end the source's pass go up.
  if (stops_source) std::rethrow_exception(error);
  spdlog::info("source {} stream {}: {} ({} received, {} inserted, {} updated, {} requests)",
               source, stream, outcome_word(status), totals.rows_received, totals.rows_inserted,
               totals.rows_updated, totals.http_requests);
  co_return status;
}

}  // namespace partnersync::sync
