// The steps every stream mode is made of (stream_modes.hpp): fetch a request, parse a body,
// commit a batch in one window transaction, quarantine what cannot be applied. Each turns its
// failures into a SyncError of the kind failure_policy.hpp names.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/sync/requester.hpp"
#include "daemon/sync/stream_run.hpp"
#include "daemon/sync/window_planner.hpp"

namespace partnersync::sync {

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

boost::asio::awaitable<void> quarantine(SourceContext& ctx, StreamRun& run,
                                        const std::string& stream, const std::string& url,
                                        unsigned status, const std::string& reason,
                                        const std::string& body);

// A fetch outcome other than ok (and other than those the caller handles) as a SyncError.
[[noreturn]] void throw_fetch_failure(const StreamRun& run, const Fetched& f);

// One request (its retries are the client's); counts it in `run` and removes
// StreamSpec::removed_fields from the body before anything else sees it.
boost::asio::awaitable<Fetched> fetch(SourceContext& ctx, StreamRun& run,
                                      const EndpointSpec& endpoint, const Params& params,
                                      const std::string& key, std::size_t path_index,
                                      std::size_t body_limit = 0);

// Parses into `out` with `parser` (the stream's own, or a StreamSpec::same_body table's); an
// unusable body goes to sync.quarantine under `spec`'s name and fails the window.
boost::asio::awaitable<ParseOutcome> parse_with(SourceContext& ctx, StreamRun& run,
                                                RecordParser& parser, const StreamSpec& spec,
                                                std::string_view collect,
                                                const EndpointSpec& endpoint,
                                                const Fetched& fetched,
                                                const ParseContext& context, std::string& out);
// parse_with the stream's own parser.
boost::asio::awaitable<ParseOutcome> parse(SourceContext& ctx, StreamRun& run,
                                           const EndpointSpec& endpoint, const Fetched& fetched,
                                           const ParseContext& context, std::string& out);

// Commits a batch in one window transaction. Rows PostgreSQL refuses (a data error) put the
// batch's bodies in sync.quarantine with the reason; the batch is then not committed at all.
// `same_body` set: the batch is that table's rows (StreamSpec::same_body), with no children.
boost::asio::awaitable<db::WriteCounts> commit(SourceContext& ctx, StreamRun& run, Batch& batch,
                                               std::optional<DateRange> window,
                                               std::optional<DateRange> backfill,
                                               const db::TableLayout* layout_of_batch = nullptr,
                                               const SameBodyRun* same_body = nullptr);

}  // namespace partnersync::sync
