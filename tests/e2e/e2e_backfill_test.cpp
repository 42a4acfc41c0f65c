// End-to-end backfill: a multi-month backfill lands exactly the simulator's ground truth in
// every livechat table, for the current and the legacy (000) response shapes.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "tests/e2e/e2e_support.hpp"

namespace partnersync::e2e {
namespace {

constexpr const char* kWindowedStreams[] = {
    "affiliate_licenses",    "partner_program_licenses",    "solution_licenses",
    "affiliate_performance", "partner_program_performance", "withdrawals"};

void expect_backfill_lands_ground_truth(bool legacy) {
  const auto options = simulator_options(90, legacy);
  sim::Simulator sim(options);
  testing::TestDatabase db(legacy ? "e2e_legacy" : "e2e_current");
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  ConfigFile config(spec);
  const std::int64_t first = *sim::parse_date(options.api.date_from), last = today_days();

  const auto run = run_backfill(config, first, last);
  ASSERT_EQ(run.exit_code, 0) << run.errors;
  std::printf("backfill of %s..%s took %lld ms\n", day_text(first).c_str(), day_text(last).c_str(),
              static_cast<long long>(run.took.count()));

  const auto ds = sim.api().snapshot();
  const auto& url = db.url();
  // The generator repeats whole records and (timestamp, e-mail) pairs: the key must keep both.
  ASSERT_EQ(ds->affiliate_licenses.size(), 3000u);
  EXPECT_EQ(query_rows(url, "SELECT program, count(*) FROM livechat.affiliate_licenses GROUP BY 1"),
            (std::vector<std::string>{"livechat|3000", "partner_program|200"}));
  EXPECT_TRUE(
      same_rows(expected_affiliate_licenses(*ds, legacy), query_rows(url, kAffiliateLicensesSql)));
  EXPECT_TRUE(same_rows(expected_performance(*ds, first, last), query_rows(url, kPerformanceSql)));
  EXPECT_EQ(query_value(url, "SELECT sum(clicks) FROM livechat.performance_daily"), [&] {
    std::int64_t clicks = 0;
    for (const auto program : {sim::Program::livechat, sim::Program::partner_program})
      for (const auto& row : ds->performance(program, first, last)) clicks += row.clicks;
    return std::to_string(clicks);
  }());
  EXPECT_TRUE(same_rows(expected_history(*ds), query_rows(url, kHistorySql)));
  EXPECT_TRUE(same_rows(expected_earnings(*ds, legacy), query_rows(url, kEarningsSql)));
  EXPECT_TRUE(same_rows(expected_stats(*ds), query_rows(url, kStatsSql)));
  EXPECT_TRUE(same_rows(expected_withdrawals(*ds, legacy), query_rows(url, kWithdrawalsSql)));
  EXPECT_TRUE(same_rows(expected_campaigns(*ds), query_rows(url, kCampaignsSql)));
  EXPECT_TRUE(same_rows(expected_leads(*ds), query_rows(url, kLeadsSql)));
  EXPECT_TRUE(same_rows(expected_solution_licenses(*ds), query_rows(url, kSolutionLicensesSql)));
  EXPECT_TRUE(same_rows(expected_solution_invoices(*ds), query_rows(url, kSolutionInvoicesSql)));
  // A backfill is one covered interval per windowed stream, and nothing left to resume.
  for (const char* stream : kWindowedStreams) {
    EXPECT_EQ(coverage(url, stream),
              std::vector<std::string>{day_text(first) + ".." + day_text(last)})
        << stream;
  }
  EXPECT_EQ(query_count(url, "SELECT count(*) FROM sync.backfill_progress"), 0);
}

TEST(E2eBackfill, CurrentShapesLandExactlyTheGroundTruth) {
  expect_backfill_lands_ground_truth(false);
}

TEST(E2eBackfill, LegacyShapesLandExactlyTheGroundTruth) {
  expect_backfill_lands_ground_truth(true);
}

TEST(E2eBackfill, ConcurrencyTwoKeepsAtMostTwoRequestsInFlight) {
  const auto options = simulator_options(90);
  sim::Simulator sim(options);
  // Slow answers make overlapping requests likely, so a limit that leaks would show.
  sim::Fault slow;
  slow.path = "";
  slow.count = 10000;
  slow.kind = sim::Fault::Kind::delay;
  slow.delay = std::chrono::milliseconds(15);
  sim.add_fault(slow);
  testing::TestDatabase db("e2e_concurrency");
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.concurrency = 2;
  spec.streams = {"affiliate_licenses", "solution_licenses", "solution_invoices",
                  "affiliate_performance"};
  ConfigFile config(spec);
  const std::int64_t first = *sim::parse_date(options.api.date_from);
  sim.clear_requests();
  const auto run = run_backfill(config, first, first + 44);
  ASSERT_EQ(run.exit_code, 0) << run.errors;
  EXPECT_GT(sim.requests().size(), 50u);
  EXPECT_LE(sim.max_in_flight(), 2);
  // And the engine does use the two it may: a limit of one would also pass the line above.
  EXPECT_EQ(sim.max_in_flight(), 2);
}

// Issue 16: the path users have (upstream honours Accept-Encoding: gzip) lands what the plain
// one lands, table for table, row for row.
TEST(E2eBackfill, GzipServedBackfillLandsTheSameRowsAsAPlainOne) {
  auto plain_options = simulator_options(90);
  auto gzip_options = plain_options;
  gzip_options.gzip = true;
  gzip_options.api.prerender = true;  // as the benchmarks serve it: compressed once per body
  sim::Simulator plain_sim(plain_options), gzip_sim(gzip_options);
  testing::TestDatabase plain_db("e2e_plain"), gzip_db("e2e_gzip");
  const std::int64_t first = *sim::parse_date(plain_options.api.date_from), last = today_days();
  for (auto* side : {&plain_sim, &gzip_sim}) {
    ConfigSpec spec;
    spec.database_url = side == &plain_sim ? plain_db.url() : gzip_db.url();
    spec.base_url = side->base_url();
    spec.start_date = plain_options.api.date_from;
    ConfigFile config(spec);
    const auto run = run_backfill(config, first, last);
    ASSERT_EQ(run.exit_code, 0) << run.errors;
  }
  std::size_t gzipped = 0, plain = 0;
  for (const auto& r : gzip_sim.requests())
    if (r.status == 200) (r.gzipped ? gzipped : plain) += 1;  // errors (403 experts) are not
  EXPECT_GT(gzipped, 20u);
  EXPECT_EQ(plain, 0u) << "every 200 answer of the gzip simulator was compressed";
  for (const auto& r : plain_sim.requests()) EXPECT_FALSE(r.gzipped) << r.target;

  const auto expected = livechat_contents(plain_db.url());
  const auto actual = livechat_contents(gzip_db.url());
  ASSERT_EQ(expected.size(), actual.size());
  std::size_t rows = 0;
  for (const auto& [table, rows_of] : expected) {
    ASSERT_TRUE(actual.count(table)) << table;
    EXPECT_TRUE(same_rows(rows_of, actual.at(table))) << table;
    rows += rows_of.size();
  }
  EXPECT_GT(rows, 3000u);
  EXPECT_EQ(query_rows(gzip_db.url(), "SELECT stream, status, rows_received FROM sync.runs"),
            query_rows(plain_db.url(), "SELECT stream, status, rows_received FROM sync.runs"));
}

// The windows of `stream` the log says went straight into the table ("first read"), as
// (from, to) days since epoch.
std::vector<std::pair<std::int64_t, std::int64_t>> first_reads(const std::string& log,
                                                               const std::string& stream) {
  const std::regex line("stream " + stream +
                        " window (\\d{4}-\\d\\d-\\d\\d)\\.\\.(\\d{4}-\\d\\d-\\d\\d): first read");
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it)
    out.emplace_back(*sim::parse_date((*it)[1].str()), *sim::parse_date((*it)[2].str()));
  return out;
}

// Issue 16: days no window has read yet go into the table by COPY; days an older window read
// (an overlapping backfill, the lookback) take the upsert, and the table ends up exactly the
// ground truth either way.
TEST(E2eBackfill, OnlyDaysNoWindowHasReadGoStraightIntoTheTable) {
  const auto options = simulator_options(90);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_first_read");
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.streams = {"affiliate_licenses", "partner_program_licenses"};
  spec.log_level = "debug";
  ConfigFile config(spec);
  const std::int64_t first = *sim::parse_date(options.api.date_from), last = today_days();

  const auto older = run_backfill(config, first, first + 44);
  ASSERT_EQ(older.exit_code, 0) << older.errors;
  const auto first_pass = first_reads(older.errors, "affiliate_licenses");
  // 45 days in 7-day windows; every one of them a first read.
  EXPECT_EQ(first_pass.size(), 7u) << older.errors.substr(0, 4000);
  EXPECT_EQ(first_reads(older.errors, "partner_program_licenses").size(), 7u);

  // Overlaps the older one by 15 days: 7-day windows from first + 30, so the window holding
  // day first + 44 has rows from the older window and must not be copied straight in.
  const auto overlapping = run_backfill(config, first + 30, last);
  ASSERT_EQ(overlapping.exit_code, 0) << overlapping.errors;
  const auto second_pass = first_reads(overlapping.errors, "affiliate_licenses");
  EXPECT_FALSE(second_pass.empty());
  for (const auto& [from, to] : second_pass)
    EXPECT_GT(from, first + 44) << "window " << day_text(from) << ".." << day_text(to)
                                << " overlaps days the older backfill read";
  EXPECT_TRUE(same_rows(expected_affiliate_licenses(*sim.api().snapshot(), false),
                        query_rows(db.url(), kAffiliateLicensesSql)));

  // A re-read (the lookback of an incremental run) takes the upsert too: nothing is new.
  const auto rerun = run_partnersync(config, {"--once"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.errors;
  EXPECT_TRUE(first_reads(rerun.errors, "affiliate_licenses").empty());
  EXPECT_TRUE(same_rows(expected_affiliate_licenses(*sim.api().snapshot(), false),
                        query_rows(db.url(), kAffiliateLicensesSql)));
  EXPECT_EQ(query_count(db.url(),
                        "SELECT count(*) FROM (SELECT source, program, license_key FROM "
                        "livechat.affiliate_licenses GROUP BY 1, 2, 3 HAVING count(*) > 1) d"),
            0);
}

}  // namespace
}  // namespace partnersync::e2e
