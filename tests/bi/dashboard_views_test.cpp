// What the dashboards' views (schema/005_dashboards.sql) compute from base and history rows:
// conversions and cohorts, commission rates, account versions, statuses per day, add-ons, runs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/bi/bi_fixture.hpp"

namespace partnersync {
namespace {

using bi_testing::MigratedDatabase;

std::vector<std::string> rows(MigratedDatabase& db, const std::string& sql) {
  std::vector<std::string> out;
  for (const auto& row : db.query(sql)) {
    std::string line;
    for (pqxx::row::size_type i = 0; i < row.size(); ++i)
      line += (i ? "|" : "") + (row[i].is_null() ? std::string("NULL") : row[i].as<std::string>());
    out.push_back(line);
  }
  return out;
}

TEST(BiLicenseConversions, ConversionTimeIsTheEndOfTheLastUnpaidVersion) {
  MigratedDatabase db("bi_license_conversions");
  db.exec(R"sql(
    INSERT INTO livechat.affiliate_licenses
        (source, program, license_key, created_at, paid, commission_percent, campaign, raw,
         first_seen_at, last_changed_at)
    VALUES ('acme', 'livechat', 'converted', '2024-01-15 12:00+00', true, 20, 'spring', '{}',
            '2024-01-16 00:00+00', '2024-03-02 00:00+00'),
           ('acme', 'livechat', 'paid-at-first-sync', '2024-01-20 00:00+00', true, 20, NULL, '{}',
            '2024-02-01 00:00+00', '2024-02-01 00:00+00'),
           ('acme', 'livechat', 'trial', '2024-01-25 00:00+00', false, 20, NULL, '{}',
            '2024-02-01 00:00+00', '2024-02-01 00:00+00');
    INSERT INTO livechat.affiliate_licenses_history
        (source, program, license_key, created_at, paid, raw, first_seen_at, last_changed_at,
         valid_from, valid_to)
    VALUES ('acme', 'livechat', 'converted', '2024-01-15 12:00+00', false, '{}',
            '2024-01-16 00:00+00', '2024-01-16 00:00+00', '2024-01-16 00:00+00',
            '2024-02-20 00:00+00'),
           ('acme', 'livechat', 'converted', '2024-01-15 12:00+00', false, '{}',
            '2024-01-16 00:00+00', '2024-02-20 00:00+00', '2024-02-20 00:00+00',
            '2024-03-02 00:00+00');
    INSERT INTO livechat.solution_licenses (source, license, created_at, paid, raw)
    VALUES ('acme', '777', '2024-02-10 00:00+00', true, '{}');
    INSERT INTO livechat.solution_licenses_history
        (source, license, created_at, paid, raw, first_seen_at, last_changed_at, valid_from,
         valid_to)
    VALUES ('acme', '777', '2024-02-10 00:00+00', false, '{}', '2024-02-10 00:00+00',
            '2024-02-10 00:00+00', '2024-02-10 00:00+00', '2024-02-13 00:00+00');
  )sql");

  EXPECT_EQ(rows(db,
                 "SELECT program, license_key, created_month::text, converted_at::text, "
                 "converted_month::text, conversion_observed, days_to_convert, months_to_convert "
                 "FROM bi.license_conversions ORDER BY program, license_key"),
            (std::vector<std::string>{
                "livechat|converted|2024-01-01|2024-03-02 00:00:00+00|2024-03-01|t|46.50|2",
                "livechat|paid-at-first-sync|2024-01-01|NULL|NULL|f|NULL|NULL",
                "solution|777|2024-02-01|2024-02-13 00:00:00+00|2024-02-01|t|3.00|0"}));
  EXPECT_EQ(rows(db,
                 "SELECT program, created_month::text, conversion_lag, months_to_convert, "
                 "licenses, cohort_licenses, share_of_cohort FROM bi.conversion_cohorts "
                 "ORDER BY program, created_month, conversion_lag"),
            (std::vector<std::string>{"livechat|2024-01-01|after 2 months|2|1|3|0.3333",
                                      "livechat|2024-01-01|not paid|NULL|1|3|0.3333",
                                      "livechat|2024-01-01|paid when first synced|NULL|1|3|0.3333",
                                      "solution|2024-02-01|after 0 months|0|1|1|1.0000"}));
}

TEST(BiCommissionRates, TheCurrentRateIsThatOfTheNewestLicenseOfTheProgram) {
  MigratedDatabase db("bi_commission_rates");
  db.exec(R"sql(
    INSERT INTO livechat.affiliate_licenses
        (source, program, license_key, created_at, commission_percent, raw)
    VALUES ('acme', 'livechat', 'a', '2024-01-01 00:00+00', 20, '{}'),
           ('acme', 'livechat', 'b', '2024-02-01 00:00+00', 20, '{}'),
           ('acme', 'livechat', 'c', '2024-03-01 00:00+00', 10, '{}'),
           ('acme', 'partner_program', 'd', '2024-01-01 00:00+00', 5, '{}'),
           ('acme', 'partner_program', 'e', '2024-01-02 00:00+00', NULL, '{}');
  )sql");
  EXPECT_EQ(
      rows(db,
           "SELECT program, commission_percent, licenses, is_current "
           "FROM bi.commission_rates ORDER BY program, commission_percent"),
      (std::vector<std::string>{"livechat|10|1|t", "livechat|20|2|f", "partner_program|5|1|t"}));
}

// acc1: Active from its creation, suspended on 03-10 at noon (a kept version); acc2: Active
// since 03-05, never changed; acc3: no valid creation time, New since it was first seen.
void insert_accounts(MigratedDatabase& db) {
  db.exec(R"sql(
    INSERT INTO liveagent.variations (source, variation_id, name, raw)
    VALUES ('la', 'v1', 'Business', '{}');
    INSERT INTO liveagent.accounts (source, account_id, domain, created_at, variation_id, status,
                                    raw, first_seen_at, last_changed_at)
    VALUES ('la', 'acc1', 'one.ladesk.com', '2024-03-01 10:00+00', 'v1', 's', '{}',
            '2024-03-02 00:00+00', '2024-03-10 12:00+00'),
           ('la', 'acc2', 'two.ladesk.com', '2024-03-05 10:00+00', 'v1', 'a', '{}',
            '2024-03-06 00:00+00', '2024-03-06 00:00+00'),
           ('la', 'acc3', 'three.ladesk.com', NULL, NULL, 'n', '{}',
            '2024-03-08 00:00+00', '2024-03-08 00:00+00');
    INSERT INTO liveagent.accounts_history (source, account_id, domain, created_at, variation_id,
                                            status, status_label, raw, first_seen_at,
                                            last_changed_at, valid_from, valid_to)
    VALUES ('la', 'acc1', 'one.ladesk.com', '2024-03-01 10:00+00', 'v1', 'a', 'Active', '{}',
            '2024-03-02 00:00+00', '2024-03-02 00:00+00', '2024-03-02 00:00+00',
            '2024-03-10 12:00+00');
  )sql");
}

TEST(BiAccountVersions, ChainTheHistoryFromCreationToTheCurrentRow) {
  MigratedDatabase db("bi_account_versions");
  insert_accounts(db);
  EXPECT_EQ(rows(db,
                 "SELECT account_id, version, valid_from::text, valid_to::text, is_current, "
                 "status, previous_status FROM bi.account_versions ORDER BY 1, 2"),
            (std::vector<std::string>{
                "acc1|1|2024-03-01 10:00:00+00|2024-03-10 12:00:00+00|f|Active|NULL",
                "acc1|2|2024-03-10 12:00:00+00|NULL|t|Suspended|Active",
                "acc2|1|2024-03-05 10:00:00+00|NULL|t|Active|NULL",
                "acc3|1|2024-03-08 00:00:00+00|NULL|t|New|NULL"}));
  EXPECT_EQ(
      rows(db,
           "SELECT account_id, domain, changed_at::text, from_status, to_status "
           "FROM bi.account_status_changes"),
      (std::vector<std::string>{"acc1|one.ladesk.com|2024-03-10 12:00:00+00|Active|Suspended"}));
}

TEST(BiAccountStatusDaily, CountsTheStatusValidAtTheEndOfEachDayUpToToday) {
  MigratedDatabase db("bi_account_status_daily");
  insert_accounts(db);
  const std::string sql =
      "SELECT day::text, status, sum(accounts) FROM bi.account_status_daily "
      "WHERE day IN ('2024-02-29', '2024-03-01', '2024-03-05', '2024-03-08', '2024-03-09', "
      "'2024-03-10') GROUP BY 1, 2 ORDER BY 1, 2";
  EXPECT_EQ(rows(db, sql),
            (std::vector<std::string>{
                "2024-03-01|Active|1", "2024-03-01|New|0", "2024-03-01|Suspended|0",
                "2024-03-05|Active|2", "2024-03-05|New|0", "2024-03-05|Suspended|0",
                "2024-03-08|Active|2", "2024-03-08|New|1", "2024-03-08|Suspended|0",
                "2024-03-09|Active|2", "2024-03-09|New|1", "2024-03-09|Suspended|0",
                "2024-03-10|Active|1", "2024-03-10|New|1", "2024-03-10|Suspended|1"}))
      << "the suspension at noon on 03-10 counts from that day's end; nothing before 03-01";
  EXPECT_EQ(rows(db,
                 "SELECT status, coalesce(variation_name, '-'), accounts "
                 "FROM bi.account_status_daily WHERE day = current_date ORDER BY 1"),
            (std::vector<std::string>{"Active|Business|1", "New|-|1", "Suspended|Business|1"}));
  EXPECT_EQ(rows(db,
                 "SELECT count(*) = 3 * (current_date - '2024-03-01' + 1) "
                 "FROM bi.account_status_daily"),
            std::vector<std::string>{"t"})
      << "one row per day and (status, variation) the source ever had, from the first creation";
}

TEST(BiLiveagentAddons, OneRowPerAddonWithItsAccountAndActiveFlag) {
  MigratedDatabase db("bi_liveagent_addons");
  insert_accounts(db);
  db.exec(R"sql(
    INSERT INTO liveagent.account_addons (source, account_id, addon_id, license_code, name, price,
                                          valid_from_at, valid_to_at, status, raw)
    VALUES ('la', 'acc1', 'ad1', 'l1', 'Extra', 10.50, '2024-03-15 00:00+00', NULL, 'A', '{}'),
           ('la', 'acc1', 'ad2', 'l2', 'Extra', 20, '2024-03-20 00:00+00',
            '2024-04-20 00:00+00', 'A', '{}'),
           ('la', 'acc9', 'ad3', 'l3', 'Old', 5, '2024-04-01 00:00+00', NULL, 'R', '{}');
  )sql");
  EXPECT_EQ(rows(db,
                 "SELECT account_id, coalesce(domain, '-'), addon_id, price, "
                 "started_month::text, status, is_active, account_status, variation_name "
                 "FROM bi.liveagent_addons ORDER BY addon_id"),
            (std::vector<std::string>{
                "acc1|one.ladesk.com|ad1|10.50|2024-03-01|Approved|t|Suspended|Business",
                "acc1|one.ladesk.com|ad2|20|2024-03-01|Approved|f|Suspended|Business",
                "acc9|-|ad3|5|2024-04-01|Refunded|f|Unknown ()|NULL"}));
}

TEST(BiSyncRuns, OneRowPerRunWithItsDurationAndQuarantinedBodies) {
  MigratedDatabase db("bi_sync_runs");
  db.exec(R"sql(
    INSERT INTO sync.runs (source, stream, mode, started_at, finished_at, status, rows_received,
                           rows_updated)
    VALUES ('acme', 'earnings', 'incremental', '2024-03-01 10:00+00', '2024-03-01 10:00:01.5+00',
            'failed', 3, 1),
           ('acme', 'earnings', 'incremental', '2024-03-01 11:00+00', NULL, 'running', 0, 0);
    INSERT INTO sync.quarantine (source, stream, run_id, url, reason, body)
    SELECT 'acme', 'earnings', min(run_id), 'https://x.example/', 'not JSON', 'body'
      FROM sync.runs;
  )sql");
  EXPECT_EQ(rows(db,
                 "SELECT status, seconds, rows_received, rows_updated, quarantined "
                 "FROM bi.sync_runs ORDER BY run_id"),
            (std::vector<std::string>{"failed|1.500|3|1|1", "running|NULL|0|0|0"}));
}

}  // namespace
}  // namespace partnersync
