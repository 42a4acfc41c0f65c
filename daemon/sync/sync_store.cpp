// As ClickHouse's PostgreSQL code does: connect lazily, and on a broken connection reconnect
// and retry the whole unit of work a bounded number of times (every unit here is idempotent:
// upserts, interval merges, inserts of run and quarantine records).
// Longer than 400 lines on purpose: it is every statement the engine runs on the sync.*
// tables (windows, runs, quarantine, pending children, locks), each a few lines inside that
// one reconnect wrapper; split by table, every piece would need the wrapper and the state.
#include "daemon/sync/sync_store.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "daemon/calendar/iso_date.hpp"
#include "daemon/db/database.hpp"
#include "daemon/db/migrator.hpp"
#include "daemon/db/staging_writer.hpp"
#include "daemon/db/window_transaction.hpp"
#include "daemon/obs/redact.hpp"
#include "daemon/sync/failure_policy.hpp"

namespace partnersync::sync {
namespace {

// One process syncs a source at a time (issue 10): a session advisory lock per source, held
// for a pass (SourceLock::pass, every mode). A daemon also owns its sources across passes
// (SourceLock::owner, issue 15), so of several daemons one syncs a source and the others stand
// by, while one-shot runs still wait only for the pass in flight. The two-key form keeps them
// apart from the migrator's and sync.record_window's; $2 is the lock's first key.
constexpr std::string_view kSourceLock = "SELECT pg_try_advisory_lock(hashtext($2), hashtext($1))";
constexpr std::string_view kSourceUnlock = "SELECT pg_advisory_unlock(hashtext($2), hashtext($1))";
// Whether this session holds it: a two-key advisory lock shows in pg_locks as classid = key 1,
// objid = key 2, objsubid = 2 (the int4 keys cast to oid as the server stores them).
constexpr std::string_view kSourceLockHeld =
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND pid = pg_backend_pid() AND classid = hashtext($2)::oid "
    "AND objid = hashtext($1)::oid AND objsubid = 2)";

std::string lock_key(SourceLock kind) {
  return kind == SourceLock::owner ? "partnersync.owner" : "partnersync.source";
}

// sync.windows and sync.backfill_progress hold PostgreSQL dates, which always parse.
Day parse_day(const std::string& text) { return calendar::parse_date(text).value(); }

std::optional<TimePoint> parse_epoch(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return TimePoint(
      std::chrono::microseconds(static_cast<std::int64_t>(f.as<double>() * 1'000'000.0)));
}

std::string_view status_name(RunStatus s) {
  switch (s) {
    case RunStatus::succeeded:
      return "succeeded";
    case RunStatus::failed:
      return "failed";
    case RunStatus::not_applicable:
      return "not_applicable";
    case RunStatus::cancelled:
      return "cancelled";
  }
  return "failed";
}

}  // namespace

struct SyncStore::Connection {
  // Shared: a shutdown's cancel request may still be using it after a reconnect.
  std::shared_ptr<pqxx::connection> c;
  // False after a window failed on this connection: its staging tables may hold dead rows
  // (db::WindowRecord::discard_staged). A new connection has none.
  bool staging_clean = true;
};

SyncStore::SyncStore(std::string database_url)
    : url_(std::move(database_url)), connection_(std::make_unique<Connection>()) {}
SyncStore::~SyncStore() = default;

void SyncStore::disconnect() { connection_->c.reset(); }

pqxx::connection_base& SyncStore::connection() {
  if (!connection_->c || !connection_->c->is_open()) {
    connection_->c = db::connect(url_);
    connection_->staging_clean = true;
  }
  return *connection_->c;
}

template <typename F>
auto SyncStore::with_reconnect(const char* what, F&& work, int attempts) {
  for (int attempt = 1;; ++attempt) {
    try {
      return work(connection());
    } catch (const std::exception& e) {
      // Only what the failure policy calls transient (a lost connection, a serialization
      // failure, a deadlock, an unknown COMMIT outcome) or an unreachable server is retried;
      // every unit of work here is idempotent, so running it again is safe.
      const Failure failure = classify(e);
      if (failure.kind != FailureKind::transient && failure.kind != FailureKind::database_down)
        throw;
      // A shutdown's cancel request (57014, like a statement timeout) or a failure while
      // stopping: not worth a retry, nor a warning.
      if (stop_.stop_requested()) throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
      if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
          dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr ||
          failure.kind == FailureKind::database_down)
        connection_->c.reset();
      if (attempt >= attempts) {
        if (failure.kind == FailureKind::database_down) throw;
        throw db::DatabaseUnavailable(std::string("database failed during ") + what + " " +
                                      std::to_string(attempt) + " times: " + failure.reason);
      }
      spdlog::warn("database: {} during {} (attempt {}/{}), retrying", failure.reason, what,
                   attempt, attempts);
    }
    // 0.5, 1, 2, 4, 4, ... seconds: a PostgreSQL restart takes a few seconds. Shutdown ends
    // the wait at once.
    std::mutex mutex;
    std::unique_lock lock(mutex);
    std::condition_variable_any().wait_for(
        lock, stop_, std::chrono::milliseconds(500 << std::min(attempt - 1, 3)),
        [] { return false; });
    if (stop_.stop_requested()) throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
  }
}

