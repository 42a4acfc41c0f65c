// End-to-end LiveAgent reseller streams (issue 5): backfill and --once land the simulator's
// ground truth, suspensions keep history, error envelopes and bad keys fail, the key stays hidden.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <sstream>

#include "tests/e2e/e2e_support.hpp"

namespace partnersync::e2e {
namespace {

constexpr const char* kSource = "la";
constexpr const char* kReseller = "reseller@example.com";
// The simulator's default year: it holds both 2024 DST changes (03-10 and 11-03).
constexpr const char* kDataFrom = "2024-01-01";
constexpr const char* kDataTo = "2024-12-31";
// Accounts are generated over UTC instants of 2024, so the first ones are 2023-12-31 in Los
// Angeles: the sync starts a day earlier to cover every served date_created.
constexpr const char* kStartDate = "2023-12-31";
constexpr const char* kStreams[] = {"accounts",           "account_addons", "account_users",
                                    "account_attributes", "licenses",       "variations"};
constexpr const char* kDataTables[] = {"accounts",        "accounts_history", "account_addons",
                                       "account_users",   "licenses",         "variations",
                                       "variation_addons"};

sim::SimOptions liveagent_options() {
  sim::SimOptions o;
  o.threads = 2;
  o.api.date_from = kDataFrom;
  o.api.date_to = kDataTo;
  o.api.liveagent_accounts = 60;
  o.api.users_per_account = 3;
  o.api.liveagent_licenses = 20;
  o.api.variations = 5;
  // No LiveChat data is asked for; keep its generation cheap.
  o.api.affiliate_licenses = 10;
  o.api.partner_program_licenses = 10;
  o.api.solution_licenses = 2;
  o.api.withdrawals = 2;
  o.api.campaigns = 2;
  o.api.leads = 2;
  return o;
}

struct LiveagentSpec {
  std::string database_url, base_url;
  std::string api_key = "sim-apikey";
  std::string window = "90d";
  // Long enough that every later --once re-reads all of 2024 from today.
  std::string lookback = std::to_string(today_days() - *sim::parse_date(kStartDate) + 30) + "d";
  int retries = 2;
  std::string log_level = "info";
  std::string timezone;  // empty: the LiveAgent default
};

ConfigYaml liveagent_yaml(const LiveagentSpec& spec) {
  std::ostringstream out;
  // No timezone: the LiveAgent default (America/Los_Angeles) is part of what is tested.
  out << "database:\n  url: \"" << spec.database_url << "\"\n"
      << "sources:\n"
      << "  - name: " << kSource << "\n"
      << "    kind: liveagent_reseller\n"
      << "    base_url: \"" << spec.base_url << "\"\n"
      << "    reseller: \"" << kReseller << "\"\n"
      << "    api_key: \"" << spec.api_key << "\"\n"
      << "    start_date: " << kStartDate << "\n"
      << (spec.timezone.empty() ? "" : "    timezone: \"" + spec.timezone + "\"\n")
      << "sync:\n"
      << "  interval: 15m\n"
      << "  lookback: " << spec.lookback << "\n"
      << "  full_refresh: 30d\n"
      << "  window: " << spec.window << "\n"
      << "  concurrency: 2\n"
      << "http:\n"
      << "  timeout: 10s\n"
      << "  retries: " << spec.retries << "\n"
      << "log:\n"
      << "  level: " << spec.log_level << "\n";
  return {out.str()};
}

// The merged sync.windows of a stream of this source (coverage() reads source "acme").
std::vector<std::string> windows_of(const std::string& url, const std::string& stream) {
  return query_rows(url,
                    "SELECT window_from::text || '..' || window_to::text FROM sync.windows "
                    "WHERE source = '" +
                        std::string(kSource) + "' AND stream = '" + stream +
                        "' ORDER BY window_from",
                    false);
}

std::vector<std::string> lines_containing(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

// ---- ground truth ------------------------------------------------------------------------------

// The UTC instant of a Los Angeles wall-clock string, by the simulator's US DST rules rather
// than PostgreSQL's tz database: the reading whose LA rendering gives the string back. In the
// autumn overlap both readings do; like PostgreSQL, standard time (the later instant) wins.
// nullopt for a string that is no datetime at all (003's "2008-12-11 08:95:41").
std::optional<std::string> la_to_utc(const std::string& wall) {
  const auto as_utc = sim::parse_datetime(wall);
  if (!as_utc) return std::nullopt;
  for (const int offset_hours : {8, 7}) {  // PST, then PDT
    const std::int64_t instant = *as_utc + offset_hours * 3600;
    if (sim::format_los_angeles(instant) == wall) return sim::format_datetime(instant);
  }
  ADD_FAILURE() << wall << " falls in the spring DST gap: the simulator never serves that";
  return std::nullopt;
}

// Renders rows as query_rows() does: fields joined with '|', NULL as "NULL".
class Row {
 public:
  Row& add(const std::string& v) {
    text_ += (fields_++ ? "|" : "") + v;
    return *this;
  }
  Row& add(std::string_view v) { return add(std::string(v)); }
  Row& add(const char* v) { return add(std::string(v)); }
  Row& add(char v) { return add(std::string(1, v)); }
  Row& add(std::int64_t v) { return add(std::to_string(v)); }
  Row& add(const std::optional<std::string>& v) { return add(v.value_or("NULL")); }
  Row& utc(const std::optional<std::string>& wall) {
    return add(wall ? la_to_utc(*wall) : std::nullopt);
  }
  std::string str() const { return text_; }

 private:
  std::string text_;
  int fields_ = 0;
};

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// A timestamptz column as its UTC wall clock.
std::string utc(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')";
}

// The served strings are compared with raw: what was received stays visible there.
const std::string kAccountsColumns =
    "account_id, customer_email, domain, customer_name, company, " + utc("created_at") +
    ", raw->>'date_created', variation_id, status, status_label, version, " + utc("last_login_at") +
    ", raw->>'last_login_date', max_agents";
const std::string kAccountsSql = "SELECT " + kAccountsColumns + " FROM liveagent.accounts";

std::string account_row(const sim::LaAccount& a) {
  Row r;
  r.add(a.account_id).add(a.customer_email).add(a.domain).add(a.customer_name).add(a.company);
  r.utc(a.date_created).add(a.date_created).add(a.variation_id).add(a.status);
  r.add(sim::account_status_label(a.status)).add(a.version).utc(a.last_login_date);
  r.add(a.last_login_date).add(static_cast<std::int64_t>(a.max_agents));
  return r.str();
}

std::vector<std::string> expected_accounts(const std::vector<sim::LaAccount>& accounts) {
  std::vector<std::string> out;
  for (const auto& a : accounts) out.push_back(account_row(a));
  return sorted(std::move(out));
}

const std::string kUsersSql =
    "SELECT account_id, userid, email, firstname, lastname, role, status, role_type, " +
    utc("created_at") + ", raw->>'date_created' FROM liveagent.account_users";

std::vector<std::string> expected_users(const sim::Dataset& ds) {
  std::vector<std::string> out;
  for (const auto& a : ds.accounts) {
    for (const auto& u : ds.users_of(a)) {
      Row r;
      r.add(a.account_id).add(u.userid).add(u.email).add(u.firstname).add(u.lastname);
      r.add(u.role).add(u.status).add(u.role_type).utc(u.date_created).add(u.date_created);
      out.push_back(r.str());
    }
  }
  return sorted(std::move(out));
}

// price::text shows the numeric exactly as stored: "99.90" keeps its scale, no float rounding.
const std::string kAddonsSql =
    "SELECT account_id, addon_id, license_code, name, description, price::text, " +
    utc("valid_from_at") + ", " + utc("valid_to_at") +
    ", status, status_label FROM liveagent.account_addons";

std::vector<std::string> expected_addons(const sim::Dataset& ds) {
  std::vector<std::string> out;
  for (const auto& a : ds.accounts) {
    for (const auto& addon : ds.addons_of(a)) {
      Row r;
      r.add(a.account_id).add(addon.id).add(addon.license_code).add(addon.name);
      r.add(addon.description).add(sim::format_price(addon.price_cents)).utc(addon.valid_from);
      r.utc(addon.valid_to).add(addon.status).add(addon.status == 'A' ? "Approved" : "Refunded");
      out.push_back(r.str());
    }
  }
  return sorted(std::move(out));
}

const std::string kLicensesSql =
    "SELECT license_code, customer_email, customer_name, " + utc("valid_from_at") +
    ", raw->>'valid_from', " + utc("valid_to_at") +
    ", variation_id, license_status, license_status_label FROM liveagent.licenses";

std::vector<std::string> expected_licenses(const sim::Dataset& ds) {
  std::vector<std::string> out;
  for (const auto& l : ds.liveagent_licenses) {
    Row r;
    r.add(l.license_code).add(l.customer_email).add(l.customer_name).utc(l.valid_from);
    r.add(l.valid_from).utc(l.valid_to).add(l.variation_id).add(l.license_status);
    r.add(l.license_status == 'A' ? "Approved" : "Refunded");
    out.push_back(r.str());
  }
  return sorted(std::move(out));
}

const std::string kVariationsSql =
    "SELECT variation_id, name, " + utc("created_at") +
    ", description, product, jsonb_array_length(raw->'addons') FROM liveagent.variations";

std::vector<std::string> expected_variations(const sim::Dataset& ds) {
  std::vector<std::string> out;
  for (const auto& v : ds.variations) {
    Row r;
    r.add(v.id).add(v.name).utc(v.created).add(v.description).add(v.product);
    r.add(static_cast<std::int64_t>(v.addons.size()));
    out.push_back(r.str());
  }
  return sorted(std::move(out));
}

const char* const kVariationAddonsSql =
    "SELECT variation_id, addon_id, name, price::text, description, raw->>'price' "
    "FROM liveagent.variation_addons";

std::vector<std::string> expected_variation_addons(const sim::Dataset& ds) {
  std::vector<std::string> out;
  for (const auto& v : ds.variations) {
    for (const auto& a : v.addons) {
      const std::string price = sim::format_price(a.price_cents);
      out.push_back(
          Row().add(v.id).add(a.id).add(a.name).add(price).add(a.description).add(price).str());
    }
  }
  return sorted(std::move(out));
}

// Served datetimes that are no datetime, per stream: each is one invalid value of its run.
std::map<std::string, std::int64_t> expected_invalid_values(const sim::Dataset& ds) {
  std::map<std::string, std::int64_t> out;
  auto count = [&](const char* stream, const std::optional<std::string>& wall) {
    if (wall && !sim::parse_datetime(*wall)) ++out[stream];
  };
  for (const auto& a : ds.accounts) {
    count("accounts", a.date_created);
    count("accounts", a.last_login_date);
    for (const auto& u : ds.users_of(a)) count("account_users", u.date_created);
    for (const auto& addon : ds.addons_of(a)) {
      count("account_addons", addon.valid_from);
      count("account_addons", addon.valid_to);
    }
  }
  for (const auto& l : ds.liveagent_licenses) {
    count("licenses", l.valid_from);
    count("licenses", l.valid_to);
  }
  for (const auto& v : ds.variations) count("variations", v.created);
  return out;
}

// Every liveagent table holds exactly the dataset (accounts_history: nothing changed).
void expect_ground_truth(const std::string& url, const sim::Dataset& ds) {
  EXPECT_TRUE(same_rows(expected_accounts(ds.accounts), query_rows(url, kAccountsSql)));
  EXPECT_TRUE(same_rows(expected_users(ds), query_rows(url, kUsersSql)));
  EXPECT_TRUE(same_rows(expected_addons(ds), query_rows(url, kAddonsSql)));
  EXPECT_TRUE(same_rows(expected_licenses(ds), query_rows(url, kLicensesSql)));
  EXPECT_TRUE(same_rows(expected_variations(ds), query_rows(url, kVariationsSql)));
  EXPECT_TRUE(same_rows(expected_variation_addons(ds), query_rows(url, kVariationAddonsSql)));
  EXPECT_EQ(query_count(url, "SELECT count(*) FROM liveagent.accounts_history"), 0);

  // The DST changes, spelled out: spring 01:30 PST and 03:30 PDT are an hour apart in UTC;
  // the autumn 01:30 happens twice and is read as PST, like PostgreSQL reads it.
  EXPECT_EQ(
      query_rows(url, "SELECT raw->>'date_created', " + utc("created_at") +
                          " FROM liveagent.accounts WHERE raw->>'date_created' IN "
                          "('2024-03-10 01:30:00', '2024-03-10 03:30:00', '2024-11-03 01:30:00')"),
      (std::vector<std::string>{
          "2024-03-10 01:30:00|2024-03-10 09:30:00", "2024-03-10 03:30:00|2024-03-10 10:30:00",
          "2024-11-03 01:30:00|2024-11-03 09:30:00", "2024-11-03 01:30:00|2024-11-03 09:30:00"}));
  // 003's impossible datetime: NULL in the column, the string in raw.
  EXPECT_EQ(
      query_rows(url,
                 "SELECT 'created', raw->>'date_created' FROM liveagent.accounts "
                 "WHERE created_at IS NULL UNION ALL "
                 "SELECT 'login', raw->>'last_login_date' FROM liveagent.accounts "
                 "WHERE last_login_at IS NULL AND raw->>'last_login_date' IS NOT NULL"),
      (std::vector<std::string>{
          "created|" +
              sim::format_date((*sim::parse_date(kDataFrom) + *sim::parse_date(kDataTo)) / 2) +
              " 08:95:41",
          "login|2008-12-11 08:95:41"}));
  // JSON nulls are NULL, not '' or 'null' (the rows above hold NULLs for open-ended validity).
  EXPECT_EQ(query_count(url,
                        "SELECT count(*) FROM liveagent.accounts WHERE last_login_at IS NULL "
                        "AND jsonb_typeof(raw->'last_login_date') = 'null'"),
            std::count_if(ds.accounts.begin(), ds.accounts.end(),
                          [](const sim::LaAccount& a) { return !a.last_login_date; }));
  // Prices are numeric, so sums are exact in cents.
  std::int64_t cents = 0;
  for (const auto& a : ds.accounts)
    for (const auto& addon : ds.addons_of(a)) cents += addon.price_cents;
  EXPECT_EQ(query_value(url, "SELECT (sum(price) * 100)::text FROM liveagent.account_addons"),
            std::to_string(cents) + ".00");
}

// invalid_values of the runs, per stream, and the number of warning lines about them.
void expect_invalid_values_counted_and_logged_once(const std::string& url, const sim::Dataset& ds,
                                                   const std::string& log) {
  const auto expected = expected_invalid_values(ds);
  ASSERT_EQ(expected.at("accounts"), 2);  // a date_created and a last_login_date
  ASSERT_EQ(expected.at("licenses"), 1);
  std::vector<std::string> expected_rows;
  for (const auto& [stream, n] : expected)
    expected_rows.push_back(stream + "|" + std::to_string(n));
  EXPECT_EQ(query_rows(url,
                       "SELECT stream, sum(invalid_values) FROM sync.runs "
                       "GROUP BY stream HAVING sum(invalid_values) > 0"),
            sorted(expected_rows));
  const auto logged = lines_containing(log, "invalid value");
  for (const auto& [stream, n] : expected) {
    std::vector<std::string> lines;
    for (const auto& line : logged)
      if (line.find("stream " + stream + ": ") != std::string::npos) lines.push_back(line);
    ASSERT_EQ(lines.size(), 1u) << "one line per run for " << stream << " in:\n" << log;
    EXPECT_NE(lines[0].find("stream " + stream + ": " + std::to_string(n) + " invalid value"),
              std::string::npos)
        << lines[0];
  }
  EXPECT_EQ(logged.size(), expected.size()) << log;
}

// ---- tests -------------------------------------------------------------------------------------

TEST(E2eLiveagent, BackfillLandsExactlyTheGroundTruth) {
  sim::Simulator sim(liveagent_options());
  testing::TestDatabase db("e2e_la_backfill");
  LiveagentSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  ConfigFile config(liveagent_yaml(spec));
  const std::int64_t first = *sim::parse_date(kStartDate), last = *sim::parse_date(kDataTo);

  const auto run = run_backfill(config, first, last);
  ASSERT_EQ(run.exit_code, 0) << run.errors;
  std::printf("LiveAgent backfill took %lld ms\n", static_cast<long long>(run.took.count()));

  const auto ds = sim.api().snapshot();
  ASSERT_EQ(ds->accounts.size(), 64u);  // 60 random + 2 around each DST change
  for (const auto& a : ds->accounts) ASSERT_GE(a.date_created, kStartDate) << a.account_id;
  expect_ground_truth(db.url(), *ds);
  expect_invalid_values_counted_and_logged_once(db.url(), *ds, run.errors);
  EXPECT_EQ(windows_of(db.url(), "accounts"),
            std::vector<std::string>{day_text(first) + ".." + day_text(last)});
  // The windows asked for datetimes covering whole days (003: created_from is a datetime).
  const auto requests = requests_to(sim, std::string("/api/resellers/") + kReseller + "/accounts");
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(query_param(requests.front(), "created_from").substr(10), " 00:00:00");
  EXPECT_EQ(query_param(requests.front(), "created_to").substr(10), " 23:59:59");
}

// A backfill without --to ends at today in the source's zone, not in UTC. The zone is picked
// so that its date differs from UTC's at the hour the test runs: UTC-12 before noon UTC (its
// today is UTC's yesterday), UTC+14 after (its today is UTC's tomorrow).
TEST(E2eLiveagent, BackfillWithoutToEndsAtTodayInTheSourcesZone) {
  sim::Simulator sim(liveagent_options());
  testing::TestDatabase db("e2e_la_backfill_to");
  const auto now = std::chrono::system_clock::now();
  const auto utc_day = std::chrono::floor<std::chrono::days>(now);
  const bool morning = now - utc_day < std::chrono::hours(12);
  LiveagentSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.timezone = morning ? "Etc/GMT+12" : "Etc/GMT-14";
  ConfigFile config(liveagent_yaml(spec));
  const std::int64_t today = today_days_in(spec.timezone);
  ASSERT_NE(today, today_days_in("UTC")) << "the zone must disagree with UTC for this test";
  const auto run = run_partnersync(config, {"--backfill", "--from", day_text(today - 3)});
  ASSERT_EQ(run.exit_code, 0) << run.errors;
  EXPECT_EQ(windows_of(db.url(), "accounts"),
            std::vector<std::string>{day_text(today - 3) + ".." + day_text(today)});
}

TEST(E2eLiveagent, OnceLandsExactlyTheGroundTruth) {
  sim::Simulator sim(liveagent_options());
  testing::TestDatabase db("e2e_la_once");
  LiveagentSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  ConfigFile config(liveagent_yaml(spec));

  const auto run = run_partnersync(config, {"--once"});
  ASSERT_EQ(run.exit_code, 0) << run.errors;
  std::printf("LiveAgent --once took %lld ms\n", static_cast<long long>(run.took.count()));
  const auto ds = sim.api().snapshot();
  expect_ground_truth(db.url(), *ds);
  expect_invalid_values_counted_and_logged_once(db.url(), *ds, run.errors);
  EXPECT_EQ(windows_of(db.url(), "accounts"),
            std::vector<std::string>{std::string(kStartDate) + ".." +
                                     day_text(today_days_in("America/Los_Angeles"))});
}

TEST(E2eLiveagent, SuspendedAccountIsUpdatedAndActiveVersionGoesToHistory) {
  sim::Simulator sim(liveagent_options());
  testing::TestDatabase db("e2e_la_suspend");
  LiveagentSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  ConfigFile config(liveagent_yaml(spec));
  const auto first_run = run_partnersync(config, {"--once"});
  ASSERT_EQ(first_run.exit_code, 0) << first_run.errors;
  ASSERT_EQ(query_count(db.url(), "SELECT count(*) FROM liveagent.accounts_history"), 0);

  const auto before = sim.api().snapshot();
  sim::api::Mutation suspend;
  suspend.kind = sim::api::Mutation::Kind::suspend_accounts;
  suspend.count = 3;
  sim.api().mutate(suspend);
  const auto after = sim.api().snapshot();
  std::vector<sim::LaAccount> suspended;  // as they were before the mutation
  ASSERT_EQ(before->accounts.size(), after->accounts.size());
  for (std::size_t i = 0; i < before->accounts.size(); ++i) {
    if (before->accounts[i].status != after->accounts[i].status) {
      ASSERT_EQ(before->accounts[i].status, 'a');
      ASSERT_EQ(after->accounts[i].status, 's');
      suspended.push_back(before->accounts[i]);
    }
  }
  ASSERT_EQ(suspended.size(), 3u);

  const auto second_run = run_partnersync(config, {"--once"});
  ASSERT_EQ(second_run.exit_code, 0) << second_run.errors;
  EXPECT_TRUE(same_rows(expected_accounts(after->accounts), query_rows(db.url(), kAccountsSql)));
  std::vector<std::string> labels;
  for (const auto& a : suspended) labels.push_back(a.account_id + "|s|Suspended");
  EXPECT_EQ(query_rows(db.url(),
                       "SELECT a.account_id, a.status, a.status_label FROM liveagent.accounts a "
                       "JOIN liveagent.accounts_history h USING (source, account_id)"),
            sorted(labels));
  // Exactly the three previous versions ('a', Active, every other field as before).
  EXPECT_TRUE(same_rows(
      expected_accounts(suspended),
      query_rows(db.url(), "SELECT " + kAccountsColumns + " FROM liveagent.accounts_history")));
  EXPECT_EQ(query_count(db.url(),
                        "SELECT count(*) FROM liveagent.accounts_history h "
                        "JOIN liveagent.accounts a USING (source, account_id) "
                        "WHERE h.valid_from < h.valid_to AND h.valid_to = a.last_changed_at"),
            3);
}

TEST(E2eLiveagent, ErrorEnvelopeWithStatus200IsAnErrorNotData) {
  auto options = liveagent_options();
  options.api.liveagent_error_200 = true;
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_la_error200");
  LiveagentSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  ConfigFile config(liveagent_yaml(spec));

  const auto run = run_partnersync(config, {"--once"});
  EXPECT_EQ(run.exit_code, 1) << run.errors;
  EXPECT_NE(run.errors.find("Example error message"), std::string::npos) << run.errors;
  ASSERT_FALSE(sim.requests().empty());
  for (const auto& r : sim.requests()) EXPECT_EQ(r.status, 200u) << r.target;
  for (const char* table : kDataTables)
    EXPECT_EQ(query_count(db.url(), std::string("SELECT count(*) FROM liveagent.") + table), 0)
        << table;
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM sync.windows"), 0);
  // Every stream that asked was refused, and each refusal's body is kept. (The child streams
  // had no synced account to ask about.)
  EXPECT_EQ(query_rows(db.url(),
                       "SELECT DISTINCT stream, status FROM sync.runs "
                       "WHERE http_requests > 0"),
            (std::vector<std::string>{"accounts|failed", "licenses|failed",
                                      "variation_addons|failed", "variations|failed"}));
  EXPECT_EQ(query_rows(db.url(),
                       "SELECT DISTINCT stream, http_status, "
                       "position('\"status\":\"ERROR\"' IN convert_from(body, 'UTF8')) > 0 "
                       "FROM sync.quarantine"),
            (std::vector<std::string>{"accounts|200|t", "licenses|200|t", "variation_addons|200|t",
                                      "variations|200|t"}));
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM sync.quarantine WHERE stream = 'accounts'"),
            query_count(db.url(),
                        "SELECT sum(http_requests) FROM sync.runs "
                        "WHERE stream = 'accounts'"));
}

// Every row of every sync.* and liveagent.* table, and every quarantined body, without `key`.
void expect_key_stored_nowhere(const std::string& url, const std::string& key,
                               const std::string& when) {
  for (const auto& table : query_rows(url,
                                      "SELECT table_schema || '.' || table_name FROM "
                                      "information_schema.tables WHERE table_schema IN "
                                      "('sync', 'liveagent') AND table_type = 'BASE TABLE'")) {
    EXPECT_EQ(query_count(url, "SELECT count(*) FROM " + table + " t WHERE strpos(t::text, '" +
                                   key + "') > 0"),
              0)
        << "the apikey is stored in " << table << " " << when;
  }
  EXPECT_EQ(query_count(url, "SELECT count(*) FROM sync.quarantine WHERE position(convert_to('" +
                                 key + "', 'UTF8') IN body) > 0"),
            0)
      << when;
}

TEST(E2eLiveagent, ApiKeyAppearsInNoOutputAndNoStoredRow) {
  auto options = liveagent_options();
  options.api.apikey = "e2e-LA-Ap1key-5d0e";
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_la_secret");
  LiveagentSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.api_key = options.api.apikey;
  spec.log_level = "debug";
  ConfigFile config(liveagent_yaml(spec));

  std::vector<RunResult> runs;
  // Failures make the engine log and store URLs and errors: error envelopes first...
  sim::api::Mutation errors;
  errors.kind = sim::api::Mutation::Kind::liveagent_error_200;
  errors.enabled = true;
  sim.api().mutate(errors);
  runs.push_back(run_partnersync(config, {"--once"}));
  EXPECT_EQ(runs.back().exit_code, 1) << runs.back().errors;
  // The stored errors and URLs exist, so they could carry the key (a later success clears
  // sync.state.last_error, so they are looked at now).
  EXPECT_GT(query_count(db.url(),
                        "SELECT count(*) FROM sync.quarantine WHERE url LIKE '%/api/resellers/%'"),
            0);
  EXPECT_GT(
      query_count(db.url(), "SELECT count(*) FROM sync.runs WHERE error LIKE '%/api/resellers/%'"),
      0);
  EXPECT_GT(
      query_count(db.url(),
                  "SELECT count(*) FROM sync.state WHERE last_error LIKE '%/api/resellers/%'"),
      0);
  expect_key_stored_nowhere(db.url(), spec.api_key, "after the error envelopes");
  errors.enabled = false;
  sim.api().mutate(errors);
  // ... then a retried 503 and a body that is no JSON during a backfill, then a clean pass.
  sim::Fault unavailable;
  unavailable.path = std::string("/api/resellers/") + kReseller + "/accounts";
  unavailable.status = 503;
  sim.add_fault(unavailable);
  sim::Fault cut;
  cut.path = std::string("/api/resellers/") + kReseller + "/licenses";
  cut.kind = sim::Fault::Kind::invalid_json;
  sim.add_fault(cut);
  runs.push_back(run_backfill(config, *sim::parse_date(kStartDate), *sim::parse_date(kDataTo)));
  EXPECT_EQ(runs.back().exit_code, 1) << runs.back().errors;  // the cut licenses body
  runs.push_back(run_partnersync(config, {"--once"}));
  EXPECT_EQ(runs.back().exit_code, 0) << runs.back().errors;
  runs.push_back(run_partnersync(config, {"--status"}));
  EXPECT_EQ(runs.back().exit_code, 0) << runs.back().errors;
  runs.push_back(run_partnersync(config, {"--check"}));
  EXPECT_EQ(runs.back().exit_code, 0) << runs.back().output << runs.back().errors;

  // The key was sent...
  const auto requests =
      requests_to(sim, std::string("/api/resellers/") + kReseller + "/variations");
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(query_param(requests.front(), "apikey"), spec.api_key);
  // ... the logs and --check did show the URLs that carry it, masked ...
  for (const std::size_t i : {0, 1, 2}) {
    EXPECT_NE(runs[i].errors.find("/api/resellers/"), std::string::npos) << runs[i].errors;
    EXPECT_NE(runs[i].errors.find("apikey=***"), std::string::npos) << runs[i].errors;
  }
  EXPECT_NE(runs[4].output.find("apikey=***"), std::string::npos) << runs[4].output;
  // ... and it is in no output and no row.
  for (const auto& run : runs) {
    const std::string text = run.output + run.errors;
    EXPECT_NE(text.find("account"), std::string::npos) << text;
    EXPECT_EQ(text.find(spec.api_key), std::string::npos) << text;
  }
  ASSERT_GT(query_count(db.url(), "SELECT count(*) FROM liveagent.accounts"), 0);
  ASSERT_GT(query_count(db.url(),
                        "SELECT count(*) FROM sync.quarantine WHERE stream = 'licenses' "
                        "AND reason LIKE '%JSON%'"),
            0);
  expect_key_stored_nowhere(db.url(), spec.api_key, "at the end");
}

TEST(E2eLiveagent, WrongApiKeyFailsWithOneLineAndOneRequest) {
  sim::Simulator sim(liveagent_options());
  testing::TestDatabase db("e2e_la_wrong_key");
  LiveagentSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.api_key = "e2e-wrong-apikey-8b1f";
  spec.retries = 5;  // retries are allowed in general; a 401 must still not be retried
  ConfigFile config(liveagent_yaml(spec));

  const auto run = run_partnersync(config, {"--once"});
  EXPECT_EQ(run.exit_code, 1) << run.errors;
  const auto lines = lines_containing(run.errors, "credentials rejected");
  ASSERT_EQ(lines.size(), 1u) << run.errors;
  EXPECT_NE(lines[0].find("401"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("source la"), std::string::npos) << "names the source: " << lines[0];
  EXPECT_EQ(lines_containing(run.errors, "Z error ").size(), 1u) << run.errors;
  const auto requests = sim.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].status, 401u);
  EXPECT_EQ((run.errors + run.output).find(spec.api_key), std::string::npos);
}

TEST(E2eLiveagent, StatusListsTheStreamsAndCheckReportsReachability) {
  sim::Simulator sim(liveagent_options());
  testing::TestDatabase db("e2e_la_status");
  LiveagentSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  ConfigFile config(liveagent_yaml(spec));
  spec.api_key = "e2e-wrong-apikey-2c7a";
  ConfigFile wrong_key(liveagent_yaml(spec));

  const auto check = run_partnersync(config, {"--check"});
  EXPECT_EQ(check.exit_code, 0) << check.output << check.errors;
  EXPECT_EQ(lines_containing(check.output, "source la (liveagent_reseller): ok").size(), 1u)
      << check.output;
  const auto refused = run_partnersync(wrong_key, {"--check"});
  EXPECT_EQ(refused.exit_code, 69) << refused.output << refused.errors;
  const auto unreachable =
      lines_containing(refused.output, "source la (liveagent_reseller): UNREACHABLE");
  ASSERT_EQ(unreachable.size(), 1u) << refused.output;
  EXPECT_NE(unreachable[0].find("401"), std::string::npos) << unreachable[0];
  EXPECT_EQ((refused.output + refused.errors).find(spec.api_key), std::string::npos);

  const auto once = run_partnersync(config, {"--once", "--streams", "accounts,variations"});
  ASSERT_EQ(once.exit_code, 0) << once.errors;
  const auto status = run_partnersync(config, {"--status"});
  ASSERT_EQ(status.exit_code, 0) << status.errors;
  for (const char* stream : kStreams) {
    const auto lines = lines_containing(status.output, std::string("la\t") + stream + "\t");
    ASSERT_EQ(lines.size(), 1u) << stream << " in:\n" << status.output;
    const bool ran = std::string(stream) == "accounts" || std::string(stream) == "variations";
    EXPECT_EQ(lines[0].find("\tnever\t") == std::string::npos, ran) << lines[0];
  }
  EXPECT_NE(lines_containing(status.output, "la\taccounts\t")[0].find(
                std::string("\t") + kStartDate + ".." +
                day_text(today_days_in("America/Los_Angeles")) + "\t"),
            std::string::npos)
      << status.output;
}

}  // namespace
}  // namespace partnersync::e2e
