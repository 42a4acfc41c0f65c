// SyncStore's connection on the real cluster: dropped for a daemon's long sleep, and made again
// by the next call that needs it.
#include "daemon/sync/sync_store.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "daemon/db/staging_writer.hpp"
#include "tests/support/test_database.hpp"

namespace partnersync::sync {
namespace {

using testing::TestDatabase;

TEST(SyncStore, DisconnectEndsItsBackendAndTheNextCallConnectsAgain) {
  TestDatabase db("sync_store");
  SyncStore store(db.url());
  store.migrate();
  pqxx::connection observer(db.url());
  // The store's backends: every other one on this database. A backend leaves
  // pg_stat_activity once it has exited, which follows the client's close by a moment.
  auto backends_after = [&](int expected) {
    int n = -1;
    for (int i = 0; i < 100 && n != expected; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      pqxx::nontransaction tx(observer);
      n = tx.exec1(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")[0]
              .as<int>();
    }
    return n;
  };
  ASSERT_EQ(backends_after(1), 1);

  store.disconnect();
  EXPECT_EQ(backends_after(0), 0);

  EXPECT_TRUE(store.coverage("src", "affiliate_licenses").empty());
  EXPECT_EQ(backends_after(1), 1);
}

// The staging tables are the connection's, kept across windows (issue 16: creating and dropping
// one per window dominated passes of many small windows), and a failed window discards them so
// that no rolled-back rows stay behind the next COPY.
TEST(SyncStore, StagingTablesAreKeptAcrossWindowsAndDiscardedAfterAFailedOne) {
  TestDatabase db("sync_store_staging");
  SyncStore store(db.url());
  store.migrate();
  pqxx::connection observer(db.url());
  {
    pqxx::work tx(observer);
    tx.exec(
        "CREATE TABLE one (source text, k text, v integer, last_changed_at timestamptz NOT NULL "
        "DEFAULT now(), PRIMARY KEY (source, k)); CREATE TABLE two (LIKE one INCLUDING ALL)");
    tx.commit();
  }
  auto staging = [&] {
    pqxx::nontransaction tx(observer);
    std::vector<std::string> oids;
    for (const auto& row : tx.exec(
             "SELECT oid::text FROM pg_class WHERE relname LIKE 'ps\\_stage%' AND relkind = 'r' "
             "ORDER BY oid"))
      oids.push_back(row[0].c_str());
    return oids;
  };
  const db::TableLayout one{"one", {"source", "k", "v"}, {"source", "k"}};
  const db::TableLayout two{"two", {"source", "k", "v"}, {"source", "k"}};
  const WindowCommit w{"s", "stream", "UTC", std::nullopt, std::nullopt};
  EXPECT_EQ(store.commit(one, "s\ta\t1\n", 1, w).inserted, 1);
  const auto first = staging();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(store.commit(one, "s\tb\t2\n", 1, w).inserted, 1);
  EXPECT_EQ(staging(), first);  // the same table, not a new one
  EXPECT_EQ(store.commit(two, "s\ta\t1\n", 1, w).inserted, 1);
  EXPECT_EQ(staging().size(), 2u);  // one per layout

  // A value PostgreSQL refuses fails the window after rows were staged ...
  EXPECT_THROW(store.commit(one, "s\tc\t3\ns\td\tnot a number\n", 2, w), std::exception);
  // ... and the next window on the connection starts from no staging table at all; the last
  // of a key listed twice still wins.
  EXPECT_EQ(store.commit(two, "s\tx\t1\ns\tx\t2\n", 2, w).inserted, 1);
  EXPECT_EQ(staging().size(), 1u);
  pqxx::nontransaction tx(observer);
  EXPECT_EQ(tx.exec1("SELECT v FROM two WHERE k = 'x'")[0].as<int>(), 2);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM one")[0].as<int>(), 2);
}

// A child stream reads its pending parents page by page in key order (issue 13: all of them
// at once held a million keys), an empty key included; those recorded before the parent's
// latest run began are counted as left by an earlier run.
TEST(SyncStore, PendingChildrenArePagedInKeyOrderAndTheEarlierOnesCounted) {
  TestDatabase db("sync_store_pending");
  SyncStore store(db.url());
  store.migrate();
  pqxx::connection observer(db.url());
  auto exec = [&](const std::string& sql) {
    pqxx::work tx(observer);
    tx.exec(sql);
    tx.commit();
  };
  exec("INSERT INTO sync.pending_children (source, stream, parent_key, since) VALUES "
       "('s', 'kids', 'b', now() - interval '1 hour'), ('s', 'kids', '', now() - interval "
       "'1 hour'), ('s', 'other', 'x', now() - interval '1 hour')");
  store.start_run("s", "parents", "incremental", std::nullopt);
  exec("INSERT INTO sync.pending_children (source, stream, parent_key) VALUES ('s', 'kids', "
       "'d'), ('s', 'kids', 'a'), ('s', 'kids', 'c')");

  std::vector<std::string> all;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    const auto page = store.pending_children("s", "kids", after, 2);
    ASSERT_LE(page.size(), 2u);
    all.insert(all.end(), page.begin(), page.end());
    if (page.size() < 2) break;
    after = page.back();
  }
  EXPECT_EQ(all, (std::vector<std::string>{"", "a", "b", "c", "d"}));
  EXPECT_EQ(store.pending_children_before("s", "kids", "parents"), 2);
  EXPECT_EQ(store.pending_children_before("s", "kids", ""), 5);
}

}  // namespace
}  // namespace partnersync::sync
