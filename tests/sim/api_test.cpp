// Tests of the simulator's API layer called directly (no sockets): documented fields and types,
// status codes, envelopes, date filters, legacy shapes, quirks, mutations and determinism.
#include "tests/sim/api.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "tests/sim/dataset.hpp"

namespace partnersync::sim::api {
namespace {

constexpr std::string_view kLc = "/v2/partners";
const std::string kLa = "/api/resellers/reseller@example.com";
using Query = std::vector<std::pair<std::string, std::string>>;

ApiOptions small_options() {
  ApiOptions o;
  o.affiliate_licenses = 3000;
  return o;
}

// Drains a response into one string, checking that streamed parts stay near 64 KiB.
std::string body_of(ApiResponse& r) {
  if (!r.stream) return r.body;
  std::string out;
  bool more = true;
  while (more) {
    std::string part;
    more = r.stream(part);
    EXPECT_LE(part.size(), 64u * 1024u + 4096u) << "a streamed part grew beyond ~64 KiB";
    out += part;
  }
  return out;
}

ApiResponse lc(const Api& api, std::string_view path, Query query = {},
               std::string auth = "Bearer sim-token") {
  return api.handle({"GET", std::string(kLc) + std::string(path), std::move(query), auth});
}

ApiResponse la(const Api& api, std::string_view path, Query query = {{"apikey", "sim-apikey"}}) {
  return api.handle({"GET", kLa + std::string(path), std::move(query), ""});
}

struct Parsed {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
};

// Parses a body; fails the test when it is not valid JSON.
std::unique_ptr<Parsed> parse(const std::string& body) {
  auto p = std::make_unique<Parsed>();
  auto result = p->parser.parse(body);
  EXPECT_EQ(result.error(), simdjson::SUCCESS) << "invalid JSON: " << body.substr(0, 300);
  if (result.error() == simdjson::SUCCESS) p->root = result.value();
  return p;
}

std::unique_ptr<Parsed> ok_json(ApiResponse r) {
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  return parse(body_of(r));
}

// Expected field: name and JSON type: s string, i integer, n number, b bool, o object,
// a array, z string or null.
using Spec = std::vector<std::pair<std::string, char>>;

void expect_fields(simdjson::dom::element element, const Spec& spec, const std::string& where) {
  simdjson::dom::object object;
  ASSERT_EQ(element.get(object), simdjson::SUCCESS) << where << ": not an object";
  std::vector<std::string> got;
  for (auto field : object) got.emplace_back(field.key);
  std::vector<std::string> want;
  for (const auto& [name, type] : spec) want.push_back(name);
  EXPECT_EQ(got, want) << where << ": field set differs from the document";
  using T = simdjson::dom::element_type;
  for (const auto& [name, type] : spec) {
    simdjson::dom::element value;
    if (object[name].get(value) != simdjson::SUCCESS) continue;
    T t = value.type();
    bool integer = t == T::INT64 || t == T::UINT64;
    bool ok = false;
    switch (type) {
      case 's':
        ok = t == T::STRING;
        break;
      case 'i':
        ok = integer;
        break;
      case 'n':
        ok = integer || t == T::DOUBLE;
        break;
      case 'b':
        ok = t == T::BOOL;
        break;
      case 'o':
        ok = t == T::OBJECT;
        break;
      case 'a':
        ok = t == T::ARRAY;
        break;
      case 'z':
        ok = t == T::STRING || t == T::NULL_VALUE;
        break;
    }
    EXPECT_TRUE(ok) << where << ": field " << name << " has the wrong JSON type";
  }
}

// Checks every item of the array at `key` (at least `min_items` of them).
void expect_items(simdjson::dom::element root, std::string_view key, const Spec& spec,
                  const std::string& where, std::size_t min_items = 1) {
  simdjson::dom::array items;
  ASSERT_EQ(root[key].get(items), simdjson::SUCCESS) << where << ": no array " << key;
  EXPECT_GE(items.size(), min_items) << where;
  for (auto item : items) expect_fields(item, spec, where);
}

std::size_t array_size(simdjson::dom::element root, std::string_view key) {
  simdjson::dom::array items;
  EXPECT_EQ(root[key].get(items), simdjson::SUCCESS);
  return items.size();
}

// Field lists taken from shared/api-docs/001 (current) and 000 (old shapes).
const Spec kAffiliateLicense = {{"client_email", 's'},
                                {"creation_timestamp", 's'},
                                {"end_timestamp", 's'},
                                {"cc_added", 'b'},
                                {"paid", 'b'},
                                {"seats", 'i'},
                                {"plan", 's'},
                                {"billing_cycle", 's'},
                                {"chat_installed", 'b'},
                                {"conversations", 'i'},
                                {"total_commission", 'n'},
                                {"commission_percent", 'n'},
                                {"utm_medium", 's'},
                                {"utm_content", 's'},
                                {"utm_term", 's'},
                                {"campaign_name", 's'},
                                {"blocked", 'b'}};
const Spec kLegacyAffiliateLicense = {{"client_email", 's'},
                                      {"creation_timestamp", 's'},
                                      {"end_timestamp", 's'},
                                      {"cc_added", 'b'},
                                      {"paid", 'b'},
                                      {"seats", 'i'},
                                      {"plan", 's'},
                                      {"billing_cycle", 's'},
                                      {"chat_installed", 'b'},
                                      {"conversations", 'i'},
                                      {"total_commission", 'n'},
                                      {"commission_percent", 'n'},
                                      {"utm_source", 's'},
                                      {"utm_medium", 's'},
                                      {"utm_content", 's'},
                                      {"utm_term", 's'},
                                      {"utm_campaign", 's'},
                                      {"blocked", 'b'}};
const Spec kLeadLicense = {{"creation_timestamp", 's'},
                           {"end_timestamp", 's'},
                           {"cc_added", 'b'},
                           {"paid", 'b'},
                           {"seats", 'i'},
                           {"plan", 's'},
                           {"billing_cycle", 's'},
                           {"chat_installed", 'b'},
                           {"conversations", 'i'},
                           {"total_commission", 'n'},
                           {"commission_percent", 'n'},
                           {"blocked", 'b'}};
const Spec kLivechatPerformance = {{"campaign", 's'},
                                   {"medium", 's'},
                                   {"content", 's'},
                                   {"term", 's'},
                                   {"clicks", 'i'},
                                   {"trials", 'i'},
                                   {"trial_percent", 'n'},
                                   {"paid", 'i'},
                                   {"paid_percent", 'n'},
                                   {"commission", 'n'},
                                   {"chat_installations", 'i'},
                                   {"aha", 'i'}};
const Spec kPartnerProgramPerformance = {{"campaign", 's'}, {"medium", 's'}, {"content", 's'},
                                         {"term", 's'},     {"clicks", 'i'}, {"leads", 'i'},
                                         {"trials", 'i'},   {"paid", 'i'},   {"commission", 'n'}};
const Spec kHistory = {{"date", 's'}, {"trials", 'i'}, {"paid", 'i'}, {"commission", 'n'}};
const Spec kLeadsHistory = {
    {"date", 's'}, {"trials", 'i'}, {"paid", 'i'}, {"commission", 'n'}, {"leads", 'i'}};
const Spec kExpertHistory = {{"date", 's'}, {"profile_views", 'i'}};
const Spec kLivechatActiveCampaign = {
    {"name", 's'}, {"slug", 's'},      {"trial_duration", 'i'},    {"discount", 's'},
    {"url", 's'},  {"short_url", 's'}, {"creation_timestamp", 's'}};
const Spec kLivechatDisabledCampaign = {{"name", 's'},
                                        {"slug", 's'},
                                        {"trial_duration", 'i'},
                                        {"discount", 's'},
                                        {"creation_timestamp", 's'},
                                        {"disabled_timestamp", 's'}};
const Spec kPartnerActiveCampaign = {
    {"name", 's'}, {"slug", 's'}, {"url", 's'}, {"short_url", 's'}, {"creation_timestamp", 's'}};
const Spec kPartnerDisabledCampaign = {
    {"name", 's'}, {"slug", 's'}, {"creation_timestamp", 's'}, {"disabled_timestamp", 's'}};
const Spec kLead = {{"partner_id", 's'},    {"creation_timestamp", 's'},
                    {"medium", 's'},        {"content", 's'},
                    {"term", 's'},          {"campaign", 's'},
                    {"active_trials", 'i'}, {"active_trials_cc_added", 'i'},
                    {"total_trials", 'i'},  {"active_paid", 'i'},
                    {"total_paid", 'i'},    {"commission", 'n'}};
const Spec kWithdrawal = {{"withdrawal_id", 'i'},    {"request_timestamp", 's'},
                          {"action_timestamp", 's'}, {"status", 's'},
                          {"amount", 'n'},           {"invoice_id", 's'}};
const Spec kSolutionLicense = {{"license", 's'},
                               {"client_name", 's'},
                               {"client_email", 's'},
                               {"purchase_order", 's'},
                               {"creation_timestamp", 's'},
                               {"end_timestamp", 's'},
                               {"cc_added", 'b'},
                               {"paid", 'b'},
                               {"seats", 'i'},
                               {"plan", 's'},
                               {"billing_cycle", 's'},
                               {"total_discount", 'n'},
                               {"discount_percent", 'n'},
                               {"expired", 'b'},
                               {"blocked", 'b'},
                               {"payment_origin", 's'},
                               {"conversations", 'i'},
                               {"conversations_last_30_days", 'i'},
                               {"total_commission", 'n'},
                               {"commission_percent", 'n'},
                               {"data_center", 's'}};
const Spec kInvoice = {{"invoice_no", 'i'},    {"date", 's'},   {"plan", 's'},  {"seats", 'i'},
                       {"billing_cycle", 's'}, {"amount", 'n'}, {"status", 's'}};
const Spec kRecurly = {{"subscriber", 'b'}, {"in_trial", 'b'}, {"recurrent", 'b'}};
const Spec kCounts = {{"trials", 'i'}, {"trials_cc", 'i'}, {"paid", 'i'}};
const Spec kLeadCounts = {{"leads", 'i'}, {"trials", 'i'}, {"trials_cc", 'i'}, {"paid", 'i'}};
const Spec kCommission = {{"commission_total", 'n'}, {"commission_last_30_days", 'n'}};

// From shared/api-docs/003.
const Spec kAccount = {{"customer_email", 's'}, {"account_id", 's'}, {"domain", 's'},
                       {"customer_name", 's'},  {"company", 's'},    {"date_created", 's'},
                       {"variation_id", 's'},   {"status", 's'},     {"version", 's'},
                       {"last_login_date", 'z'}};
const Spec kUser = {{"userid", 's'}, {"email", 's'},  {"firstname", 's'}, {"lastname", 's'},
                    {"role", 's'},   {"status", 's'}, {"role_type", 's'}, {"date_created", 's'}};
const Spec kAddon = {{"id", 's'},           {"description", 's'}, {"name", 's'},
                     {"price", 's'},        {"valid_from", 's'},  {"valid_to", 'z'},
                     {"license_code", 's'}, {"status", 's'}};
const Spec kLaLicense = {{"customer_email", 's'}, {"license_code", 's'}, {"valid_from", 's'},
                         {"customer_name", 's'},  {"valid_to", 'z'},     {"variation_id", 's'},
                         {"license_status", 's'}};
const Spec kVariation = {{"name", 's'},        {"id", 's'},      {"created", 's'},
                         {"description", 's'}, {"product", 's'}, {"addons", 'a'}};
const Spec kVariationAddon = {{"name", 's'}, {"id", 's'}, {"price", 's'}, {"description", 's'}};
const Spec kErrorEnvelope = {
    {"status", 's'}, {"statuscode", 'i'}, {"errormessage", 's'}, {"debugmessage", 's'}};

TEST(SimApi, LiveChatListEndpointsServeTheDocumentedFieldsAndTypes) {
  ApiOptions o = small_options();
  o.expert = true;
  Api api(o);
  for (auto path : {"/affiliates/livechat/licenses", "/affiliates/licenses"}) {
    auto j = ok_json(lc(api, path));
    expect_items(j->root, "result", kAffiliateLicense, path);
  }
  auto j = ok_json(lc(api, "/affiliates/livechat-partner-program/licenses"));
  expect_items(j->root, "result", kLeadLicense, "pp licenses");
  for (auto path : {"/affiliates/livechat/performance", "/affiliates/performance"}) {
    j = ok_json(lc(api, path));
    expect_items(j->root, "result", kLivechatPerformance, path);
  }
  j = ok_json(lc(api, "/affiliates/livechat-partner-program/performance"));
  expect_items(j->root, "result", kPartnerProgramPerformance, "pp performance");
  for (auto path : {"/affiliates/livechat/history", "/affiliates/history", "/resellers/history"}) {
    j = ok_json(lc(api, path));
    expect_items(j->root, "result", kHistory, path, 12);
  }
  j = ok_json(lc(api, "/affiliates/livechat-partner-program/history"));
  expect_items(j->root, "result", kLeadsHistory, "pp history", 12);
  j = ok_json(lc(api, "/experts/history"));
  expect_items(j->root, "result", kExpertHistory, "experts history", 12);
  for (auto path : {"/affiliates/livechat/campaigns/active", "/affiliates/campaigns/active"}) {
    j = ok_json(lc(api, path));
    expect_items(j->root, "result", kLivechatActiveCampaign, path);
  }
  for (auto path : {"/affiliates/livechat/campaigns/disabled", "/affiliates/campaigns/disabled"}) {
    j = ok_json(lc(api, path));
    expect_items(j->root, "result", kLivechatDisabledCampaign, path);
  }
  j = ok_json(lc(api, "/affiliates/livechat-partner-program/campaigns/active"));
  expect_items(j->root, "result", kPartnerActiveCampaign, "pp active campaigns");
  j = ok_json(lc(api, "/affiliates/livechat-partner-program/campaigns/disabled"));
  expect_items(j->root, "result", kPartnerDisabledCampaign, "pp disabled campaigns");
  j = ok_json(lc(api, "/affiliates/livechat-partner-program/leads"));
  expect_items(j->root, "result", kLead, "leads");
  j = ok_json(lc(api, "/affiliates/withdrawals"));
  expect_items(j->root, "result", kWithdrawal, "withdrawals");
  j = ok_json(lc(api, "/resellers/licenses"));
  expect_items(j->root, "result", kSolutionLicense, "solution licenses");
}

TEST(SimApi, SolutionLicenseDetailsAndInvoicesServeTheDocumentedFields) {
  Api api(small_options());
  const auto& ds = api.dataset();
  const SolutionInvoice& invoice = ds.solution_invoices.at(0);
  Spec details = kSolutionLicense;
  details.emplace_back("recurly", 'o');
  auto j = ok_json(lc(api, "/resellers/licenses/" + invoice.license));
  expect_fields(j->root, details, "license details");
  expect_fields(j->root["recurly"].value(), kRecurly, "recurly");
  EXPECT_EQ(std::string_view(j->root["license"].get_string().value()), invoice.license);
  j = ok_json(lc(api, "/resellers/licenses/" + invoice.license + "/invoices"));
  expect_items(j->root, "result", kInvoice, "invoices");
}

TEST(SimApi, SnapshotEndpointsServeNestedStatsAndEarnings) {
  Api api(small_options());
  {
    const char* path = "/stats";
    auto j = ok_json(lc(api, path));
    expect_fields(j->root, {{"affiliate", 'o'}, {"reseller", 'o'}}, path);
    expect_fields(j->root["affiliate"].value(),
                  {{"livechat", 'o'}, {"livechat_partner_program", 'o'}}, "affiliate");
    expect_fields(j->root["affiliate"]["livechat"].value(), kCounts, "affiliate.livechat");
    expect_fields(j->root["affiliate"]["livechat_partner_program"].value(), kLeadCounts,
                  "affiliate.livechat_partner_program");
    expect_fields(j->root["reseller"].value(), kCounts, "reseller");
  }
  auto j = ok_json(lc(api, "/earnings"));
  expect_fields(j->root,
                {{"balance", 'n'},
                 {"blocked", 'n'},
                 {"commission_total", 'n'},
                 {"commission_last_30_days", 'n'},
                 {"withdrawals", 'n'},
                 {"pending", 'n'},
                 {"affiliate", 'o'},
                 {"reseller", 'o'}},
                "earnings");
  Spec affiliate = kCommission;
  affiliate.emplace_back("livechat", 'o');
  affiliate.emplace_back("livechat_partner_program", 'o');
  expect_fields(j->root["affiliate"].value(), affiliate, "earnings.affiliate");
  expect_fields(j->root["affiliate"]["livechat"].value(), kCommission, "affiliate.livechat");
  expect_fields(j->root["affiliate"]["livechat_partner_program"].value(), kCommission,
                "affiliate.livechat_partner_program");
  Spec reseller = kCommission;
  reseller.emplace_back("livechat", 'o');
  expect_fields(j->root["reseller"].value(), reseller, "earnings.reseller");
  expect_fields(j->root["reseller"]["livechat"].value(),
                {{"discount", 'n'}, {"commission_total", 'n'}, {"commission_last_30_days", 'n'}},
                "reseller.livechat");
  // The figures are the dataset's: the nested total is the sum of its parts.
  double total = j->root["commission_total"].get_double().value();
  double parts = j->root["affiliate"]["commission_total"].get_double().value() +
                 j->root["reseller"]["commission_total"].get_double().value();
  EXPECT_NEAR(total, parts, 0.001);
  EXPECT_NEAR(total, api.dataset().totals.commission_total_cents() / 100.0, 0.001);
}

TEST(SimApi, LegacyShapesServeTiersFlatEarningsAndFlatActiveLicenses) {
  ApiOptions o = small_options();
  o.legacy_shapes = true;
  Api api(o);
  const auto& ds = api.dataset();
  for (auto path : {"/affiliates/licenses", "/affiliates/livechat/licenses"}) {
    auto j = ok_json(lc(api, path));
    expect_fields(j->root, {{"tier1", 'a'}, {"tier2", 'a'}}, path);
    expect_items(j->root, "tier1", kLegacyAffiliateLicense, path);
    expect_items(j->root, "tier2", kLegacyAffiliateLicense, path);
    std::size_t tier2 = std::count_if(ds.affiliate_licenses.begin(), ds.affiliate_licenses.end(),
                                      [](const AffiliateLicense& l) { return l.tier == 2; });
    EXPECT_EQ(array_size(j->root, "tier2"), tier2);
    EXPECT_EQ(array_size(j->root, "tier1") + tier2, ds.affiliate_licenses.size());
  }
  auto j = ok_json(lc(api, "/earnings"));
  expect_fields(j->root,
                {{"balance", 'n'},
                 {"commission", 'n'},
                 {"blocked", 'n'},
                 {"withdrawals", 'n'},
                 {"pending", 'n'},
                 {"discount", 'n'}},
                "flat earnings");
  for (bool legacy : {false, true}) {
    ApiOptions lo = small_options();
    lo.legacy_shapes = legacy;
    auto jl = ok_json(lc(Api(lo), "/active-licenses"));
    expect_fields(jl->root,
                  {{"affiliate_trials", 'i'},
                   {"affiliate_trials_cc", 'i'},
                   {"affiliate_paid", 'i'},
                   {"reseller_trials", 'i'},
                   {"reseller_trials_cc", 'i'},
                   {"reseller_paid", 'i'}},
                  "flat active-licenses");
  }
  j = ok_json(lc(api, "/stats"));
  expect_fields(j->root, {{"affiliate", 'o'}, {"reseller", 'o'}}, "stats stays nested");
  // 000's withdrawal list has no withdrawal_id.
  j = ok_json(lc(api, "/affiliates/withdrawals"));
  Spec old_withdrawal(kWithdrawal.begin() + 1, kWithdrawal.end());
  expect_items(j->root, "result", old_withdrawal, "old withdrawals");
}

TEST(SimApi, LiveAgentEndpointsServeDocumentedFieldsInTheResponseEnvelope) {
  Api api(small_options());
  const auto& account = api.dataset().accounts.at(3);
  auto j = ok_json(la(api, "/accounts"));
  expect_fields(j->root, {{"response", 'o'}}, "accounts envelope");
  expect_items(j->root["response"].value(), "accounts", kAccount, "accounts",
               api.dataset().accounts.size());
  j = ok_json(la(api, "/accounts/" + account.account_id));
  expect_fields(j->root["response"].value(), kAccount, "account info");
  j = ok_json(la(api, "/accounts/" + account.account_id + "/status"));
  expect_fields(j->root["response"].value(), {{"account_status", 's'}}, "account status");
  j = ok_json(la(api, "/accounts/" + account.account_id + "/users"));
  expect_items(j->root["response"].value(), "users", kUser, "users");
  j = ok_json(la(api, "/accounts/" + account.account_id + "/attributes/max_agents"));
  expect_fields(j->root["response"].value(), {{"value", 's'}}, "max_agents");
  EXPECT_EQ(std::string_view(j->root["response"]["value"].get_string().value()),
            std::to_string(account.max_agents));
  // Add-ons: find an account that has some.
  bool saw_addons = false;
  for (const auto& a : api.dataset().accounts) {
    if (api.dataset().addons_of(a).empty()) continue;
    j = ok_json(la(api, "/accounts/" + a.account_id + "/addons"));
    expect_items(j->root["response"].value(), "addons", kAddon, "addons");
    saw_addons = true;
    break;
  }
  EXPECT_TRUE(saw_addons);
  j = ok_json(la(api, "/licenses"));
  expect_items(j->root["response"].value(), "licenses", kLaLicense, "licenses");
  j = ok_json(la(api, "/variations"));
  expect_items(j->root["response"].value(), "variations", kVariation, "variations");
  std::size_t nested = 0;
  for (auto v : simdjson::dom::array(j->root["response"]["variations"].get_array().value())) {
    for (auto addon : simdjson::dom::array(v["addons"].get_array().value())) {
      expect_fields(addon, kVariationAddon, "variation addon");
      ++nested;
    }
  }
  EXPECT_GT(nested, 0u);
}

TEST(SimApi, MissingOrWrongBearerTokenIs401) {
  Api api(small_options());
  for (auto path : {"/stats", "/earnings", "/affiliates/livechat/licenses",
                    "/affiliates/withdrawals", "/resellers/licenses", "/experts/history"}) {
    EXPECT_EQ(lc(api, path, {}, "").status, 401u) << path;
    EXPECT_EQ(lc(api, path, {}, "Bearer wrong").status, 401u) << path;
    EXPECT_EQ(lc(api, path, {}, "sim-token").status, 401u) << path;
    EXPECT_EQ(lc(api, path).status, path == std::string_view("/experts/history") ? 403u : 200u);
  }
  EXPECT_EQ(lc(api, "/status", {}, "").status, 200u);
}

TEST(SimApi, MissingOrWrongApikeyIs401ErrorEnvelope) {
  Api api(small_options());
  for (const Query& query : {Query{}, Query{{"apikey", "wrong"}}}) {
    auto r = la(api, "/accounts", query);
    EXPECT_EQ(r.status, 401u);
    auto j = parse(r.body);
    expect_fields(j->root["response"].value(), kErrorEnvelope, "401 envelope");
    EXPECT_EQ(std::string_view(j->root["response"]["status"].get_string().value()), "ERROR");
    EXPECT_EQ(j->root["response"]["statuscode"].get_int64().value(), 401);
    EXPECT_EQ(r.body.find("sim-apikey"), std::string::npos) << "the key leaked into the body";
  }
}

TEST(SimApi, MalformedDatesAre400) {
  Api api(small_options());
  for (auto bad : {"2024-13-01", "2024-02-30", "20240101", "", "2024-1-01", "yesterday"}) {
    for (auto path : {"/affiliates/livechat/licenses", "/affiliates/livechat/performance",
                      "/affiliates/withdrawals", "/resellers/licenses",
                      "/affiliates/livechat-partner-program/licenses"}) {
      EXPECT_EQ(lc(api, path, {{"date_from", bad}}).status, 400u) << path << " " << bad;
      EXPECT_EQ(lc(api, path, {{"date_to", bad}}).status, 400u) << path << " " << bad;
    }
  }
  EXPECT_EQ(
      lc(api, "/affiliates/licenses", {{"date_from", "2024-02-02"}, {"date_to", "2024-02-01"}})
          .status,
      400u);
  EXPECT_EQ(lc(api, "/affiliates/licenses", {{"date_from", "2024-02-29"}}).status, 200u);
  for (auto bad :
       {"2024-01-01", "2024-01-01T00:00:00", "2024-01-01 24:00:00", "2024-01-01 08:95:41"}) {
    auto r = la(api, "/accounts", {{"apikey", "sim-apikey"}, {"created_from", bad}});
    EXPECT_EQ(r.status, 400u) << bad;
    auto j = parse(r.body);
    expect_fields(j->root["response"].value(), kErrorEnvelope, "400 envelope");
  }
}

TEST(SimApi, ExpertsHistoryIs403UnlessThePartnerIsAnExpert) {
  ApiOptions o = small_options();
  EXPECT_EQ(lc(Api(o), "/experts/history").status, 403u);
  o.expert = true;
  EXPECT_EQ(lc(Api(o), "/experts/history").status, 200u);
}

TEST(SimApi, UnknownSolutionLicenseIs404AndMalformedIdIs400) {
  Api api(small_options());
  EXPECT_EQ(lc(api, "/resellers/licenses/1").status, 404u);
  EXPECT_EQ(lc(api, "/resellers/licenses/1/invoices").status, 404u);
  EXPECT_EQ(lc(api, "/resellers/licenses/abc").status, 400u);
  EXPECT_EQ(lc(api, "/resellers/licenses/" + api.dataset().solution_licenses[0].license).status,
            200u);
  EXPECT_EQ(lc(api, "/no/such/endpoint").status, 404u);
}

TEST(SimApi, WrongResellerAndUnknownAccountAre404Envelopes) {
  Api api(small_options());
  auto r = api.handle(
      {"GET", "/api/resellers/other@example.com/accounts", {{"apikey", "sim-apikey"}}, ""});
  EXPECT_EQ(r.status, 404u);
  expect_fields(parse(r.body)->root["response"].value(), kErrorEnvelope, "reseller 404");
  r = la(api, "/accounts/ffffffffffffffffffffffffffffffff/users");
  EXPECT_EQ(r.status, 404u);
  expect_fields(parse(r.body)->root["response"].value(), kErrorEnvelope, "account 404");
}

std::vector<std::string> strings_of(simdjson::dom::element root, std::string_view list,
                                    std::string_view field) {
  std::vector<std::string> out;
  for (auto item : simdjson::dom::array(root[list].get_array().value())) {
    out.emplace_back(item[field].get_string().value());
  }
  return out;
}

TEST(SimApi, LicenseDateWindowIsInclusiveOnBothEndsAndFiltersOnCreationDate) {
  Api api(small_options());
  const auto& ds = api.dataset();
  const std::string from = "2024-03-10", to = "2024-03-16";
  auto j =
      ok_json(lc(api, "/affiliates/livechat/licenses", {{"date_from", from}, {"date_to", to}}));
  auto stamps = strings_of(j->root, "result", "creation_timestamp");
  std::size_t expected = 0;
  for (const auto& l : ds.affiliate_licenses) {
    std::string day = l.creation_timestamp().substr(0, 10);
    if (day >= from && day <= to) ++expected;
  }
  EXPECT_EQ(stamps.size(), expected);
  ASSERT_FALSE(stamps.empty());
  bool first_day = false, last_day = false;
  for (const auto& s : stamps) {
    EXPECT_GE(s.substr(0, 10), from);
    EXPECT_LE(s.substr(0, 10), to);
    first_day |= s.substr(0, 10) == from;
    last_day |= s.substr(0, 10) == to;
  }
  EXPECT_TRUE(first_day && last_day) << "both end days must be included";
  // One-day windows partition the range.
  std::size_t summed = 0;
  for (int d = 10; d <= 16; ++d) {
    std::string day = "2024-03-" + std::to_string(d);
    auto jd =
        ok_json(lc(api, "/affiliates/livechat/licenses", {{"date_from", day}, {"date_to", day}}));
    summed += array_size(jd->root, "result");
  }
  EXPECT_EQ(summed, expected);
  // Solution licenses and withdrawals honour the same window.
  const auto& first = ds.solution_licenses.front();
  std::string day = first.license.empty() ? "" : format_datetime(first.created).substr(0, 10);
  j = ok_json(lc(api, "/resellers/licenses", {{"date_from", day}, {"date_to", day}}));
  auto licenses = strings_of(j->root, "result", "license");
  EXPECT_NE(std::find(licenses.begin(), licenses.end(), first.license), licenses.end());
  const auto& w = ds.withdrawals.back();
  day = format_datetime(w.requested).substr(0, 10);
  j = ok_json(lc(api, "/affiliates/withdrawals", {{"date_from", day}, {"date_to", day}}));
  auto ids = strings_of(j->root, "result", "request_timestamp");
  EXPECT_NE(std::find(ids.begin(), ids.end(), format_datetime(w.requested)), ids.end());
}

TEST(SimApi, PerformanceOfARangeIsTheSumOfItsDays) {
  Api api(small_options());
  auto total_clicks = [&](const std::string& from, const std::string& to) {
    auto j = ok_json(
        lc(api, "/affiliates/livechat/performance", {{"date_from", from}, {"date_to", to}}));
    std::int64_t clicks = 0;
    for (auto row : simdjson::dom::array(j->root["result"].get_array().value()))
      clicks += row["clicks"].get_int64().value();
    return clicks;
  };
  std::int64_t days = 0;
  for (int d = 1; d <= 7; ++d) {
    std::string day = "2024-05-0" + std::to_string(d);
    days += total_clicks(day, day);
  }
  EXPECT_GT(days, 0);
  EXPECT_EQ(total_clicks("2024-05-01", "2024-05-07"), days);
  EXPECT_EQ(total_clicks("2024-05-03", "2024-05-03"), total_clicks("2024-05-03", "2024-05-03"));
  EXPECT_EQ(total_clicks("2030-01-01", "2030-01-02"), 0) << "no rows outside the data range";
}

TEST(SimApi, HistoryListsTheTwelveMonthsEndingWithToday) {
  ApiOptions o = small_options();
  o.today = "2025-02-14";
  Api api(o);
  auto j = ok_json(lc(api, "/affiliates/livechat/history"));
  auto months = strings_of(j->root, "result", "date");
  std::vector<std::string> want = {"2025-02", "2025-01", "2024-12", "2024-11",
                                   "2024-10", "2024-09", "2024-08", "2024-07",
                                   "2024-06", "2024-05", "2024-04", "2024-03"};
  EXPECT_EQ(months, want);
  // A month's trials are the licenses created in it.
  std::int64_t dec = 0;
  for (const auto& l : api.dataset().affiliate_licenses) {
    dec += l.creation_timestamp().starts_with("2024-12");
  }
  EXPECT_EQ(j->root["result"].at(2)["trials"].get_int64().value(), dec);
}

TEST(SimApi, LiveAgentErrorEnvelopeCanComeWithHttp200) {
  ApiOptions o = small_options();
  o.liveagent_error_200 = true;
  Api api(o);
  auto r = la(api, "/accounts");
  EXPECT_EQ(r.status, 200u);
  auto j = parse(r.body);
  expect_fields(j->root["response"].value(), kErrorEnvelope, "error with 200");
  EXPECT_EQ(std::string_view(j->root["response"]["status"].get_string().value()), "ERROR");

  Api toggled(small_options());
  EXPECT_EQ(parse(la(toggled, "/variations").body)->root["response"]["status"].error(),
            simdjson::NO_SUCH_FIELD);
  toggled.mutate(parse_mutation(R"({"kind":"liveagent_error_200","enabled":true})"));
  r = la(toggled, "/variations");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(std::string_view(parse(r.body)->root["response"]["status"].get_string().value()),
            "ERROR");
  toggled.mutate(parse_mutation(R"({"kind":"liveagent_error_200","enabled":false})"));
  EXPECT_EQ(parse(la(toggled, "/variations").body)->root["response"]["status"].error(),
            simdjson::NO_SUCH_FIELD);
}

TEST(SimApi, LiveAgentDataCrossesDstChangesAndCarriesTheDocumentedQuirks) {
  Api api(small_options());
  auto j = ok_json(la(api, "/accounts"));
  auto created = strings_of(j->root["response"].value(), "accounts", "date_created");
  auto has = [&](std::string_view s) {
    return std::find(created.begin(), created.end(), s) != created.end();
  };
  // 2024-03-10: 02:00-02:59 does not exist in Los Angeles; 2024-11-03 01:30 happens twice.
  EXPECT_TRUE(has("2024-03-10 01:30:00"));
  EXPECT_TRUE(has("2024-03-10 03:30:00"));
  EXPECT_EQ(std::count(created.begin(), created.end(), "2024-11-03 01:30:00"), 2);
  for (const auto& c : created) EXPECT_FALSE(c.starts_with("2024-03-10 02:")) << c;
  EXPECT_TRUE(std::any_of(created.begin(), created.end(), [](const std::string& c) {
    return c.find(":95:") != std::string::npos;
  })) << "an account with an impossible creation time";
  EXPECT_TRUE(std::is_sorted(created.begin(), created.end()));
  bool impossible_login = false, null_login = false;
  std::set<std::string> statuses;
  for (auto a : simdjson::dom::array(j->root["response"]["accounts"].get_array().value())) {
    auto login = a["last_login_date"];
    if (login.is_null()) {
      null_login = true;
    } else if (login.get_string().value() == kImpossibleDatetime) {
      impossible_login = true;
    }
    statuses.emplace(a["status"].get_string().value());
  }
  EXPECT_TRUE(impossible_login);
  EXPECT_TRUE(null_login);
  for (const auto& s : statuses) {
    EXPECT_EQ(s.size(), 1u);
    EXPECT_FALSE(account_status_label(s[0]).empty()) << "undocumented status " << s;
  }
  EXPECT_TRUE(statuses.count("a") && statuses.count("s"));
  j = ok_json(la(api, "/licenses"));
  auto valid_from = strings_of(j->root["response"].value(), "licenses", "valid_from");
  EXPECT_NE(std::find(valid_from.begin(), valid_from.end(), kImpossibleDatetime), valid_from.end());
  j = ok_json(la(api, "/variations"));
  for (auto v : simdjson::dom::array(j->root["response"]["variations"].get_array().value())) {
    for (auto addon : simdjson::dom::array(v["addons"].get_array().value())) {
      std::string_view price = addon["price"].get_string().value();
      ASSERT_GE(price.size(), 4u);
      EXPECT_EQ(price[price.size() - 3], '.') << "price with two decimals as a string: " << price;
    }
  }
}

TEST(SimApi, AccountsCreatedFilterIsInclusiveOnTheServedDatetimes) {
  Api api(small_options());
  const auto& accounts = api.dataset().accounts;
  const std::string from = accounts.at(10).date_created, to = accounts.at(40).date_created;
  auto j = ok_json(
      la(api, "/accounts", {{"apikey", "sim-apikey"}, {"created_from", from}, {"created_to", to}}));
  auto created = strings_of(j->root["response"].value(), "accounts", "date_created");
  std::size_t expected = std::count_if(accounts.begin(), accounts.end(), [&](const LaAccount& a) {
    return a.date_created >= from && a.date_created <= to;
  });
  EXPECT_EQ(created.size(), expected);
  EXPECT_GE(created.size(), 31u);
  EXPECT_EQ(created.front(), from);
  EXPECT_EQ(created.back(), to);
}

TEST(SimApi, AffiliateLicensesIncludeRecordsSharingTimestampAndEmail) {
  Api api(small_options());
  auto j = ok_json(lc(api, "/affiliates/livechat/licenses"));
  std::map<std::string, int> seen;
  std::map<std::string, std::set<std::string>> bodies;
  for (auto item : simdjson::dom::array(j->root["result"].get_array().value())) {
    std::string key = std::string(item["creation_timestamp"].get_string().value()) + "|" +
                      std::string(item["client_email"].get_string().value());
    ++seen[key];
    bodies[key].insert(simdjson::minify(item));
  }
  int partial = 0, identical = 0;
  for (const auto& [key, n] : seen) {
    if (n < 2) continue;
    (bodies[key].size() == 1 ? identical : partial)++;
  }
  EXPECT_GE(partial, 1) << "same timestamp and e-mail, other fields differ";
  EXPECT_GE(identical, 1) << "records identical in every field";
}

TEST(SimApi, JsonStringsAreEscapedAndRoundTrip) {
  Api api(small_options());
  auto j = ok_json(lc(api, "/affiliates/livechat/campaigns/active"));
  auto names = strings_of(j->root, "result", "name");
  std::vector<std::string> want;
  for (const auto& c : api.dataset().campaigns) {
    if (c.program == Program::livechat && c.active) want.push_back(c.name);
  }
  EXPECT_EQ(names, want);
  EXPECT_TRUE(std::any_of(names.begin(), names.end(), [](const std::string& n) {
    return n.find('"') != std::string::npos && n.find('\\') != std::string::npos;
  }));
}

TEST(SimApi, MutationsChangeWhatIsServed) {
  Api api(small_options());
  auto paid_count = [&] {
    auto j = ok_json(lc(api, "/affiliates/livechat/licenses"));
    std::size_t n = 0;
    for (auto item : simdjson::dom::array(j->root["result"].get_array().value()))
      n += item["paid"].get_bool().value();
    return n;
  };
  auto commission = [&] {
    return ok_json(lc(api, "/earnings"))->root["commission_total"].get_double().value();
  };
  auto before = api.snapshot();
  std::size_t paid = paid_count();
  double earned = commission();
  api.mutate(parse_mutation(R"({"kind":"convert_trials","count":7})"));
  EXPECT_EQ(paid_count(), paid + 7);
  EXPECT_GT(commission(), earned);
  std::size_t changed_end = 0;
  for (std::size_t i = 0; i < before->affiliate_licenses.size(); ++i) {
    changed_end += before->affiliate_licenses[i].end != api.dataset().affiliate_licenses[i].end;
  }
  EXPECT_EQ(changed_end, 7u) << "converted licenses' end_timestamp moves";

  earned = commission();
  api.mutate(parse_mutation(R"({"kind":"grow_commissions","count":5})"));
  EXPECT_GT(commission(), earned);

  auto suspended = [&] {
    auto j = ok_json(la(api, "/accounts"));
    auto s = strings_of(j->root["response"].value(), "accounts", "status");
    return std::count(s.begin(), s.end(), "s");
  };
  auto s0 = suspended();
  api.mutate(parse_mutation(R"({"kind":"suspend_accounts","count":3})"));
  EXPECT_EQ(suspended(), s0 + 3);

  Query day = {{"date_from", "2024-07-04"}, {"date_to", "2024-07-04"}};
  auto n0 = array_size(ok_json(lc(api, "/affiliates/livechat/licenses", day))->root, "result");
  api.mutate(parse_mutation(R"({"kind":"add_licenses","count":4,"date":"2024-07-04"})"));
  EXPECT_EQ(array_size(ok_json(lc(api, "/affiliates/livechat/licenses", day))->root, "result"),
            n0 + 4);
  EXPECT_EQ(before->affiliate_licenses.size() + 4, api.dataset().affiliate_licenses.size());
}

TEST(SimApi, ParseMutationRejectsMalformedInputWithAClearMessage) {
  EXPECT_THROW(parse_mutation("not json"), std::invalid_argument);
  EXPECT_THROW(parse_mutation(R"({"count":1})"), std::invalid_argument);
  EXPECT_THROW(parse_mutation(R"({"kind":"explode"})"), std::invalid_argument);
  EXPECT_THROW(parse_mutation(R"({"kind":"convert_trials","count":-1})"), std::invalid_argument);
  EXPECT_THROW(parse_mutation(R"({"kind":"add_licenses","count":1})"), std::invalid_argument);
  EXPECT_THROW(parse_mutation(R"({"kind":"add_licenses","date":"2024-02-30"})"),
               std::invalid_argument);
  EXPECT_THROW(parse_mutation(R"({"kind":"convert_trials","colour":"red"})"),
               std::invalid_argument);
  try {
    parse_mutation(R"({"kind":"explode"})");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("explode"), std::string::npos);
  }
  auto m = parse_mutation(R"( {"kind":"add_licenses", "count": 12, "date":"2024-06-01"} )");
  EXPECT_EQ(m.kind, Mutation::Kind::add_licenses);
  EXPECT_EQ(m.count, 12u);
  EXPECT_EQ(m.date, "2024-06-01");
}

TEST(SimApi, SameSeedServesSameBodiesAndAnotherSeedDiffers) {
  ApiOptions o = small_options();
  Api a(o), b(o);
  o.seed = 2;
  Api c(o);
  for (auto path : {"/affiliates/livechat/licenses", "/earnings", "/resellers/licenses",
                    "/affiliates/livechat/performance"}) {
    auto ra = lc(a, path), rb = lc(b, path), rc = lc(c, path);
    std::string ba = body_of(ra);
    EXPECT_EQ(ba, body_of(rb)) << path;
    EXPECT_NE(ba, body_of(rc)) << path;
  }
  auto ra = la(a, "/accounts"), rb = la(b, "/accounts");
  EXPECT_EQ(body_of(ra), body_of(rb));
}

TEST(SimApi, LargeListsAreStreamedInBoundedParts) {
  ApiOptions o;
  o.affiliate_licenses = 20000;
  o.prerender = false;
  Api api(o);
  auto r = lc(api, "/affiliates/livechat/licenses");
  ASSERT_TRUE(static_cast<bool>(r.stream)) << "a 20000-row list must be streamed";
  std::size_t parts = 0;
  std::string body;
  bool more = true;
  while (more) {
    std::string part;
    more = r.stream(part);
    EXPECT_LE(part.size(), 64u * 1024u + 4096u);
    body += part;
    ++parts;
  }
  EXPECT_GT(parts, 10u);
  EXPECT_EQ(array_size(parse(body)->root, "result"), 20000u);

  o.prerender = true;
  Api pre(o);
  auto rp = lc(pre, "/affiliates/livechat/licenses");
  EXPECT_EQ(body_of(rp), body) << "prerendered body equals the streamed one";
  auto again = lc(pre, "/affiliates/livechat/licenses");
  EXPECT_EQ(body_of(again), body);
}

TEST(SimApi, AMillionAffiliateLicensesGenerateQuicklyInCompactMemory) {
  ApiOptions o;
  o.affiliate_licenses = 1000000;
  auto start = std::chrono::steady_clock::now();
  Api api(o);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(api.dataset().affiliate_licenses.size(), 1000000u);
  EXPECT_LE(sizeof(AffiliateLicense), 48u);
  // Well under 2 s optimised; generous enough for an unoptimised Debug build.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 4000);
  auto j = ok_json(lc(api, "/affiliates/livechat/licenses",
                      {{"date_from", "2024-06-01"}, {"date_to", "2024-06-01"}}));
  EXPECT_GT(array_size(j->root, "result"), 2000u);
}

TEST(SimApi, ConcurrentRequestsDuringMutationsSeeConsistentSnapshots) {
  Api api(small_options());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      simdjson::dom::parser parser;
      while (!stop) {
        auto r = api.handle(
            {"GET", "/v2/partners/affiliates/livechat/licenses", {}, "Bearer sim-token"});
        std::string body = r.body;
        if (r.stream) {
          while (r.stream(body)) {
          }
        }
        if (parser.parse(body).error() != simdjson::SUCCESS) ++bad;
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    api.mutate(parse_mutation(R"({"kind":"add_licenses","count":3,"date":"2024-02-02"})"));
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(api.dataset().affiliate_licenses.size(), 3000u + 60u);
}

// ---- issue 12: account-level Partner API endpoints, license add-ons and attributes ----

TEST(SimApi, ProfileServesTheDocumentedFieldsInTheCurrentAndTheOldShape) {
  ApiOptions o = small_options();
  auto current = ok_json(lc(Api(o), ""));
  expect_fields(current->root,
                {{"partner_id", 's'},
                 {"login", 's'},
                 {"first_name", 's'},
                 {"last_name", 's'},
                 {"contact_name", 's'},
                 {"contact_email", 's'},
                 {"send_monthly_summary", 'b'},
                 {"send_newsletter", 'b'},
                 {"send_notifications", 'b'},
                 {"send_reseller_weekly_summary", 'b'},
                 {"affiliate", 'o'},
                 {"reseller", 'o'},
                 {"expert", 'o'},
                 {"properties", 'o'}},
                "profile");
  expect_fields(current->root["affiliate"]["livechat"].value(),
                {{"url", 's'}, {"short_url", 's'}, {"current_commission", 'o'}},
                "affiliate.livechat");
  expect_fields(
      current->root["affiliate"]["livechat_partner_program"]["current_commission"].value(),
      {{"percent", 'i'}, {"end_timestamp", 's'}}, "pp commission");
  expect_fields(current->root["expert"].value(), {{"status", 's'}, {"marketplace_position", 'i'}},
                "expert");
  o.legacy_shapes = true;
  auto old = ok_json(lc(Api(o), ""));
  expect_fields(old->root,
                {{"partner_id", 's'},
                 {"login", 's'},
                 {"full_name", 's'},
                 {"contact_name", 's'},
                 {"contact_email", 's'},
                 {"websites", 'a'},
                 {"send_monthly_summary", 'b'},
                 {"send_newsletter", 'b'},
                 {"send_notifications", 'b'},
                 {"affiliate", 'o'},
                 {"reseller", 'o'},
                 {"expert", 'o'}},
                "old profile");
  expect_fields(old->root["affiliate"].value(),
                {{"url", 's'}, {"short_url", 's'}, {"current_commission", 'o'}}, "old affiliate");
}

TEST(SimApi, CouponsAreTheListedOnesAndMutationsWithdrawAndRestoreThem) {
  Api api(small_options());
  auto all = ok_json(lc(api, "/coupons"));
  expect_items(all->root, "result", {{"id", 'i'}, {"label", 's'}}, "coupons", 2);
  const std::size_t n = array_size(all->root, "result");
  Mutation remove;
  remove.kind = Mutation::Kind::remove_coupons;
  remove.count = 1;
  api.mutate(remove);
  EXPECT_EQ(array_size(ok_json(lc(api, "/coupons"))->root, "result"), n - 1);
  api.mutate(parse_mutation(R"({"kind":"restore_coupons"})"));
  EXPECT_EQ(array_size(ok_json(lc(api, "/coupons"))->root, "result"), n);
}

TEST(SimApi, OperatorsAre403ForALicenseWhoseSubscriptionThePartnerDoesNotManage) {
  Api api(small_options());
  bool saw_managed = false, saw_forbidden = false;
  for (const auto& l : api.dataset().solution_licenses) {
    auto r = lc(api, "/solutions/licenses/" + l.license + "/operators");
    if (Dataset::manages_subscription(l)) {
      saw_managed = true;
      auto j = ok_json(std::move(r));
      expect_items(j->root, "result", {{"login", 's'}, {"name", 's'}, {"permission", 's'}},
                   "operators");
    } else {
      saw_forbidden = true;
      EXPECT_EQ(r.status, 403u) << l.license;
    }
  }
  EXPECT_TRUE(saw_managed && saw_forbidden);
  EXPECT_EQ(lc(api, "/solutions/licenses/999999999/operators").status, 404u);
}

TEST(SimApi, ExpertProfileStatsAndCommentsAre403UnlessThePartnerIsAnExpert) {
  ApiOptions o = small_options();
  for (const char* path : {"/experts/profile", "/experts/stats", "/experts/comments"})
    EXPECT_EQ(lc(Api(o), path).status, 403u) << path;
  o.expert = true;
  Api api(o);
  auto stats = ok_json(lc(api, "/experts/stats"));
  expect_fields(stats->root, {{"position", 'i'}, {"comments", 'i'}, {"messages", 'i'}}, "stats");
  auto comments = ok_json(lc(api, "/experts/comments"));
  expect_items(comments->root, "result",
               {{"comment", 's'}, {"author", 's'}, {"creation_timestamp", 's'}, {"website", 's'}},
               "comments", 2);
  auto profile = ok_json(lc(api, "/experts/profile"));
  EXPECT_EQ(profile->root["languages"].type().value(), simdjson::dom::element_type::ARRAY);
  EXPECT_EQ(profile->root["hour_rate"].type().value(), simdjson::dom::element_type::STRING);
}

TEST(SimApi, LicenseAddonsAndMaxAgentsServeTheDocumentedFields) {
  Api api(small_options());
  const auto& license = api.dataset().liveagent_licenses.front();
  auto value = ok_json(la(api, "/licenses/" + license.license_code + "/attributes/max_agents"));
  expect_fields(value->root["response"].value(), {{"value", 's'}}, "license attribute");
  bool any_addons = false;
  for (const auto& l : api.dataset().liveagent_licenses) {
    auto j = ok_json(la(api, "/licenses/" + l.license_code + "/addons"));
    any_addons = any_addons || array_size(j->root["response"].value(), "addons") > 0;
    expect_items(j->root["response"].value(), "addons",
                 {{"id", 's'},
                  {"description", 's'},
                  {"name", 's'},
                  {"price", 's'},
                  {"valid_from", 's'},
                  {"valid_to", 'z'},
                  {"license_code", 's'},
                  {"status", 's'}},
                 "license addons", 0);
  }
  EXPECT_TRUE(any_addons);
  EXPECT_EQ(la(api, "/licenses/nope/addons").status, 404u);
  api.mutate(parse_mutation(R"({"kind":"max_agents_text","count":1})"));
  auto text = ok_json(la(api, "/licenses/" + license.license_code + "/attributes/max_agents"));
  EXPECT_EQ(std::string(text->root["response"]["value"].get_string().value()), "unlimited");
}

}  // namespace
}  // namespace partnersync::sim::api
