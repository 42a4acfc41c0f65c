// Every request's outcome, parse failure and commit failure is turned into a SyncError of the
// kind failure_policy.hpp names; read_windows is where a failed window is contained.
#include "daemon/sync/stream_modes.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <exception>

#include "daemon/obs/redact.hpp"
#include "daemon/service/metrics.hpp"
#include "daemon/sync/cancellation.hpp"
#include "daemon/sync/failure_policy.hpp"
#include "daemon/sync/field_removal.hpp"
#include "daemon/sync/progress.hpp"
#include "daemon/sync/requester.hpp"
#include "daemon/sync/store_pool.hpp"
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
// Child requests (invoices, users, add-ons, helpdesk messages) are committed in batches of
// parents: kChildBatch first, then as many as bring about kChildBatchBytes of bodies at the
// size the previous batch's bodies had, up to kMaxChildBatch. A batch's bodies are held until
// its commit (for sync.quarantine), so bytes bound its memory; a transaction per 50 small
// bodies was a fifth of the helpdesk backfill's CPU (perf, issue 13).
constexpr std::size_t kChildBatch = 50;
constexpr std::size_t kMaxChildBatch = 1000;
constexpr std::size_t kChildBatchBytes = 2u << 20;

// A body received and not yet committed: what sync.quarantine keeps if its rows are refused.
struct Received {
  std::string url;
  unsigned status = 0;
  std::string body;
};

// The rows of one commit and the bodies they came from.
struct Batch {
  std::string rows;
  std::int64_t count = 0;
  std::vector<Received> bodies;
  std::vector<std::string> parent_keys;  // of the rows, for StreamRun::child_streams
};

awaitable<void> quarantine(SourceContext& ctx, StreamRun& run, const std::string& stream,
                           const std::string& url, unsigned status, const std::string& reason,
                           const std::string& body) {
  const std::string source = ctx.source.name;
  const std::int64_t run_id = run.run_id;
  auto work = [=](SyncStore& s) {
    s.quarantine(source, stream, run_id, url, status, reason, body);
    return 0;
  };
  co_await ctx.stores.run(std::move(work));
  if (ctx.metrics != nullptr) ctx.metrics->quarantined(source, stream);
}

// A fetch outcome other than ok (and other than those the caller handles) as a SyncError.
[[noreturn]] void throw_fetch_failure(const StreamRun& run, const Fetched& f) {
  switch (f.status) {
    case FetchStatus::credentials_rejected:
      throw SyncError(FailureKind::credentials, "credentials rejected: " + f.reason);
    case FetchStatus::forbidden:
      if (run.spec.forbidden_is_not_applicable)
        throw SyncError(FailureKind::not_applicable, f.reason);
      throw SyncError(FailureKind::upstream, f.reason);
    case FetchStatus::cancelled:
      throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
    case FetchStatus::too_large:
      throw SyncError(FailureKind::upstream, obs::redact(f.url) + ": body exceeds http.max_body");
    default:
      throw SyncError(FailureKind::upstream, f.reason);
  }
}

awaitable<Fetched> fetch(SourceContext& ctx, StreamRun& run, const EndpointSpec& endpoint,
                         const Params& params, const std::string& key, std::size_t path_index,
                         std::size_t body_limit = 0) {
  if (ctx.cancel.requested()) throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
  auto fetched = co_await ctx.requester.get(endpoint, path_index, params, key, body_limit);
  run.totals.http_requests += fetched.requests;
  if (fetched.status == FetchStatus::ok && fetched.path_index != path_index)
    spdlog::info("source {} stream {}: using deprecated path {}", ctx.source.name, run.spec.name,
                 endpoint.paths[fetched.path_index]);
  if (fetched.status == FetchStatus::ok) {
    run.totals.bytes_received += static_cast<std::int64_t>(fetched.response.body.size());
    // Before anything parses, logs or quarantines the body (StreamSpec::removed_fields).
    if (!run.spec.removed_fields.empty())
      remove_members(fetched.response.body, run.spec.removed_fields);
  }
  co_return fetched;
}

