// The created-date and daily-report modes (stream_modes.hpp read_windows): windows read
// sync.concurrency at a time, halved while a response is too large (dates down to one day,
// datetimes down to one minute), each committed with its sync.windows record. A failure the
// policy contains to a window is logged and recorded here while the other windows go on.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <exception>

#include "daemon/sync/cancellation.hpp"
#include "daemon/sync/failure_policy.hpp"
#include "daemon/sync/progress.hpp"
#include "daemon/sync/stream_modes.hpp"
#include "daemon/sync/store_pool.hpp"
#include "daemon/sync/stream_steps.hpp"
#include "daemon/sync/wait_group.hpp"

namespace partnersync::sync {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

// A window whose response is larger than this is halved and read again (down to one day),
// so memory is bounded by the window, not by the account: the client stops reading at this
// size, a window in flight holds at most its body and its rows (about twice this), and the
// stream's simdjson parser sizes its index buffers to the largest body (about 5x this).
constexpr std::size_t kWindowByteLimit = 2u << 20;
constexpr std::size_t kWindowRowLimit = 20000;

// "YYYY-MM-DD HH:MM:SS" of a wall-clock time (the window's days are the source's days).
std::string format_wall(std::chrono::sys_seconds t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::hh_mm_ss hms(t - day);
  char clock[16];
  std::snprintf(clock, sizeof clock, " %02d:%02d:%02d", static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return format_day(day) + clock;
}

// Wall-clock seconds [from, to) of the source's zone that a datetime request covers (before
// StreamSpec::window_pad_seconds widens it).
struct Span {
  std::chrono::sys_seconds from, to;
  std::chrono::seconds length() const { return to - from; }
};

// A datetime window over the size limit is halved below a day too, down to one minute
// (helpdesk.md "Sync semantics"): a piece shorter than two minutes is not split, so no piece
// is shorter than one, and such a piece may use the whole http.max_body.
constexpr std::chrono::seconds kSmallestSplit{120};

Params span_params(const StreamSpec& spec, Span span) {
  const std::chrono::seconds pad(spec.window_pad_seconds);
  const std::string from = format_wall(span.from - pad);
  const std::string to = format_wall(span.to - std::chrono::seconds(1) + pad);
  if (!spec.range_operator.empty())
    return {{spec.from_param, spec.range_operator + from + "," + to}};
  return {{spec.from_param, from}, {spec.to_param, to}};
}

Span span_of(DateRange w) {
  return {std::chrono::sys_seconds(w.from), std::chrono::sys_seconds(w.to + std::chrono::days(1))};
}

Params window_params(const StreamSpec& spec, DateRange w) {
  if (spec.param_format == StreamSpec::ParamFormat::datetime) return span_params(spec, span_of(w));
  return {{spec.from_param, format_day(w.from)}, {spec.to_param, format_day(w.to)}};
}

// Fetches the details of the listed records and returns the rows to write.
awaitable<void> with_details(SourceContext& ctx, StreamRun& run, Batch& batch,
                             const std::vector<std::string>& keys) {
  const DetailSpec& detail = run.spec.details.front();
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < batch.rows.size();) {
    const auto end = batch.rows.find('\n', start);
    lines.emplace_back(batch.rows.data() + start, end - start + 1);
    start = end + 1;
  }
  std::vector<std::string> detail_rows(keys.size());
  std::vector<Received> detail_bodies(keys.size());
  const auto ex = co_await asio::this_coro::executor;
  WaitGroup group(ex);
  const Params no_params;
  const ParseContext context{ctx.source.name, "", ""};
  const EndpointSpec endpoint{{detail.path}, detail.envelope, "", {}};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    group.add();
    asio::co_spawn(
        ex,
        [&, i]() -> awaitable<void> {
          auto fetched = co_await fetch(ctx, run, endpoint, no_params, keys[i], 0);
          if (fetched.status ==
              FetchStatus::not_found) {  // the license went away: keep the list row
            detail_rows[i] = std::string(lines[i]);
            co_return;
          }
          if (fetched.status != FetchStatus::ok) throw_fetch_failure(run, fetched);
          co_await parse(ctx, run, endpoint, fetched, context, detail_rows[i]);
          detail_bodies[i] = {fetched.url, fetched.response.status,
                              std::move(fetched.response.body)};
        },
        [&group](const std::exception_ptr& e) { group.done(e); });
  }
  co_await group.wait();
  batch.rows.clear();
  for (auto& row : detail_rows) batch.rows += row;
  for (auto& b : detail_bodies)
    if (!b.url.empty()) batch.bodies.push_back(std::move(b));
}

// The answers to one window's (or piece's) requests: every fan-out value's, every page.
struct WindowRead {
  Batch batch;
  ParseOutcome outcome;
  bool too_big = false;  // only when `splittable`: the caller splits and reads again
};

