// SQL is built from declarations (trusted names, quoted anyway), never from data: values only
// travel through COPY and parameters.
#include "daemon/db/staging_writer.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <pqxx/largeobject>
#include <pqxx/pqxx>
#include <stdexcept>

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

// libpqxx 6.4 reaches a transaction's PGconn only through largeobject's protected static
// raw_connection(). Two things it cannot do go through libpq on the transaction's own
// connection (so they are part of `tx`): COPY from our buffer (its writers, stream_to and
// tablewriter, copy every row or line into a fresh string first), and several statements in
// one round trip with the first one's result (PQexec keeps only the last).
class RawConnection : pqxx::largeobject {
 public:
  // `sql` ends with the COPY statement; libpq stops at its CopyInResponse.
  static void copy_in(pqxx::dbtransaction& tx, const std::string& sql, std::string_view data,
                      const std::string& target) {
    tx.exec(sql);
    PGconn* const conn = raw_connection(tx);
    // libpq copies each message into its output buffer, sends it when it passes 8 KiB, and
    // never shrinks the buffer: 256 KiB messages go out in a few large sends (a quarter of the
    // syscalls of 64 KiB ones) and keep that buffer small whatever the window's size.
    constexpr std::size_t kMessage = std::size_t{256} * 1024;
    const char* failed = nullptr;
    for (std::size_t at = 0; at < data.size() && failed == nullptr; at += kMessage) {
      const auto n = std::min(kMessage, data.size() - at);
      if (PQputCopyData(conn, data.data() + at, static_cast<int>(n)) != 1)
        failed = "sending COPY data";
    }
    if (PQputCopyEnd(conn, failed) != 1 && failed == nullptr) failed = "ending COPY";
    std::string error, sqlstate;
    drain(conn, error, sqlstate, nullptr);
    if (failed != nullptr && error.empty()) error = PQerrorMessage(conn);
    check(conn, failed != nullptr ? failed : "copying", error, sqlstate,
          "COPY " + target + " FROM STDIN");
  }

  // Runs `sql`, ';'-separated statements, and returns the first one's first row as text.
  static std::vector<std::string> first_row(pqxx::dbtransaction& tx, const std::string& sql) {
    PGconn* const conn = raw_connection(tx);
    std::string error, sqlstate;
    std::vector<std::string> row;
    if (PQsendQuery(conn, sql.c_str()) != 1) {
      error = PQerrorMessage(conn);
    } else {
      drain(conn, error, sqlstate, &row);
    }
    check(conn, "running a statement", error, sqlstate, sql);
    return row;
  }

 private:
  // Reads results until libpq has none left (so the connection is ready for the next
  // statement), keeping the first error with its SQLSTATE (the engine's failure policy
  // decides by it: failure_policy.cpp) and, when asked, the first result's first row.
  static void drain(PGconn* conn, std::string& error, std::string& sqlstate,
                    std::vector<std::string>* row) {
    bool first = true;
    while (PGresult* result = PQgetResult(conn)) {
      const auto status = PQresultStatus(result);
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && error.empty()) {
        error = PQresultErrorMessage(result);
        const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
        if (state != nullptr) sqlstate = state;
      }
      if (row != nullptr && first && status == PGRES_TUPLES_OK && PQntuples(result) > 0)
        for (int i = 0; i < PQnfields(result); ++i) row->emplace_back(PQgetvalue(result, 0, i));
      first = false;
      PQclear(result);
    }
  }

  static void check(PGconn* conn, const char* doing, const std::string& error,
                    const std::string& sqlstate, const std::string& query) {
    if (PQstatus(conn) != CONNECTION_OK)
      throw pqxx::broken_connection(std::string("connection lost while ") + doing + ": " +
                                    PQerrorMessage(conn));
    if (!error.empty())
      throw pqxx::sql_error(error, query, sqlstate.empty() ? nullptr : sqlstate.c_str());
  }
};

void stage(pqxx::dbtransaction& tx, const TableLayout& layout, const std::string& copy_text,
           const std::string& before) {
  const auto name = staging_table(layout);
  // IF NOT EXISTS answers an existing table with a NOTICE, which libpqxx would print.
  RawConnection::copy_in(tx,
                         before + "SELECT set_config('client_min_messages', 'warning', true); " +
                             "CREATE TEMP TABLE IF NOT EXISTS " + name +
                             " ON COMMIT DELETE ROWS AS SELECT " + join(tx, layout.columns) +
                             " FROM " + quote_table(tx, layout.table) + " WITH NO DATA; COPY " +
                             name + " (" + join(tx, layout.columns) + ") FROM STDIN",
                         copy_text, name);
}

