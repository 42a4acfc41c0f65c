// Four round trips per window (measured in the second session: fewer did not lower CPU):
//   1. BEGIN
//   2. SET LOCAL TimeZone; CREATE TEMP TABLE IF NOT EXISTS ps_stage_*; COPY it FROM STDIN + data
//   3. the merge (upsert, update-only or snapshot); sync.record_window; backfill progress
//   4. COMMIT
// (A window whose rows are parents of a child stream adds one: their keys into
// sync.pending_children, before COMMIT.)
// A first read of created-date days (issue 16) takes five and no merge:
//   1. BEGIN
//   2. is this window a gap with no row yet? ; SET LOCAL TimeZone
//   3. SAVEPOINT; COPY straight into the table + the data
//   4. sync.record_window; backfill progress
//   5. COMMIT
// Rows and their window commit together and a row's creation date does not move, so a window
// no sync.windows row overlaps cannot have rows in the table: the check of step 2 proves it
// for this transaction's snapshot (an index on the scope and the window column keeps it cheap),
// and a key already there anyway (a concurrent writer, a creation date that did move, a key
// twice in the batch) fails the COPY with unique_violation: back to the savepoint and the
// staged upsert, in the same transaction.
// The bookkeeping rides behind the merge: sync.record_window's lock, held to COMMIT, must not
// serialise the merges of windows committing on other connections. These statements ride a
// simple-query batch, which cannot take parameters: their values (none from upstream) go
// through libpq's quoting (tx.quote).
#include "daemon/db/window_transaction.hpp"

#include <pqxx/pqxx>

namespace partnersync::db {
namespace {

std::string quote_table(pqxx::transaction_base& tx, const std::string& table) {
  const auto dot = table.find('.');
  if (dot == std::string::npos) return tx.quote_name(table);
  return tx.quote_name(table.substr(0, dot)) + "." + tx.quote_name(table.substr(dot + 1));
}

// True ("t") when no sync.windows row of the stream overlaps the window and no row of the
// stream in the table was created on its days (in the source's zone, as upstream filters).
std::string no_rows_yet(pqxx::transaction_base& tx, const TableLayout& layout,
                        const WindowRecord& w) {
  const auto from = tx.quote(w.window->from) + "::date";
  const auto to = tx.quote(w.window->to) + "::date";
  const auto zone = tx.quote(w.timezone);
  const auto column = tx.quote_name(layout.window_column);
  std::string rows =
      "SELECT 1 FROM " + quote_table(tx, layout.table) + " WHERE source = " + tx.quote(w.source);
  for (const auto& [name, value] : layout.scope)
    rows += " AND " + tx.quote_name(name) + " = " + tx.quote(value);
  rows += " AND " + column + " >= (" + from + "::timestamp AT TIME ZONE " + zone + ") AND " +
          column + " < ((" + to + " + 1)::timestamp AT TIME ZONE " + zone + ")";
  return "SELECT NOT EXISTS (SELECT 1 FROM sync.windows WHERE source = " + tx.quote(w.source) +
         " AND stream = " + tx.quote(w.stream) + " AND window_from <= " + to +
         " AND window_to >= " + from + ") AND NOT EXISTS (" + rows + "); ";
}

WriteCounts write_window(pqxx::connection_base& connection, const TableLayout& layout,
                         const std::string& copy_text, std::int64_t rows, const WindowRecord& w);

// WindowRecord::child_streams: one statement for every child stream and key.
void record_pending_children(pqxx::transaction_base& tx, const TableLayout& layout,
                             const WindowRecord& w, const WriteCounts& counts) {
  const auto& keys = layout.changed_key.empty() ? w.parent_keys : counts.changed_keys;
  if (w.child_streams.empty() || keys.empty()) return;
  tx.exec_params(
      "INSERT INTO sync.pending_children (source, stream, parent_key) SELECT $1, s, k FROM "
      "unnest($2::text[]) AS s, unnest($3::text[]) AS k ON CONFLICT DO NOTHING",
      w.source, text_array(w.child_streams), text_array(keys));
}

// PostgreSQL's disk-full error names a file ("could not extend file "pg_tblspc/16385/..."): the
// table and stream are named in front of it. The SQLSTATE is kept for the failure policy.
[[noreturn]] void rethrow_out_of_resources(const pqxx::sql_error& e, const TableLayout& layout,
                                           const WindowRecord& w) {
  std::string what = e.what();
  what = what.substr(0, what.find('\n'));
  if (what.starts_with("ERROR:")) {
    const auto text = what.find_first_not_of(' ', 6);
    what = text == std::string::npos ? std::string() : what.substr(text);
  }
  const std::string problem =
      e.sqlstate() == "53100" ? "disk full" : "the database server is out of resources";
  std::string window;
  if (w.window) window = " window " + w.window->from + ".." + w.window->to;
  throw pqxx::sql_error(problem + " writing " + layout.table + " (source " + w.source + " stream " +
                            w.stream + window + ", SQLSTATE " + e.sqlstate() + "): " + what,
                        e.query(), e.sqlstate().c_str());
}

}  // namespace

WriteCounts commit_window(pqxx::connection_base& connection, const TableLayout& layout,
                          const std::string& copy_text, std::int64_t rows, const WindowRecord& w) {
  try {
    return write_window(connection, layout, copy_text, rows, w);
  } catch (const pqxx::sql_error& e) {
    // Class 53, insufficient resources: 53100 disk_full, 53200 out_of_memory, ...
    if (e.sqlstate().starts_with("53")) rethrow_out_of_resources(e, layout, w);
    throw;
  }
}

namespace {

WriteCounts write_window(pqxx::connection_base& connection, const TableLayout& layout,
                         const std::string& copy_text, std::int64_t rows, const WindowRecord& w) {
  pqxx::work tx(connection);
  // Upstream datetimes carry no offset: PostgreSQL reads them in the source's zone, with the
  // system tz database (DST included).
  Riders riders;
  riders.before_stage = "SELECT set_config('TimeZone', " + tx.quote(w.timezone) + ", true); ";
  if (w.discard_staged) riders.before_stage += "DISCARD TEMP; ";
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
  // (Not for sets or changed-key streams: the direct COPY neither marks removals nor returns
  // the changed keys.)
  if (rows > 0 && w.window && !layout.window_column.empty() && !layout.snapshot &&
      !layout.partial_update && layout.removed_column.empty() && layout.changed_key.empty()) {
    if (first_row(tx, no_rows_yet(tx, layout, w) + riders.before_stage).at(0) == "t" &&
        copy_into_table(tx, layout, copy_text)) {
      counts.inserted = rows;
      counts.direct = true;
      tx.exec(riders.after_merge);
      record_pending_children(tx, layout, w, counts);
      tx.commit();
      return counts;
    }
    riders.before_stage.clear();  // the time zone is set
  }
  if (rows > 0) {
    counts = write_rows(tx, layout, copy_text, rows, w.source, riders);
  } else {
    tx.exec(riders.before_stage + riders.after_merge);
    counts.updated += mark_removed(tx, layout, w.source, false);
  }
  record_pending_children(tx, layout, w, counts);
  tx.commit();
  return counts;
}

}  // namespace

}  // namespace partnersync::db
