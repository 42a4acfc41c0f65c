// The transaction of one window, in one place: BEGIN, stage + COPY, merge (the history
// triggers run inside it), the sync.windows and backfill bookkeeping, COMMIT.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/db/staging_writer.hpp"

namespace pqxx {
class connection_base;
}

namespace partnersync::db {

struct DayRange {
  std::string from;  // "YYYY-MM-DD", inclusive
  std::string to;
};

struct WindowRecord {
  std::string source;
  std::string stream;
  std::string timezone;              // how upstream datetimes without offset are read
  std::optional<DayRange> window;    // recorded in sync.windows when set
  std::optional<DayRange> backfill;  // recorded in sync.backfill_progress when set
  // The child streams (invoices of licenses, ...) whose parents these rows are: the parents'
  // keys go into sync.pending_children in the same transaction, so a pass that stops after
  // this commit cannot lose them. The keys are `parent_keys`, or the upsert's changed keys
  // when layout.changed_key is set (children of changed rows only).
  std::vector<std::string> child_streams{};
  std::vector<std::string> parent_keys{};
  // The connection's staging tables may hold a failed window's rows (a rolled-back COPY leaves
  // them dead in the file, and the upsert's last-wins relies on COPY order): DISCARD TEMP first.
  bool discard_staged = false;
};

// Writes `rows` COPY lines of `copy_text` into layout.table and records the window, all in one
// transaction: either everything is committed or nothing is. Throws what libpqxx throws; the
// engine's failure policy classifies it.
WriteCounts commit_window(pqxx::connection_base& connection, const TableLayout& layout,
                          const std::string& copy_text, std::int64_t rows,
                          const WindowRecord& record);

}  // namespace partnersync::db
