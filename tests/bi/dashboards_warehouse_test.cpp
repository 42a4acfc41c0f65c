// Every shipped panel and Metabase question against a warehouse the real partnersync synced from
// the simulator, read as a login that only has partnersync_bi; key numbers against ground truth.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/bi/dashboard_queries.hpp"
#include "tests/sim/dataset.hpp"
#include "tests/sim/simulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_database.hpp"

namespace partnersync {
namespace {

using namespace bi_testing;

constexpr int kDays = 120;
constexpr std::int64_t kDay = 86400;
const char* const kEarnings = "partnersync / Partner earnings";
const char* const kConversions = "partnersync / Trials to paid";
const char* const kCampaigns = "partnersync / Campaigns";
const char* const kLiveagent = "partnersync / LiveAgent resold accounts";
const char* const kHealth = "partnersync / Sync health";

std::int64_t today_days() {
  return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())
      .time_since_epoch()
      .count();
}

std::int64_t first_of_month(std::int64_t day) {
  int y;
  unsigned m, d;
  sim::civil_from_days(day, y, m, d);
  return sim::days_from_civil(y, m, 1);
}

int month_index(std::int64_t day) {
  int y;
  unsigned m, d;
  sim::civil_from_days(day, y, m, d);
  return y * 12 + static_cast<int>(m);
}

sim::SimOptions simulator_options() {
  sim::SimOptions o;
  o.threads = 2;
  const std::int64_t today = today_days();
  o.api.date_from = sim::format_date(today - kDays + 1);
  o.api.date_to = sim::format_date(today);
  o.api.today = sim::format_date(today);
  o.api.affiliate_licenses = 500;
  o.api.partner_program_licenses = 100;
  o.api.solution_licenses = 12;
  o.api.withdrawals = 8;
  o.api.campaigns = 4;
  o.api.leads = 10;
  o.api.liveagent_accounts = 40;
  o.api.users_per_account = 2;
  o.api.liveagent_licenses = 5;
  o.api.variations = 3;
  return o;
}

// Two partner accounts on the same simulator (so the source variable must keep them apart)
// and one LiveAgent reseller; a lookback longer than the data, so a second --once re-reads all.
std::string config_yaml(const std::string& database_url, const std::string& base_url,
                        std::int64_t first_day) {
  std::ostringstream out;
  out << "database:\n  url: \"" << database_url << "\"\nsources:\n";
  for (const char* name : {"acme", "beta"}) {
    out << "  - name: " << name << "\n    kind: livechat_partner\n    base_url: \"" << base_url
        << "\"\n    token: \"sim-token\"\n    start_date: " << sim::format_date(first_day)
        << "\n    timezone: UTC\n";
  }
  // LiveAgent serves Los Angeles wall times: its first accounts are a day earlier there.
  out << "  - name: la\n    kind: liveagent_reseller\n    base_url: \"" << base_url
      << "\"\n    reseller: \"reseller@example.com\"\n    api_key: \"sim-apikey\"\n"
      << "    start_date: " << sim::format_date(first_day - 1) << "\n"
      << "sync:\n  interval: 15m\n  lookback: " << kDays + 60 << "d\n  full_refresh: 30d\n"
      << "  window: 31d\n  concurrency: 2\nhttp:\n  timeout: 10s\n  retries: 2\n"
      << "log:\n  level: warn\n";
  return out.str();
}

// A cluster-wide LOGIN role with only partnersync_bi, dropped when the test ends.
class ReaderRole {
 public:
  explicit ReaderRole(const std::string& database) : name_(database + "_reader") {
    admin("CREATE ROLE " + name_ + " LOGIN IN ROLE partnersync_bi");
  }
  ~ReaderRole() {
    try {
      admin("DROP ROLE IF EXISTS " + name_);
    } catch (const std::exception&) {
      // Only a leftover role on the throwaway cluster.
    }
  }
  ReaderRole(const ReaderRole&) = delete;
  ReaderRole& operator=(const ReaderRole&) = delete;
  const std::string& name() const { return name_; }