// The staged rows, one per key (the last staged wins: ctid order is COPY order in a table
// that only this COPY filled, which the staging table's ON COMMIT DELETE ROWS and DISCARD TEMP
// after a failed window (WindowRecord::discard_staged) keep true).
std::string deduplicated(pqxx::transaction_base& tx, const TableLayout& layout) {
  return "SELECT DISTINCT ON (" + join(tx, layout.key) + ") " + join(tx, layout.columns) +
         " FROM " + staging_table(layout) + " ORDER BY " + join(tx, layout.key) + ", ctid DESC";
}

// A timestamptz column a written row gets NULL in (removed_at of a member listed again,
// deleted_upstream_at of a record that answers again): set, and compared like the values.
void clear_on_write(pqxx::transaction_base& tx, const std::string& column, std::string& set,
                    std::string& target_values, std::string& new_values) {
  if (column.empty()) return;
  const auto q = tx.quote_name(column);
  set += q + " = NULL, ";
  target_values += (target_values.empty() ? "t." : ", t.") + q;
  new_values += new_values.empty() ? "NULL::timestamptz" : ", NULL::timestamptz";
}

WriteCounts upsert(pqxx::dbtransaction& tx, const TableLayout& layout, std::int64_t rows,
                   const std::string& after) {
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
  // A member listed again, a record that answers again after a 404: current again.
  clear_on_write(tx, layout.removed_column, set, target_values, new_values);
  clear_on_write(tx, layout.not_found_column, set, target_values, new_values);
  set += "last_changed_at = now()";
  std::string sql = "WITH upserted AS (INSERT INTO " + quote_table(tx, layout.table) + " AS t (" +
                    join(tx, layout.columns) + ") " + deduplicated(tx, layout) + " ON CONFLICT (" +
                    join(tx, layout.key) + ") DO ";
  if (changing.empty() && layout.removed_column.empty() && layout.not_found_column.empty()) {
    sql += "NOTHING";
  } else {
    sql += "UPDATE SET " + set + " WHERE (" + target_values + ") IS DISTINCT FROM (" + new_values +
           ")";
  }
  const bool keys = !layout.changed_key.empty();
  sql += " RETURNING (xmax = 0) AS inserted";
  if (keys) sql += ", " + tx.quote_name(layout.changed_key) + "::text AS changed_key";
  sql += ") SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)";
  // Keys are upstream ids: joined by a newline, which no id holds (an id with one would only
  // be read twice).
  if (keys) sql += ", coalesce(string_agg(changed_key, E'\\n'), '')";
  sql += " FROM upserted; ";
  const auto row = RawConnection::first_row(tx, sql + after);
  if (row.size() != (keys ? 3u : 2u)) throw std::logic_error("the upsert returned no counts");
  WriteCounts counts;
  counts.inserted = std::stoll(row[0]);
  counts.updated = std::stoll(row[1]);
  counts.unchanged = rows - counts.inserted - counts.updated;
  if (keys) {
    const std::string& all = row[2];
    for (std::size_t start = 0; start < all.size();) {
      auto end = all.find('\n', start);
      if (end == std::string::npos) end = all.size();
      counts.changed_keys.push_back(all.substr(start, end - start));
      start = end + 1;
    }
  }
  return counts;
}

WriteCounts update_only(pqxx::dbtransaction& tx, const TableLayout& layout, std::int64_t rows,
                        const std::string& after) {
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
  clear_on_write(tx, layout.not_found_column, set, target_values, new_values);
  set += "last_changed_at = now()";
  const auto row = RawConnection::first_row(
      tx, "WITH updated AS (UPDATE " + quote_table(tx, layout.table) + " AS t SET " + set +
              " FROM (" + deduplicated(tx, layout) + ") s WHERE " + match + " AND (" +
              target_values + ") IS DISTINCT FROM (" + new_values +
              ") RETURNING 1) SELECT count(*) FROM updated; " + after);
  if (row.size() != 1) throw std::logic_error("the update returned no count");
  WriteCounts counts;
  counts.updated = std::stoll(row[0]);
  counts.unchanged = rows - counts.updated;
  return counts;
}