void SyncStore::migrate() {
  // At start a database that cannot be reached is reported at once (exit 69, and systemd's
  // Restart= tries again later); reconnecting with patience is for a running sync.
  db::migrate(static_cast<pqxx::connection&>(connection()), db::embedded_migrations());
}

std::vector<DateRange> SyncStore::coverage(const std::string& source, const std::string& stream) {
  return with_reconnect("reading sync.windows", [&](pqxx::connection_base& c) {
    pqxx::read_transaction tx(c);
    std::vector<DateRange> out;
    for (const auto& row :
         tx.exec_params("SELECT window_from::text, window_to::text FROM sync.windows "
                        "WHERE source = $1 AND stream = $2 ORDER BY window_from",
                        source, stream)) {
      out.push_back({parse_day(row[0].as<std::string>()), parse_day(row[1].as<std::string>())});
    }
    return out;
  });
}

std::vector<DateRange> SyncStore::backfill_done(const std::string& source,
                                                const std::string& stream, DateRange range) {
  return with_reconnect("reading sync.backfill_progress", [&](pqxx::connection_base& c) {
    pqxx::work tx(c);
    const auto from = format_day(range.from), to = format_day(range.to);
    tx.exec_params(
        "DELETE FROM sync.backfill_progress WHERE source = $1 AND stream = $2 "
        "AND (backfill_from, backfill_to) <> ($3::date, $4::date)",
        source, stream, from, to);
    std::vector<DateRange> out;
    for (const auto& row :
         tx.exec_params("SELECT window_from::text, window_to::text FROM sync.backfill_progress "
                        "WHERE source = $1 AND stream = $2 ORDER BY window_from",
                        source, stream)) {
      out.push_back({parse_day(row[0].as<std::string>()), parse_day(row[1].as<std::string>())});
    }
    tx.commit();
    return out;
  });
}

void SyncStore::finish_backfill(const std::string& source, const std::string& stream) {
  with_reconnect("clearing sync.backfill_progress", [&](pqxx::connection_base& c) {
    pqxx::work tx(c);
    tx.exec_params("DELETE FROM sync.backfill_progress WHERE source = $1 AND stream = $2", source,
                   stream);
    tx.commit();
    return 0;
  });
}

StreamState SyncStore::state(const std::string& source, const std::string& stream) {
  return with_reconnect("reading sync.state", [&](pqxx::connection_base& c) {
    pqxx::read_transaction tx(c);
    const auto rows = tx.exec_params(
        "SELECT extract(epoch FROM last_full_refresh_at), not_applicable, "
        "extract(epoch FROM not_applicable_since) FROM sync.state "
        "WHERE source = $1 AND stream = $2",
        source, stream);
    StreamState s;
    if (!rows.empty()) {
      s.last_full_refresh_at = parse_epoch(rows[0][0]);
      s.not_applicable = rows[0][1].as<bool>();
      s.not_applicable_since = parse_epoch(rows[0][2]);
    }
    return s;
  });
}

std::int64_t SyncStore::start_run(const std::string& source, const std::string& stream,
                                  const std::string& mode, std::optional<DateRange> range) {
  return with_reconnect("writing sync.runs", [&](pqxx::connection_base& c) {
    pqxx::work tx(c);
    // A run still 'running' belongs to a process that died (SIGKILL, power loss): one process
    // syncs a source at a time, so close it for what it is.
    tx.exec_params(
        "UPDATE sync.runs SET status = 'failed', finished_at = now(), "
        "error = 'interrupted: the process ended before the run finished' "
        "WHERE source = $1 AND stream = $2 AND status = 'running'",
        source, stream);
    std::optional<std::string> from, to;
    if (range) from = format_day(range->from), to = format_day(range->to);
    const auto row = tx.exec_params1(
        "INSERT INTO sync.runs (source, stream, mode, window_from, window_to) "
        "VALUES ($1, $2, $3, $4::date, $5::date) RETURNING run_id",
        source, stream, mode, from, to);
    tx.exec_params(
        "INSERT INTO sync.state (source, stream, last_attempt_at) VALUES ($1, $2, now()) "
        "ON CONFLICT (source, stream) DO UPDATE SET last_attempt_at = now()",
        source, stream);
    tx.commit();
    return row[0].as<std::int64_t>();
  });
}