 private:
  static void admin(const std::string& sql) {
    pqxx::connection c(testing::cluster_url());
    pqxx::nontransaction tx(c);
    tx.exec(sql);
  }
  std::string name_;
};

struct QueryRun {
  std::string sql, error;
  pqxx::result rows;
  std::set<std::string> columns;
};

class Reader {
 public:
  Reader(const std::string& url, const std::string& role)
      : connection_(url + (url.find('?') == std::string::npos ? "?" : "&") + "user=" + role) {
    pqxx::nontransaction tx(connection_);
    // The views' day and month boundaries follow the session time zone, as in Grafana's.
    tx.exec("SET TimeZone = 'UTC'");
  }

  QueryRun run(const std::string& sql) {
    QueryRun r;
    r.sql = sql;
    try {
      pqxx::read_transaction tx(connection_);
      r.rows = tx.exec(sql);
      for (pqxx::row::size_type i = 0; i < r.rows.columns(); ++i)
        r.columns.insert(r.rows.column_name(i));
    } catch (const std::exception& e) {
      r.error = e.what();
    }
    return r;
  }

  std::string user() {
    pqxx::read_transaction tx(connection_);
    return tx.exec1("SELECT current_user")[0].as<std::string>();
  }

 private:
  pqxx::connection connection_;
};

// The variables' values as Grafana would offer them; `single` keeps only the first value of
// `source` (one partner account selected), else every value (All).
VariableValues variable_values(Reader& reader, const Dashboard& d, bool single,
                               const std::string& source = "") {
  VariableValues out;
  for (const auto& v : d.variables) {
    VariableValue value;
    value.multi = v.multi || v.include_all;
    if (v.type == "query") {
      const auto r = reader.run(v.query);
      EXPECT_EQ(r.error, "") << d.title << ": variable $" << v.name << ": " << r.error;
      for (const auto& row : r.rows) value.values.push_back(row[0].as<std::string>());
      EXPECT_FALSE(value.values.empty()) << d.title << ": variable $" << v.name << " is empty";
    } else {
      value.values.push_back(v.query);  // textbox and constant: their value
    }
    if (v.name == "source" && !source.empty()) value.values = {source};
    if (v.name == "source" && single && source.empty() && !value.values.empty())
      value.values.resize(1);
    out[v.name] = value;
  }
  return out;
}

QueryRun run_target(Reader& reader, const Target& target, const TimeRange& range,
                    const VariableValues& vars) {
  std::string sql;
  try {
    sql = expand_grafana_sql(target.raw_sql, range, vars);
  } catch (const std::exception& e) {
    QueryRun r;
    r.sql = target.raw_sql;
    r.error = std::string("cannot expand: ") + e.what();
    return r;
  }
  return reader.run(sql);
}

// Runs every target of every panel; returns how many ran.
int check_every_panel(Reader& reader, const std::vector<Dashboard>& dashboards,
                      const TimeRange& range, bool single, const std::string& phase) {
  int ran = 0;
  for (const auto& d : dashboards) {
    const auto vars = variable_values(reader, d, single);
    for (const auto& p : d.panels) {
      const std::string where = phase + ": " + d.title + " / " + p.title;
      std::set<std::string> columns;
      for (const auto& t : p.targets) {
        const auto r = run_target(reader, t, range, vars);
        ++ran;
        EXPECT_EQ(r.error, "") << where << " [" << t.ref_id << "] failed:\n" << r.sql;
        if (!r.error.empty()) continue;
        EXPECT_GE(r.rows.size(), 1u) << where << " [" << t.ref_id << "] returned no row:\n"
                                     << r.sql;
        if (t.format == "time_series") {
          EXPECT_TRUE(r.columns.count("time")) << where << ": a time series without \"time\"";
        }
        columns.insert(r.columns.begin(), r.columns.end());
      }
      for (const auto& field : p.named_fields) {
        EXPECT_TRUE(columns.count(field)) << where << ": field config or a transformation names \""
                                          << field << "\", which no query returns";
      }
      // Tables sort by what a column shows: its override's displayName, else its name.
      std::set<std::string> shown;
      for (const auto& column : columns) {
        const auto renamed = p.display_names.find(column);
        shown.insert(renamed == p.display_names.end() ? column : renamed->second);
      }
      for (const auto& name : p.sort_by_display_names) {
        EXPECT_TRUE(shown.count(name))
            << where << ": sortBy names \"" << name << "\", which no column shows";
      }
    }
  }
  return ran;
}

double number(const pqxx::field& f) { return f.is_null() ? 0.0 : f.as<double>(); }
std::int64_t cents(const pqxx::field& f) { return std::llround(number(f) * 100); }
std::int64_t count(const pqxx::field& f) { return std::llround(number(f)); }

std::string label_or(const std::string& value, const char* empty) {
  return value.empty() ? empty : value;
}

// ---- the world: simulator, warehouse, reader ----------------------------------------------------

class DashboardWarehouse : public ::testing::Test {
 protected:
  DashboardWarehouse()
      : options_(simulator_options()),
        sim_(options_),
        db_("dashboards"),
        first_day_(*sim::parse_date(options_.api.date_from)),
        today_(today_days()),
        range_{first_of_month(first_day_) * kDay, (today_ + 1) * kDay},
        config_(write_temp_file_unique(config_yaml(db_.url(), sim_.base_url(), first_day_))),
        dashboards_(load_dashboards()) {}

