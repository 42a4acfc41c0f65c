// SQL is built from declarations (trusted names, quoted anyway), never from data: values only
// travel through COPY and parameters.
#include "daemon/db/staging_writer.hpp"

#include <algorithm>
#include <pqxx/pqxx>
#include <pqxx/tablewriter>

namespace partnersync::db {
namespace {

std::string quote_table(pqxx::transaction_base& tx, const std::string& table) {
  const auto dot = table.find('.');
  if (dot == std::string::npos) return tx.quote_name(table);
  return tx.quote_name(table.substr(0, dot)) + "." + tx.quote_name(table.substr(dot + 1));
}

std::string join(pqxx::transaction_base& tx, const std::vector<std::string>& names,
                 const std::string& prefix = "") {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += prefix + tx.quote_name(n);
  }
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void stage(pqxx::transaction_base& tx, const TableLayout& layout, std::string& copy_text) {
  tx.exec("CREATE TEMP TABLE ps_stage ON COMMIT DROP AS SELECT " + join(tx, layout.columns) +
          " FROM " + quote_table(tx, layout.table) + " WITH NO DATA");
  // libpqxx 6.4's stream_to builds a string per row and keeps write_raw_line private;
  // tablewriter (deprecated there, still the COPY writer of 6.4) sends what it is given as one
  // COPY data message plus '\n': the whole window's ready-escaped lines go in one call.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pqxx::tablewriter copy(tx, "ps_stage", layout.columns.begin(), layout.columns.end());
#pragma GCC diagnostic pop
  if (!copy_text.empty() && copy_text.back() == '\n') {
    copy_text.pop_back();  // tablewriter adds the last newline itself
    copy.write_raw_line(copy_text);
    copy_text.push_back('\n');
  }
  copy.complete();
}

// The staged rows, one per key (the last staged wins: ctid order is COPY order in a table
// that only this COPY filled).
std::string deduplicated(pqxx::transaction_base& tx, const TableLayout& layout) {
  return "SELECT DISTINCT ON (" + join(tx, layout.key) + ") " + join(tx, layout.columns) +
         " FROM ps_stage ORDER BY " + join(tx, layout.key) + ", ctid DESC";
}

WriteCounts upsert(pqxx::transaction_base& tx, const TableLayout& layout, std::int64_t rows) {
  std::vector<std::string> changing;
  for (const auto& c : layout.columns)
    if (!contains(layout.key, c)) changing.push_back(c);
  std::string set, target_values, new_values;
  for (const auto& c : changing) {
    const auto q = tx.quote_name(c);
    set += q + " = EXCLUDED." + q + ", ";
    target_values += (target_values.empty() ? "t." : ", t.") + q;
    new_values += (new_values.empty() ? "EXCLUDED." : ", EXCLUDED.") + q;
  }
  set += "last_changed_at = now()";
  std::string sql = "WITH upserted AS (INSERT INTO " + quote_table(tx, layout.table) + " AS t (" +
                    join(tx, layout.columns) + ") " + deduplicated(tx, layout) + " ON CONFLICT (" +
                    join(tx, layout.key) + ") DO ";
  if (changing.empty()) {
    sql += "NOTHING";
  } else {
    sql += "UPDATE SET " + set + " WHERE (" + target_values + ") IS DISTINCT FROM (" + new_values +
           ")";
  }
  sql +=
      " RETURNING (xmax = 0) AS inserted) "
      "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) "
      "FROM upserted";
  const auto row = tx.exec1(sql);
  WriteCounts counts;
  counts.inserted = row[0].as<std::int64_t>();
  counts.updated = row[1].as<std::int64_t>();
  counts.unchanged = rows - counts.inserted - counts.updated;
  return counts;
}

WriteCounts update_only(pqxx::transaction_base& tx, const TableLayout& layout, std::int64_t rows) {
  std::string set, match, target_values, new_values;
  for (const auto& c : layout.columns) {
    const auto q = tx.quote_name(c);
    if (contains(layout.key, c)) {
      match += (match.empty() ? "" : " AND ") + ("t." + q + " = s." + q);
      continue;
    }
    set += q + " = s." + q + ", ";
    target_values += (target_values.empty() ? "t." : ", t.") + q;
    new_values += (new_values.empty() ? "s." : ", s.") + q;
  }
  set += "last_changed_at = now()";
  const auto row = tx.exec1(
      "WITH updated AS (UPDATE " + quote_table(tx, layout.table) + " AS t SET " + set + " FROM (" +
      deduplicated(tx, layout) + ") s WHERE " + match + " AND (" + target_values +
      ") IS DISTINCT FROM (" + new_values + ") RETURNING 1) SELECT count(*) FROM updated");
  WriteCounts counts;
  counts.updated = row[0].as<std::int64_t>();
  counts.unchanged = rows - counts.updated;
  return counts;
}

// Snapshots: compare the staged rows with the source's latest snapshot as sets; equal sets
// only move last_seen_at, different ones become a new snapshot at now().
WriteCounts snapshot(pqxx::transaction_base& tx, const TableLayout& layout, std::int64_t rows,
                     const std::string& source) {
  const auto table = quote_table(tx, layout.table);
  const auto cols = join(tx, layout.columns);
  const std::string latest = "(SELECT max(taken_at) FROM " + table + " WHERE source = $1)";
  const std::string previous =
      "SELECT " + cols + " FROM " + table + " WHERE source = $1 AND taken_at = " + latest;
  const auto diff = tx.exec_params1("SELECT (SELECT count(*) FROM (" + previous +
                                        ") p), (SELECT count(*) FROM ((SELECT " + cols +
                                        " FROM ps_stage EXCEPT " + previous + ") UNION ALL (" +
                                        previous + " EXCEPT SELECT " + cols + " FROM ps_stage)) d)",
                                    source);
  WriteCounts counts;
  if (diff[0].as<std::int64_t>() > 0 && diff[1].as<std::int64_t>() == 0) {
    tx.exec_params(
        "UPDATE " + table + " SET last_seen_at = now() WHERE source = $1 AND taken_at = " + latest,
        source);
    counts.unchanged = rows;
    return counts;
  }
  counts.inserted = tx.exec("INSERT INTO " + table + " (" + cols + ", taken_at) SELECT " + cols +
                            ", now() FROM ps_stage")
                        .affected_rows();
  return counts;
}

}  // namespace

WriteCounts write_rows(pqxx::transaction_base& tx, const TableLayout& layout,
                       std::string& copy_text, std::int64_t rows, const std::string& source) {
  stage(tx, layout, copy_text);
  if (layout.snapshot) return snapshot(tx, layout, rows, source);
  if (layout.partial_update) return update_only(tx, layout, rows);
  return upsert(tx, layout, rows);
}

}  // namespace partnersync::db