void SyncStore::finish_run(std::int64_t run_id, const RunTotals& t, RunStatus status,
                           const std::string& error) {
  with_reconnect("writing sync.runs", [&](pqxx::connection_base& c) {
    pqxx::work tx(c);
    std::optional<std::string> err;
    if (!error.empty()) err = obs::redact(error);
    tx.exec_params(
        "UPDATE sync.runs SET finished_at = now(), status = $2, http_requests = $3, "
        "rows_received = $4, rows_inserted = $5, rows_updated = $6, rows_unchanged = $7, "
        "bytes_received = $8, invalid_values = $9, error = $10 WHERE run_id = $1",
        run_id, std::string(status_name(status)), t.http_requests, t.rows_received, t.rows_inserted,
        t.rows_updated, t.rows_unchanged, t.bytes_received, t.invalid_values, err);
    if (status == RunStatus::succeeded) {
      // Everything this run planned is committed, the windows that failed before included:
      // what an earlier run quarantined is resolved (what this run quarantined is not).
      tx.exec_params(
          "UPDATE sync.quarantine q SET resolved_at = now() FROM sync.runs r "
          "WHERE r.run_id = $1 AND q.source = r.source AND q.stream = r.stream "
          "AND q.resolved_at IS NULL AND q.received_at < r.started_at",
          run_id);
    }
    tx.commit();
    return 0;
  });
}

