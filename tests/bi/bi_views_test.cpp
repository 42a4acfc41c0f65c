// What each bi view computes from base rows written as the sync engine writes them (source,
// columns, raw, timestamps): one row per license, rates, the latest snapshot per day, counts.
#include <gtest/gtest.h>

#include <string>

#include "tests/bi/bi_fixture.hpp"

namespace partnersync {
namespace {

using bi_testing::MigratedDatabase;

TEST(BiLicenses, OneRowPerLicenseAcrossAffiliatePartnerProgramAndSolution) {
  MigratedDatabase db("bi_licenses");
  db.exec(R"sql(
    INSERT INTO livechat.affiliate_licenses
        (source, program, license_key, tier, client_email, created_at, end_at, paid, seats,
         total_commission, campaign, raw)
    VALUES
      ('acme', 'livechat', '2024-03-01 10:00:00|w...n@l...c|0', 1, 'w...n@l...c',
       '2024-03-01 10:00+00', '2024-03-15 10:00+00', false, 1, 0, 'spring',
       '{"client_email": "w...n@l...c"}'),
      ('acme', 'livechat', '2024-03-01 10:00:00|w...n@l...c|1', 1, 'w...n@l...c',
       '2024-03-01 10:00+00', '2099-04-01 10:00+00', true, 3, 12.5, 'spring',
       '{"client_email": "w...n@l...c"}'),
      ('acme', 'partner_program', '2024-03-02 09:00:00||0', NULL, NULL,
       '2024-03-02 09:00+00', NULL, false, NULL, NULL, NULL, '{}'),
      ('other', 'livechat', '2024-03-01 10:00:00|w...n@l...c|0', 2, 'w...n@l...c',
       '2024-03-01 10:00+00', NULL, true, 2, 30, NULL, '{}');
    INSERT INTO livechat.solution_licenses
        (source, license, client_name, client_email, created_at, paid, expired, seats,
         total_discount, data_center, raw)
    VALUES ('acme', '10001', 'Client Ltd', 'boss@client.example', '2024-03-05 08:00+00', true,
            false, 5, 40, 'fra', '{"license": 10001}');
  )sql");

  EXPECT_EQ(db.query1("SELECT count(*) FROM bi.licenses")[0].as<int>(), 5);
  EXPECT_EQ(db.query1("SELECT count(DISTINCT (source, program, license_key)) FROM bi.licenses")[0]
                .as<int>(),
            5);
  const auto by_program = db.query(
      "SELECT program, count(*), count(*) FILTER (WHERE is_paid), "
      "       count(*) FILTER (WHERE status = 'trial') "
      "FROM bi.licenses WHERE source = 'acme' GROUP BY program ORDER BY program");
  ASSERT_EQ(by_program.size(), 3u);
  EXPECT_EQ(by_program[0][0].as<std::string>(), "livechat");
  EXPECT_EQ(by_program[0][1].as<int>(), 2);
  EXPECT_EQ(by_program[0][2].as<int>(), 1);
  EXPECT_EQ(by_program[0][3].as<int>(), 1);
  EXPECT_EQ(by_program[1][0].as<std::string>(), "partner_program");
  EXPECT_EQ(by_program[1][3].as<int>(), 1);
  EXPECT_EQ(by_program[2][0].as<std::string>(), "solution");
  EXPECT_EQ(by_program[2][2].as<int>(), 1);

  const auto solution = db.query1(
      "SELECT license_key, license_id, client_name, status, is_expired, total_discount, "
      "       data_center, seats FROM bi.licenses WHERE program = 'solution'");
  EXPECT_EQ(solution[0].as<std::string>(), "10001");
  EXPECT_EQ(solution[1].as<std::string>(), "10001");
  EXPECT_EQ(solution[2].as<std::string>(), "Client Ltd");
  EXPECT_EQ(solution[3].as<std::string>(), "paid");
  EXPECT_FALSE(solution[4].as<bool>());
  EXPECT_EQ(solution[5].as<double>(), 40.0);
  EXPECT_EQ(solution[6].as<std::string>(), "fra");
  EXPECT_EQ(solution[7].as<int>(), 5);

  const auto expired_trial = db.query1(
      "SELECT license_id IS NULL, status, is_expired, campaign, tier FROM bi.licenses "
      "WHERE source = 'acme' AND license_key = '2024-03-01 10:00:00|w...n@l...c|0'");
  EXPECT_TRUE(expired_trial[0].as<bool>()) << "affiliate licenses have no upstream id";
  EXPECT_EQ(expired_trial[1].as<std::string>(), "trial");
  EXPECT_TRUE(expired_trial[2].as<bool>()) << "the trial ended in 2024";
  EXPECT_EQ(expired_trial[3].as<std::string>(), "spring");
  EXPECT_EQ(expired_trial[4].as<int>(), 1);
}

TEST(BiLicenses, PaidDetectedAtIsWhenAReReadFirstSawTheLicensePaid) {
  MigratedDatabase db("bi_paid_detected");
  db.exec(R"sql(
    INSERT INTO livechat.affiliate_licenses
        (source, program, license_key, created_at, paid, raw, first_seen_at, last_changed_at)
    VALUES ('acme', 'livechat', 'k|converts|0', '2024-03-01 10:00+00', false, '{"paid": false}',
            now() - interval '2 days', now() - interval '2 days'),
           ('acme', 'livechat', 'k|paid-from-start|0', '2024-03-01 10:00+00', true,
            '{"paid": true}', now() - interval '1 day', now() - interval '1 day'),
           ('acme', 'livechat', 'k|still-trial|0', '2024-03-01 10:00+00', false,
            '{"paid": false}', now() - interval '1 day', now() - interval '1 day');
    INSERT INTO livechat.solution_licenses
        (source, license, created_at, paid, raw, first_seen_at, last_changed_at)
    VALUES ('acme', '20002', '2024-03-01 10:00+00', false, '{"paid": false}',
            now() - interval '3 days', now() - interval '3 days');
  )sql");
  // The re-read that saw the conversion: the upsert changes the row and moves last_changed_at;
  // the history trigger keeps the trial version with valid_to = now().
  db.exec(
      "UPDATE livechat.affiliate_licenses SET paid = true, raw = '{\"paid\": true}', "
      "last_changed_at = now() WHERE license_key = 'k|converts|0'");
  db.exec(
      "UPDATE livechat.solution_licenses SET paid = true, raw = '{\"paid\": true}', "
      "last_changed_at = now() WHERE license = '20002'");

  const auto converted = db.query1(
      "SELECT b.paid_detected_at = l.last_changed_at, b.paid_detected_at > b.first_seen_at "
      "FROM bi.licenses b JOIN livechat.affiliate_licenses l USING (source, program, "
      "license_key) WHERE license_key = 'k|converts|0'");
  EXPECT_TRUE(converted[0].as<bool>());
  EXPECT_TRUE(converted[1].as<bool>());
  const auto solution = db.query1(
      "SELECT b.paid_detected_at = s.last_changed_at FROM bi.licenses b "
      "JOIN livechat.solution_licenses s ON s.source = b.source AND s.license = b.license_id");
  EXPECT_TRUE(solution[0].as<bool>());
  EXPECT_TRUE(db.query1("SELECT paid_detected_at = first_seen_at FROM bi.licenses "
                        "WHERE license_key = 'k|paid-from-start|0'")[0]
                  .as<bool>());
  EXPECT_TRUE(db.query1("SELECT paid_detected_at IS NULL FROM bi.licenses "
                        "WHERE license_key = 'k|still-trial|0'")[0]
                  .as<bool>());
}

TEST(BiConversionsMonthly, RateIsPaidOverTrialsFromHistoryAndCohortsFromLicenses) {
  MigratedDatabase db("bi_conversions");
  db.exec(R"sql(
    INSERT INTO livechat.history_monthly (source, program, month, trials, paid, commission, raw)
    VALUES ('acme', 'livechat', '2024-03-01', 8, 2, 99.5, '{"date": "2024-03"}'),
           ('acme', 'livechat', '2024-04-01', 0, 0, 0, '{"date": "2024-04"}'),
           ('acme', 'solution', '2024-03-01', 4, 3, 10, '{"date": "2024-03"}');
    INSERT INTO livechat.history_monthly (source, program, month, profile_views, raw)
    VALUES ('acme', 'expert', '2024-03-01', 17, '{"date": "2024-03"}');
    INSERT INTO livechat.affiliate_licenses (source, program, license_key, created_at, paid, raw)
    VALUES ('acme', 'livechat', 'a|0', '2024-03-01 00:30+00', true, '{}'),
           ('acme', 'livechat', 'b|0', '2024-03-31 23:30+00', false, '{}'),
           ('acme', 'livechat', 'c|0', '2024-05-10 12:00+00', false, '{}');
  )sql");

  const auto march = db.query1(
      "SELECT trials, paid, conversion_rate, commission, licenses_created, licenses_paid_now, "
      "cohort_conversion_rate FROM bi.conversions_monthly "
      "WHERE source = 'acme' AND program = 'livechat' AND month = '2024-03-01'");
  EXPECT_EQ(march[0].as<int>(), 8);
  EXPECT_EQ(march[1].as<int>(), 2);
  EXPECT_EQ(march[2].as<std::string>(), "0.2500");
  EXPECT_EQ(march[3].as<double>(), 99.5);
  EXPECT_EQ(march[4].as<int>(), 2);
  EXPECT_EQ(march[5].as<int>(), 1);
  EXPECT_EQ(march[6].as<std::string>(), "0.5000");

  const auto april = db.query1(
      "SELECT conversion_rate IS NULL, licenses_created, cohort_conversion_rate IS NULL "
      "FROM bi.conversions_monthly WHERE program = 'livechat' AND month = '2024-04-01'");
  EXPECT_TRUE(april[0].as<bool>()) << "no trials: no rate, not a division by zero";
  EXPECT_EQ(april[1].as<int>(), 0);
  EXPECT_TRUE(april[2].as<bool>());

  const auto may = db.query1(
      "SELECT trials IS NULL, licenses_created, cohort_conversion_rate FROM bi.conversions_monthly "
      "WHERE program = 'livechat' AND month = '2024-05-01'");
  EXPECT_TRUE(may[0].as<bool>()) << "a month only the licenses know has no history figures";
  EXPECT_EQ(may[1].as<int>(), 1);
  EXPECT_EQ(may[2].as<std::string>(), "0.0000");

  EXPECT_EQ(db.query1("SELECT conversion_rate FROM bi.conversions_monthly "
                      "WHERE program = 'solution' AND month = '2024-03-01'")[0]
                .as<std::string>(),
            "0.7500");
  EXPECT_EQ(db.query1("SELECT profile_views FROM bi.conversions_monthly "
                      "WHERE program = 'expert'")[0]
                .as<int>(),
            17);
  EXPECT_EQ(db.query1("SELECT count(*) FROM bi.conversions_monthly")[0].as<int>(), 5);
}

TEST(BiEarningsDaily, EachDayShowsTheLatestSnapshotValidThatDay) {
  MigratedDatabase db("bi_earnings");
  db.exec(R"sql(
    INSERT INTO livechat.earnings_snapshots
        (source, taken_at, last_seen_at, balance, commission_total, reseller_discount, raw)
    VALUES ('acme', '2024-03-01 10:00+00', '2024-03-03 08:00+00', 100, 1000, 5, '{"balance": 100}'),
           ('acme', '2024-03-03 12:00+00', '2024-03-03 18:00+00', 130, 1030, 5, '{"balance": 130}'),
           ('acme', '2024-03-06 09:00+00', '2024-03-06 09:00+00', 0, 1100, 6, '{"balance": 0}'),
           ('other', '2024-03-02 09:00+00', '2024-03-02 10:00+00', 7, 70, NULL, '{"balance": 7}');
  )sql");

  const auto rows = db.query(
      "SELECT day::text, balance, commission_total, commission_total_change, "
      "       to_char(snapshot_taken_at, 'YYYY-MM-DD HH24:MI') "
      "FROM bi.earnings_daily WHERE source = 'acme' ORDER BY day");
  ASSERT_EQ(rows.size(), 4u) << "days 4 and 5 were never confirmed: no row";
  EXPECT_EQ(rows[0][0].as<std::string>(), "2024-03-01");
  EXPECT_EQ(rows[1][0].as<std::string>(), "2024-03-02");
  EXPECT_EQ(rows[1][1].as<double>(), 100.0) << "a snapshot stays valid until last_seen_at";
  EXPECT_EQ(rows[2][0].as<std::string>(), "2024-03-03");
  EXPECT_EQ(rows[2][1].as<double>(), 130.0) << "the later snapshot of the day wins";
  EXPECT_EQ(rows[2][4].as<std::string>(), "2024-03-03 12:00");
  EXPECT_EQ(rows[3][0].as<std::string>(), "2024-03-06");
  EXPECT_EQ(rows[3][1].as<double>(), 0.0);
  EXPECT_TRUE(rows[0][3].is_null());
  EXPECT_EQ(rows[1][3].as<double>(), 0.0);
  EXPECT_EQ(rows[2][3].as<double>(), 30.0);
  EXPECT_EQ(rows[3][3].as<double>(), 70.0);
  EXPECT_EQ(db.query1("SELECT count(*) FROM bi.earnings_daily WHERE source = 'other'")[0].as<int>(),
            1);
  EXPECT_EQ(db.query1("SELECT count(DISTINCT (source, day)) = count(*) FROM bi.earnings_daily")[0]
                .as<bool>(),
            true);
}

TEST(BiCampaignPerformance, DailyRowsCarryTheMatchingCampaignOfTheSameProgram) {
  MigratedDatabase db("bi_campaigns");
  db.exec(R"sql(
    INSERT INTO livechat.campaigns (source, program, slug, status, name, trial_duration, url, raw)
    VALUES ('acme', 'livechat', 'pp_spring', 'active', 'Spring', 30,
            'https://www.livechatinc.com/?a=xyz&utm_campaign=pp_spring', '{}'),
           ('acme', 'livechat', 'pp_old', 'disabled', 'Old one', 14, NULL, '{}'),
           ('acme', 'partner_program', 'pp_spring', 'active', 'PP Spring', NULL, NULL, '{}');
    INSERT INTO livechat.performance_daily
        (source, program, day, campaign, medium, content, term, clicks, trials, paid, commission,
         raw)
    VALUES ('acme', 'livechat', '2024-03-01', 'pp_spring', 'banner', '', '', 100, 10, 2, 50, '{}'),
           ('acme', 'livechat', '2024-03-01', 'Old one', '', '', '', 5, 1, 0, 0, '{}'),
           ('acme', 'livechat', '2024-03-01', '', '', '', '', 7, 0, 0, 0, '{}'),
           ('acme', 'partner_program', '2024-03-01', 'pp_spring', '', '', '', 3, 1, 1, 9, '{}');
  )sql");

  EXPECT_EQ(db.query1("SELECT count(*) FROM bi.campaign_performance")[0].as<int>(), 4);
  const auto by_slug = db.query1(
      "SELECT campaign_name, campaign_status, campaign_trial_days, clicks, commission "
      "FROM bi.campaign_performance WHERE program = 'livechat' AND campaign = 'pp_spring'");
  EXPECT_EQ(by_slug[0].as<std::string>(), "Spring");
  EXPECT_EQ(by_slug[1].as<std::string>(), "active");
  EXPECT_EQ(by_slug[2].as<int>(), 30);
  EXPECT_EQ(by_slug[3].as<int>(), 100);
  EXPECT_EQ(by_slug[4].as<double>(), 50.0);
  const auto by_name = db.query1(
      "SELECT campaign_slug, campaign_status FROM bi.campaign_performance "
      "WHERE campaign = 'Old one'");
  EXPECT_EQ(by_name[0].as<std::string>(), "pp_old");
  EXPECT_EQ(by_name[1].as<std::string>(), "disabled");
  EXPECT_TRUE(db.query1("SELECT campaign_slug IS NULL FROM bi.campaign_performance "
                        "WHERE campaign = ''")[0]
                  .as<bool>());
  EXPECT_EQ(db.query1("SELECT campaign_name FROM bi.campaign_performance "
                      "WHERE program = 'partner_program'")[0]
                .as<std::string>(),
            "PP Spring");
}

TEST(BiLiveagentAccounts, OneRowPerAccountWithLabelPlanAndUserAndAddonCounts) {
  MigratedDatabase db("bi_liveagent");
  db.exec(R"sql(
    INSERT INTO liveagent.variations (source, variation_id, name, raw)
    VALUES ('reseller', 'v1', 'LiveAgent Business', '{"id": "v1"}');
    INSERT INTO liveagent.accounts (source, account_id, domain, created_at, variation_id, status,
                                    max_agents, raw)
    VALUES ('reseller', 'acc1', 'one.ladesk.com', '2024-03-01 10:00+00', 'v1', 'a', 4,
            '{"id": "acc1", "status": "a"}'),
           ('reseller', 'acc2', 'two.ladesk.com', '2024-03-02 10:00+00', 'v9', 's', NULL,
            '{"id": "acc2", "status": "s"}'),
           ('reseller', 'acc3', 'three.ladesk.com', NULL, NULL, 'z', 2, '{"id": "acc3"}');
    INSERT INTO liveagent.account_users (source, account_id, userid, email, raw)
    VALUES ('reseller', 'acc1', 'u1', 'a@one.example', '{}'),
           ('reseller', 'acc1', 'u2', 'b@one.example', '{}'),
           ('reseller', 'acc1', 'u3', 'c@one.example', '{}'),
           ('reseller', 'acc2', 'u1', 'a@two.example', '{}');
    INSERT INTO liveagent.account_addons (source, account_id, addon_id, license_code, price,
                                          valid_from_at, valid_to_at, status, raw)
    VALUES ('reseller', 'acc1', 'ad1', 'l1', 10.50, now() - interval '10 days', NULL, 'A', '{}'),
           ('reseller', 'acc1', 'ad2', 'l2', 20, now() - interval '10 days',
            now() + interval '5 days', 'A', '{}'),
           ('reseller', 'acc1', 'ad3', 'l3', 30, now() - interval '60 days',
            now() - interval '30 days', 'A', '{}'),
           ('reseller', 'acc1', 'ad4', 'l4', 40, now() - interval '10 days', NULL, 'R', '{}');
  )sql");

  EXPECT_EQ(db.query1("SELECT count(*) FROM bi.liveagent_accounts")[0].as<int>(), 3);
  const auto one = db.query1(
      "SELECT status_code, status, is_active, variation_name, max_agents, users, seat_usage, "
      "       addons, active_addons, refunded_addons, active_addons_price "
      "FROM bi.liveagent_accounts WHERE account_id = 'acc1'");
  EXPECT_EQ(one[0].as<std::string>(), "a");
  EXPECT_EQ(one[1].as<std::string>(), "Active");
  EXPECT_TRUE(one[2].as<bool>());
  EXPECT_EQ(one[3].as<std::string>(), "LiveAgent Business");
  EXPECT_EQ(one[4].as<int>(), 4);
  EXPECT_EQ(one[5].as<int>(), 3);
  EXPECT_EQ(one[6].as<std::string>(), "0.7500");
  EXPECT_EQ(one[7].as<int>(), 4);
  EXPECT_EQ(one[8].as<int>(), 2) << "expired and refunded add-ons are not active";
  EXPECT_EQ(one[9].as<int>(), 1);
  EXPECT_EQ(one[10].as<std::string>(), "30.50");

  const auto two = db.query1(
      "SELECT status, is_active, variation_name IS NULL, users, seat_usage IS NULL, addons, "
      "       active_addons_price FROM bi.liveagent_accounts WHERE account_id = 'acc2'");
  EXPECT_EQ(two[0].as<std::string>(), "Suspended");
  EXPECT_FALSE(two[1].as<bool>());
  EXPECT_TRUE(two[2].as<bool>()) << "variation v9 is not synced";
  EXPECT_EQ(two[3].as<int>(), 1);
  EXPECT_TRUE(two[4].as<bool>()) << "no max_agents: no seat usage";
  EXPECT_EQ(two[5].as<int>(), 0);
  EXPECT_EQ(two[6].as<double>(), 0.0);

  const auto three = db.query1(
      "SELECT status, users, seat_usage FROM bi.liveagent_accounts WHERE account_id = 'acc3'");
  EXPECT_EQ(three[0].as<std::string>(), "Unknown (z)");
  EXPECT_EQ(three[1].as<int>(), 0);
  EXPECT_EQ(three[2].as<std::string>(), "0.0000");
}

TEST(BiSyncHealth, SummarisesStateCoverageLastRunAndStaleness) {
  MigratedDatabase db("bi_sync_health");
  db.exec(R"sql(
    INSERT INTO sync.state (source, stream, last_success_at, last_attempt_at, last_error,
                            not_applicable)
    VALUES ('acme', 'affiliate_licenses', now() - interval '3 hours', now() - interval '1 hour',
            'HTTP 502 from /v2/partners/affiliates/livechat/licenses', false),
           ('acme', 'expert_history', now() - interval '1 day', now() - interval '1 day', NULL,
            true);
    INSERT INTO sync.windows (source, stream, window_from, window_to, synced_at, rows)
    VALUES ('acme', 'affiliate_licenses', '2024-01-01', '2024-01-31', now() - interval '5 hours', 40),
           ('acme', 'affiliate_licenses', '2024-02-10', '2024-02-29', now() - interval '3 hours', 2);
    INSERT INTO sync.runs (source, stream, mode, started_at, finished_at, status, http_requests,
                           rows_received, rows_inserted, rows_updated, rows_unchanged, error)
    VALUES ('acme', 'affiliate_licenses', 'incremental', now() - interval '3 hours 1 minute',
            now() - interval '3 hours', 'succeeded', 3, 42, 40, 1, 1, NULL),
           ('acme', 'affiliate_licenses', 'incremental', now() - interval '1 hour',
            now() - interval '1 hour' + interval '2.5 seconds', 'failed', 5, 0, 0, 0, 0,
            'HTTP 502 from /v2/partners/affiliates/livechat/licenses');
    INSERT INTO sync.quarantine (source, stream, url, http_status, reason, body)
    VALUES ('acme', 'affiliate_licenses', 'https://api.example/x', 200, 'not JSON', 'oops'),
           ('acme', 'affiliate_licenses', 'https://api.example/y', 200, 'not JSON', 'fixed');
    UPDATE sync.quarantine SET resolved_at = now() WHERE body = 'fixed';
  )sql");

  EXPECT_EQ(db.query1("SELECT count(*) FROM bi.sync_health")[0].as<int>(), 2);
  const auto h = db.query1(
      "SELECT hours_since_success, last_error, coverage_from::text, coverage_to::text, "
      "       covered_days, coverage_intervals, coverage_gap_days, synced_rows, "
      "       last_run_status, last_run_http_requests, last_run_seconds, last_failure_error, "
      "       open_quarantine, not_applicable "
      "FROM bi.sync_health WHERE stream = 'affiliate_licenses'");
  EXPECT_NEAR(h[0].as<double>(), 3.0, 0.02);
  EXPECT_EQ(h[1].as<std::string>(), "HTTP 502 from /v2/partners/affiliates/livechat/licenses");
  EXPECT_EQ(h[2].as<std::string>(), "2024-01-01");
  EXPECT_EQ(h[3].as<std::string>(), "2024-02-29");
  EXPECT_EQ(h[4].as<int>(), 31 + 20);
  EXPECT_EQ(h[5].as<int>(), 2);
  EXPECT_EQ(h[6].as<int>(), 9) << "February 1..9 is not synced";
  EXPECT_EQ(h[7].as<int>(), 42);
  EXPECT_EQ(h[8].as<std::string>(), "failed") << "the latest run is the one shown";
  EXPECT_EQ(h[9].as<int>(), 5);
  EXPECT_NEAR(h[10].as<double>(), 2.5, 0.001);
  EXPECT_EQ(h[11].as<std::string>(), "HTTP 502 from /v2/partners/affiliates/livechat/licenses");
  EXPECT_EQ(h[12].as<int>(), 1) << "resolved quarantine entries are not open";
  EXPECT_FALSE(h[13].as<bool>());

  const auto expert = db.query1(
      "SELECT not_applicable, last_run_id IS NULL, covered_days IS NULL, open_quarantine "
      "FROM bi.sync_health WHERE stream = 'expert_history'");
  EXPECT_TRUE(expert[0].as<bool>());
  EXPECT_TRUE(expert[1].as<bool>());
  EXPECT_TRUE(expert[2].as<bool>());
  EXPECT_EQ(expert[3].as<int>(), 0);
}

}  // namespace
}  // namespace partnersync
