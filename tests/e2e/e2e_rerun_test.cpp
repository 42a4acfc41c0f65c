// End-to-end re-reads: an unchanged upstream re-read writes nothing, and a changed record is
// updated with its previous version kept in the history table.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_support.hpp"

namespace partnersync::e2e {
namespace {

// earnings, license stats, the profile and the Expert figures (issue 12) are snapshots.
bool is_snapshot_table(const std::string& table) {
  const std::string suffix = "_snapshots";
  return table.size() > suffix.size() &&
         table.compare(table.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// (ctid, xmin) of every row of the data tables: any UPDATE, DELETE or INSERT changes the set,
// whatever the statistics say.
std::map<std::string, std::vector<std::string>> row_versions(const std::string& url) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& table : query_rows(url,
                                      "SELECT table_name FROM information_schema.tables WHERE "
                                      "table_schema = 'livechat' AND table_type = 'BASE TABLE'")) {
    if (is_snapshot_table(table)) continue;
    out[table] = query_rows(url, "SELECT ctid::text, xmin::text FROM livechat." + table);
  }
  return out;
}

TEST(E2eRerun, OnceAfterBackfillChangesNoDataRow) {
  const auto options = simulator_options(90);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_rerun");
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  ConfigFile config(spec);
  const std::int64_t first = *sim::parse_date(options.api.date_from);
  const auto backfill = run_backfill(config, first, today_days());
  ASSERT_EQ(backfill.exit_code, 0) << backfill.errors;

  const auto before = livechat_tuple_counters(db.url());
  const auto versions_before = row_versions(db.url());
  // The counters are live: the backfill's inserts are visible, so a later change would be too.
  ASSERT_EQ(before.at("affiliate_licenses").inserted, 3200);
  ASSERT_GT(before.at("earnings_snapshots").inserted, 0);

  sim.clear_requests();
  const auto once = run_partnersync(config, {"--once"});
  ASSERT_EQ(once.exit_code, 0) << once.errors;
  std::printf("second --once took %lld ms\n", static_cast<long long>(once.took.count()));
  // It did re-read: licenses, reports and snapshots were all requested again.
  EXPECT_FALSE(requests_to(sim, "/v2/partners/affiliates/livechat/licenses").empty());
  EXPECT_FALSE(requests_to(sim, "/v2/partners/affiliates/livechat/performance").empty());
  EXPECT_FALSE(requests_to(sim, "/v2/partners/earnings").empty());
  EXPECT_FALSE(requests_to(sim, "/v2/partners/resellers/licenses").empty());

  const auto after = livechat_tuple_counters(db.url());
  ASSERT_EQ(before.size(), after.size());
  for (const auto& [table, b] : before) {
    const auto& a = after.at(table);
    EXPECT_EQ(a.inserted, b.inserted) << table << " got INSERTs";
    EXPECT_EQ(a.deleted, b.deleted) << table << " got DELETEs";
    // Snapshot tables may move last_seen_at of the latest snapshot (an UPDATE): the contract
    // allows it, as it records that a read confirmed the figures.
    if (!is_snapshot_table(table)) {
      EXPECT_EQ(a.updated, b.updated) << table << " got UPDATEs";
    }
  }
  EXPECT_EQ(row_versions(db.url()), versions_before);
}

TEST(E2eRerun, ConvertedTrialIsUpdatedAndOldVersionGoesToHistory) {
  const auto options = simulator_options(90);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_convert");
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.streams = {"affiliate_licenses"};
  spec.lookback = "120d";  // longer than the data: every license is within lookback
  ConfigFile config(spec);
  const auto first_run = run_partnersync(config, {"--once"});
  ASSERT_EQ(first_run.exit_code, 0) << first_run.errors;
  ASSERT_EQ(query_count(db.url(), "SELECT count(*) FROM livechat.affiliate_licenses_history"), 0);

  const auto old_data = sim.api().snapshot();
  sim::api::Mutation convert;
  convert.kind = sim::api::Mutation::Kind::convert_trials;
  convert.count = 5;
  sim.api().mutate(convert);
  const auto new_data = sim.api().snapshot();
  // The licenses the mutation converted, as they were before it (ground truth, not the table).
  sim::Dataset converted = *old_data;
  converted.affiliate_licenses.clear();
  converted.partner_program_licenses.clear();
  ASSERT_EQ(old_data->affiliate_licenses.size(), new_data->affiliate_licenses.size());
  for (std::size_t i = 0; i < old_data->affiliate_licenses.size(); ++i) {
    if (old_data->affiliate_licenses[i].paid != new_data->affiliate_licenses[i].paid)
      converted.affiliate_licenses.push_back(old_data->affiliate_licenses[i]);
  }
  ASSERT_EQ(converted.affiliate_licenses.size(), 5u);

  const auto second_run = run_partnersync(config, {"--once"});
  ASSERT_EQ(second_run.exit_code, 0) << second_run.errors;
  sim::Dataset livechat_only = *new_data;  // only the affiliate_licenses stream is configured
  livechat_only.partner_program_licenses.clear();
  EXPECT_TRUE(same_rows(expected_affiliate_licenses(livechat_only, false),
                        query_rows(db.url(), kAffiliateLicensesSql)));
  // Exactly the five old versions (paid = false) went to history, with their validity.
  std::string history_sql = kAffiliateLicensesSql;
  history_sql += "_history";
  EXPECT_TRUE(
      same_rows(expected_affiliate_licenses(converted, false), query_rows(db.url(), history_sql)));
  EXPECT_EQ(query_count(db.url(),
                        "SELECT count(*) FROM livechat.affiliate_licenses_history h "
                        "JOIN livechat.affiliate_licenses l USING (source, program, license_key) "
                        "WHERE NOT h.paid AND l.paid AND h.valid_from <= h.valid_to "
                        "AND h.valid_to = l.last_changed_at AND h.valid_from < l.last_changed_at"),
            5);
}

}  // namespace
}  // namespace partnersync::e2e
