// db::commit_window's first-read path (issue 16): a created-date window that no sync.windows
// row overlaps and whose days hold no row yet goes into the table by COPY, without staging or
// upsert; every other window (a re-read, an overlap with an older window, rows the check
// finds, a key already there) takes the staged upsert, in the same transaction.
#include "daemon/db/window_transaction.hpp"

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "daemon/db/database.hpp"
#include "daemon/db/migration.hpp"
#include "daemon/db/migrator.hpp"
#include "tests/support/test_database.hpp"

namespace partnersync::db {
namespace {

using testing::TestDatabase;

constexpr const char* kZone = "Europe/Warsaw";  // UTC+1 in winter

class WindowTransactionTest : public ::testing::Test {
 protected:
  WindowTransactionTest() : db_("window_tx"), conn_(db_.url()) {
    auto c = connect(db_.url());
    migrate(*c, embedded_migrations());
    pqxx::work tx(conn_);
    tx.exec(
        "CREATE TABLE t (source text NOT NULL, program text NOT NULL, k text NOT NULL, "
        "created_at timestamptz, v integer, "
        "first_seen_at timestamptz NOT NULL DEFAULT now(), "
        "last_changed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (source, program, k)); "
        "CREATE INDEX t_created ON t (source, program, created_at)");
    tx.commit();
  }

  static TableLayout layout() {
    TableLayout l{"t", {"source", "program", "k", "created_at", "v"}, {"source", "program", "k"}};
    l.window_column = "created_at";
    l.scope = {{"program", "a"}};
    return l;
  }

  // Rows "k created v" of source s, program a.
  static std::string rows(std::initializer_list<std::tuple<const char*, const char*, int>> list) {
    std::string out;
    for (const auto& [k, created, v] : list)
      out += std::string("s\ta\t") + k + "\t" + created + "\t" + std::to_string(v) + "\n";
    return out;
  }

  WriteCounts commit(const std::string& from, const std::string& to, const std::string& text,
                     std::int64_t n, const TableLayout& l = layout()) {
    WindowRecord w{"s", "stream_a", kZone, DayRange{from, to}, std::nullopt};
    return commit_window(conn_, l, text, n, w);
  }

  std::string value(const std::string& sql) {
    pqxx::read_transaction tx(conn_);
    const auto r = tx.exec1(sql);
    return r[0].is_null() ? "NULL" : r[0].as<std::string>();
  }