void SyncStore::record_outcome(const std::string& source, const std::string& stream,
                               RunStatus status, const std::string& error, bool full_refresh_done,
                               std::optional<TimePoint> next_run_at) {
  with_reconnect("writing sync.state", [&](pqxx::connection_base& c) {
    pqxx::work tx(c);
    std::optional<double> next;
    if (next_run_at) next = std::chrono::duration<double>(next_run_at->time_since_epoch()).count();
    std::optional<std::string> err;
    if (!error.empty()) err = obs::redact(error);
    tx.exec_params("INSERT INTO sync.state (source, stream) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                   source, stream);
    tx.exec_params(
        "UPDATE sync.state SET "
        " last_success_at = CASE WHEN $3 IN ('succeeded', 'not_applicable') THEN now() "
        "                   ELSE last_success_at END,"
        " last_error = $4,"
        " last_full_refresh_at = CASE WHEN $5 THEN now() ELSE last_full_refresh_at END,"
        " not_applicable = ($3 = 'not_applicable'),"
        " not_applicable_since = CASE WHEN $3 = 'not_applicable' "
        "                        THEN coalesce(not_applicable_since, now()) END,"
        " next_run_at = to_timestamp($6)"
        " WHERE source = $1 AND stream = $2",
        source, stream, std::string(status_name(status)), err, full_refresh_done, next);
    tx.commit();
    return 0;
  });
}

db::WriteCounts SyncStore::commit(const db::TableLayout& layout, const std::string& copy_text,
                                  std::int64_t rows, const WindowCommit& w) {
  db::WindowRecord record{w.source,     w.stream,        w.timezone,   std::nullopt,
                          std::nullopt, w.child_streams, w.parent_keys};
  if (w.window) record.window = db::DayRange{format_day(w.window->from), format_day(w.window->to)};
  if (w.backfill)
    record.backfill = db::DayRange{format_day(w.backfill->from), format_day(w.backfill->to)};
  auto counts = with_reconnect("writing a window", [&](pqxx::connection_base& c) {
    // Shutdown rolls back the window in flight at once: it cancels the statement running now
    // (PostgreSQL answers 57014, which the failure policy calls cancelled), rather than waiting
    // for a long upsert to end. libpq's cancel request goes on a connection of its own and
    // blocks until the server answers, so it runs on a thread of its own: a server that hangs
    // must not hold up the thread that handles the signals (a second signal still exits).
    if (stop_.stop_requested()) throw SyncError(FailureKind::cancelled, "cancelled by shutdown");
    std::stop_callback cancel(stop_, [held = connection_->c] {
      std::thread([held] {
        try {
          held->cancel_query();
        } catch (const std::exception&) {  // nothing to cancel, or the server is gone
        }
      }).detach();
    });
    record.discard_staged = !connection_->staging_clean;
    connection_->staging_clean = false;
    auto written = db::commit_window(c, layout, copy_text, rows, record);
    connection_->staging_clean = true;
    return written;
  });
  if (counts.direct)
    spdlog::debug("source {} stream {} window {}..{}: first read, {} rows copied into {}", w.source,
                  w.stream, record.window->from, record.window->to, rows, layout.table);
  return counts;
}

namespace {

std::string quoted_table(pqxx::transaction_base& tx, const std::string& table) {
  const auto dot = table.find('.');
  if (dot == std::string::npos) return tx.quote_name(table);
  return tx.quote_name(table.substr(0, dot)) + "." + tx.quote_name(table.substr(dot + 1));
}

}  // namespace

std::int64_t SyncStore::mark_not_found(const db::TableLayout& layout, const std::string& key_column,
                                       const std::string& column, const std::string& source,
                                       const std::vector<std::string>& keys) {
  return with_reconnect("marking rows gone upstream", [&](pqxx::connection_base& c) {
    pqxx::work tx(c);
    const auto table = quoted_table(tx, layout.table);
    const auto key = tx.quote_name(key_column), col = tx.quote_name(column);
    std::int64_t written = 0;
    for (const auto& k : keys) {
      if (layout.partial_update) {
        written +=
            tx.exec_params("UPDATE " + table + " SET " + col + " = now() WHERE source = $1 AND " +
                               key + " = $2 AND " + col + " IS NULL",
                           source, k)
                .affected_rows();
      } else {
        written +=
            tx.exec_params("INSERT INTO " + table + " AS t (source, " + key + ", " + col +
                               ", raw) VALUES ($1, $2, now(), '{}') ON CONFLICT (source, " + key +
                               ") DO UPDATE SET " + col +
                               " = now(), last_changed_at = now() WHERE t." + col + " IS NULL",
                           source, k)
                .affected_rows();
      }
    }
    tx.commit();
    return written;
  });
}

std::vector<std::string> SyncStore::keys_from(const std::string& table, const std::string& column,
                                              const std::string& source,
                                              const std::string& own_table,
                                              const std::string& own_key,
                                              const std::string& not_found_column) {
  return with_reconnect("reading parent keys", [&](pqxx::connection_base& c) {
    pqxx::read_transaction tx(c);
    const auto col = tx.quote_name(column);
    std::string sql = "SELECT DISTINCT p." + col + " FROM " + quoted_table(tx, table) +
                      " p WHERE p.source = $1 AND btrim(coalesce(p." + col + ", '')) <> ''";
    if (!not_found_column.empty())
      sql += " AND NOT EXISTS (SELECT 1 FROM " + quoted_table(tx, own_table) +
             " o WHERE o.source = p.source AND o." + tx.quote_name(own_key) + " = p." + col +
             " AND o." + tx.quote_name(not_found_column) + " IS NOT NULL)";
    sql += " ORDER BY 1";
    std::vector<std::string> out;
    for (const auto& row : tx.exec_params(sql, source)) out.push_back(row[0].as<std::string>());
    return out;
  });
}

std::vector<std::string> SyncStore::pending_children(const std::string& source,
                                                     const std::string& stream,
                                                     const std::string& after,
                                                     std::size_t limit) {
  return with_reconnect("reading sync.pending_children", [&](pqxx::connection_base& c) {
    pqxx::read_transaction tx(c);
    std::vector<std::string> out;
    out.reserve(limit);
    for (const auto& row : tx.exec_params(
             "SELECT parent_key FROM sync.pending_children WHERE source = $1 AND stream = $2 "
             "AND (parent_key > $3 OR $5) ORDER BY parent_key LIMIT $4",
             source, stream, after, static_cast<std::int64_t>(limit), after.empty()))
      out.push_back(row[0].as<std::string>());
    return out;
  });
}

std::int64_t SyncStore::pending_children_before(const std::string& source,
                                                const std::string& stream,
                                                const std::string& parent) {
  return with_reconnect("counting sync.pending_children", [&](pqxx::connection_base& c) {
    pqxx::read_transaction tx(c);
    return tx
        .exec_params1(
            "SELECT count(*) FROM sync.pending_children WHERE source = $1 AND stream = $2 AND "
            "since < coalesce((SELECT max(started_at) FROM sync.runs WHERE source = $1 AND "
            "stream = $3 AND $3 <> ''), 'infinity')",
            source, stream, parent)[0]
        .as<std::int64_t>();
  });
}

// One statement for any number of keys: the keys go as one text[] parameter.
void SyncStore::clear_pending_children(const std::string& source, const std::string& stream,
                                       const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  with_reconnect("clearing sync.pending_children", [&](pqxx::connection_base& c) {
    pqxx::work tx(c);
    tx.exec_params(
        "DELETE FROM sync.pending_children WHERE source = $1 AND stream = $2 AND parent_key = "
        "ANY ($3::text[])",
        source, stream, db::text_array(keys));
    tx.commit();
    return 0;
  });
}

std::vector<StreamStatusRow> SyncStore::status_rows() {
  // Two attempts (a connection closed while idle is reconnected once): /readyz must say
  // "database unreachable" within seconds, not after the sync's patient retries.
  return with_reconnect(
      "reading sync.state",
      [&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        std::vector<StreamStatusRow> out;
        for (const auto& row :
             tx.exec("SELECT s.source, s.stream, extract(epoch FROM s.last_success_at), "
                     "coalesce(s.last_error, ''), s.not_applicable, coalesce(r.status, ''), "
                     "coalesce(r.rows_received, 0) FROM sync.state s LEFT JOIN LATERAL ("
                     "SELECT status, rows_received FROM sync.runs WHERE source = s.source AND "
                     "stream = s.stream ORDER BY run_id DESC LIMIT 1) r ON true "
                     "ORDER BY s.source, s.stream")) {
          StreamStatusRow r;
          r.source = row[0].as<std::string>();
          r.stream = row[1].as<std::string>();
          r.last_success = parse_epoch(row[2]);
          r.last_error = row[3].as<std::string>();
          r.not_applicable = row[4].as<bool>();
          r.last_status = row[5].as<std::string>();
          r.last_rows = row[6].as<std::int64_t>();
          out.push_back(std::move(r));
        }
        for (const auto& row :
             tx.exec("SELECT source, stream, window_from::text, window_to::text FROM sync.windows "
                     "ORDER BY source, stream, window_from")) {
          for (auto& r : out) {
            if (r.source == row[0].c_str() && r.stream == row[1].c_str()) {
              r.coverage.push_back(
                  {parse_day(row[2].as<std::string>()), parse_day(row[3].as<std::string>())});
              break;
            }
          }
        }
        return out;
      },
      2);
}

bool SyncStore::try_lock_source(const std::string& source, SourceLock kind) {
  return with_reconnect("taking the source lock", [&](pqxx::connection_base& c) {
    pqxx::nontransaction tx(c);
    return tx.exec_params1(std::string(kSourceLock), source, lock_key(kind))[0].as<bool>();
  });
}

bool SyncStore::holds_source_lock(const std::string& source, SourceLock kind) {
  // No reconnect: a new session holds no lock, and a lost connection lost the lock.
  if (!connection_->c || !connection_->c->is_open()) return false;
  try {
    pqxx::nontransaction tx(*connection_->c);
    return tx.exec_params1(std::string(kSourceLockHeld), source, lock_key(kind))[0].as<bool>();
  } catch (const pqxx::broken_connection&) {
    connection_->c.reset();
    return false;
  }
}

void SyncStore::unlock_source(const std::string& source, SourceLock kind) {
  // A lost connection released the lock already: nothing to retry.
  if (!connection_->c || !connection_->c->is_open()) return;
  try {
    pqxx::nontransaction tx(*connection_->c);
    tx.exec_params(std::string(kSourceUnlock), source, lock_key(kind));
  } catch (const pqxx::broken_connection&) {
    connection_->c.reset();
  }
}

void SyncStore::quarantine(const std::string& source, const std::string& stream,
                           std::int64_t run_id, const std::string& url, unsigned http_status,
                           const std::string& reason, const std::string& body) {
  with_reconnect("writing sync.quarantine", [&](pqxx::connection_base& c) {
    pqxx::work tx(c);
    std::optional<int> status;
    if (http_status != 0) status = static_cast<int>(http_status);
    std::optional<std::int64_t> run;
    if (run_id > 0) run = run_id;
    tx.exec_params(
        "INSERT INTO sync.quarantine (source, stream, run_id, url, http_status, reason, body) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        source, stream, run, obs::redact(url), status, obs::redact(reason),
        pqxx::binarystring(body.data(), body.size()));
    tx.commit();
    return 0;
  });
}

}  // namespace partnersync::sync