// Parses into `out` with `parser` (the stream's own, or a StreamSpec::same_body table's); an
// unusable body goes to sync.quarantine under `spec`'s name and fails the window.
awaitable<ParseOutcome> parse_with(SourceContext& ctx, StreamRun& run, RecordParser& parser,
                                   const StreamSpec& spec, std::string_view collect,
                                   const EndpointSpec& endpoint, const Fetched& fetched,
                                   const ParseContext& context, std::string& out) {
  const http::Response& response = fetched.response;
  ParseOutcome outcome;
  std::string error;
  bool credentials = false;
  try {
    if (spec.split_body != nullptr) {
      std::string body = "{\"result\":[";
      try {
        const auto records = spec.split_body(response.body);
        for (std::size_t i = 0; i < records.size(); ++i) body += (i ? "," : "") + records[i];
      } catch (const std::exception& e) {
        throw BodyError(e.what());
      }
      body += "]}";
      const EndpointSpec split{endpoint.paths, Envelope::result_array, "", endpoint.constants};
      // (split_raw_member: each record's served member is its raw; record_parser.cpp.)
      outcome = parser.parse(body, split, context, out, collect);
    } else {
      outcome = parser.parse(response.body, endpoint, context, out, collect);
    }
  } catch (const UpstreamErrorEnvelope& e) {
    error = e.what();
    credentials = e.status_code() == 401;
  } catch (const BodyError& e) {
    error = e.what();
  }
  if (!error.empty()) {
    co_await quarantine(ctx, run, spec.name, fetched.url, response.status, error, response.body);
    if (credentials) throw SyncError(FailureKind::credentials, "credentials rejected: " + error);
    throw SyncError(FailureKind::data, obs::redact(fetched.url) + ": " + error);
  }
  for (const auto& rejected : outcome.rejected)
    co_await quarantine(ctx, run, spec.name, fetched.url, response.status, rejected.reason,
                        rejected.raw);
  // Logged once per run by the source runner (issue 5), not once per window or parent: an
  // account with a bad datetime must not flood the log at every child request.
  if (!outcome.problems.empty() && run.first_invalid.empty())
    run.first_invalid = outcome.problems.front();
  run.totals.invalid_values += static_cast<std::int64_t>(outcome.invalid_values);
  co_return outcome;
}

awaitable<ParseOutcome> parse(SourceContext& ctx, StreamRun& run, const EndpointSpec& endpoint,
                              const Fetched& fetched, const ParseContext& context,
                              std::string& out) {
  co_return co_await parse_with(ctx, run, run.parser, run.spec, run.collect, endpoint, fetched,
                                context, out);
}

// Commits a batch in one window transaction. Rows PostgreSQL refuses (a data error) put the
// batch's bodies in sync.quarantine with the reason; the batch is then not committed at all.
// `same_body` set: the batch is that table's rows (StreamSpec::same_body), with no children.
awaitable<db::WriteCounts> commit(SourceContext& ctx, StreamRun& run, Batch& batch,
                                  std::optional<DateRange> window,
                                  std::optional<DateRange> backfill,
                                  const db::TableLayout* layout_of_batch = nullptr,
                                  const SameBodyRun* same_body = nullptr) {
  WindowCommit w{ctx.source.name, same_body != nullptr ? same_body->spec.name : run.spec.name,
                 ctx.source.timezone, window, backfill};
  if (!run.child_streams.empty() && same_body == nullptr) {
    w.child_streams = run.child_streams;
    w.parent_keys = std::move(batch.parent_keys);
  }
  const db::TableLayout& layout = layout_of_batch != nullptr ? *layout_of_batch
                                  : same_body != nullptr     ? same_body->layout
                                                             : run.layout;
  const std::int64_t rows = batch.count;
  auto work = [&layout, &text = batch.rows, rows, w](SyncStore& s) {
    return s.commit(layout, text, rows, w);
  };
  std::exception_ptr failed;
  db::WriteCounts counts;
  try {
    counts = co_await ctx.stores.run(std::move(work));
  } catch (const std::exception&) {
    failed = std::current_exception();
  }
  if (failed) {
    Failure failure = classify(failed);
    if (failure.kind == FailureKind::data) {
      for (const auto& b : batch.bodies)
        co_await quarantine(ctx, run, w.stream, b.url, b.status, failure.reason, b.body);
      failure.reason = "rows refused by PostgreSQL (bodies quarantined): " + failure.reason;
    }
    throw SyncError(failure.kind, failure.reason);
  }
  run.totals.rows_received += rows;
  run.totals.rows_inserted += counts.inserted;
  run.totals.rows_updated += counts.updated;
  run.totals.rows_unchanged += counts.unchanged;
  co_return counts;
}

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

