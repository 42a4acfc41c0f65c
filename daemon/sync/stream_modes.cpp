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
// Child requests (invoices, users, add-ons) are committed in batches of this many parents.
constexpr std::size_t kChildBatch = 50;

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

awaitable<void> quarantine(SourceContext& ctx, StreamRun& run, const std::string& url,
                           unsigned status, const std::string& reason, const std::string& body) {
  const std::string source = ctx.source.name, stream = run.spec.name;
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

// Parses into `out`; an unusable body goes to sync.quarantine and fails the window.
awaitable<ParseOutcome> parse(SourceContext& ctx, StreamRun& run, const EndpointSpec& endpoint,
                              const Fetched& fetched, const ParseContext& context,
                              std::string& out) {
  const http::Response& response = fetched.response;
  ParseOutcome outcome;
  std::string error;
  bool credentials = false;
  try {
    if (run.spec.split_body != nullptr) {
      std::string body = "{\"result\":[";
      try {
        const auto records = run.spec.split_body(response.body);
        for (std::size_t i = 0; i < records.size(); ++i) body += (i ? "," : "") + records[i];
      } catch (const std::exception& e) {
        throw BodyError(e.what());
      }
      body += "]}";
      const EndpointSpec split{endpoint.paths, Envelope::result_array, "", endpoint.constants};
      // (split_raw_member: each record's served member is its raw; record_parser.cpp.)
      outcome = run.parser.parse(body, split, context, out, run.collect);
    } else {
      outcome = run.parser.parse(response.body, endpoint, context, out, run.collect);
    }
  } catch (const UpstreamErrorEnvelope& e) {
    error = e.what();
    credentials = e.status_code() == 401;
  } catch (const BodyError& e) {
    error = e.what();
  }
  if (!error.empty()) {
    co_await quarantine(ctx, run, fetched.url, response.status, error, response.body);
    if (credentials) throw SyncError(FailureKind::credentials, "credentials rejected: " + error);
    throw SyncError(FailureKind::data, obs::redact(fetched.url) + ": " + error);
  }
  for (const auto& rejected : outcome.rejected)
    co_await quarantine(ctx, run, fetched.url, response.status, rejected.reason, rejected.raw);
  // Logged once per run by the source runner (issue 5), not once per window or parent: an
  // account with a bad datetime must not flood the log at every child request.
  if (!outcome.problems.empty() && run.first_invalid.empty())
    run.first_invalid = outcome.problems.front();
  run.totals.invalid_values += static_cast<std::int64_t>(outcome.invalid_values);
  co_return outcome;
}

// Commits a batch in one window transaction. Rows PostgreSQL refuses (a data error) put the
// batch's bodies in sync.quarantine with the reason; the batch is then not committed at all.
awaitable<db::WriteCounts> commit(SourceContext& ctx, StreamRun& run, Batch batch,
                                  std::optional<DateRange> window,
                                  std::optional<DateRange> backfill,
                                  const db::TableLayout* layout_of_batch = nullptr) {
  WindowCommit w{ctx.source.name, run.spec.name, ctx.source.timezone, window, backfill};
  if (!run.child_streams.empty()) {
    w.child_streams = run.child_streams;
    w.parent_keys = std::move(batch.parent_keys);
  }
  const db::TableLayout& layout = layout_of_batch != nullptr ? *layout_of_batch : run.layout;
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
        co_await quarantine(ctx, run, b.url, b.status, failure.reason, b.body);
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

Params window_params(const StreamSpec& spec, DateRange w) {
  if (spec.param_format == StreamSpec::ParamFormat::datetime) {
    const std::chrono::seconds pad(spec.window_pad_seconds);
    const std::string from = format_wall(std::chrono::sys_seconds(w.from) - pad);
    const std::string to = format_wall(std::chrono::sys_seconds(w.to + std::chrono::days(1)) -
                                       std::chrono::seconds(1) + pad);
    if (!spec.range_operator.empty())
      return {{spec.from_param, spec.range_operator + from + "," + to}};
    return {{spec.from_param, from}, {spec.to_param, to}};
  }
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
  const EndpointSpec& endpoint = run.spec.endpoints.front();
  while (!todo.empty()) {
    if (ctx.cancel.requested()) throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
    const DateRange w = todo.back();
    todo.pop_back();
    const Params window = window_params(run.spec, w);
    const std::string no_key;
    // A one-day window cannot be split: it may use the whole http.max_body.
    const std::size_t limit = w.days() > 1 ? kWindowByteLimit : 0;
    // StreamSpec::fan_out_param: one request per value; paging: pages until a short one. All
    // answers of the window are one batch, committed with its sync.windows record.
    std::vector<const std::string*> fan_out;
    if (!run.spec.fan_out_param.empty())
      for (const auto& v : ctx.source.fan_out_values) fan_out.push_back(&v);
    if (fan_out.empty()) fan_out.push_back(nullptr);
    const auto& paging = run.spec.paging;
    Batch batch;
    ParseOutcome outcome;
    bool too_big = false;
    for (const std::string* value : fan_out) {
      for (std::size_t offset = 0; !too_big;) {
        Params params = window;
        if (value != nullptr) params.emplace_back(run.spec.fan_out_param, *value);
        if (paging) {
          params.emplace_back(paging.count_param, std::to_string(paging.page_size));
          params.emplace_back(paging.offset_param, std::to_string(offset));
        }
        auto fetched = co_await fetch(ctx, run, endpoint, params, no_key, run.path_index, limit);
        if (fetched.status == FetchStatus::ok) run.path_index = fetched.path_index;
        too_big = fetched.status == FetchStatus::too_large;
        if (fetched.status != FetchStatus::ok && !(too_big && w.days() > 1))
          throw_fetch_failure(run, fetched);
        if (too_big) break;
        const std::string day = format_day(w.from);
        const std::string_view window_day =
            run.spec.mode == SyncMode::daily_report ? std::string_view(day) : std::string_view();
        const ParseContext context{ctx.source.name, window_day, ""};
        auto page = co_await parse(ctx, run, endpoint, fetched, context, batch.rows);
        const std::size_t records = page.rows + page.rejected.size();
        outcome.rows += page.rows;
        for (auto& k : page.collected) outcome.collected.push_back(std::move(k));
        batch.bodies.push_back(
            {fetched.url, fetched.response.status, std::move(fetched.response.body)});
        too_big = outcome.rows > kWindowRowLimit && w.days() > 1;
        if (!paging || records < paging.page_size) break;
        offset += paging.page_size;
      }
      if (too_big) break;
    }
    if (too_big) {
      const auto [first, second] = split_range(w);
      run.learned_days = first.days();
      spdlog::debug("source {} stream {}: window {}..{} too large, split in two", ctx.source.name,
                    run.spec.name, format_day(w.from), format_day(w.to));
      todo.push_back(second);
      todo.push_back(first);
      continue;
    }
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
    auto counts = co_await commit(ctx, run, std::move(batch), w, backfill,
                                  changed_only ? &changed_layout : nullptr);
    if (changed_only) keys = std::move(counts.changed_keys);
    for (auto& k : keys) run.keys.push_back(std::move(k));
    ctx.progress.window_done(static_cast<std::int64_t>(outcome.rows));
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
  co_await commit(ctx, run, std::move(batch), none, none);
}

awaitable<void> read_children(SourceContext& ctx, StreamRun& run,
                              const std::vector<std::string>& parents) {
  const EndpointSpec& endpoint = run.spec.endpoints.front();
  for (std::size_t start = 0; start < parents.size(); start += kChildBatch) {
    if (ctx.cancel.requested()) throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
    const std::size_t end = std::min(parents.size(), start + kChildBatch);
    std::vector<std::string> texts(end - start);
    std::vector<std::int64_t> counts(end - start, 0);
    std::vector<Received> bodies(end - start);
    std::vector<char> gone(end - start, 0);
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
    std::vector<std::string> missing;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      batch.rows += texts[i];
      batch.count += counts[i];
      if (set && !bodies[i].url.empty()) set_layout.scope_values.push_back(parents[start + i]);
      if (!bodies[i].url.empty()) batch.bodies.push_back(std::move(bodies[i]));
      if (gone[i] != 0) missing.push_back(parents[start + i]);
    }
    const std::optional<DateRange> none;
    co_await commit(ctx, run, std::move(batch), none, none, set ? &set_layout : nullptr);
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
  }
}

}  // namespace partnersync::sync
