// What the stream modes share: the run of one stream (its parser, table layout, totals and
// first error) and the source-wide context they work in (requester, stores, cancellation).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/db/staging_writer.hpp"
#include "daemon/sync/record_parser.hpp"
#include "daemon/sync/stream_spec.hpp"
#include "daemon/sync/sync_store.hpp"

namespace partnersync::sync {}  // namespace partnersync::sync
namespace partnersync::service {
class Metrics;
}
namespace partnersync::sync {

class Cancellation;
class Progress;
class Requester;
class StorePool;

// The table layout a stream's rows are written with.
inline db::TableLayout layout_of(const StreamSpec& s, const RecordParser& parser) {
  db::TableLayout layout;
  layout.table = s.table;
  layout.columns = parser.column_names();
  layout.key = s.key;
  layout.partial_update = s.partial_update;
  layout.snapshot = s.mode == SyncMode::snapshot;
  layout.removed_column = s.removed_column;
  layout.set_scope = s.set_scope;
  layout.not_found_column = s.not_found_column;
  if (s.mode == SyncMode::created_windows && !s.window_column.empty()) {
    layout.window_column = s.window_column;
    for (const auto& c : s.columns)
      if (c.origin == model::Origin::constant &&
          std::find(s.key.begin(), s.key.end(), c.name) != s.key.end())
        layout.scope.emplace_back(c.name, c.path);
  }
  return layout;
}

// A table filled from the bodies of another stream (StreamSpec::same_body).
struct SameBodyRun {
  const StreamSpec& spec;
  RecordParser parser;
  db::TableLayout layout;
  explicit SameBodyRun(const StreamSpec& s) : spec(s), parser(s), layout(layout_of(s, parser)) {}
};

struct StreamRun {
  const StreamSpec& spec;
  RecordParser parser;
  db::TableLayout layout;
  std::vector<SameBodyRun> same_body;
  std::int64_t run_id = 0;
  RunTotals totals;
  std::string first_error;
  bool failed = false;
  bool stopping = false;          // a failure that ends the run: workers take no more windows
  std::size_t path_index = 0;     // the path (current or deprecated) that answered
  int learned_days = 0;           // window size after adaptive splitting
  std::string collect;            // the column whose values are collected
  // The selected streams whose parent this is: the collected keys of each committed batch
  // go into sync.pending_children for them, in the batch's transaction.
  std::vector<std::string> child_streams;
  // The parents read by read_children are in sync.pending_children: each committed batch of
  // them is cleared there.
  bool pending_tracked = false;
  std::string first_invalid;  // the first invalid value met, logged once at the run's end

  explicit StreamRun(const StreamSpec& s) : spec(s), parser(s), layout(layout_of(s, parser)) {
    same_body.reserve(s.same_body.size());
    for (const auto& other : s.same_body) same_body.emplace_back(other);
  }
  void fail(const std::string& error) {
    if (!failed) first_error = error;
    failed = true;
  }
};

struct SourceContext {
  const config::Config& config;
  const config::Source& source;
  Requester& requester;
  StorePool& stores;
  Cancellation& cancel;
  Progress& progress;
  service::Metrics* metrics = nullptr;  // daemon mode only
};

}  // namespace partnersync::sync
