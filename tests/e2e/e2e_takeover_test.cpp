// Two daemons, one warehouse (issue 15): the source's advisory lock is held across passes, so
// one instance syncs and the other stands by; when the owner is SIGKILLed the standby takes
// over within one interval, and no stream ever runs in both at once.
#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>

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

  auto first = std::make_unique<Process>(std::vector<std::string>{"--config", config.path().string()});
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
  std::printf("the standby took over %lld ms after the owner's SIGKILL\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
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

}  // namespace
}  // namespace partnersync::e2e