// Commits what a window (or a piece of one, `window` unset) read: details, changed keys,
// children's keys.
awaitable<void> commit_read(SourceContext& ctx, StreamRun& run, WindowRead& read,
                            std::optional<DateRange> window, std::optional<DateRange> backfill) {
  Batch& batch = read.batch;
  ParseOutcome& outcome = read.outcome;
  batch.count = static_cast<std::int64_t>(outcome.rows);
  if (!run.spec.details.empty()) co_await with_details(ctx, run, batch, outcome.collected);
  std::vector<std::string> keys;
  if (!run.collect.empty()) keys = std::move(outcome.collected);
  // StreamSpec::children_of_changed_only: the children get the keys the upsert changed.
  const bool changed_only = run.spec.children_of_changed_only && !run.collect.empty();
  db::TableLayout changed_layout;
  if (changed_only) {
    changed_layout = run.layout;
    changed_layout.changed_key = run.collect;
  } else if (!run.child_streams.empty()) {
    batch.parent_keys = keys;
  }
  auto counts = co_await commit(ctx, run, batch, window, window ? backfill : std::nullopt,
                                changed_only ? &changed_layout : nullptr);
  if (changed_only) keys = std::move(counts.changed_keys);
  for (auto& k : keys) run.keys.push_back(std::move(k));
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

awaitable<void> read_whole(SourceContext& ctx, StreamRun& run) {
  Batch batch;
  const Params no_params;
  const ParseContext context{ctx.source.name, "", ""};
  for (const auto& endpoint : run.spec.endpoints) {
    const std::string no_key;
    auto fetched = co_await fetch(ctx, run, endpoint, no_params, no_key, 0);
    if (fetched.status == FetchStatus::not_found && run.spec.not_found_is_not_applicable)
      throw SyncError(FailureKind::not_applicable,
                      "the call is not available in this upstream version: " + fetched.reason);
    if (fetched.status != FetchStatus::ok) throw_fetch_failure(run, fetched);
    auto outcome = co_await parse(ctx, run, endpoint, fetched, context, batch.rows);
    batch.count += static_cast<std::int64_t>(outcome.rows);
    batch.bodies.push_back(
        {fetched.url, fetched.response.status, std::move(fetched.response.body)});
    if (!run.child_streams.empty())
      batch.parent_keys.insert(batch.parent_keys.end(), outcome.collected.begin(),
                               outcome.collected.end());
    if (!run.collect.empty())
      for (auto& k : outcome.collected) run.keys.push_back(std::move(k));
  }
  const std::optional<DateRange> none;
  co_await commit(ctx, run, batch, none, none);
}

awaitable<void> read_children(SourceContext& ctx, StreamRun& run,
                              const std::vector<std::string>& parents) {
  const EndpointSpec& endpoint = run.spec.endpoints.front();
  for (std::size_t start = 0, size = kChildBatch; start < parents.size();) {
    if (ctx.cancel.requested()) throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
    const std::size_t end = std::min(parents.size(), start + size);
    std::vector<std::string> texts(end - start);
    std::vector<std::int64_t> counts(end - start, 0);
    std::vector<Received> bodies(end - start);
    std::vector<char> gone(end - start, 0);
    // StreamSpec::same_body: the other tables' rows of each body, [table][parent].
    std::vector<std::vector<std::string>> same_texts(run.same_body.size(),
                                                     std::vector<std::string>(end - start));
    std::vector<std::vector<std::int64_t>> same_counts(run.same_body.size(),
                                                       std::vector<std::int64_t>(end - start, 0));
    const auto ex = co_await asio::this_coro::executor;
    const Params no_params;
    WaitGroup group(ex);
    for (std::size_t i = start; i < end; ++i) {
      group.add();
      asio::co_spawn(
          ex,
          [&, i]() -> awaitable<void> {
            auto fetched = co_await fetch(ctx, run, endpoint, no_params, parents[i], 0);
            if (fetched.status == FetchStatus::not_found) {  // the parent went away
              gone[i - start] = 1;
              co_return;
            }
            if (fetched.status == FetchStatus::forbidden && run.spec.forbidden_skips_parent) {
              spdlog::debug("source {} stream {}: {} is not ours to read (403), skipped",
                            ctx.source.name, run.spec.name, parents[i]);
              co_return;
            }
            if (fetched.status != FetchStatus::ok) throw_fetch_failure(run, fetched);
            const ParseContext context{ctx.source.name, "", parents[i]};
            auto outcome = co_await parse(ctx, run, endpoint, fetched, context, texts[i - start]);
            counts[i - start] = static_cast<std::int64_t>(outcome.rows);
            for (std::size_t t = 0; t < run.same_body.size(); ++t) {
              SameBodyRun& other = run.same_body[t];
              const auto more = co_await parse_with(ctx, run, other.parser, other.spec, {},
                                                    other.spec.endpoints.front(), fetched, context,
                                                    same_texts[t][i - start]);
              same_counts[t][i - start] = static_cast<std::int64_t>(more.rows);
            }
            bodies[i - start] = {fetched.url, fetched.response.status,
                                 std::move(fetched.response.body)};
          },
          [&group](const std::exception_ptr& e) { group.done(e); });
    }
    co_await group.wait();
    Batch batch;
    // StreamSpec::removed_column: the sets of the parents that answered are replaced.
    db::TableLayout set_layout;
    const bool set = !run.spec.removed_column.empty();
    if (set) set_layout = run.layout;
    std::vector<std::string> missing, answered;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      batch.rows += texts[i];
      batch.count += counts[i];
      if (!bodies[i].url.empty()) answered.push_back(parents[start + i]);
      if (!bodies[i].url.empty()) batch.bodies.push_back(std::move(bodies[i]));
      if (gone[i] != 0) missing.push_back(parents[start + i]);
    }
    if (set) set_layout.scope_values = answered;
    if (!batch.bodies.empty()) {
      std::size_t bytes = 0;
      for (const auto& b : batch.bodies) bytes += b.body.size();
      const std::size_t each = std::max<std::size_t>(1, bytes / batch.bodies.size());
      size = std::clamp(kChildBatchBytes / each, kChildBatch, kMaxChildBatch);
    }
    const std::optional<DateRange> none;
    // The same-body tables first, with the bodies for quarantine: the parents stay pending
    // until the stream's own rows are committed too.
    for (std::size_t t = 0; t < run.same_body.size(); ++t) {
      const SameBodyRun& other = run.same_body[t];
      Batch same;
      db::TableLayout same_set_layout;
      const bool same_set = !other.spec.removed_column.empty();
      if (same_set) same_set_layout = other.layout;
      if (same_set) same_set_layout.scope_values = answered;
      for (std::size_t i = 0; i < same_texts[t].size(); ++i) {
        same.rows += same_texts[t][i];
        same.count += same_counts[t][i];
      }
      same.bodies = std::move(batch.bodies);
      if (same.count > 0 || same_set)
        co_await commit(ctx, run, same, none, none, same_set ? &same_set_layout : nullptr, &other);
      batch.bodies = std::move(same.bodies);
    }
    co_await commit(ctx, run, batch, none, none, set ? &set_layout : nullptr);
    if (run.pending_tracked) {
      std::vector<std::string> done(parents.begin() + static_cast<std::ptrdiff_t>(start),
                                    parents.begin() + static_cast<std::ptrdiff_t>(end));
      auto clear = [source = ctx.source.name, stream = run.spec.name,
                    done = std::move(done)](SyncStore& s) {
        s.clear_pending_children(source, stream, done);
        return 0;
      };
      co_await ctx.stores.run(std::move(clear));
    }
    if (!run.spec.not_found_column.empty() && !missing.empty()) {
      const db::TableLayout& layout = run.layout;
      const std::string column = run.spec.not_found_column, source = ctx.source.name;
      std::string key_column;
      for (const auto& c : run.spec.columns)
        if (c.origin == Origin::parent_key) key_column = c.name;
      auto mark = [&layout, column, key_column, source, missing](SyncStore& s) {
        return s.mark_not_found(layout, key_column, column, source, missing);
      };
      run.totals.rows_updated += co_await ctx.stores.run(std::move(mark));
    }
    start = end;
  }
}

}  // namespace partnersync::sync
