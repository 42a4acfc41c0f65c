// End-to-end daemon mode: a PostgreSQL restart under a running daemon is survived, the daemon
// holds no database connection while it sleeps, and it stops promptly and cleanly on SIGTERM.
// Runs alone (RUN_SERIAL): it restarts the cluster every other test uses.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "tests/e2e/e2e_support.hpp"

namespace partnersync::e2e {
namespace {

// A succeeded sync.runs row that started at or after `since` (a server timestamp), polled
// until `timeout`; connection errors while the server restarts are expected.
bool wait_for_succeeded_run(const std::string& url, const std::string& since,
                            std::chrono::seconds timeout, Process& daemon) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline && daemon.running()) {
    try {
      if (query_count(url,
                      "SELECT count(*) FROM sync.runs WHERE status = 'succeeded' AND "
                      "started_at >= '" +
                          since + "'") > 0)
        return true;
    } catch (const std::exception&) {
      // Not migrated yet, or the server is restarting.
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

ConfigSpec daemon_spec(const testing::TestDatabase& db, const sim::Simulator& sim,
                       const sim::SimOptions& options, std::string interval,
                       std::vector<std::string> streams) {
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.interval = std::move(interval);
  spec.streams = std::move(streams);
  return spec;
}

TEST(E2eDaemon, SurvivesPostgresRestartAndStopsOnSigterm) {
  const char* bindir = std::getenv("PARTNERSYNC_PG_BINDIR");
  const char* datadir = std::getenv("PARTNERSYNC_PG_DATADIR");
  ASSERT_TRUE(bindir != nullptr && *bindir != '\0' && datadir != nullptr && *datadir != '\0')
      << "PARTNERSYNC_PG_BINDIR and PARTNERSYNC_PG_DATADIR must name the test cluster (tests/run "
         "exports them) so that this test can restart it";

  const auto options = simulator_options(30);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_daemon");
  ConfigFile config(daemon_spec(db, sim, options, "2s",
                                {"affiliate_licenses", "affiliate_history", "earnings", "stats"}));

  Process daemon({"--config", config.path().string()});
  ASSERT_TRUE(wait_for_succeeded_run(db.url(), "-infinity", std::chrono::seconds(20), daemon))
      << "no first pass; stderr:\n"
      << daemon.errors();

  // As root the server runs as postgres (tests/run); its output goes to a file because the
  // restarted postmaster inherits pg_ctl's stdout and stderr.
  const std::string log = (config.dir() / "pg_restart.log").string();
  std::string command = std::string(bindir) + "/pg_ctl -D '" + datadir +
                        "' restart -m fast -w -t 60 >'" + log + "' 2>&1";
  if (geteuid() == 0) command = "runuser -u postgres -- " + command;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const std::string restarted = query_value(db.url(), "SELECT now()::text");

  EXPECT_TRUE(wait_for_succeeded_run(db.url(), restarted, std::chrono::seconds(30), daemon))
      << "no succeeded run after the restart; daemon stderr:\n"
      << daemon.errors();
  ASSERT_TRUE(daemon.running()) << daemon.errors();

  const auto stop = std::chrono::steady_clock::now();
  daemon.signal(SIGTERM);
  const auto code = daemon.wait(std::chrono::seconds(10));
  const auto took = std::chrono::steady_clock::now() - stop;
  ASSERT_TRUE(code.has_value()) << "still running 10 s after SIGTERM";
  EXPECT_EQ(*code, 0) << daemon.errors();
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(E2eDaemon, HoldsNoDatabaseConnectionWhileSleepingUntilTheNextRun) {
  const auto options = simulator_options(30);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_daemon_idle");
  // 1h: after the first pass the next run is more than a minute away.
  ConfigFile config(daemon_spec(db, sim, options, "1h", {"affiliate_licenses", "earnings"}));

  Process daemon({"--config", config.path().string()});
  ASSERT_TRUE(wait_for_succeeded_run(db.url(), "-infinity", std::chrono::seconds(20), daemon))
      << "no first pass; stderr:\n"
      << daemon.errors();
  // The pass's backends leave pg_stat_activity once the daemon has closed its connections;
  // only the one that holds the source's lock stays (the daemon owns the source across
  // passes, issue 15).
  const std::string others =
      "SELECT count(*) FROM pg_stat_activity a WHERE datname = current_database() AND "
      "pid <> pg_backend_pid()";
  const std::string lock_holder =
      " AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' "
      "AND l.classid = hashtext('partnersync.owner')::oid)";
  std::int64_t backends = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (backends != 1 && std::chrono::steady_clock::now() < deadline) {
    backends = query_count(db.url(), others);
    if (backends != 1) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(backends, 1) << "the sleeping daemon holds database connections besides its lock's";
  EXPECT_EQ(query_count(db.url(), others + lock_holder), 1)
      << "the one backend left holds no source lock";
  ASSERT_TRUE(daemon.running()) << daemon.errors();

  daemon.signal(SIGTERM);
  const auto code = daemon.wait(std::chrono::seconds(10));
  ASSERT_TRUE(code.has_value()) << "still running 10 s after SIGTERM";
  EXPECT_EQ(*code, 0) << daemon.errors();
}

}  // namespace
}  // namespace partnersync::e2e
