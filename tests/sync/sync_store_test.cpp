// SyncStore's connection on the real cluster: dropped for a daemon's long sleep, and made again
// by the next call that needs it.
#include "daemon/sync/sync_store.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <pqxx/pqxx>
#include <thread>

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

}  // namespace
}  // namespace partnersync::sync