// StreamSpec::fan_out_key: a request without the fan-out parameter that upstream refused with a
// message naming the parameter (004 "Error messages formats": 500 "parameter message is
// missing") is a configuration error naming the key, not an upstream failure of one window.
void throw_if_fan_out_demanded(const SourceContext& ctx, const StreamRun& run,
                               const Fetched& fetched) {
  const StreamSpec& spec = run.spec;
  if (spec.fan_out_param.empty() || spec.fan_out_key.empty()) return;
  const auto upstream = fetched.reason.find("(upstream: ");
  if (upstream == std::string::npos ||
      fetched.reason.find(spec.fan_out_param, upstream) == std::string::npos)
    return;
  throw SyncError(FailureKind::configuration,
                  "upstream demands the " + spec.fan_out_param + " parameter, and source " +
                      ctx.source.name + " sets no `" + spec.fan_out_key + "`: list the " +
                      spec.fan_out_key + " to read under the source's `" + spec.fan_out_key +
                      "` key (" + fetched.reason.substr(upstream) + ")");
}

// StreamSpec::fan_out_param: one request per value; paging: pages until a short one. All
// answers are one batch. Over `limit` bytes in one body, or kWindowRowLimit rows in all, is
// too big when `splittable`; otherwise a body over http.max_body fails the window.
awaitable<WindowRead> read_requests(SourceContext& ctx, StreamRun& run, const Params& window,
                                    bool splittable, std::string_view window_day) {
  const EndpointSpec& endpoint = run.spec.endpoints.front();
  const std::string no_key;
  const std::size_t limit = splittable ? kWindowByteLimit : 0;
  std::vector<const std::string*> fan_out;
  if (!run.spec.fan_out_param.empty())
    for (const auto& v : ctx.source.fan_out_values) fan_out.push_back(&v);
  if (fan_out.empty()) fan_out.push_back(nullptr);
  const auto& paging = run.spec.paging;
  WindowRead read;
  for (const std::string* value : fan_out) {
    for (std::size_t offset = 0; !read.too_big;) {
      Params params = window;
      if (value != nullptr) params.emplace_back(run.spec.fan_out_param, *value);
      if (paging) {
        params.emplace_back(paging.count_param, std::to_string(paging.page_size));
        params.emplace_back(paging.offset_param, std::to_string(offset));
      }
      auto fetched = co_await fetch(ctx, run, endpoint, params, no_key, run.path_index, limit);
      if (fetched.status == FetchStatus::ok) run.path_index = fetched.path_index;
      read.too_big = fetched.status == FetchStatus::too_large;
      if (fetched.status == FetchStatus::failed && value == nullptr)
        throw_if_fan_out_demanded(ctx, run, fetched);
      if (fetched.status != FetchStatus::ok && !(read.too_big && splittable))
        throw_fetch_failure(run, fetched);
      if (read.too_big) break;
      const ParseContext context{ctx.source.name, window_day, ""};
      auto page = co_await parse(ctx, run, endpoint, fetched, context, read.batch.rows);
      const std::size_t records = page.rows + page.rejected.size();
      read.outcome.rows += page.rows;
      for (auto& k : page.collected) read.outcome.collected.push_back(std::move(k));
      read.batch.bodies.push_back(
          {fetched.url, fetched.response.status, std::move(fetched.response.body)});
      read.too_big = read.outcome.rows > kWindowRowLimit && splittable;
      if (!paging || records < paging.page_size) break;
      offset += paging.page_size;
    }
    if (read.too_big) break;
  }
  co_return read;
}

// Commits what a window (or a piece of one, `window` unset) read, with its details; the
// children's keys (all parents', or the changed ones') go into sync.pending_children in the
// same transaction, and are not kept here: the child stream reads them from there.
awaitable<void> commit_read(SourceContext& ctx, StreamRun& run, WindowRead& read,
                            std::optional<DateRange> window, std::optional<DateRange> backfill) {
  Batch& batch = read.batch;
  ParseOutcome& outcome = read.outcome;
  batch.count = static_cast<std::int64_t>(outcome.rows);
  if (!run.spec.details.empty()) co_await with_details(ctx, run, batch, outcome.collected);
  // StreamSpec::children_of_changed_only: the children get the keys the upsert changed.
  const bool changed_only = run.spec.children_of_changed_only && !run.collect.empty();
  db::TableLayout changed_layout;
  if (changed_only) {
    changed_layout = run.layout;
    changed_layout.changed_key = run.collect;
  } else if (!run.collect.empty() && !run.child_streams.empty()) {
    batch.parent_keys = std::move(outcome.collected);
  }
  co_await commit(ctx, run, batch, window, window ? backfill : std::nullopt,
                  changed_only ? &changed_layout : nullptr);
}

