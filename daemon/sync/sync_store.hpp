// Everything the engine reads and writes in PostgreSQL, as blocking calls made from the
// engine's one database thread: coverage, state, runs, quarantine, and window commits in which
// the rows and their sync.windows record share one transaction.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "daemon/db/staging_writer.hpp"
#include "daemon/sync/window_planner.hpp"

namespace pqxx {
class connection_base;
}

namespace partnersync::sync {

using TimePoint = std::chrono::system_clock::time_point;

struct StreamState {
  std::optional<TimePoint> last_full_refresh_at;
  bool not_applicable = false;
  std::optional<TimePoint> not_applicable_since;
};

struct RunTotals {
  std::int64_t http_requests = 0;
  std::int64_t rows_received = 0;
  std::int64_t rows_inserted = 0;
  std::int64_t rows_updated = 0;
  std::int64_t rows_unchanged = 0;
  std::int64_t bytes_received = 0;
  std::int64_t invalid_values = 0;
};

enum class RunStatus { succeeded, failed, not_applicable, cancelled };

struct WindowCommit {
  std::string source;
  std::string stream;
  std::string timezone;               // how upstream datetimes without offset are read
  std::optional<DateRange> window;    // recorded in sync.windows when set
  std::optional<DateRange> backfill;  // recorded in sync.backfill_progress when set
  // Recorded in sync.pending_children with the rows (db::WindowRecord::child_streams).
  std::vector<std::string> child_streams{};
  std::vector<std::string> parent_keys{};
};

// What the status page and /readyz show of one stream (sync.state, the last sync.runs row and
// the merged sync.windows).
struct StreamStatusRow {
  std::string source;
  std::string stream;
  std::optional<TimePoint> last_success;
  std::string last_error;
  bool not_applicable = false;
  std::string last_status;  // of the newest run, "" when none
  std::int64_t last_rows = 0;
  std::vector<DateRange> coverage;
};

// The per-source advisory locks (sync_store.cpp): a pass's, and a daemon's ownership.
enum class SourceLock { pass, owner };

class SyncStore {
 public:
  explicit SyncStore(std::string database_url);
  ~SyncStore();

  // Applies pending migrations (the daemon migrates at start).
  void migrate();
  // Closes the connection (and frees libpq's buffers); the next call connects again. For a
  // daemon's long sleep: no idle backend is held on the server meanwhile.
  void disconnect();

  std::vector<DateRange> coverage(const std::string& source, const std::string& stream);
  // Windows an unfinished backfill of exactly `range` committed; progress of other ranges of
  // the stream is discarded.
  std::vector<DateRange> backfill_done(const std::string& source, const std::string& stream,
                                       DateRange range);
  void finish_backfill(const std::string& source, const std::string& stream);
  StreamState state(const std::string& source, const std::string& stream);

  std::int64_t start_run(const std::string& source, const std::string& stream,
                         const std::string& mode, std::optional<DateRange> range);
  void finish_run(std::int64_t run_id, const RunTotals& totals, RunStatus status,
                  const std::string& error);
  void record_outcome(const std::string& source, const std::string& stream, RunStatus status,
                      const std::string& error, bool full_refresh_done,
                      std::optional<TimePoint> next_run_at);

  // One transaction: stage and merge the rows, record the window (and backfill progress).
  db::WriteCounts commit(const db::TableLayout& layout, const std::string& copy_text,
                         std::int64_t rows, const WindowCommit& commit);

  // StreamSpec::not_found_column: `column` = now() on the rows of `keys` (by `key_column`) of
  // layout.table where it is NULL; a partial_update table's missing rows are left alone, any
  // other's are inserted with raw '{}'. Returns the rows written.
  std::int64_t mark_not_found(const db::TableLayout& layout, const std::string& key_column,
                              const std::string& column, const std::string& source,
                              const std::vector<std::string>& keys);
  // StreamSpec::keys_from: the distinct non-blank values of `column` in `table` for the
  // source, except those `own_table` has a row for with `not_found_column` set.
  std::vector<std::string> keys_from(const std::string& table, const std::string& column,
                                     const std::string& source, const std::string& own_table,
                                     const std::string& own_key,
                                     const std::string& not_found_column);

  // sync.pending_children (issue 15): parents whose children `stream` has not committed yet,
  // in key order, at most `limit` of them after the key `after` ("" = from the first).
  std::vector<std::string> pending_children(const std::string& source, const std::string& stream,
                                            const std::string& after, std::size_t limit);
  // How many of them an earlier run left: recorded before the latest run of `parent` began
  // (all of them when `parent` is "": the parent did not run in this pass).
  std::int64_t pending_children_before(const std::string& source, const std::string& stream,
                                       const std::string& parent);
  // The parents' keys are recorded by the windows that commit them (WindowCommit); this
  // clears them once their children are committed. One statement, however many keys.
  void clear_pending_children(const std::string& source, const std::string& stream,
                              const std::vector<std::string>& keys);

  // Every stream sync.state knows, for the daemon's status page and /readyz.
  std::vector<StreamStatusRow> status_rows();

  // The per-source lock of a pass (a session advisory lock on this store's connection): false
  // when another process holds it.
  // `owner` is a daemon's, held across passes. (Reentrant: each success needs one unlock.)
  bool try_lock_source(const std::string& source, SourceLock kind = SourceLock::pass);
  void unlock_source(const std::string& source, SourceLock kind = SourceLock::pass);
  // Whether this store's current session holds the source's lock; false when the connection
  // is gone (the lock went with it; nothing reconnects here).
  bool holds_source_lock(const std::string& source, SourceLock kind);

  // Retries wait on this token: a stop request ends them with SyncError(cancelled).
  void set_stop_token(std::stop_token stop) { stop_ = std::move(stop); }

  void quarantine(const std::string& source, const std::string& stream, std::int64_t run_id,
                  const std::string& url, unsigned http_status, const std::string& reason,
                  const std::string& body);

 private:
  template <typename F>
  auto with_reconnect(const char* what, F&& work, int attempts = kReconnectAttempts);
  static constexpr int kReconnectAttempts = 8;
  pqxx::connection_base& connection();

  std::string url_;
  struct Connection;
  std::unique_ptr<Connection> connection_;
  std::stop_token stop_;
};

}  // namespace partnersync::sync
