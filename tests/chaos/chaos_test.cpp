// The kill harness (issue 15): the real `partnersync` against the in-process simulator and a
// throwaway database, SIGKILLed N times at seeded random moments with upstream changes between
// rounds; then one clean backfill and every table compared with the simulator's ground truth.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_support.hpp"

namespace partnersync::e2e {
namespace {

struct Options {
  int kills = 5;
  std::uint64_t seed = 0;
  bool seed_given = false;
  // Deliberate breaks, to watch the harness fail (README.md).
  bool break_delete_row = false;
};
Options g_options;

constexpr const char* kWindowedStreams[] = {
    "affiliate_licenses",    "partner_program_licenses",    "solution_licenses",
    "affiliate_performance", "partner_program_performance", "withdrawals"};

// Days sync.windows claims, over every stream.
constexpr const char* kCoveredDaysSql =
    "SELECT coalesce(sum(window_to - window_from + 1), 0) FROM sync.windows";

enum class Mode { backfill, once, daemon };
const char* mode_name(Mode m) {
  switch (m) {
    case Mode::backfill:
      return "--backfill";
    case Mode::once:
      return "--once";
    case Mode::daemon:
      return "daemon";
  }
  return "?";
}

// How long after its start a mode's process is killed at the latest (ms). The simulator is
// slowed down (see kSlow) so that the whole range of a run falls inside it.
int max_kill_ms(Mode m) {
  switch (m) {
    case Mode::backfill:
      return 2500;
    case Mode::once:
      return 1500;
    case Mode::daemon:
      return 3000;
  }
  return 1000;
}

// Multiplicity of each row.
std::map<std::string, std::int64_t> counted(const std::vector<std::string>& rows) {
  std::map<std::string, std::int64_t> out;
  for (const auto& r : rows) ++out[r];
  return out;
}

struct Tally {
  std::int64_t compared = 0, lost = 0, duplicated = 0, unexpected = 0;
};

// Adds the comparison of one table to `tally`: rows expected but missing are lost, a row found
// more often than expected is duplicated, a row not expected at all is unexpected (a wrong or
// stale value). Prints the first differences.
void compare(const char* table, const std::vector<std::string>& expected,
             const std::vector<std::string>& actual, Tally& tally) {
  const auto want = counted(expected), got = counted(actual);
  Tally t;
  t.compared = static_cast<std::int64_t>(expected.size());
  int shown = 0;
  for (const auto& [row, n] : want) {
    const auto it = got.find(row);
    const std::int64_t have = it == got.end() ? 0 : it->second;
    if (have < n) {
      t.lost += n - have;
      if (shown++ < 3) std::printf("  %s: missing    %s\n", table, row.c_str());
    }
    if (have > n) t.duplicated += have - n;
  }
  for (const auto& [row, n] : got) {
    if (want.count(row) == 0) {
      t.unexpected += n;
      if (shown++ < 6) std::printf("  %s: unexpected %s\n", table, row.c_str());
    }
  }
  std::printf("  %-28s %6lld rows compared, %lld lost, %lld duplicated, %lld unexpected\n", table,
              static_cast<long long>(t.compared), static_cast<long long>(t.lost),
              static_cast<long long>(t.duplicated), static_cast<long long>(t.unexpected));
  EXPECT_EQ(t.lost + t.duplicated + t.unexpected, 0) << "livechat." << table;
  tally.compared += t.compared;
  tally.lost += t.lost;
  tally.duplicated += t.duplicated;
  tally.unexpected += t.unexpected;
}

// sync.windows must not claim a day whose rows are not there: every affiliate license of
// `base` (a dataset whose licenses all still exist upstream: keys never go away) created on a
// covered day is in the table, as often as upstream has it. Returns the licenses missing.
std::int64_t licenses_missing_from_covered_days(const std::string& url, const sim::Dataset& base) {
  const auto windows = query_rows(url,
                                  "SELECT stream, (window_from - date '1970-01-01')::text, "
                                  "(window_to - date '1970-01-01')::text FROM sync.windows WHERE "
                                  "stream IN ('affiliate_licenses', 'partner_program_licenses')",
                                  false);
  auto covered = [&](const std::string& stream, std::int64_t day) {
    for (const auto& w : windows) {
      const auto a = w.find('|'), b = w.find('|', a + 1);
      if (w.substr(0, a) != stream) continue;
      if (day >= std::stoll(w.substr(a + 1, b - a - 1)) && day <= std::stoll(w.substr(b + 1)))
        return true;
    }
    return false;
  };
  std::map<std::string, std::int64_t> want;
  for (const bool lc : {true, false}) {
    for (const auto& l : lc ? base.affiliate_licenses : base.partner_program_licenses) {
      if (!covered(lc ? "affiliate_licenses" : "partner_program_licenses", l.creation_day()))
        continue;
      ++want[std::string(lc ? "livechat" : "partner_program") + "|" +
             (lc ? l.client_email() : std::string("NULL")) + "|" + l.creation_timestamp()];
    }
  }
  const auto got =
      counted(query_rows(url,
                         "SELECT program, coalesce(client_email, 'NULL'), "
                         "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') "
                         "FROM livechat.affiliate_licenses"));
  std::int64_t missing = 0;
  for (const auto& [key, n] : want) {
    const auto it = got.find(key);
    const std::int64_t have = it == got.end() ? 0 : it->second;
    if (have < n) {
      if (missing == 0) std::printf("  covered but missing: %s\n", key.c_str());
      missing += n - have;
    }
  }
  return missing;
}

std::string one_line(const std::string& text) {
  std::string out;
  for (const char c : text) out += c == '\n' ? ' ' : c;
  return out.size() > 160 ? out.substr(0, 160) + "..." : out;
}

TEST(Chaos, RandomKillsLoseAndDuplicateNothing) {
  const std::uint64_t seed = g_options.seed_given ? g_options.seed : std::random_device{}();
  std::printf("chaos: seed %llu, %d kills (re-run: --seed %llu --kills %d)\n",
              static_cast<unsigned long long>(seed), g_options.kills,
              static_cast<unsigned long long>(seed), g_options.kills);
  std::fflush(stdout);
  std::mt19937_64 random(seed);
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(random);
  };