  static std::string write_temp_file_unique(const std::string& content) {
    static int n = 0;
    return testing::write_temp_file(
        "dashboards-" + std::to_string(getpid()) + "-" + std::to_string(n++) + ".yaml", content);
  }

  void sync() {
    const auto r =
        testing::run_process({testing::partnersync_binary(), "--config", config_, "--once"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  Reader reader(const ReaderRole& role) { return Reader(db_.url(), role.name()); }

  QueryRun panel(Reader& reader, const char* dashboard, const char* title,
                 const std::string& source) {
    const auto& d = dashboard_titled(dashboards_, dashboard);
    const auto& p = panel_titled(d, title);
    auto r = run_target(reader, p.targets.at(0), range_, variable_values(reader, d, true, source));
    EXPECT_EQ(r.error, "") << dashboard << " / " << title << ":\n" << r.sql;
    return r;
  }

  void check_metabase_questions(Reader& reader, const std::string& phase) {
    const auto questions = metabase_questions();
    ASSERT_GE(questions.size(), 5u);
    for (const auto& q : questions) {
      const auto r = reader.run(q.sql);
      EXPECT_EQ(r.error, "") << phase << ": deploy/metabase.md \"" << q.heading << "\" failed";
      EXPECT_GE(r.rows.size(), 1u)
          << phase << ": deploy/metabase.md \"" << q.heading << "\" returned no row";
    }
  }

  bool in_range(std::int64_t day) const {
    return day * kDay >= range_.from && day * kDay <= range_.to;
  }

  sim::SimOptions options_;
  sim::Simulator sim_;
  testing::TestDatabase db_;
  std::int64_t first_day_, today_;
  TimeRange range_;
  std::string config_;
  std::vector<Dashboard> dashboards_;
};

// ---- ground truth, per dashboard ----------------------------------------------------------------

std::vector<std::string> sorted_rows(const pqxx::result& rows,
                                     const std::vector<std::string>& columns,
                                     const std::set<std::string>& as_cents = {}) {
  std::vector<std::string> out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const auto f = row[columns[i]];
      line += (i ? "|" : "") + (as_cents.count(columns[i]) ? std::to_string(cents(f))
                                : f.is_null()              ? std::string("NULL")
                                                           : f.as<std::string>());
    }
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_F(
    DashboardWarehouse,
    EveryPanelAndMetabaseQuestionRunsAndMatchesTheSimulatorBeforeAndAfterAConversionAndASuspension) {
  sync();
  if (HasFatalFailure()) return;
  ReaderRole role(db_.name());
  auto r = reader(role);
  ASSERT_EQ(r.user(), role.name());

  const auto before = sim_.api().snapshot();
  for (const char* phase : {"fresh sync", "after conversion and suspension"}) {
    const bool after = std::string(phase) != "fresh sync";
    if (after) {
      sim::api::Mutation convert;
      convert.kind = sim::api::Mutation::Kind::convert_trials;
      convert.count = 5;
      sim_.api().mutate(convert);
      sim::api::Mutation suspend;
      suspend.kind = sim::api::Mutation::Kind::suspend_accounts;
      suspend.count = 3;
      sim_.api().mutate(suspend);
      sync();
      if (HasFatalFailure()) return;
    }
    const auto ds = sim_.api().snapshot();
    SCOPED_TRACE(phase);

    std::size_t targets = 0;
    for (const auto& d : dashboards_)
      for (const auto& p : d.panels) targets += p.targets.size();
    EXPECT_GE(targets, 25u);
    EXPECT_EQ(check_every_panel(r, dashboards_, range_, false, std::string(phase) + ", all"),
              static_cast<int>(targets));
    check_every_panel(r, dashboards_, range_, true, std::string(phase) + ", one source");
    check_metabase_questions(r, phase);

    // -- Partner earnings: the latest snapshot, per account and summed over both.
    {
      const auto acme = panel(r, kEarnings, "Balance now", "acme");
      ASSERT_EQ(acme.rows.size(), 1u);
      EXPECT_EQ(cents(acme.rows[0]["balance"]), ds->totals.balance_cents());
      EXPECT_EQ(cents(acme.rows[0]["pending"]), ds->totals.pending_cents);
      const auto& d = dashboard_titled(dashboards_, kEarnings);
      const auto both = run_target(r, panel_titled(d, "Balance now").targets[0], range_,
                                   variable_values(r, d, false));
      ASSERT_EQ(both.rows.size(), 1u);
      EXPECT_EQ(cents(both.rows[0]["balance"]), 2 * ds->totals.balance_cents())
          << "All sums the two partner accounts";

      std::vector<std::string> expected;
      for (const char* program : {"livechat", "partner_program", "solution"}) {
        for (const auto& m : ds->history(program)) {
          if (in_range(m.first_day))
            expected.push_back(sim::format_month(m.first_day) + "|" + program + "|" +
                               std::to_string(m.commission_cents));
        }
      }
      const auto monthly = panel(r, kEarnings, "Commission per month and program", "acme");
      EXPECT_EQ(sorted_rows(monthly.rows, {"month", "program", "commission"}, {"commission"}),
                sorted(expected));
    }

    // -- Trials to paid: monthly history, cohorts by creation month, observed conversions.
    std::set<std::size_t> converted;  // the affiliate licenses the mutation converted
    for (std::size_t i = 0; after && i < before->affiliate_licenses.size(); ++i) {
      if (before->affiliate_licenses[i].paid != ds->affiliate_licenses[i].paid) converted.insert(i);
    }
    ASSERT_EQ(converted.size(), after ? 5u : 0u);
    {
      std::map<std::string, std::pair<std::int64_t, std::int64_t>> per_month;
      for (const char* program : {"livechat", "partner_program", "solution"}) {
        for (const auto& m : ds->history(program)) {
          if (!in_range(m.first_day)) continue;
          auto& [trials, paid] = per_month[sim::format_month(m.first_day)];
          trials += m.trials;
          paid += m.paid;
        }
      }
      std::vector<std::string> expected;
      expected.reserve(per_month.size());
      for (const auto& [month, tp] : per_month)
        expected.push_back(month + "|" + std::to_string(tp.first) + "|" +
                           std::to_string(tp.second));
      const auto monthly = panel(r, kConversions, "Trials and paid per month", "acme");
      EXPECT_EQ(sorted_rows(monthly.rows, {"month", "trials", "paid"}), sorted(expected));

      std::map<std::string, int> cohorts;
      const auto add = [&](std::int64_t created, bool paid, bool was_converted) {
        const std::int64_t day = created / kDay;
        std::string lag =
            !paid ? "not paid"
            : was_converted
                ? "after " + std::to_string(month_index(today_) - month_index(day)) + " months"
                : "paid when first synced";
        if (lag == "after 1 months") lag = "after 1 month";
        ++cohorts[sim::format_month(day) + "|" + lag];
      };
      for (std::size_t i = 0; i < ds->affiliate_licenses.size(); ++i) {
        const auto& l = ds->affiliate_licenses[i];
        add(l.created, l.paid, converted.count(i) > 0);
      }
      for (const auto& l : ds->partner_program_licenses) add(l.created, l.paid, false);
      for (const auto& l : ds->solution_licenses) add(l.created, l.paid, false);
      std::vector<std::string> expected_cohorts;
      expected_cohorts.reserve(cohorts.size());
      for (const auto& [key, n] : cohorts)
        expected_cohorts.push_back(key + "|" + std::to_string(n));
      const auto table = panel(
          r, kConversions, "Cohorts: licenses by creation month and months to conversion", "acme");
      EXPECT_EQ(sorted_rows(table.rows, {"created_month", "conversion_lag", "licenses"}),
                sorted(expected_cohorts));

      const auto times = panel(r, kConversions, "Time to convert", "acme");
      std::vector<std::string> expected_times = {"livechat|" + std::to_string(converted.size()),
                                                 "partner_program|0", "solution|0"};
      EXPECT_EQ(sorted_rows(times.rows, {"program", "conversions"}), expected_times);
      for (const auto& row : times.rows) {
        if (row["program"].as<std::string>() != "livechat" || !after) continue;
        double expected_days = 0;
        const double now =
            static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
        for (const auto i : converted) {
          expected_days += (now - static_cast<double>(ds->affiliate_licenses[i].created)) / kDay;
        }
        EXPECT_NEAR(number(row["avg_days_to_convert"]), expected_days / 5, 0.05)
            << "converted at the second sync, moments ago";
      }
    }

    // -- Campaigns: the performance reports summed over the range, both programs.
    {
      struct Sums {
        std::int64_t clicks = 0, trials = 0, paid = 0, commission = 0;
      };
      std::map<std::string, Sums> by_medium, by_campaign;
      for (const auto program : {sim::Program::livechat, sim::Program::partner_program}) {
        for (const auto& row : ds->performance(program, first_day_, today_)) {
          for (auto* s : {&by_medium[label_or(row.medium, "(no medium)")],
                          &by_campaign[label_or(row.campaign, "(no campaign)")]}) {
            s->clicks += row.clicks;
            s->trials += row.trials;
            s->paid += row.paid;
            s->commission += row.commission_cents;
          }
        }
      }
      std::vector<std::string> expected;
      expected.reserve(by_medium.size());
      for (const auto& [medium, s] : by_medium)
        expected.push_back(medium + "|" + std::to_string(s.clicks) + "|" +
                           std::to_string(s.trials) + "|" + std::to_string(s.paid));
      const auto media = panel(r, kCampaigns, "Trials and paid per medium", "acme");
      EXPECT_EQ(sorted_rows(media.rows, {"medium", "clicks", "trials", "paid"}), sorted(expected));
      const auto top = panel(r, kCampaigns, "Top campaigns", "acme");
      EXPECT_EQ(top.rows.size(), std::min<std::size_t>(25, by_campaign.size()));
      for (const auto& row : top.rows) {
        const auto& s = by_campaign[row["campaign"].as<std::string>()];
        EXPECT_EQ(count(row["clicks"]), s.clicks) << row["campaign"].as<std::string>();
        EXPECT_EQ(cents(row["commission"]), s.commission) << row["campaign"].as<std::string>();
      }
    }

    // -- LiveAgent: statuses now and on a past day, status changes, new accounts per month.
    {
      std::map<std::string, int> now, past, months;
      const std::int64_t past_day = first_day_ + kDays / 2;
      for (std::size_t i = 0; i < ds->accounts.size(); ++i) {
        const auto& a = ds->accounts[i];
        ++now[std::string(sim::account_status_label(a.status))];
        if (!a.created_utc) continue;  // the impossible datetime: created_at is NULL
        ++months[sim::format_month(*a.created_utc / kDay)];
        // The accounts' statuses before the suspension held on every earlier day.
        const auto& was = before->accounts[i];
        ASSERT_EQ(was.account_id, a.account_id);
        if (*a.created_utc / kDay <= past_day)
          ++past[std::string(sim::account_status_label(was.status))];
      }
      const auto rows_of = [](const std::map<std::string, int>& m) {
        std::vector<std::string> out;
        out.reserve(m.size());
        for (const auto& [k, n] : m) out.push_back(k + "|" + std::to_string(n));
        return sorted(out);
      };
      const auto current = panel(r, kLiveagent, "Accounts by status now", "la");
      EXPECT_EQ(sorted_rows(current.rows, {"status", "accounts"}), rows_of(now));

      const auto daily = panel(r, kLiveagent, "Accounts by status", "la");
      std::vector<std::string> on_today, on_past_day;
      for (const auto& row : daily.rows) {
        if (count(row["accounts"]) == 0) continue;
        const auto line =
            row["metric"].as<std::string>() + "|" + std::to_string(count(row["accounts"]));
        if (count(row["time"]) == today_ * kDay) on_today.push_back(line);
        if (count(row["time"]) == past_day * kDay) on_past_day.push_back(line);
      }
      EXPECT_EQ(sorted(on_today), rows_of(now));
      EXPECT_EQ(sorted(on_past_day), rows_of(past));

      std::map<std::string, std::string> plan_names;
      for (const auto& v : ds->variations) plan_names[v.id] = v.name;
      std::map<std::string, int> active_by_plan;
      for (const auto& a : ds->accounts) {
        if (a.status == 'a') ++active_by_plan[plan_names.at(a.variation_id)];
      }
      const auto plans = panel(r, kLiveagent, "Active accounts by plan", "la");
      std::vector<std::string> plans_today;
      for (const auto& row : plans.rows) {
        if (count(row["time"]) == today_ * kDay && count(row["active_accounts"]) > 0)
          plans_today.push_back(row["metric"].as<std::string>() + "|" +
                                std::to_string(count(row["active_accounts"])));
      }
      EXPECT_EQ(sorted(plans_today), rows_of(active_by_plan));

      const auto changes = panel(r, kLiveagent, "Status changes per day", "la");
      std::int64_t total_changes = 0;
      for (const auto& row : changes.rows) total_changes += count(row["status_changes"]);
      EXPECT_EQ(total_changes, after ? 3 : 0);

      const auto inactive = panel(r, kLiveagent, "Accounts not active", "la");
      EXPECT_EQ(static_cast<int>(inactive.rows.size()),
                static_cast<int>(ds->accounts.size()) - now["Active"]);
      int suspended_now = 0;
      for (const auto& row : inactive.rows) {
        if (row["previous_status"].is_null()) continue;
        EXPECT_EQ(row["previous_status"].as<std::string>(), "Active");
        EXPECT_EQ(row["status"].as<std::string>(), "Suspended");
        ++suspended_now;
      }
      EXPECT_EQ(suspended_now, after ? 3 : 0);

      const auto created = panel(r, kLiveagent, "New accounts per month", "la");
      EXPECT_EQ(sorted_rows(created.rows, {"month", "accounts"}), rows_of(months));
    }

    // -- Sync health: the latest run of a stream counted what the simulator served / changed.
    {
      const auto streams = panel(r, kHealth, "Streams", "acme");
      bool seen = false;
      for (const auto& row : streams.rows) {
        if (row["stream"].as<std::string>() != "affiliate_licenses") continue;
        seen = true;
        EXPECT_EQ(row["last_run_status"].as<std::string>(), "succeeded");
        EXPECT_EQ(count(row["last_run_rows_received"]),
                  static_cast<std::int64_t>(ds->affiliate_licenses.size()));
        EXPECT_EQ(count(row["last_run_rows_inserted"]),
                  after ? 0 : static_cast<std::int64_t>(ds->affiliate_licenses.size()));
        EXPECT_EQ(count(row["last_run_rows_updated"]), after ? 5 : 0);
      }
      EXPECT_TRUE(seen);
      const auto la = panel(r, kHealth, "Streams", "la");
      int accounts_rows = 0;
      for (const auto& row : la.rows) {
        if (row["stream"].as<std::string>() != "accounts") continue;
        ++accounts_rows;
        EXPECT_EQ(count(row["last_run_rows_received"]),
                  static_cast<std::int64_t>(ds->accounts.size()));
        EXPECT_EQ(count(row["last_run_rows_updated"]), after ? 3 : 0) << "the suspended ones";
      }
      EXPECT_EQ(accounts_rows, 1);
      const auto failures = panel(r, kHealth, "Failures and quarantined bodies", "acme");
      for (const auto& row : failures.rows) {
        EXPECT_EQ(count(row["failed_runs"]), 0) << row["stream"].as<std::string>();
        EXPECT_EQ(count(row["open_quarantine"]), 0) << row["stream"].as<std::string>();
      }
    }
  }
}

}  // namespace
}  // namespace partnersync
