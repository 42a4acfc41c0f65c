// Writes a window's rows: COPY into a temporary staging table, then one INSERT ... ON CONFLICT
// DO UPDATE ... WHERE changed into the target, so an unchanged re-read writes nothing.
// The staging table is the connection's, kept across windows (ON COMMIT DELETE ROWS): creating
// and dropping one per window cost PostgreSQL a catalog write and a file per window, which
// dominated passes of many small windows (many_sources_bench, issue 16).
#pragma once

#include <cstdint>
#include <pqxx/dbtransaction>
#include <string>
#include <utility>
#include <vector>

namespace partnersync::db {

struct TableLayout {
  std::string table;                 // "schema.table"
  std::vector<std::string> columns;  // staged columns, in COPY order
  std::vector<std::string> key;      // the conflict key
  bool partial_update = false;       // UPDATE existing rows only (no insert, no raw)
  bool snapshot = false;             // a new snapshot (taken_at) only when values changed
  // When set, WriteCounts::changed_keys holds this column's values of the rows the upsert
  // inserted or updated.
  std::string changed_key{};
  // A replacing set (StreamSpec::removed_column): after the merge, rows of the source whose
  // `set_scope` column is one of `scope_values` (every row of the source when set_scope is
  // empty) and that were not staged get removed_column = now(); staged rows get it NULL.
  std::string removed_column{};
  std::string set_scope{};
  std::vector<std::string> scope_values{};
  // StreamSpec::not_found_column: set when upstream answered 404 for a row's record; a row
  // written again (its record answered again) gets it NULL.
  std::string not_found_column{};
  // Created-date windows (issue 16): the timestamptz column the window's days filter on, and
  // the constant key columns that tell this stream's rows from other streams' in the same
  // table (program = 'livechat'). Set, a window that no sync.windows row overlaps and whose
  // days hold no row yet is COPied straight into the table (window_transaction.cpp).
  std::string window_column{};
  std::vector<std::pair<std::string, std::string>> scope{};
};

struct WriteCounts {
  std::int64_t inserted = 0;
  std::int64_t updated = 0;
  std::int64_t unchanged = 0;
  std::vector<std::string> changed_keys{};  // TableLayout::changed_key
  bool direct = false;  // COPY straight into the table: no staging table, no upsert
};

// SQL the caller runs in the same round trips as the write, so a window waits for the server
// fewer times: `before_stage` ahead of the staging table and the COPY, `after_merge` behind
// the merge. Built from trusted values, each statement ';'-terminated.
struct Riders {
  std::string before_stage;
  std::string after_merge;
};

// Stages `copy_text` (COPY text lines for layout.columns, `rows` of them) and merges it into
// the target inside `tx`. Duplicate keys within the batch: the last one wins.
// The removal half of a replacing set (TableLayout::removed_column) when nothing was staged:
// every row of the scopes is no longer listed. Returns the rows marked.
std::int64_t mark_removed(pqxx::dbtransaction& tx, const TableLayout& layout,
                          const std::string& source, bool staged);

WriteCounts write_rows(pqxx::dbtransaction& tx, const TableLayout& layout,
                       const std::string& copy_text, std::int64_t rows, const std::string& source,
                       const Riders& riders = {});

// COPY `copy_text` straight into layout.table under a savepoint. False when a key is already
// in the table or twice in the batch (unique_violation): the savepoint is rolled back, so
// nothing is written and `tx` goes on. Any other error is thrown as write_rows throws it.
bool copy_into_table(pqxx::dbtransaction& tx, const TableLayout& layout,
                     const std::string& copy_text);

// Runs `sql` (';'-separated statements, in one round trip) and returns the first statement's
// first row as text.
std::vector<std::string> first_row(pqxx::dbtransaction& tx, const std::string& sql);

// The staging table of a layout on every connection: ps_stage_ and a hash of the target's
// name and the staged columns, so layouts that stage different columns never share one.
std::string staging_table(const TableLayout& layout);

// A PostgreSQL text[] literal of `values` ({"a","b\"c"}), for a bound parameter.
std::string text_array(const std::vector<std::string>& values);

}  // namespace partnersync::db