  auto options = simulator_options(90);
  options.api.seed = seed;
  sim::Simulator sim(options);
  testing::TestDatabase db("chaos");
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.interval = "2s";  // a killed daemon has had several passes
  spec.retries = 1;
  spec.log_level = "info";
  ConfigFile config(spec);
  const std::int64_t first = *sim::parse_date(options.api.date_from), last = today_days();
  ASSERT_EQ(run_partnersync(config, {"--migrate"}).exit_code, 0);
  const auto base = sim.api().snapshot();

  std::map<std::string, int> outcomes;
  int kills = 0;
  std::optional<std::pair<std::int64_t, std::int64_t>> last_range;
  // Rounds until `kills` processes were killed (a run that finishes first is no kill), at most
  // three times as many rounds.
  int round = 0;
  while (kills < g_options.kills && round < 3 * g_options.kills) {
    ++round;
    const Mode mode = static_cast<Mode>(uniform(0, 2));
    std::vector<std::string> args = {"--config", config.path().string()};
    std::string detail;
    if (mode == Mode::backfill) {
      // Sometimes the same range again (a resumed backfill); never the whole range, whose
      // progress the clean run would resume instead of reading the changed windows again.
      std::pair<std::int64_t, std::int64_t> range;
      if (last_range && uniform(0, 2) == 0) {
        range = *last_range;
      } else {
        range.first = uniform(first, last);
        range.second = uniform(range.first, last);
        if (range.first == first && range.second == last) ++range.first;
      }
      last_range = range;
      args.insert(args.end(),
                  {"--backfill", "--from", day_text(range.first), "--to", day_text(range.second)});
      detail = day_text(range.first) + ".." + day_text(range.second) + " ";
    } else if (mode == Mode::once) {
      args.push_back("--once");
    }
    // Slow answers spread a run over the kill range, so kills land in every phase.
    sim::Fault slow;
    slow.path = "";
    slow.count = static_cast<int>(uniform(10, 200));
    slow.kind = sim::Fault::Kind::delay;
    slow.delay = std::chrono::milliseconds(uniform(5, 40));
    sim.add_fault(slow);

    const auto moment = std::chrono::milliseconds(uniform(0, max_kill_ms(mode)));
    const std::string round_start = query_value(db.url(), "SELECT clock_timestamp()::text");
    Process p(args);
    const auto start = std::chrono::steady_clock::now();
    std::optional<int> code;
    while (std::chrono::steady_clock::now() - start < moment) {
      code = p.wait(std::chrono::milliseconds(0));
      if (code) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::string outcome;
    if (!code) {
      p.signal(SIGKILL);
      code = p.wait(std::chrono::seconds(10));
      ASSERT_TRUE(code.has_value()) << "pid " << p.pid() << " survived SIGKILL";
      if (*code == 128 + SIGKILL) {
        ++kills;
        outcome = "killed";
      } else {
        outcome = "exited " + std::to_string(*code) + " as it was killed";
      }
    } else {
      outcome = "finished first, exit " + std::to_string(*code);
      EXPECT_EQ(*code, 0) << mode_name(mode) << " failed on its own: " << p.errors();
    }
    sim.clear_faults();
    ++outcomes[std::string(mode_name(mode)) + " " + (outcome == "killed" ? "killed" : "finished")];
    // Merged intervals a commit of this round created or extended or confirmed.
    const auto touched = query_count(
        db.url(), "SELECT count(*) FROM sync.windows WHERE synced_at >= '" + round_start + "'");
    const auto covered_days = query_count(db.url(), kCoveredDaysSql);
    const auto missing = licenses_missing_from_covered_days(db.url(), *base);
    std::printf(
        "round %3d: seed %llu, %-10s %sat %5lld ms: %s; %lld interval(s) committed to, %lld days "
        "covered, %lld "
        "license(s) of covered days missing\n",
        round, static_cast<unsigned long long>(seed), mode_name(mode), detail.c_str(),
        static_cast<long long>(moment.count()), outcome.c_str(), static_cast<long long>(touched),
        static_cast<long long>(covered_days), static_cast<long long>(missing));
    std::fflush(stdout);
    EXPECT_EQ(missing, 0) << "sync.windows claims days whose licenses are missing";
    if (outcome.rfind("killed", 0) != 0 && outcome.rfind("finished first, exit 0", 0) != 0)
      std::printf("  stderr: %s\n", one_line(p.errors()).c_str());

    // Upstream changes before the next round (and before the clean run).
    sim::api::Mutation m;
    switch (uniform(0, 2)) {
      case 0:
        m.kind = sim::api::Mutation::Kind::convert_trials;
        break;
      case 1:
        m.kind = sim::api::Mutation::Kind::grow_commissions;
        break;
      default:
        m.kind = sim::api::Mutation::Kind::add_licenses;
        m.date = day_text(uniform(first, last));
        break;
    }
    m.count = static_cast<std::uint64_t>(uniform(1, 10));
    sim.api().mutate(m);
  }

  EXPECT_EQ(kills, g_options.kills) << "too many runs finished before their kill";

  // The clean run: a backfill over the whole range reads every changed past window again (and
  // the streams without windows once).
  const auto clean = run_backfill(config, first, last);
  ASSERT_EQ(clean.exit_code, 0) << clean.errors;
  std::printf("clean backfill %s..%s: exit 0 in %lld ms\n", day_text(first).c_str(),
              day_text(last).c_str(), static_cast<long long>(clean.took.count()));

  const std::string& url = db.url();
  if (g_options.break_delete_row) {
    std::printf("break: deleting one livechat.affiliate_licenses row before the comparison\n");
    query_rows(url,
               "DELETE FROM livechat.affiliate_licenses WHERE ctid = (SELECT ctid FROM "
               "livechat.affiliate_licenses LIMIT 1) RETURNING 1");
  }
  const auto ds = sim.api().snapshot();
  Tally tally;
  compare("affiliate_licenses", expected_affiliate_licenses(*ds, false),
          query_rows(url, kAffiliateLicensesSql), tally);
  compare("performance_daily", expected_performance(*ds, first, last),
          query_rows(url, kPerformanceSql), tally);
  compare("history_monthly", expected_history(*ds), query_rows(url, kHistorySql), tally);
  // Snapshot tables keep one row per change: the newest snapshot is what upstream says now.
  compare(
      "earnings_snapshots (newest)", expected_earnings(*ds, false),
      query_rows(url, std::string(kEarningsSql) + " WHERE taken_at = (SELECT max(taken_at) FROM "
                                                  "livechat.earnings_snapshots)"),
      tally);
  compare("license_stats_snapshots (newest)", expected_stats(*ds),
          query_rows(url, std::string(kStatsSql) + " WHERE taken_at = (SELECT max(taken_at) FROM "
                                                   "livechat.license_stats_snapshots)"),
          tally);
  compare("withdrawals", expected_withdrawals(*ds, false), query_rows(url, kWithdrawalsSql), tally);
  compare("campaigns", expected_campaigns(*ds), query_rows(url, kCampaignsSql), tally);
  compare("leads", expected_leads(*ds), query_rows(url, kLeadsSql), tally);
  compare("solution_licenses", expected_solution_licenses(*ds),
          query_rows(url, kSolutionLicensesSql), tally);
  compare("solution_invoices", expected_solution_invoices(*ds),
          query_rows(url, kSolutionInvoicesSql), tally);

  // The bookkeeping: each windowed stream covers the whole range as one interval, nothing is
  // left to resume, no run is left 'running', no staging table is left behind.
  for (const char* stream : kWindowedStreams) {
    EXPECT_EQ(coverage(url, stream),
              std::vector<std::string>{day_text(first) + ".." + day_text(last)})
        << stream;
  }
  const auto missing = licenses_missing_from_covered_days(url, *ds);
  EXPECT_EQ(missing, 0) << "sync.windows claims days whose licenses are missing";
  EXPECT_EQ(query_count(url, "SELECT count(*) FROM sync.backfill_progress"), 0);
  const auto running = query_count(url, "SELECT count(*) FROM sync.runs WHERE status = 'running'");
  EXPECT_EQ(running, 0) << "runs left 'running' after the clean run";
  // A staging table is a temporary table of the writer's connection (ps_stage_*, kept across
  // windows, ON COMMIT DELETE ROWS): it must end with its backend, which exits shortly after
  // the process that held it (polled for at most 10 s).
  const auto staging_sql =
      "SELECT count(*) FROM pg_class WHERE relname LIKE 'ps\\_stage%' AND relkind = 'r'";
  auto staging = query_count(url, staging_sql);
  for (int i = 0; i < 100 && staging > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    staging = query_count(url, staging_sql);
  }
  EXPECT_EQ(staging, 0) << "staging tables left";
  // Children a killed run left unread were read by a later run (sync.pending_children).
  EXPECT_EQ(query_count(url, "SELECT count(*) FROM sync.pending_children"), 0)
      << "parents whose children no run read";
  const auto interrupted =
      query_count(url, "SELECT count(*) FROM sync.runs WHERE error LIKE 'interrupted:%'");

  std::printf("chaos: seed %llu: %d rounds, %d kills", static_cast<unsigned long long>(seed), round,
              kills);
  for (const auto& [what, n] : outcomes) std::printf(", %s %d", what.c_str(), n);
  std::printf(
      "\nchaos: %lld rows compared, %lld lost, %lld duplicated, %lld unexpected; %lld "
      "runs closed as interrupted, %lld left running, %lld staging tables, %lld "
      "licenses of covered days missing\n",
      static_cast<long long>(tally.compared), static_cast<long long>(tally.lost),
      static_cast<long long>(tally.duplicated), static_cast<long long>(tally.unexpected),
      static_cast<long long>(interrupted), static_cast<long long>(running),
      static_cast<long long>(staging), static_cast<long long>(missing));
}

}  // namespace
}  // namespace partnersync::e2e

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  using partnersync::e2e::g_options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--kills" && i + 1 < argc) {
      g_options.kills = std::atoi(argv[++i]);
    } else if (arg == "--seed" && i + 1 < argc) {
      g_options.seed = std::strtoull(argv[++i], nullptr, 10);
      g_options.seed_given = true;
    } else if (arg == "--break-delete-row") {
      g_options.break_delete_row = true;
    } else {
      std::fprintf(stderr,
                   "usage: chaos_test [--kills N] [--seed S] [--break-delete-row] [gtest flags]\n");
      return 2;
    }
  }
  if (g_options.kills < 0) return 2;
  return RUN_ALL_TESTS();
}
