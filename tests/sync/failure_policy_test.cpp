// The failure table row by row, and the classification of what the real PostgreSQL server and
// libpqxx throw: each SQLSTATE is produced by the server, not constructed here.
#include "daemon/sync/failure_policy.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <pqxx/pqxx>

#include "daemon/db/database.hpp"
#include "daemon/db/staging_writer.hpp"
#include "tests/support/test_database.hpp"

namespace partnersync::sync {
namespace {

using testing::TestDatabase;

// What `statement` throws on the real server, classified.
Failure failure_of(const std::string& url, const std::string& statement) {
  pqxx::connection c(url);
  try {
    pqxx::work tx(c);
    tx.exec(statement);
    tx.commit();
  } catch (const std::exception& e) {
    return classify(e);
  }
  ADD_FAILURE() << "no error from: " << statement;
  return {};
}

TEST(FailurePolicy, EachKindDoesWhatTheTableSays) {
  const auto& data = policy_for(FailureKind::data);
  EXPECT_TRUE(data.quarantine_body && data.fail_window && data.fail_stream);
  EXPECT_FALSE(data.retry_window || data.stop_source || data.wait_and_retry);

  const auto& transient = policy_for(FailureKind::transient);
  EXPECT_TRUE(transient.retry_window);
  EXPECT_FALSE(transient.quarantine_body || transient.fail_window || transient.stop_source);

  const auto& down = policy_for(FailureKind::database_down);
  EXPECT_TRUE(down.wait_and_retry && down.stop_source);
  EXPECT_FALSE(down.quarantine_body || down.fail_window);

  const auto& credentials = policy_for(FailureKind::credentials);
  EXPECT_TRUE(credentials.stop_source && credentials.fail_stream);
  EXPECT_FALSE(credentials.wait_and_retry || credentials.retry_window);

  const auto& upstream = policy_for(FailureKind::upstream);
  EXPECT_TRUE(upstream.fail_window && upstream.fail_stream);
  EXPECT_FALSE(upstream.stop_source || upstream.quarantine_body);

  // A configuration upstream refuses (helpdesk: a demanded department): the stream fails at
  // once, not window by window; the source's other streams go on.
  const auto& configuration = policy_for(FailureKind::configuration);
  EXPECT_EQ(configuration.kind, FailureKind::configuration);
  EXPECT_TRUE(configuration.fail_stream);
  EXPECT_FALSE(configuration.fail_window || configuration.stop_source ||
               configuration.retry_window || configuration.wait_and_retry);
  EXPECT_EQ(to_string(FailureKind::configuration), "configuration");

  const auto& other = policy_for(FailureKind::other);
  EXPECT_TRUE(other.fail_stream);
  EXPECT_FALSE(other.fail_window || other.stop_source || other.wait_and_retry);

  const auto& cancelled = policy_for(FailureKind::cancelled);
  EXPECT_TRUE(cancelled.stop_source);
  EXPECT_FALSE(cancelled.fail_window || cancelled.wait_and_retry);

  const auto& not_applicable = policy_for(FailureKind::not_applicable);
  EXPECT_FALSE(not_applicable.fail_stream || not_applicable.stop_source);
}

TEST(FailurePolicy, ValuesThePostgresServerRefusesAreDataErrors) {
  TestDatabase db("failure_data");
  EXPECT_EQ(failure_of(db.url(), "SELECT '1e999999'::numeric").kind, FailureKind::data);
  EXPECT_EQ(failure_of(db.url(), "SELECT 3000000000::integer").kind, FailureKind::data);
  EXPECT_EQ(failure_of(db.url(), "SELECT '2024-02-30'::date").kind, FailureKind::data);
  EXPECT_EQ(failure_of(db.url(), "SELECT '\"\\u0000\"'::jsonb").kind, FailureKind::data);
  EXPECT_EQ(
      failure_of(db.url(), "CREATE TEMP TABLE u (k int PRIMARY KEY); INSERT INTO u VALUES (1), (1)")
          .kind,
      FailureKind::data);
}

TEST(FailurePolicy, RowsTheCopyRefusesCarryTheirSqlstateAsDataErrors) {
  TestDatabase db("failure_copy");
  pqxx::connection c(db.url());
  {
    pqxx::work tx(c);
    tx.exec(
        "CREATE TABLE t (source text, k text, v numeric, last_changed_at timestamptz, "
        "PRIMARY KEY (source, k))");
    tx.commit();
  }
  const db::TableLayout layout{"t", {"source", "k", "v"}, {"source", "k"}};
  try {
    pqxx::work tx(c);
    db::write_rows(tx, layout, "s\ta\t1e999999\n", 1, "s");
    ADD_FAILURE() << "the COPY accepted an overflowing numeric";
  } catch (const std::exception& e) {
    const Failure f = classify(e);
    EXPECT_EQ(f.kind, FailureKind::data) << e.what();
    // PostgreSQL's CONTEXT line quotes the refused value: the reason keeps the first line only.
    EXPECT_EQ(f.reason.find('\n'), std::string::npos);
    EXPECT_EQ(f.reason.find("CONTEXT"), std::string::npos) << f.reason;
    EXPECT_NE(f.reason.find("numeric"), std::string::npos) << f.reason;
  }
}

TEST(FailurePolicy, SerializationFailuresDeadlocksAndLostConnectionsAreRetried) {
  TestDatabase db("failure_transient");
  EXPECT_EQ(failure_of(db.url(),
                       "DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = 'serialization_failure'; "
                       "END $$")
                .kind,
            FailureKind::transient);
  EXPECT_EQ(
      failure_of(db.url(),
                 "DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = 'deadlock_detected'; END $$")
          .kind,
      FailureKind::transient);
  EXPECT_EQ(failure_of(db.url(), "SELECT pg_terminate_backend(pg_backend_pid())").kind,
            FailureKind::transient);
  EXPECT_EQ(classify(pqxx::in_doubt_error("COMMIT outcome unknown")).kind, FailureKind::transient);
}

TEST(FailurePolicy, AStatementTimeoutIsRetriedNotTakenForAShutdown) {
  TestDatabase db("failure_statement_timeout");
  // 57014 is also what a shutdown's cancel raises; the shutdown is recognised by its signal.
  const Failure f =
      failure_of(db.url(), "SET LOCAL statement_timeout = '50ms'; SELECT pg_sleep(2)");
  EXPECT_EQ(f.kind, FailureKind::transient) << f.reason;
  EXPECT_NE(f.reason.find("statement timeout"), std::string::npos) << f.reason;
}

TEST(FailurePolicy, AnUnreachableDatabaseMakesTheSourceWait) {
  try {
    db::connect("postgresql://nobody:s3cret@127.0.0.1:1/x?connect_timeout=2");
    ADD_FAILURE() << "connected to port 1";
  } catch (const std::exception& e) {
    const Failure f = classify(e);
    EXPECT_EQ(f.kind, FailureKind::database_down);
    EXPECT_EQ(f.reason.find("s3cret"), std::string::npos) << f.reason;
  }
}

TEST(FailurePolicy, EverythingElseFailsTheStreamRunOnly) {
  TestDatabase db("failure_other");
  EXPECT_EQ(failure_of(db.url(), "SELECT * FROM no_such_table").kind, FailureKind::other);
  EXPECT_EQ(classify(std::runtime_error("surprise")).kind, FailureKind::other);
  EXPECT_EQ(classify(SyncError(FailureKind::credentials, "401")).kind, FailureKind::credentials);
}

TEST(FailurePolicy, OneLineKeepsTheFirstLineRedacted) {
  EXPECT_EQ(one_line("ERROR:  value overflows numeric format\nCONTEXT:  COPY ps_stage, line 1"),
            "ERROR:  value overflows numeric format");
  EXPECT_EQ(one_line("GET https://x/api?apikey=abc: HTTP 500").find("abc"), std::string::npos);
}

}  // namespace
}  // namespace partnersync::sync
