// Two daemons, one warehouse (issue 15): the source's advisory lock is held across passes, so
// one instance syncs and the other stands by; when the owner is SIGKILLed the standby takes
// over within one interval, and no stream ever runs in both at once.
#include <gtest/gtest.h>
#include <signal.h>

#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "tests/e2e/e2e_support.hpp"

namespace partnersync::e2e {
namespace {

constexpr int kIntervalSeconds = 3;
constexpr const char* kStandby = "another partnersync instance owns this source; standing by";
constexpr const char* kTakeover = "this one syncs it now";

// Log lines of stream runs that ended synced: what an instance did itself.
int synced_runs(const std::string& log, const std::string& stream) {
  int n = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.find("stream " + stream + ": synced") != std::string::npos) ++n;
  return n;
}

// Runs of one stream whose [started_at, finished_at) overlap (a run left 'running' by a killed
// process ends where the next one closes it).
std::int64_t overlapping_runs(const std::string& url) {
  return query_count(url,
                     "SELECT count(*) FROM sync.runs a JOIN sync.runs b ON a.source = b.source "
                     "AND a.stream = b.stream AND a.run_id < b.run_id "
                     "AND b.started_at < coalesce(a.finished_at, 'infinity') "
                     "AND a.started_at < coalesce(b.finished_at, 'infinity')");
}

TEST(E2eTakeover, OneOfTwoDaemonsSyncsAndTheOtherTakesOverWithinAnInterval) {
  const auto options = simulator_options(30);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_takeover");
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.streams = {"affiliate_licenses", "earnings", "withdrawals"};
  spec.interval = std::to_string(kIntervalSeconds) + "s";
  spec.lookback = "60d";  // every pass re-reads all the data: changes show at once
  ConfigFile config(spec);
  ASSERT_EQ(run_partnersync(config, {"--migrate"}).exit_code, 0);

  auto first =
      std::make_unique<Process>(std::vector<std::string>{"--config", config.path().string()});
  ASSERT_TRUE(eventually([&] { return synced_runs(first->errors(), "affiliate_licenses") >= 1; },
                         std::chrono::seconds(30)))
      << first->errors();
  Process second({"--config", config.path().string()});
  ASSERT_TRUE(eventually([&] { return second.errors().find(kStandby) != std::string::npos; },
                         std::chrono::seconds(15)))
      << second.errors();
  // Three more passes of the owner; the standby syncs nothing meanwhile.
  const int before = synced_runs(first->errors(), "earnings");
  ASSERT_TRUE(eventually([&] { return synced_runs(first->errors(), "earnings") >= before + 3; },
                         std::chrono::seconds(6 * kIntervalSeconds)))
      << first->errors();
  EXPECT_TRUE(second.running());
  EXPECT_EQ(synced_runs(second.errors(), "earnings"), 0) << second.errors();
  EXPECT_EQ(synced_runs(second.errors(), "affiliate_licenses"), 0) << second.errors();
  const auto runs_of_first = query_count(db.url(), "SELECT count(*) FROM sync.runs");
  EXPECT_EQ(runs_of_first, synced_runs(first->errors(), "affiliate_licenses") +
                               synced_runs(first->errors(), "earnings") +
                               synced_runs(first->errors(), "withdrawals") +
                               query_count(db.url(),
                                           "SELECT count(*) FROM sync.runs WHERE status = "
                                           "'running'"))
      << "every run in sync.runs is one the owner logged";

  // The owner dies; upstream changes; the standby takes over within one interval.
  first->signal(SIGKILL);
  ASSERT_EQ(first->wait(std::chrono::seconds(10)), 128 + SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  sim::api::Mutation convert;
  convert.kind = sim::api::Mutation::Kind::convert_trials;
  convert.count = 20;
  sim.api().mutate(convert);
  ASSERT_TRUE(eventually([&] { return second.errors().find(kTakeover) != std::string::npos; },
                         std::chrono::seconds(3 * kIntervalSeconds)))
      << second.errors();
  const auto took = std::chrono::steady_clock::now() - killed;
  std::printf(
      "the standby took over %lld ms after the owner's SIGKILL\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  // One interval of polling, plus scheduling slack on a loaded machine.
  EXPECT_LE(took, std::chrono::seconds(kIntervalSeconds) + std::chrono::milliseconds(1500));

  // Two full passes of the new owner, both after the change: the tables equal the truth.
  ASSERT_TRUE(eventually([&] { return synced_runs(second.errors(), "earnings") >= 2; },
                         std::chrono::seconds(8 * kIntervalSeconds)))
      << second.errors();
  ASSERT_TRUE(eventually([&] { return synced_runs(second.errors(), "affiliate_licenses") >= 2; },
                         std::chrono::seconds(4 * kIntervalSeconds)))
      << second.errors();
  second.signal(SIGTERM);
  ASSERT_EQ(second.wait(std::chrono::seconds(15)), 0) << second.errors();

  const auto ds = sim.api().snapshot();
  sim::Dataset livechat_only = *ds;
  livechat_only.partner_program_licenses.clear();
  EXPECT_TRUE(same_rows(expected_affiliate_licenses(livechat_only, false),
                        query_rows(db.url(), kAffiliateLicensesSql)));
  EXPECT_TRUE(same_rows(expected_withdrawals(*ds, false), query_rows(db.url(), kWithdrawalsSql)));
  EXPECT_TRUE(same_rows(expected_earnings(*ds, false),
                        query_rows(db.url(), std::string(kEarningsSql) +
                                                 " WHERE taken_at = (SELECT max(taken_at) FROM "
                                                 "livechat.earnings_snapshots)")));
  // No stream ran in both instances at once, and nothing is left running.
  EXPECT_EQ(overlapping_runs(db.url()), 0);
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM sync.runs WHERE status = 'running'"), 0);
}

// A SIGTERMed owner releases the source at once: the standby syncs within one interval.
TEST(E2eTakeover, AStoppedOwnerHandsTheSourceOver) {
  const auto options = simulator_options(10);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_handover");
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.streams = {"earnings"};
  spec.interval = "1h";  // the owner would not run again: the standby's poll is what is tested
  ConfigFile config(spec);
  ASSERT_EQ(run_partnersync(config, {"--migrate"}).exit_code, 0);
  Process first({"--config", config.path().string()});
  ASSERT_TRUE(eventually([&] { return synced_runs(first.errors(), "earnings") == 1; },
                         std::chrono::seconds(20)))
      << first.errors();
  Process second({"--config", config.path().string()});
  ASSERT_TRUE(eventually([&] { return second.errors().find(kStandby) != std::string::npos; },
                         std::chrono::seconds(15)))
      << second.errors();
  first.signal(SIGTERM);
  ASSERT_EQ(first.wait(std::chrono::seconds(15)), 0) << first.errors();
  // The poll of an hour-long interval is 5 s.
  EXPECT_TRUE(eventually([&] { return synced_runs(second.errors(), "earnings") == 1; },
                         std::chrono::seconds(10)))
      << second.errors();
  second.signal(SIGTERM);
  EXPECT_EQ(second.wait(std::chrono::seconds(15)), 0) << second.errors();
  EXPECT_EQ(overlapping_runs(db.url()), 0);
}

// Ownership is between daemons: a one-shot run beside the owner waits only for its pass.
TEST(E2eTakeover, AOneShotRunBesideTheOwningDaemonCompletes) {
  const auto options = simulator_options(10);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_once_beside");
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.streams = {"earnings"};
  spec.interval = "1h";
  ConfigFile config(spec);
  ASSERT_EQ(run_partnersync(config, {"--migrate"}).exit_code, 0);
  Process daemon({"--config", config.path().string()});
  ASSERT_TRUE(eventually([&] { return synced_runs(daemon.errors(), "earnings") == 1; },
                         std::chrono::seconds(20)))
      << daemon.errors();
  const auto once = run_partnersync(config, {"--once"});
  EXPECT_EQ(once.exit_code, 0) << once.errors;
  EXPECT_LT(once.took, std::chrono::seconds(20));
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM sync.runs WHERE status = 'succeeded'"), 2);
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(std::chrono::seconds(15)), 0) << daemon.errors();
}

// The lock's connection is cut (pg_terminate_backend) and another session takes the lock: the
// daemon notices before its next stream, syncs nothing while it lacks the lock, says so, and
// syncs again once it holds the lock again.
TEST(E2eTakeover, ADaemonWhoseLockConnectionEndsStopsSyncingUntilItHoldsTheLockAgain) {
  const auto options = simulator_options(10);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_lock_lost");
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.streams = {"earnings", "withdrawals"};
  spec.interval = std::to_string(kIntervalSeconds) + "s";
  ConfigFile config(spec);
  ASSERT_EQ(run_partnersync(config, {"--migrate"}).exit_code, 0);
  Process daemon({"--config", config.path().string()});
  ASSERT_TRUE(eventually([&] { return synced_runs(daemon.errors(), "withdrawals") >= 1; },
                         std::chrono::seconds(20)))
      << daemon.errors();

  // Right after a pass: cut the lock's backend and take the lock from this test's session.
  pqxx::connection thief(db.url());
  pqxx::nontransaction tx(thief);
  const std::string lock_key =
      "classid = hashtext('partnersync.owner')::oid AND objid = hashtext('acme')::oid AND "
      "objsubid = 2";
  const auto holder =
      // pg_locks shows every database's locks: tests beside this one sync a source "acme" too.
      tx.exec("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid "
              "FROM pg_database WHERE datname = current_database()) AND " + lock_key);
  ASSERT_EQ(holder.size(), 1u) << "the owner holds the source's lock between passes";
  tx.exec("SELECT pg_terminate_backend(" + std::string(holder[0][0].c_str()) + ")");
  bool taken = false;
  for (int i = 0; i < 200 && !taken; ++i) {
    taken = tx.exec1(
                  "SELECT pg_try_advisory_lock(hashtext('partnersync.owner'), "
                  "hashtext('acme'))")[0]
                .as<bool>();
    if (!taken) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(taken) << "the daemon took the lock back at once";
  ASSERT_TRUE(eventually(
      [&] {
        return daemon.errors().find("the source lock went with its database connection") !=
               std::string::npos;
      },
      std::chrono::seconds(3 * kIntervalSeconds)))
      << daemon.errors();
  const auto runs = query_count(db.url(), "SELECT count(*) FROM sync.runs");
  EXPECT_TRUE(eventually([&] { return daemon.errors().find(kStandby) != std::string::npos; },
                         std::chrono::seconds(5)))
      << daemon.errors();
  // Two intervals without the lock: no run starts.
  std::this_thread::sleep_for(std::chrono::seconds(2 * kIntervalSeconds));
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM sync.runs"), runs)
      << "the daemon synced without the source's lock";
  EXPECT_TRUE(daemon.running());

  // The lock is free again: the daemon takes it and syncs.
  tx.exec("SELECT pg_advisory_unlock(hashtext('partnersync.owner'), hashtext('acme'))");
  const int synced = synced_runs(daemon.errors(), "withdrawals");
  EXPECT_TRUE(eventually([&] { return synced_runs(daemon.errors(), "withdrawals") > synced; },
                         std::chrono::seconds(4 * kIntervalSeconds)))
      << daemon.errors();
  EXPECT_NE(daemon.errors().find(kTakeover), std::string::npos) << daemon.errors();
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(std::chrono::seconds(15)), 0) << daemon.errors();
}

}  // namespace
}  // namespace partnersync::e2e