  TestDatabase db_;
  pqxx::connection conn_;
};

TEST_F(WindowTransactionTest, AGapWithNoRowsGoesStraightInWithItsWindowRecord) {
  const auto counts = commit("2025-01-01", "2025-01-02",
                             rows({{"k1", "2025-01-01 10:00:00", 1},
                                   {"k2", "2025-01-02 23:30:00", 2}}),
                             2);
  EXPECT_TRUE(counts.direct);
  EXPECT_EQ(counts.inserted, 2);
  EXPECT_EQ(counts.updated + counts.unchanged, 0);
  EXPECT_EQ(value("SELECT count(*) FROM t"), "2");
  // Read in the source's zone, as on the staged path.
  EXPECT_EQ(value("SELECT created_at AT TIME ZONE 'UTC' FROM t WHERE k = 'k2'"),
            "2025-01-02 22:30:00");
  EXPECT_EQ(value("SELECT window_from || '..' || window_to || ' ' || rows FROM sync.windows"),
            "2025-01-01..2025-01-02 2");
}

TEST_F(WindowTransactionTest, AReReadTakesTheUpsert) {
  const auto text = rows({{"k1", "2025-01-01 10:00:00", 1}, {"k2", "2025-01-02 08:00:00", 2}});
  ASSERT_TRUE(commit("2025-01-01", "2025-01-02", text, 2).direct);
  const auto again = commit("2025-01-01", "2025-01-02",
                            rows({{"k1", "2025-01-01 10:00:00", 1},
                                  {"k2", "2025-01-02 08:00:00", 3}}),
                            2);
  EXPECT_FALSE(again.direct);
  EXPECT_EQ(again.inserted, 0);
  EXPECT_EQ(again.updated, 1);
  EXPECT_EQ(again.unchanged, 1);
  EXPECT_EQ(value("SELECT v FROM t WHERE k = 'k2'"), "3");
}

TEST_F(WindowTransactionTest, AWindowOverlappingAnOlderWindowTakesTheUpsert) {
  ASSERT_TRUE(commit("2025-01-01", "2025-01-07",
                     rows({{"k1", "2025-01-06 10:00:00", 1}, {"k2", "2025-01-07 10:00:00", 2}}), 2)
                  .direct);
  // Days 6..7 were read by the older window: its rows come again with a new one.
  const auto counts = commit("2025-01-06", "2025-01-12",
                             rows({{"k1", "2025-01-06 10:00:00", 1},
                                   {"k2", "2025-01-07 10:00:00", 2},
                                   {"k3", "2025-01-10 10:00:00", 3}}),
                             3);
  EXPECT_FALSE(counts.direct);
  EXPECT_EQ(counts.inserted, 1);
  EXPECT_EQ(counts.unchanged, 2);
  EXPECT_EQ(value("SELECT count(*) FROM t"), "3");
  EXPECT_EQ(value("SELECT string_agg(window_from || '..' || window_to, ',') FROM sync.windows"),
            "2025-01-01..2025-01-12");
}

TEST_F(WindowTransactionTest, RowsOnTheWindowsDaysWithoutAWindowRecordTakeTheUpsert) {
  // A row of these days that no sync.windows row accounts for, under another key than the
  // window brings (so no unique violation would catch it): the check inside the transaction
  // must. On 2025-02-01 in Warsaw, though 2025-01-31 in UTC.
  {
    pqxx::work tx(conn_);
    tx.exec(
        "INSERT INTO t (source, program, k, created_at, v) VALUES "
        "('s', 'a', 'old-key', '2025-01-31 23:30:00+00', 9)");
    tx.commit();
  }
  const auto counts =
      commit("2025-02-01", "2025-02-01", rows({{"new-key", "2025-02-01 00:30:00", 1}}), 1);
  EXPECT_FALSE(counts.direct);
  EXPECT_EQ(counts.inserted, 1);
  // Rows of another program (another stream sharing the table), of another source, or on
  // other days do not stand in the way.
  {
    pqxx::work tx(conn_);
    tx.exec(
        "INSERT INTO t (source, program, k, created_at, v) VALUES "
        "('s', 'b', 'other-program', '2025-03-01 12:00:00+00', 1), "
        "('other', 'a', 'other-source', '2025-03-01 12:00:00+00', 1), "
        "('s', 'a', 'day-after', '2025-03-01 23:30:00+00', 1)");  // 2025-03-02 in Warsaw
    tx.commit();
  }
  EXPECT_TRUE(commit("2025-03-01", "2025-03-01", rows({{"m1", "2025-03-01 12:00:00", 1}}), 1).direct);
}

TEST_F(WindowTransactionTest, AKeyAlreadyThereOrTwiceInTheBatchFallsBackInTheSameTransaction) {
  // Twice in one batch: the last one wins, as on the staged path.
  const auto twice = commit("2025-04-01", "2025-04-01",
                            rows({{"k1", "2025-04-01 10:00:00", 1},
                                  {"k1", "2025-04-01 10:00:00", 2}}),
                            2);
  EXPECT_FALSE(twice.direct);
  EXPECT_EQ(twice.inserted, 1);
  EXPECT_EQ(value("SELECT v FROM t WHERE k = 'k1'"), "2");
  // A key whose creation date moved to days no window has read yet.
  const auto moved =
      commit("2025-05-01", "2025-05-01", rows({{"k1", "2025-05-01 10:00:00", 3}}), 1);
  EXPECT_FALSE(moved.direct);
  EXPECT_EQ(moved.updated, 1);
  EXPECT_EQ(value("SELECT count(*) FROM t"), "1");
  EXPECT_EQ(value("SELECT v FROM t"), "3");
  EXPECT_EQ(value("SELECT string_agg(window_from || '..' || window_to, ',' ORDER BY window_from) "
                  "FROM sync.windows"),
            "2025-04-01..2025-04-01,2025-05-01..2025-05-01");
}

TEST_F(WindowTransactionTest, BadDataOnTheDirectPathFailsTheWindowAndLeavesNothing) {
  try {
    commit("2025-06-01", "2025-06-01", "s\ta\tk1\t2025-06-01 10:00:00\tnot-a-number\n", 1);
    FAIL() << "invalid COPY data was accepted";
  } catch (const pqxx::sql_error& e) {
    EXPECT_EQ(e.sqlstate(), "22P02") << e.what();
  }
  EXPECT_EQ(value("SELECT count(*) FROM t"), "0");
  EXPECT_EQ(value("SELECT count(*) FROM sync.windows"), "0");
  EXPECT_TRUE(commit("2025-06-01", "2025-06-01", rows({{"k1", "2025-06-01 10:00:00", 1}}), 1).direct);
}

TEST_F(WindowTransactionTest, ALayoutWithoutAWindowColumnAlwaysStages) {
  TableLayout l = layout();
  l.window_column.clear();
  const auto counts =
      commit("2025-07-01", "2025-07-01", rows({{"k1", "2025-07-01 10:00:00", 1}}), 1, l);
  EXPECT_FALSE(counts.direct);
  EXPECT_EQ(counts.inserted, 1);
}

}  // namespace
}  // namespace partnersync::db
