// The bi views over issue 12's tables (schema/006_endpoints.sql): the account's current rates
// and Expert position, coupons and operators with their removal, readable by partnersync_bi.
#include <gtest/gtest.h>

#include "tests/bi/bi_fixture.hpp"

namespace partnersync {
namespace {

using bi_testing::MigratedDatabase;

TEST(BiPartnerProfile, OneRowPerSourceFromItsLatestProfile) {
  MigratedDatabase db("bi_partner_profile");
  db.exec(R"sql(
    INSERT INTO livechat.profile_snapshots
        (source, taken_at, last_seen_at, partner_id, first_name, last_name,
         affiliate_livechat_commission_percent, affiliate_livechat_commission_end_at,
         reseller_discount_percent, expert_status, expert_marketplace_position, raw)
    VALUES ('acme', '2024-03-01 10:00+00', '2024-03-02 10:00+00', 'xyz', 'Joe', 'Doe', 20, NULL,
            20, 'verified', 5, '{}'),
           ('acme', '2024-03-03 10:00+00', '2024-03-04 10:00+00', 'xyz', 'Joe', 'Doe', 25,
            '2024-06-30 23:59:59+00', 20, 'verified', 2, '{}');
    INSERT INTO livechat.profile_snapshots (source, taken_at, partner_id, full_name, raw)
    VALUES ('old', '2024-03-01 10:00+00', 'abc', 'Ann Old', '{}');
  )sql");
  const auto rows = db.query(
      "SELECT source, partner_name, livechat_commission_percent, "
      "to_char(livechat_commission_ends_at, 'YYYY-MM-DD'), expert_marketplace_position, "
      "to_char(profile_since, 'YYYY-MM-DD') FROM bi.partner_profile ORDER BY source");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1].as<std::string>(), "Joe Doe");
  EXPECT_EQ(rows[0][2].as<int>(), 25) << "the current rate is the latest snapshot's";
  EXPECT_EQ(rows[0][3].as<std::string>(), "2024-06-30");
  EXPECT_EQ(rows[0][4].as<int>(), 2);
  EXPECT_EQ(rows[0][5].as<std::string>(), "2024-03-03");
  EXPECT_EQ(rows[1][1].as<std::string>(), "Ann Old");
  EXPECT_TRUE(rows[1][2].is_null());
}

TEST(BiExpertPosition, EachChangeIsValidUntilTheNext) {
  MigratedDatabase db("bi_expert_position");
  db.exec(R"sql(
    INSERT INTO livechat.expert_stats_snapshots (source, taken_at, position, comments, messages, raw)
    VALUES ('acme', '2024-03-01 10:00+00', 3, 10, 100, '{}'),
           ('acme', '2024-03-05 10:00+00', 1, 12, 130, '{}');
  )sql");
  const auto rows = db.query(
      "SELECT position, to_char(valid_from, 'MM-DD'), to_char(valid_to, 'MM-DD') "
      "FROM bi.expert_position ORDER BY valid_from");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].as<int>(), 3);
  EXPECT_EQ(rows[0][2].as<std::string>(), "03-05");
  EXPECT_EQ(rows[1][0].as<int>(), 1);
  EXPECT_TRUE(rows[1][2].is_null()) << "the current figures have no end";
}

TEST(BiCouponsAndOperators, RemovedMembersStayWithTheirRemoval) {
  MigratedDatabase db("bi_coupons");
  db.exec(R"sql(
    INSERT INTO livechat.coupons (source, coupon_id, label, removed_at, raw)
    VALUES ('acme', '1', '30% off', NULL, '{}'), ('acme', '2', '$25', '2024-03-01+00', '{}');
    INSERT INTO livechat.solution_licenses (source, license, client_name, raw)
    VALUES ('acme', '100', 'Client Ltd', '{}');
    INSERT INTO livechat.solution_operators (source, license, login, permission, removed_at, raw)
    VALUES ('acme', '100', 'a@x', 'owner', NULL, '{}'), ('acme', '100', 'b@x', 'normal', now(), '{}');
  )sql");
  EXPECT_EQ(db.query1("SELECT string_agg(coupon_id || ':' || is_active::text, ',' ORDER BY 1) "
                      "FROM bi.coupons")[0]
                .as<std::string>(),
            "1:true,2:false");
  EXPECT_EQ(db.query1("SELECT string_agg(login || ':' || client_name || ':' || is_current::text, "
                      "',' ORDER BY 1) FROM bi.solution_operators")[0]
                .as<std::string>(),
            "a@x:Client Ltd:true,b@x:Client Ltd:false");
}

// Comments users read in Metabase (issue 12): what upstream sends and what filters the report.
TEST(BiComments, BillingCycleIsMonthlyOrAnnualAndPerformanceIsByLicenseCreationDay) {
  MigratedDatabase db("bi_comments_fixed");
  auto comment = [&](const std::string& object) {
    return db.query1("SELECT coalesce(" + object + ", '')")[0].as<std::string>();
  };
  const std::string billing = comment(
      "col_description('bi.licenses'::regclass, (SELECT attnum FROM pg_attribute WHERE attrelid "
      "= 'bi.licenses'::regclass AND attname = 'billing_cycle'))");
  EXPECT_NE(billing.find("\"monthly\" or \"annual\""), std::string::npos) << billing;
  EXPECT_EQ(billing.find("months"), std::string::npos) << billing;
  for (const char* object : {"bi.campaign_performance", "livechat.performance_daily"}) {
    const std::string text =
        comment("obj_description('" + std::string(object) + "'::regclass, 'pg_class')");
    EXPECT_NE(text.find("created"), std::string::npos) << object << ": " << text;
    EXPECT_EQ(text.find("day of the click"), std::string::npos) << object << ": " << text;
  }
}

}  // namespace
}  // namespace partnersync
