// As ClickHouse's PostgreSQL code does: connect lazily, and on a broken connection reconnect
// and retry the whole unit of work a bounded number of times (every unit here is idempotent:
// upserts, interval merges, inserts of run and quarantine records).
#include "daemon/sync/sync_store.hpp"

#include <spdlog/spdlog.h>

#include <pqxx/pqxx>
#include <thread>

#include "daemon/db/database.hpp"
#include "daemon/db/migrator.hpp"
#include "daemon/obs/redact.hpp"

namespace partnersync::sync {
namespace {

constexpr int kReconnectAttempts = 8;

Day parse_day(const std::string& text) {
  int y = 0;
  unsigned m = 0, d = 0;
  std::sscanf(text.c_str(), "%d-%u-%u", &y, &m, &d);
  return std::chrono::sys_days(std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d));
}

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
  std::unique_ptr<pqxx::connection> c;
};

SyncStore::SyncStore(std::string database_url)
    : url_(std::move(database_url)), connection_(std::make_unique<Connection>()) {}
SyncStore::~SyncStore() = default;

void SyncStore::disconnect() { connection_->c.reset(); }

pqxx::connection_base& SyncStore::connection() {
  if (!connection_->c || !connection_->c->is_open()) connection_->c = db::connect(url_);
  return *connection_->c;
}

template <typename F>
auto SyncStore::with_reconnect(const char* what, F&& work) {
  for (int attempt = 1;; ++attempt) {
    try {
      return work(connection());
    } catch (const pqxx::broken_connection& e) {
      connection_->c.reset();
      if (attempt >= kReconnectAttempts) {
        throw db::DatabaseUnavailable(std::string("database connection lost during ") + what +
                                      ": " + obs::redact(e.what()));
      }
    } catch (const db::DatabaseUnavailable& e) {
      connection_->c.reset();
      if (attempt >= kReconnectAttempts) throw;
      spdlog::warn("{} (attempt {}/{})", e.what(), attempt, kReconnectAttempts);
    }
    // 0.5, 1, 2, 4, 4, ... seconds: a PostgreSQL restart takes a few seconds.
    std::this_thread::sleep_for(std::chrono::milliseconds(500 << std::min(attempt - 1, 3)));
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
  return with_reconnect("writing a window", [&](pqxx::connection_base& c) {
    pqxx::work tx(c);
    // Upstream datetimes carry no offset: PostgreSQL reads them in the source's zone, with the
    // system tz database (DST included). This and the window's bookkeeping ride along with
    // the staging and merge statements (values quoted by libpq, none from upstream), so a
    // window is BEGIN, stage + COPY, merge, COMMIT: four round trips. The bookkeeping comes
    // after the merge: sync.record_window's lock, held to COMMIT, must not serialise the
    // merges of windows committing on other connections.
    db::Riders riders;
    riders.before_stage = "SELECT set_config('TimeZone', " + tx.quote(w.timezone) + ", true); ";
    if (w.window) {
      riders.after_merge = "SELECT sync.record_window(" + tx.quote(w.source) + ", " +
                           tx.quote(w.stream) + ", " + tx.quote(format_day(w.window->from)) +
                           "::date, " + tx.quote(format_day(w.window->to)) + "::date, " +
                           std::to_string(rows) + "); ";
      if (w.backfill) {
        riders.after_merge +=
            "INSERT INTO sync.backfill_progress (source, stream, backfill_from, backfill_to, "
            "window_from, window_to) VALUES (" +
            tx.quote(w.source) + ", " + tx.quote(w.stream) + ", " +
            tx.quote(format_day(w.backfill->from)) + "::date, " +
            tx.quote(format_day(w.backfill->to)) + "::date, " +
            tx.quote(format_day(w.window->from)) + "::date, " + tx.quote(format_day(w.window->to)) +
            "::date) ON CONFLICT (source, stream, window_from) DO UPDATE SET window_to = "
            "EXCLUDED.window_to; ";
      }
    }
    db::WriteCounts counts;
    if (rows > 0) {
      counts = db::write_rows(tx, layout, copy_text, rows, w.source, riders);
    } else {
      tx.exec(riders.before_stage + riders.after_merge);
    }
    tx.commit();
    return counts;
  });
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