// One day of a datetime window too large to read whole: halved into pieces of the day, down
// to one minute, each committed as it completes; the last one records the day's window.
awaitable<std::size_t> read_day_in_pieces(SourceContext& ctx, StreamRun& run, DateRange day,
                                          std::optional<DateRange> backfill) {
  std::vector<Span> todo{span_of(day)};
  std::size_t rows = 0;
  bool first = true;
  while (!todo.empty()) {
    if (ctx.cancel.requested()) throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
    const Span piece = todo.back();
    todo.pop_back();
    const bool splittable = piece.length() >= kSmallestSplit;
    // (The whole day was just read and found too big: split it without asking again.)
    WindowRead read;
    if (!first)
      read = co_await read_requests(ctx, run, span_params(run.spec, piece), splittable, {});
    if (first || read.too_big) {
      first = false;
      const Span earlier{piece.from, piece.from + piece.length() / 2};
      const Span later{earlier.to, piece.to};
      spdlog::debug("source {} stream {}: {} s from {} too large, split in two", ctx.source.name,
                    run.spec.name, piece.length().count(), format_wall(piece.from));
      todo.push_back(later);
      todo.push_back(earlier);
      continue;
    }
    rows += read.outcome.rows;
    const bool last = todo.empty();
    co_await commit_read(ctx, run, read, last ? std::optional<DateRange>(day) : std::nullopt,
                         backfill);
  }
  co_return rows;
}

// One window with adaptive splitting; commits each piece as it completes.
awaitable<void> read_window(SourceContext& ctx, StreamRun& run, DateRange range,
                            std::optional<DateRange> backfill) {
  std::vector<DateRange> todo;
  if (run.learned_days > 0 && range.days() > run.learned_days) {
    todo = chunk_ranges({range}, run.learned_days);
    std::reverse(todo.begin(), todo.end());
  } else {
    todo.push_back(range);
  }
  const bool datetime = run.spec.param_format == StreamSpec::ParamFormat::datetime;
  while (!todo.empty()) {
    if (ctx.cancel.requested()) throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
    const DateRange w = todo.back();
    todo.pop_back();
    // A one-day window of dates cannot be split: it may use the whole http.max_body. One of
    // datetimes is split into pieces of the day (read_day_in_pieces).
    const bool splittable = w.days() > 1 || datetime;
    const std::string day = format_day(w.from);
    const std::string_view window_day =
        run.spec.mode == SyncMode::daily_report ? std::string_view(day) : std::string_view();
    auto read =
        co_await read_requests(ctx, run, window_params(run.spec, w), splittable, window_day);
    if (read.too_big && w.days() > 1) {
      const auto [first, second] = split_range(w);
      run.learned_days = first.days();
      spdlog::debug("source {} stream {}: window {}..{} too large, split in two", ctx.source.name,
                    run.spec.name, format_day(w.from), format_day(w.to));
      todo.push_back(second);
      todo.push_back(first);
      continue;
    }
    if (read.too_big) {
      const std::size_t rows = co_await read_day_in_pieces(ctx, run, w, backfill);
      ctx.progress.window_done(static_cast<std::int64_t>(rows));
      continue;
    }
    const std::size_t rows = read.outcome.rows;
    co_await commit_read(ctx, run, read, w, backfill);
    ctx.progress.window_done(static_cast<std::int64_t>(rows));
  }
}

// One window; a failure the policy contains to the window is logged and recorded while the
// other windows go on. Any other failure stops the run's workers and goes up.
awaitable<void> window_or_fail(SourceContext& ctx, StreamRun& run, DateRange w,
                               std::optional<DateRange> backfill) {
  std::exception_ptr error;
  try {
    auto entering = ctx.stores.gate().enter(ctx.cancel);  // named: GCC 12 and co_await
    const WindowGate::Place place = co_await std::move(entering);
    co_await read_window(ctx, run, w, backfill);
  } catch (const std::exception&) {
    error = std::current_exception();
  }
  if (!error) co_return;
  const Failure failure = classify(error);
  if (policy_for(failure.kind).fail_window) {
    spdlog::error("source {} stream {} window {}..{}: {}", ctx.source.name, run.spec.name,
                  format_day(w.from), format_day(w.to), failure.reason);
    run.fail(failure.reason);
    co_return;
  }
  run.stopping = true;
  std::rethrow_exception(error);
}

}  // namespace

awaitable<void> read_windows(SourceContext& ctx, StreamRun& run, std::vector<DateRange> plan,
                             std::optional<DateRange> backfill) {
  std::deque<DateRange> queue(plan.begin(), plan.end());
  const auto ex = co_await asio::this_coro::executor;
  // Until upstream has accepted this source's credentials, the first window goes alone: a
  // wrong token then costs one request (its 401 stops the source), not one per worker.
  // (Found by tests/e2e WrongTokenFailsWithOneLineAndOneRequest.)
  if (!ctx.requester.credentials_confirmed() && !queue.empty() && !ctx.cancel.requested()) {
    const DateRange w = queue.front();
    queue.pop_front();
    co_await window_or_fail(ctx, run, w, backfill);
  }
  WaitGroup group(ex);
  const int workers =
      std::max(1, std::min<int>(ctx.config.sync.concurrency, static_cast<int>(queue.size())));
  for (int i = 0; i < workers; ++i) {
    group.add();
    asio::co_spawn(
        ex,
        [&]() -> awaitable<void> {
          while (!queue.empty() && !ctx.cancel.requested() && !run.stopping) {
            const DateRange w = queue.front();
            queue.pop_front();
            co_await window_or_fail(ctx, run, w, backfill);
          }
        },
        [&group](const std::exception_ptr& e) { group.done(e); });
  }
  co_await group.wait();
  if (ctx.cancel.requested()) throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
}

}  // namespace partnersync::sync
