// End-to-end, the endpoints issue 12 added: each new stream lands exactly the simulator's
// ground truth and a re-read writes nothing; 403s (experts, unmanaged licenses) are not
// failures; shrinking sets get removed_at; raw is what was served; max_agents keeps what is
// not an integer; a reseller id with '@' and '+' reaches its account.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <sstream>

#include "tests/e2e/e2e_support.hpp"

namespace partnersync::e2e {
namespace {

using sim::format_datetime;

// Renders rows as query_rows() does: fields joined with '|', NULL as "NULL".
class Row {
 public:
  Row& add(const std::string& v) {
    text_ += (fields_++ ? "|" : "") + v;
    return *this;
  }
  Row& add(std::string_view v) { return add(std::string(v)); }
  Row& add(const char* v) { return add(std::string(v)); }
  Row& add(std::int64_t v) { return add(std::to_string(v)); }
  Row& add(bool v) { return add(std::string(v ? "t" : "f")); }
  Row& add(const std::optional<std::string>& v) { return add(v.value_or("NULL")); }
  std::string str() const { return text_; }

 private:
  std::string text_;
  int fields_ = 0;
};

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

const char* const kProfileSql =
    "SELECT partner_id, login, coalesce(full_name, first_name || ' ' || last_name), "
    "affiliate_livechat_commission_percent, "
    "to_char(affiliate_livechat_commission_end_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
    "affiliate_partner_program_commission_percent, reseller_discount_percent, "
    "reseller_discount_end_at, expert_status, expert_marketplace_position, websites::text "
    "FROM livechat.profile_snapshots";

std::vector<std::string> expected_profile(const sim::Dataset& ds, bool legacy) {
  const auto& p = ds.profile;
  Row r;
  r.add(ds.partner_id).add(ds.partner_id + "@email.com").add("Joe Doe");
  r.add(p.livechat_commission_percent);
  r.add(p.livechat_commission_end ? std::optional(format_datetime(*p.livechat_commission_end))
                                  : std::nullopt);
  r.add(legacy ? std::optional<std::string>()
               : std::to_string(p.partner_program_commission_percent));
  r.add(p.reseller_discount_percent).add("NULL").add(p.expert_status).add(p.marketplace_position);
  r.add(legacy ? std::optional<std::string>(R"(["https://example.com"])") : std::nullopt);
  return {r.str()};
}

const char* const kCouponsSql = "SELECT coupon_id, label, removed_at IS NULL FROM livechat.coupons";

std::vector<std::string> expected_coupons(const sim::Dataset& ds, const sim::Dataset* earlier) {
  std::vector<std::string> out;
  for (const auto& c : ds.coupons) {
    // A withdrawn coupon has its row only if an earlier read saw it listed.
    bool seen = c.listed;
    if (earlier != nullptr)
      for (const auto& e : earlier->coupons) seen = seen || (e.id == c.id && e.listed);
    if (seen) out.push_back(Row().add(c.id).add(c.label).add(c.listed).str());
  }
  return sorted(out);
}

const char* const kOperatorsSql =
    "SELECT license, login, name, permission, removed_at IS NULL FROM livechat.solution_operators";

std::vector<std::string> expected_operators(const sim::Dataset& ds) {
  std::vector<std::string> out;
  for (const auto& l : ds.solution_licenses) {
    if (!sim::Dataset::manages_subscription(l)) continue;  // 403: skipped
    for (const auto& o : ds.operators_of(l))
      out.push_back(
          Row().add(l.license).add(o.login).add(o.name).add(o.permission).add(true).str());
  }
  return sorted(out);
}

const char* const kExpertStatsSql =
    "SELECT position, comments, messages FROM livechat.expert_stats_snapshots";
const char* const kExpertProfileSql =
    "SELECT expert_id, status, agents, hour_rate, facebook, languages::text, projects::text "
    "FROM livechat.expert_profile_snapshots";
const char* const kExpertCommentsSql =
    "SELECT comment_key, author, comment, website, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM livechat.expert_comments";

std::vector<std::string> expected_comments(const sim::Dataset& ds) {
  std::vector<std::string> out;
  std::map<std::string, int> seen;
  for (const auto& c : ds.expert_comments) {
    const std::string time = format_datetime(c.created);
    const int n = seen[time + "|" + c.author]++;
    const std::string key = time + "|" + c.author + "|" + std::to_string(n);
    out.push_back(Row().add(key).add(c.author).add(c.comment).add(c.website).add(time).str());
  }
  return sorted(out);
}

const std::vector<std::string> kNewLivechatStreams = {
    "solution_licenses", "solution_operators", "profile",        "coupons",
    "expert_profile",    "expert_stats",       "expert_comments"};

ConfigSpec livechat_spec(const sim::SimOptions& options, const std::string& url,
                         const sim::Simulator& sim) {
  ConfigSpec spec;
  spec.database_url = url;
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.streams = kNewLivechatStreams;
  return spec;
}

void expect_livechat_ground_truth(const std::string& url, const sim::Dataset& ds, bool legacy) {
  EXPECT_TRUE(same_rows(expected_profile(ds, legacy), query_rows(url, kProfileSql)));
  EXPECT_TRUE(same_rows(expected_coupons(ds, nullptr), query_rows(url, kCouponsSql)));
  EXPECT_TRUE(same_rows(expected_operators(ds), query_rows(url, kOperatorsSql)));
  const auto& s = ds.expert_stats;
  EXPECT_EQ(query_rows(url, kExpertStatsSql),
            std::vector<std::string>{Row().add(s.position).add(s.comments).add(s.messages).str()});
  EXPECT_EQ(query_rows(url, kExpertProfileSql),
            std::vector<std::string>{Row()
                                         .add(ds.partner_id)
                                         .add(ds.profile.expert_status)
                                         .add("5+")
                                         .add("50")
                                         .add("")
                                         .add(R"(["EN", "ES", "PL"])")
                                         .add(R"(["https://example.com"])")
                                         .str()});
  EXPECT_TRUE(same_rows(expected_comments(ds), query_rows(url, kExpertCommentsSql)));
}

TEST(E2eEndpoints, NewLivechatStreamsLandTheGroundTruthAndAReReadWritesNothing) {
  auto options = simulator_options(90);
  options.api.expert = true;
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_endpoints");
  ConfigFile config(livechat_spec(options, db.url(), sim));

  const auto run = run_partnersync(config, {"--once"});
  ASSERT_EQ(run.exit_code, 0) << run.errors;
  const auto ds = sim.api().snapshot();
  expect_livechat_ground_truth(db.url(), *ds, false);
  // Licenses whose subscription the partner does not manage answered 403 and were skipped;
  // the others landed and the stream succeeded.
  std::size_t forbidden = 0, managed = 0;
  for (const auto& l : ds->solution_licenses) {
    const auto requests =
        requests_to(sim, "/v2/partners/solutions/licenses/" + l.license + "/operators");
    ASSERT_EQ(requests.size(), 1u) << l.license;
    const bool manages = sim::Dataset::manages_subscription(l);
    EXPECT_EQ(requests[0].status, manages ? 200u : 403u) << l.license;
    (manages ? managed : forbidden) += 1;
  }
  ASSERT_GT(forbidden, 0u);
  ASSERT_GT(managed, 0u);
  EXPECT_EQ(query_rows(db.url(), "SELECT stream, status FROM sync.runs"),
            sorted({"coupons|succeeded", "expert_comments|succeeded", "expert_profile|succeeded",
                    "expert_stats|succeeded", "profile|succeeded", "solution_licenses|succeeded",
                    "solution_operators|succeeded"}));

  // An unchanged upstream: the second pass writes nothing to the new tables (snapshots may
  // only move their last_seen_at, as streams.md says).
  const auto before = livechat_tuple_counters(db.url());
  const auto again = run_partnersync(config, {"--once"});
  ASSERT_EQ(again.exit_code, 0) << again.errors;
  const auto after = livechat_tuple_counters(db.url());
  for (const char* table : {"coupons", "solution_operators", "expert_comments"}) {
    EXPECT_EQ(after.at(table).inserted, before.at(table).inserted) << table;
    EXPECT_EQ(after.at(table).updated, before.at(table).updated) << table;
    EXPECT_EQ(after.at(table).deleted, before.at(table).deleted) << table;
  }
  for (const char* table :
       {"profile_snapshots", "expert_profile_snapshots", "expert_stats_snapshots"}) {
    EXPECT_EQ(after.at(table).inserted, before.at(table).inserted) << table;
    EXPECT_EQ(after.at(table).deleted, before.at(table).deleted) << table;
    EXPECT_LE(after.at(table).updated, before.at(table).updated + 1) << table;  // last_seen_at
  }
  expect_livechat_ground_truth(db.url(), *ds, false);
}

TEST(E2eEndpoints, OldProfileShapeLandsItsSingleCommissionAsTheLivechatRate) {
  auto options = simulator_options(30, /*legacy_shapes=*/true);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_endpoints_old");
  ConfigSpec spec = livechat_spec(options, db.url(), sim);
  spec.streams = {"profile"};
  ConfigFile config(spec);
  const auto run = run_partnersync(config, {"--once"});
  ASSERT_EQ(run.exit_code, 0) << run.errors;
  EXPECT_TRUE(
      same_rows(expected_profile(*sim.api().snapshot(), true), query_rows(db.url(), kProfileSql)));
  EXPECT_EQ(query_value(db.url(), "SELECT raw ? 'full_name' FROM livechat.profile_snapshots"), "t");
}

TEST(E2eEndpoints, ForbiddenExpertEndpointsAreEachNotApplicableAndThePassSucceeds) {
  const auto options = simulator_options(30);  // expert = false: 403 on /experts/*
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_endpoints_403");
  ConfigSpec spec = livechat_spec(options, db.url(), sim);
  spec.streams = {"profile", "expert_profile", "expert_stats", "expert_comments"};
  ConfigFile config(spec);
  const auto run = run_partnersync(config, {"--once"});
  EXPECT_EQ(run.exit_code, 0) << run.errors;
  for (const char* path : {"/v2/partners/experts/profile", "/v2/partners/experts/stats",
                           "/v2/partners/experts/comments"}) {
    ASSERT_EQ(requests_to(sim, path).size(), 1u) << path;
    EXPECT_EQ(requests_to(sim, path)[0].status, 403u) << path;
  }
  EXPECT_EQ(query_rows(db.url(), "SELECT stream, status FROM sync.runs"),
            sorted({"expert_comments|not_applicable", "expert_profile|not_applicable",
                    "expert_stats|not_applicable", "profile|succeeded"}));
  EXPECT_EQ(query_rows(db.url(),
                       "SELECT stream, not_applicable FROM sync.state WHERE stream LIKE 'expert%'"),
            sorted({"expert_comments|t", "expert_profile|t", "expert_stats|t"}));
  EXPECT_EQ(query_count(db.url(),
                        "SELECT (SELECT count(*) FROM livechat.expert_profile_snapshots) + "
                        "(SELECT count(*) FROM livechat.expert_stats_snapshots) + "
                        "(SELECT count(*) FROM livechat.expert_comments)"),
            0);
}

TEST(E2eEndpoints, ACouponWithdrawnUpstreamGetsRemovedAtAndListedAgainIsNullAgain) {
  const auto options = simulator_options(30);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_endpoints_coupons");
  ConfigSpec spec = livechat_spec(options, db.url(), sim);
  spec.streams = {"coupons"};
  ConfigFile config(spec);
  ASSERT_EQ(run_partnersync(config, {"--once"}).exit_code, 0);
  const auto first = sim.api().snapshot();
  ASSERT_EQ(query_count(db.url(), "SELECT count(*) FROM livechat.coupons"),
            static_cast<std::int64_t>(first->coupons.size()));

  sim::api::Mutation remove;
  remove.kind = sim::api::Mutation::Kind::remove_coupons;
  remove.count = 2;
  sim.api().mutate(remove);
  const auto second = sim.api().snapshot();
  const auto run = run_partnersync(config, {"--once"});
  ASSERT_EQ(run.exit_code, 0) << run.errors;
  EXPECT_TRUE(same_rows(expected_coupons(*second, first.get()), query_rows(db.url(), kCouponsSql)));
  EXPECT_EQ(query_count(db.url(),
                        "SELECT count(*) FROM livechat.coupons WHERE removed_at IS NOT "
                        "NULL AND removed_at = last_changed_at"),
            2);
  const std::string removed_at = query_value(
      db.url(),
      "SELECT string_agg(removed_at::text, ',' ORDER BY coupon_id) FROM livechat.coupons");

  // Unchanged: the removed ones keep their removed_at.
  ASSERT_EQ(run_partnersync(config, {"--once"}).exit_code, 0);
  EXPECT_EQ(query_value(db.url(),
                        "SELECT string_agg(removed_at::text, ',' ORDER BY coupon_id) "
                        "FROM livechat.coupons"),
            removed_at);

  sim::api::Mutation restore;
  restore.kind = sim::api::Mutation::Kind::restore_coupons;
  sim.api().mutate(restore);
  ASSERT_EQ(run_partnersync(config, {"--once"}).exit_code, 0);
  EXPECT_TRUE(same_rows(expected_coupons(*sim.api().snapshot(), nullptr),
                        query_rows(db.url(), kCouponsSql)));
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM livechat.coupons WHERE removed_at IS NULL"),
            static_cast<std::int64_t>(first->coupons.size()));

  // Every coupon withdrawn: an empty list still marks them.
  remove.count = 100;
  sim.api().mutate(remove);
  ASSERT_EQ(run_partnersync(config, {"--once"}).exit_code, 0);
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM livechat.coupons WHERE removed_at IS NULL"),
            0);
}

// ---- LiveAgent ----------------------------------------------------------------------------------

sim::SimOptions liveagent_options() {
  sim::SimOptions o;
  o.threads = 2;
  o.api.date_from = "2024-01-01";
  o.api.date_to = "2024-12-31";
  o.api.liveagent_accounts = 10;
  o.api.liveagent_licenses = 20;
  o.api.variations = 5;
  o.api.affiliate_licenses = 10;
  o.api.partner_program_licenses = 10;
  o.api.solution_licenses = 2;
  o.api.withdrawals = 2;
  o.api.campaigns = 2;
  o.api.leads = 2;
  return o;
}

ConfigYaml liveagent_yaml(const std::string& url, const std::string& base_url,
                          const std::string& reseller, const std::string& streams) {
  std::ostringstream out;
  out << "database:\n  url: \"" << url << "\"\n"
      << "sources:\n"
      << "  - name: la\n"
      << "    kind: liveagent_reseller\n"
      << "    base_url: \"" << base_url << "\"\n"
      << "    reseller: \"" << reseller << "\"\n"
      << "    api_key: \"sim-apikey\"\n"
      << "    start_date: 2023-12-31\n"
      << "    streams: [" << streams << "]\n"
      << "sync:\n  interval: 15m\n  window: 400d\n  concurrency: 2\n"
      << "http:\n  timeout: 10s\n  retries: 2\n";
  return {out.str()};
}

const char* const kLicenseAddonsSql =
    "SELECT license_code, addon_id, addon_license_code, name, (price * 100)::bigint, status, "
    "valid_to_at IS NULL FROM liveagent.license_addons";

TEST(E2eEndpoints, LicenseAddonsAndMaxAgentsLandTheGroundTruthAndAReReadWritesNothing) {
  sim::Simulator sim(liveagent_options());
  testing::TestDatabase db("e2e_endpoints_la");
  ConfigFile config(liveagent_yaml(db.url(), sim.base_url(), "reseller@example.com",
                                   "licenses, license_addons, license_attributes"));
  const auto run = run_partnersync(config, {"--once"});
  ASSERT_EQ(run.exit_code, 0) << run.errors;
  const auto ds = sim.api().snapshot();
  std::vector<std::string> addons, licenses;
  for (const auto& l : ds->liveagent_licenses) {
    licenses.push_back(Row().add(l.license_code).add(l.max_agents).add(l.max_agents).str());
    for (const auto& a : ds->addons_of(l))
      addons.push_back(Row()
                           .add(l.license_code)
                           .add(a.id)
                           .add(a.license_code)
                           .add(a.name)
                           .add(a.price_cents)
                           .add(std::string(1, a.status))
                           .add(!a.valid_to)
                           .str());
  }
  ASSERT_FALSE(addons.empty());
  EXPECT_TRUE(same_rows(sorted(addons), query_rows(db.url(), kLicenseAddonsSql)));
  EXPECT_TRUE(same_rows(
      sorted(licenses),
      query_rows(db.url(),
                 "SELECT license_code, max_agents, max_agents_raw FROM liveagent.licenses")));

  // Re-read unchanged: neither table is written (license_attributes updates licenses only when
  // the value changed).
  auto counters = [&] {
    return query_rows(
        db.url(),
        "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables "
        "WHERE schemaname = 'liveagent' AND relname IN ('licenses', 'license_addons')");
  };
  // Statistics are flushed when the writer's backends exit; wait for that as the LiveChat
  // counters do.
  (void)livechat_tuple_counters(db.url());
  const auto before = counters();
  ASSERT_EQ(run_partnersync(config, {"--once"}).exit_code, 0);
  (void)livechat_tuple_counters(db.url());
  EXPECT_EQ(counters(), before);
}

TEST(E2eEndpoints, NonIntegerMaxAgentsLandsInMaxAgentsRawAndIsCounted) {
  sim::Simulator sim(liveagent_options());
  sim::api::Mutation text;
  text.kind = sim::api::Mutation::Kind::max_agents_text;
  text.count = 2;
  sim.api().mutate(text);
  testing::TestDatabase db("e2e_endpoints_max_agents");
  ConfigFile config(liveagent_yaml(db.url(), sim.base_url(), "reseller@example.com",
                                   "licenses, license_attributes"));
  const auto run = run_partnersync(config, {"--once"});
  ASSERT_EQ(run.exit_code, 0) << run.errors;
  EXPECT_EQ(query_rows(db.url(),
                       "SELECT max_agents_raw FROM liveagent.licenses WHERE max_agents IS NULL"),
            (std::vector<std::string>{"unlimited", "unlimited"}));
  EXPECT_EQ(query_value(db.url(),
                        "SELECT sum(invalid_values) FROM sync.runs "
                        "WHERE stream = 'license_attributes'"),
            "2");
  EXPECT_EQ(query_count(db.url(),
                        "SELECT count(*) FROM liveagent.licenses "
                        "WHERE max_agents IS NOT NULL AND max_agents_raw = max_agents::text"),
            18);
}

// Each add-on's served text, from the simulator's own /variations body.
std::vector<std::string> served_variation_addons(sim::Simulator& sim, const std::string& reseller) {
  sim::api::ApiRequest request;
  request.method = "GET";
  request.path = "/api/resellers/" + reseller + "/variations";
  request.query = {{"apikey", "sim-apikey"}};
  const auto response = sim.api().handle(request);
  simdjson::dom::parser parser;
  std::vector<std::string> out;
  const simdjson::dom::element root = parser.parse(response.body).value();
  const simdjson::dom::array variations = root["response"]["variations"].get_array().value();
  for (simdjson::dom::element variation : variations) {
    const simdjson::dom::array addons = variation["addons"].get_array().value();
    const std::string id(variation["id"].get_string().value());
    for (simdjson::dom::element addon : addons)
      out.push_back(id + "|" + simdjson::to_string(addon));
  }
  return out;
}

TEST(E2eEndpoints, VariationAddonRawIsTheServedAddonExactly) {
  sim::Simulator sim(liveagent_options());
  testing::TestDatabase db("e2e_endpoints_raw");
  ConfigFile config(liveagent_yaml(db.url(), sim.base_url(), "reseller@example.com", "variations"));
  ASSERT_EQ(run_partnersync(config, {"--once"}).exit_code, 0);
  const auto served = served_variation_addons(sim, "reseller@example.com");
  ASSERT_FALSE(served.empty());
  // raw = the served text read as jsonb, for every add-on and nothing else.
  std::vector<std::string> expected;
  for (const auto& s : served) {
    const auto bar = s.find('|');
    const std::string id = s.substr(0, bar), json = s.substr(bar + 1);
    std::string quoted;
    for (char c : json) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    expected.push_back(id + "|" + query_value(db.url(), "SELECT '" + quoted + "'::jsonb::text"));
  }
  EXPECT_TRUE(same_rows(sorted(expected), query_rows(db.url(),
                                                     "SELECT variation_id, raw::text FROM "
                                                     "liveagent.variation_addons")));
  EXPECT_EQ(
      query_count(db.url(),
                  "SELECT count(*) FROM liveagent.variation_addons WHERE raw ? 'variation_id'"),
      0);
}

// The {reseller} segment is percent-encoded: '@' and '+' reach the account they name (a '+'
// decoded as a space, or sent raw, would name another reseller, which answers 404).
TEST(E2eEndpoints, ResellerIdWithAtAndPlusReachesItsAccount) {
  auto options = liveagent_options();
  options.api.reseller = "partner+eu@acme.example";
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_endpoints_reseller");
  ConfigFile config(liveagent_yaml(db.url(), sim.base_url(), options.api.reseller,
                                   "licenses, license_addons, license_attributes"));
  const auto run = run_partnersync(config, {"--once"});
  ASSERT_EQ(run.exit_code, 0) << run.errors;
  const auto requests = requests_to(sim, "/api/resellers/partner+eu@acme.example/licenses");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].status, 200u);
  EXPECT_EQ(requests[0].target.rfind("/api/resellers/partner%2Beu%40acme.example/licenses", 0), 0u)
      << requests[0].target;
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM liveagent.licenses"), 20);
  EXPECT_EQ(query_count(db.url(),
                        "SELECT count(*) FROM liveagent.licenses WHERE max_agents_raw "
                        "IS NULL"),
            0);

  // The simulator tells the accounts apart: the id decoded with '+' as a space is unknown.
  sim::api::ApiRequest other;
  other.method = "GET";
  other.path = "/api/resellers/partner eu@acme.example/licenses";
  other.query = {{"apikey", "sim-apikey"}};
  EXPECT_EQ(sim.api().handle(other).status, 404u);
}

}  // namespace
}  // namespace partnersync::e2e
