// Four round trips per window (measured in the second session: fewer did not lower CPU):
//   1. BEGIN
//   2. SET LOCAL TimeZone; CREATE TEMP TABLE ps_stage; COPY ps_stage FROM STDIN + the data
//   3. the merge (upsert, update-only or snapshot); sync.record_window; backfill progress
//   4. COMMIT
// The bookkeeping rides behind the merge: sync.record_window's lock, held to COMMIT, must not
// serialise the merges of windows committing on other connections. These statements ride a
// simple-query batch, which cannot take parameters: their values (none from upstream) go
// through libpq's quoting (tx.quote).
#include "daemon/db/window_transaction.hpp"

#include <pqxx/pqxx>

namespace partnersync::db {

WriteCounts commit_window(pqxx::connection_base& connection, const TableLayout& layout,
                          const std::string& copy_text, std::int64_t rows, const WindowRecord& w) {
  pqxx::work tx(connection);
  // Upstream datetimes carry no offset: PostgreSQL reads them in the source's zone, with the
  // system tz database (DST included).
  Riders riders;
  riders.before_stage = "SELECT set_config('TimeZone', " + tx.quote(w.timezone) + ", true); ";
  if (w.window) {
    riders.after_merge = "SELECT sync.record_window(" + tx.quote(w.source) + ", " +
                         tx.quote(w.stream) + ", " + tx.quote(w.window->from) + "::date, " +
                         tx.quote(w.window->to) + "::date, " + std::to_string(rows) + "); ";
    if (w.backfill) {
      riders.after_merge +=
          "INSERT INTO sync.backfill_progress (source, stream, backfill_from, backfill_to, "
          "window_from, window_to) VALUES (" +
          tx.quote(w.source) + ", " + tx.quote(w.stream) + ", " + tx.quote(w.backfill->from) +
          "::date, " + tx.quote(w.backfill->to) + "::date, " + tx.quote(w.window->from) +
          "::date, " + tx.quote(w.window->to) +
          "::date) ON CONFLICT (source, stream, window_from) DO UPDATE SET window_to = "
          "EXCLUDED.window_to; ";
    }
  }
  WriteCounts counts;
  // An empty list of a replacing set still marks what it no longer lists (mark_removed).
  if (rows > 0) {
    counts = write_rows(tx, layout, copy_text, rows, w.source, riders);
  } else {
    tx.exec(riders.before_stage + riders.after_merge);
    counts.updated += mark_removed(tx, layout, w.source, false);
  }
  tx.commit();
  return counts;
}

}  // namespace partnersync::db
