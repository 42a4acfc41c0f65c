// The steps of stream_steps.hpp.
#include "daemon/sync/stream_steps.hpp"

#include <spdlog/spdlog.h>

#include <exception>

#include "daemon/obs/redact.hpp"
#include "daemon/service/metrics.hpp"
#include "daemon/sync/cancellation.hpp"
#include "daemon/sync/failure_policy.hpp"
#include "daemon/sync/field_removal.hpp"
#include "daemon/sync/store_pool.hpp"

namespace partnersync::sync {

using boost::asio::awaitable;

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
                         std::size_t body_limit) {
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

awaitable<db::WriteCounts> commit(SourceContext& ctx, StreamRun& run, Batch& batch,
                                  std::optional<DateRange> window,
                                  std::optional<DateRange> backfill,
                                  const db::TableLayout* layout_of_batch,
                                  const SameBodyRun* same_body) {
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

}  // namespace partnersync::sync