// Snapshots: compare the staged rows with the source's latest snapshot as sets; equal sets
// only move last_seen_at, different ones become a new snapshot at now().
WriteCounts snapshot(pqxx::transaction_base& tx, const TableLayout& layout, std::int64_t rows,
                     const std::string& source) {
  const auto table = quote_table(tx, layout.table);
  const auto cols = join(tx, layout.columns);
  const auto staged = staging_table(layout);
  const std::string latest = "(SELECT max(taken_at) FROM " + table + " WHERE source = $1)";
  const std::string previous =
      "SELECT " + cols + " FROM " + table + " WHERE source = $1 AND taken_at = " + latest;
  const auto diff = tx.exec_params1(
      "SELECT (SELECT count(*) FROM (" + previous + ") p), (SELECT count(*) FROM ((SELECT " + cols +
          " FROM " + staged + " EXCEPT " + previous + ") UNION ALL (" + previous +
          " EXCEPT SELECT " + cols + " FROM " + staged + ")) d)",
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
                            ", now() FROM " + staged)
                        .affected_rows();
  return counts;
}

}  // namespace

std::string staging_table(const TableLayout& layout) {
  std::uint32_t hash = 2166136261u;  // FNV-1a over the target's name and the staged columns
  auto mix = [&hash](std::string_view text) {
    for (const char c : text) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 16777619u;
    }
    hash ^= 0xffu;  // a separator no name holds
    hash *= 16777619u;
  };
  mix(layout.table);
  for (const auto& c : layout.columns) mix(c);
  char name[32];
  std::snprintf(name, sizeof name, "ps_stage_%08x", static_cast<unsigned>(hash));
  return name;
}

std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::int64_t mark_removed(pqxx::dbtransaction& tx, const TableLayout& layout,
                          const std::string& source, bool staged) {
  if (layout.removed_column.empty()) return 0;
  if (!layout.set_scope.empty() && layout.scope_values.empty()) return 0;
  const auto removed = tx.quote_name(layout.removed_column);
  std::string sql = "UPDATE " + quote_table(tx, layout.table) + " AS t SET " + removed +
                    " = now(), last_changed_at = now() WHERE t.source = $1 AND t." + removed +
                    " IS NULL";
  if (!layout.set_scope.empty())
    sql += " AND t." + tx.quote_name(layout.set_scope) + " = ANY($2::text[])";
  if (staged) {
    std::string match;
    for (const auto& k : layout.key)
      match +=
          (match.empty() ? "" : " AND ") + ("s." + tx.quote_name(k) + " = t." + tx.quote_name(k));
    sql += " AND NOT EXISTS (SELECT 1 FROM " + staging_table(layout) + " s WHERE " + match + ")";
  }
  if (layout.set_scope.empty()) return tx.exec_params(sql, source).affected_rows();
  return tx.exec_params(sql, source, text_array(layout.scope_values)).affected_rows();
}

bool copy_into_table(pqxx::dbtransaction& tx, const TableLayout& layout,
                     const std::string& copy_text) {
  const auto table = quote_table(tx, layout.table);
  try {
    RawConnection::copy_in(
        tx, "SAVEPOINT ps_direct; COPY " + table + " (" + join(tx, layout.columns) + ") FROM STDIN",
        copy_text, layout.table);
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() != "23505") throw;  // unique_violation
    tx.exec("ROLLBACK TO SAVEPOINT ps_direct");
    return false;
  }
  return true;
}

std::vector<std::string> first_row(pqxx::dbtransaction& tx, const std::string& sql) {
  return RawConnection::first_row(tx, sql);
}

WriteCounts write_rows(pqxx::dbtransaction& tx, const TableLayout& layout,
                       const std::string& copy_text, std::int64_t rows, const std::string& source,
                       const Riders& riders) {
  stage(tx, layout, copy_text, riders.before_stage);
  if (layout.snapshot) {
    auto counts = snapshot(tx, layout, rows, source);
    if (!riders.after_merge.empty()) tx.exec(riders.after_merge);
    return counts;
  }
  if (layout.partial_update) return update_only(tx, layout, rows, riders.after_merge);
  auto counts = upsert(tx, layout, rows, riders.after_merge);
  counts.updated += mark_removed(tx, layout, source, true);
  return counts;
}

}  // namespace partnersync::db
