// Full lists and snapshots (read_whole) and one request per parent key (read_children), over
// the steps of stream_steps.hpp; the windowed modes are in stream_windows.cpp.
#include "daemon/sync/stream_modes.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <exception>

#include "daemon/sync/cancellation.hpp"
#include "daemon/sync/failure_policy.hpp"
#include "daemon/sync/stream_steps.hpp"
#include "daemon/sync/store_pool.hpp"
#include "daemon/sync/wait_group.hpp"

namespace partnersync::sync {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

// Child requests (invoices, users, add-ons, helpdesk messages) are committed in batches of
// parents: kChildBatch first, then as many as bring about kChildBatchBytes of bodies at the
// size the previous batch's bodies had, up to kMaxChildBatch. A batch's bodies are held until
// its commit (for sync.quarantine), so bytes bound its memory; a transaction per 50 small
// bodies was a fifth of the helpdesk backfill's CPU (perf, issue 13).
constexpr std::size_t kChildBatch = 50;
constexpr std::size_t kMaxChildBatch = 1000;
constexpr std::size_t kChildBatchBytes = 2u << 20;

}  // namespace

awaitable<void> read_whole(SourceContext& ctx, StreamRun& run) {
  auto entering = ctx.stores.gate().enter(ctx.cancel);  // named: GCC 12 and co_await
  const WindowGate::Place place = co_await std::move(entering);
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
  }
  const std::optional<DateRange> none;
  co_await commit(ctx, run, batch, none, none);
}

// GCC 12 reports asio's coroutine frame allocation (thread_info_base::allocate, whose
// aligned_new it inlines) and awaitable_frame_base's sized operator delete as mismatched
// once read_children no longer shares its file with the other modes: a known false positive
// (GCC PR middle-end/109224, chriskohlhoff/asio#1391), silenced for this function only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
awaitable<void> read_children(SourceContext& ctx, StreamRun& run,
                              const std::vector<std::string>& parents) {
  const EndpointSpec& endpoint = run.spec.endpoints.front();
  for (std::size_t start = 0, size = kChildBatch; start < parents.size();) {
    if (ctx.cancel.requested()) throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
    auto entering = ctx.stores.gate().enter(ctx.cancel);  // named: GCC 12 and co_await
    const WindowGate::Place place = co_await std::move(entering);
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
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace partnersync::sync
