// db::write_rows on the real cluster: COPY from our buffer, the merge's counts, and the
// statements that ride along in the same round trips (their results and failures).
#include "daemon/db/staging_writer.hpp"

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "tests/support/test_database.hpp"

namespace partnersync::db {
namespace {

using testing::TestDatabase;

class StagingWriterTest : public ::testing::Test {
 protected:
  StagingWriterTest() : db_("staging_writer"), conn_(db_.url()) {
    pqxx::work tx(conn_);
    tx.exec(
        "CREATE TABLE t (source text, k text, v integer, note text, "
        "last_changed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (source, k)); "
        "CREATE TABLE log (what text)");
    tx.commit();
  }

  TableLayout layout() const { return {"t", {"source", "k", "v", "note"}, {"source", "k"}}; }

  std::int64_t count(const std::string& sql) {
    pqxx::read_transaction tx(conn_);
    return tx.exec1(sql)[0].as<std::int64_t>();
  }

  TestDatabase db_;
  pqxx::connection conn_;
};

TEST_F(StagingWriterTest, CountsComeFromTheMergeAndRidersRunInTheTransaction) {
  Riders riders;
  riders.before_stage = "INSERT INTO log VALUES ('before'); ";
  riders.after_merge = "INSERT INTO log VALUES ('after'); SELECT 7, 8; ";
  {
    pqxx::work tx(conn_);
    const auto counts = write_rows(tx, layout(), "s\ta\t1\tx\ns\tb\t2\t\\N\n", 2, "s", riders);
    EXPECT_EQ(counts.inserted, 2);  // not the riders' "7, 8"
    EXPECT_EQ(counts.updated, 0);
    tx.commit();
  }
  {
    pqxx::work tx(conn_);
    const auto counts = write_rows(tx, layout(), "s\ta\t1\tx\ns\tb\t3\t\\N\n", 2, "s", riders);
    EXPECT_EQ(counts.inserted, 0);
    EXPECT_EQ(counts.updated, 1);  // b changed, a did not
    EXPECT_EQ(counts.unchanged, 1);
    tx.commit();
  }
  EXPECT_EQ(count("SELECT v FROM t WHERE k = 'b'"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM log WHERE what = 'before'"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM log WHERE what = 'after'"), 2);
}

TEST_F(StagingWriterTest, FailingRiderAfterTheMergeFailsTheWriteAndLeavesNothing) {
  Riders riders;
  riders.after_merge = "INSERT INTO log VALUES ('after'); SELECT 1 / 0; ";
  try {
    pqxx::work tx(conn_);
    write_rows(tx, layout(), "s\ta\t1\tx\n", 1, "s", riders);
    tx.commit();
    FAIL() << "a failing statement after the merge was not reported";
  } catch (const pqxx::sql_error& e) {
    EXPECT_NE(std::string(e.what()).find("division by zero"), std::string::npos) << e.what();
  }
  EXPECT_EQ(count("SELECT count(*) FROM t"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM log"), 0);
  // The connection is usable afterwards (every result was read).
  pqxx::work tx(conn_);
  EXPECT_EQ(write_rows(tx, layout(), "s\ta\t1\tx\n", 1, "s").inserted, 1);
  tx.commit();
}

TEST_F(StagingWriterTest, BadCopyDataIsAnSqlErrorAndTheConnectionStaysUsable) {
  try {
    pqxx::work tx(conn_);
    write_rows(tx, layout(), "s\ta\tnot-a-number\tx\n", 1, "s");
    FAIL() << "invalid COPY data was accepted";
  } catch (const pqxx::sql_error& e) {
    EXPECT_NE(std::string(e.what()).find("invalid input syntax for type integer"),
              std::string::npos)
        << e.what();
  }
  pqxx::work tx(conn_);
  EXPECT_EQ(write_rows(tx, layout(), "s\ta\t5\tx\n", 1, "s").inserted, 1);
  tx.commit();
  EXPECT_EQ(count("SELECT v FROM t WHERE k = 'a'"), 5);
}

TEST_F(StagingWriterTest, LargeWindowCrossesManyCopyMessages) {
  // Well over the 64 KiB COPY message size: every row must arrive once.
  std::string data;
  const int n = 20000;
  for (int i = 0; i < n; ++i)
    data += "s\tk" + std::to_string(i) + "\t" + std::to_string(i) + "\tnote\n";
  pqxx::work tx(conn_);
  EXPECT_EQ(write_rows(tx, layout(), data, n, "s").inserted, n);
  tx.commit();
  EXPECT_EQ(count("SELECT count(*) FROM t"), n);
  EXPECT_EQ(count("SELECT sum(v) FROM t"), static_cast<std::int64_t>(n) * (n - 1) / 2);
}

}  // namespace
}  // namespace partnersync::db
