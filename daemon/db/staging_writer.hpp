// Writes a window's rows: COPY into a temporary staging table, then one INSERT ... ON CONFLICT
// DO UPDATE ... WHERE changed into the target, so an unchanged re-read writes nothing.
#pragma once

#include <cstdint>
#include <pqxx/dbtransaction>
#include <string>
#include <vector>

namespace partnersync::db {

struct TableLayout {
  std::string table;                 // "schema.table"
  std::vector<std::string> columns;  // staged columns, in COPY order
  std::vector<std::string> key;      // the conflict key
  bool partial_update = false;       // UPDATE existing rows only (no insert, no raw)
  bool snapshot = false;             // a new snapshot (taken_at) only when values changed
  // Rows of the source no longer staged get removed_at = now(), staged ones removed_at = NULL
  // (StreamSpec::removed_when_unlisted). removal_within: columns whose staged values delimit
  // the set that was read (a per-parent stream's parent key); empty = the source's whole table.
  bool marks_removed = false;
  std::vector<std::string> removal_within = {};
};

struct WriteCounts {
  std::int64_t inserted = 0;
  std::int64_t updated = 0;
  std::int64_t unchanged = 0;
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
WriteCounts write_rows(pqxx::dbtransaction& tx, const TableLayout& layout,
                       const std::string& copy_text, std::int64_t rows, const std::string& source,
                       const Riders& riders = {});

}  // namespace partnersync::db
