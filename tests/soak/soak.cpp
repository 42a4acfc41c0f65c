// Upstream soak (issue 15): the real daemon against the simulator with a share of requests
// faulted at random (sim::RandomFaults: 429 with Retry-After, 5xx, cut bodies, stalls, invalid
// JSON, error envelopes) and data changing under it, for a given time. Then the faults stop and
// the daemon gets one clean pass; the run passes when every window is synced, the LiveChat
// tables equal the simulator's ground truth, the LiveAgent ones hold every record, no upstream
// request was tried more often than `http.retries` allows, and RSS and open fds stayed flat
// after warm-up. Prints RSS and fds over time, the faults injected by kind and the figures.
//
//   partnersync-soak --seconds 60 [--rate 0.1] [--seed N]      (tests/run: Soak.*)
//   tests/soak/run --minutes 60                                  (by hand)
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon/obs/redact.hpp"
#include "tests/e2e/e2e_support.hpp"

namespace partnersync::e2e {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

constexpr int kRetries = 3;
constexpr auto kInterval = seconds(15);
constexpr auto kTimeout = seconds(2);
// Longest gap between two attempts of one request: an attempt that times out, a backoff or
// Retry-After of at most 2 s (retry 3 with base 500 ms), a wait for a free request slot behind
// another timing-out attempt, plus margin. The next pass comes at least 0.9 interval later.
constexpr auto kMaxRetryGap = seconds(8);
constexpr const char* kLiveagentZone = "America/Los_Angeles";

struct Args {
  std::chrono::seconds duration{60};
  double rate = 0.1;
  std::uint64_t seed = 0;
  bool seed_given = false;
};

[[noreturn]] void usage(const std::string& message) {
  std::fprintf(stderr,
               "partnersync-soak: %s\nusage: partnersync-soak (--seconds N | --minutes N) "
               "[--rate P] [--seed N]\n",
               message.c_str());
  std::exit(2);
}

std::uint64_t number(const std::string& flag, const std::string& text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    usage(flag + " needs a non-negative integer, not '" + text + "'");
  return value;
}

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--seconds") {
      args.duration = seconds(number(flag, value));
    } else if (flag == "--minutes") {
      args.duration = seconds(60 * number(flag, value));
    } else if (flag == "--seed") {
      args.seed = number(flag, value);
      args.seed_given = true;
    } else if (flag == "--rate") {
      char* end = nullptr;
      args.rate = std::strtod(value.c_str(), &end);
      if (end != value.c_str() + value.size() || !(args.rate >= 0 && args.rate <= 1))
        usage("--rate needs a number from 0 to 1, not '" + value + "'");
    } else {
      usage("unknown argument '" + flag + "'");
    }
  }
  if (args.duration < seconds(30)) usage("the soak needs at least 30 seconds");
  if (!args.seed_given) args.seed = std::random_device{}();
  return args;
}

struct Sample {
  Clock::duration at;
  double rss_mib = 0;
  int fds = 0;
};

Sample sample(pid_t pid, Clock::time_point start) {
  Sample s;
  s.at = Clock::now() - start;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) s.rss_mib = std::stod(line.substr(6)) / 1024.0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++s.fds;
  return s;
}

struct Failures {
  int count = 0;
  void check(bool ok, const std::string& what) {
    std::printf("soak: %s %s\n", ok ? "ok  " : "FAIL", what.c_str());
    if (!ok) ++count;
  }
  void check(const ::testing::AssertionResult& result, const std::string& what) {
    check(static_cast<bool>(result), what);
    if (!result) std::printf("%s\n", result.message());
  }
};

std::string yaml(const std::string& url, const sim::Simulator& sim,
                 const sim::SimOptions& options) {
  std::ostringstream out;
  out << "database:\n  url: \"" << url << "\"\n"
      << "sources:\n"
      << "  - name: acme\n"
      << "    kind: livechat_partner\n"
      << "    base_url: \"" << sim.base_url() << "\"\n"
      << "    token: \"" << options.api.token << "\"\n"
      << "    start_date: " << options.api.date_from << "\n"
      << "    timezone: UTC\n"
      << "  - name: la\n"
      << "    kind: liveagent_reseller\n"
      << "    base_url: \"" << sim.base_url() << "\"\n"
      << "    reseller: \"" << options.api.reseller << "\"\n"
      << "    api_key: \"" << options.api.apikey << "\"\n"
      << "    start_date: " << options.api.date_from << "\n"
      << "    timezone: " << kLiveagentZone << "\n"
      << "sync:\n"
      << "  interval: " << kInterval.count() << "s\n"
      // Every pass re-reads all 60 days: the data changes touch records of any age, and the
      // tables must equal the ground truth after one clean pass (with a 30d lookback, changes
      // to older records wait for the weekly full refresh, as documented; an hour's soak saw it).
      << "  lookback: 61d\n"
      << "  full_refresh: 7d\n"
      << "  window: 7d\n"
      << "  concurrency: 2\n"
      << "http:\n"
      << "  timeout: " << kTimeout.count() << "s\n"
      << "  retries: " << kRetries << "\n"
      << "log:\n"
      << "  level: info\n";
  return out.str();
}

// Whether the daemon's HTTP client retries an attempt answered so: 429 and 5xx, a body cut
// short, a body stalled past the timeout. A 200 with a bad body or a 400 ends the request.
bool retried_fault(const sim::LoggedRequest& r) {
  if (r.fault == "close_mid_body" || r.fault == "stall_body") return true;
  if (r.fault.rfind("status ", 0) != 0) return false;
  const int status = std::atoi(r.fault.c_str() + 7);
  return status == 429 || status >= 500;
}

// Requests of one target (path and query) in order. A chain is one request with its retries:
// it goes on while an attempt was answered with a fault the client retries and the next one
// follows within kMaxRetryGap. Anything else is a new request (the next pass, or the same pass
// again after the database was unavailable).
struct RetryFigures {
  std::size_t chains = 0, retried = 0, longest = 0, over_budget = 0;
  std::string example;
};

RetryFigures retry_chains(const std::vector<sim::LoggedRequest>& log) {
  std::map<std::string, std::vector<const sim::LoggedRequest*>> by_target;
  for (const auto& r : log) by_target[r.target].push_back(&r);
  const auto origin = log.empty() ? Clock::time_point{} : log.front().received;
  RetryFigures f;
  for (auto& [target, requests] : by_target) {
    std::sort(requests.begin(), requests.end(),
              [](auto* a, auto* b) { return a->received < b->received; });
    std::size_t begin = 0;
    for (std::size_t i = 1; i <= requests.size(); ++i) {
      const bool ends = i == requests.size() || !retried_fault(*requests[i - 1]) ||
                        requests[i]->received - requests[i - 1]->received > kMaxRetryGap;
      if (!ends) continue;
      const std::size_t length = i - begin;
      ++f.chains;
      if (length > 1) ++f.retried;
      f.longest = std::max(f.longest, length);
      if (length > static_cast<std::size_t>(kRetries + 1)) {
        ++f.over_budget;
        if (f.example.empty()) {
          f.example = obs::redact(target) + ":";
          for (std::size_t k = begin; k < i; ++k) {
            const auto* r = requests[k];
            char at[64];
            std::snprintf(at, sizeof at, " %.1fs",
                          std::chrono::duration<double>(r->received - origin).count());
            f.example += at + std::string(" ") +
                         (r->fault.empty() ? std::to_string(r->status) : r->fault) + ";";
          }
        }
      }
      begin = i;
    }
  }
  return f;
}

int soak(const Args& args) {
  std::printf("soak: %lld s, fault rate %.3f, seed %llu (rerun with --seed %llu)\n",
              static_cast<long long>(args.duration.count()), args.rate,
              static_cast<unsigned long long>(args.seed),
              static_cast<unsigned long long>(args.seed));
  auto options = simulator_options(60);
  options.api.liveagent_accounts = 40;
  options.api.users_per_account = 2;
  options.api.liveagent_licenses = 10;
  options.api.variations = 3;
  options.random_faults.rate = args.rate;
  options.random_faults.seed = args.seed;
  options.random_faults.stall = std::chrono::milliseconds(3000);
  options.random_faults.retry_after = "1";
  sim::Simulator sim(options);
  testing::TestDatabase db("soak");
  const std::string& url = db.url();
  ConfigFile config(ConfigYaml{yaml(url, sim, options)});

  std::mt19937_64 random(args.seed ^ 0x9e3779b97f4a7c15ull);
  Process daemon({"--config", config.path().string()});
  const auto start = Clock::now();
  const auto sample_every = std::max<Clock::duration>(seconds(5), args.duration / 60);
  std::vector<Sample> samples;
  auto next_sample = start, next_mutation = start + seconds(20);
  int mutations = 0;
  while (Clock::now() - start < args.duration && daemon.running()) {
    if (Clock::now() >= next_sample) {
      samples.push_back(sample(daemon.pid(), start));
      const auto& s = samples.back();
      std::printf("soak: t=%5llds rss=%6.1f MiB fds=%3d requests=%zu\n",
                  static_cast<long long>(std::chrono::duration_cast<seconds>(s.at).count()),
                  s.rss_mib, s.fds, sim.requests().size());
      std::fflush(stdout);
      next_sample += sample_every;
    }
    if (Clock::now() >= next_mutation) {
      // New licenses today (the lookback re-reads them), commissions that grow (earnings are
      // read whole), an account suspended (the LiveAgent accounts are re-read whole).
      sim::api::Mutation m;
      switch (random() % 3) {
        case 0:
          m.kind = sim::api::Mutation::Kind::add_licenses;
          m.count = 3;
          m.date = day_text(today_days());
          break;
        case 1:
          m.kind = sim::api::Mutation::Kind::grow_commissions;
          m.count = 5;
          break;
        default:
          m.kind = sim::api::Mutation::Kind::suspend_accounts;
          m.count = 1;
      }
      sim.api().mutate(m);
      ++mutations;
      next_mutation += seconds(20);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  Failures failures;
  failures.check(daemon.running(), "the daemon ran for the whole soak");
  if (!daemon.running()) {
    std::printf("%s\n", daemon.errors().c_str());
    return 1;
  }

  // The faults stop; every stream must then get a successful run that started afterwards
  // (a stream upstream does not offer, 403 without a fault, is asked again only hours later).
  sim.set_random_fault_rate(0);
  const std::string calm = query_value(url, "SELECT now()::text");
  const std::string pending =
      " FROM (SELECT DISTINCT ON (source, stream) source, stream, status FROM sync.runs ORDER BY "
      "source, stream, started_at DESC) s WHERE s.status <> 'not_applicable' AND NOT EXISTS "
      "(SELECT 1 FROM sync.runs r WHERE r.source = s.source AND r.stream = s.stream AND "
      "r.status = 'succeeded' AND r.started_at >= '" +
      calm + "')";
  const bool caught_up = eventually(
      [&] { return daemon.running() && query_count(url, "SELECT count(*)" + pending) == 0; },
      2 * kInterval + seconds(60));
  failures.check(caught_up, "every stream succeeded in a pass after the faults stopped");
  if (!caught_up)
    for (const auto& row : query_rows(
             url, "SELECT s.source, s.stream, coalesce((SELECT r.status || ' ' || coalesce(r.error, "
                  "'') FROM sync.runs r WHERE r.source = s.source AND r.stream = s.stream ORDER "
                  "BY r.started_at DESC LIMIT 1), '')" +
                      pending))
      std::printf("  not caught up: %s\n", row.c_str());
  samples.push_back(sample(daemon.pid(), start));

  daemon.signal(SIGTERM);
  const auto code = daemon.wait(seconds(15));
  failures.check(code == 0, "the daemon exited 0 on SIGTERM");
  const auto log = sim.requests();
  const auto ds = sim.api().snapshot();

  // Windows: each windowed stream's coverage is one interval, start_date to today.
  const std::int64_t first = *sim::parse_date(options.api.date_from);
  for (const auto& row : query_rows(url,
                                    "SELECT source || '|' || stream || '|' || "
                                    "string_agg(window_from::text || '..' || window_to::text, "
                                    "',' ORDER BY window_from) FROM sync.windows GROUP BY "
                                    "source, stream")) {
    const bool livechat = row.rfind("acme|", 0) == 0;
    const std::string want = day_text(first) + ".." +
                             day_text(livechat ? today_days() : today_days_in(kLiveagentZone));
    failures.check(row.substr(row.rfind('|') + 1) == want, "windows " + row);
  }
  failures.check(query_count(url, "SELECT count(DISTINCT stream) FROM sync.windows WHERE source = "
                                  "'acme'") >= 6,
                 "the six windowed LiveChat streams have windows");
  failures.check(query_count(url, "SELECT count(*) FROM sync.runs WHERE status = 'running'") == 0,
                 "no run left running");

  // Tables: the LiveChat ones row for row, the LiveAgent ones record for record.
  const std::int64_t last = today_days();
  failures.check(same_rows(expected_affiliate_licenses(*ds, false),
                           query_rows(url, kAffiliateLicensesSql)),
                 "affiliate_licenses equal the ground truth");
  failures.check(same_rows(expected_performance(*ds, first, last), query_rows(url, kPerformanceSql)),
                 "performance_daily equal the ground truth");
  failures.check(same_rows(expected_history(*ds), query_rows(url, kHistorySql)),
                 "history equal the ground truth");
  // Snapshot tables keep a row per change: the figures the last pass confirmed are the truth.
  auto latest = [](const std::string& sql) {
    const std::string table = sql.substr(sql.rfind(' ') + 1);
    return sql + " WHERE last_seen_at = (SELECT max(last_seen_at) FROM " + table + ")";
  };
  failures.check(same_rows(expected_earnings(*ds, false), query_rows(url, latest(kEarningsSql))),
                 "earnings (latest snapshot) equal the ground truth");
  failures.check(same_rows(expected_stats(*ds), query_rows(url, latest(kStatsSql))),
                 "stats (latest snapshot) equal the ground truth");
  failures.check(same_rows(expected_withdrawals(*ds, false), query_rows(url, kWithdrawalsSql)),
                 "withdrawals equal the ground truth");
  failures.check(same_rows(expected_campaigns(*ds), query_rows(url, kCampaignsSql)),
                 "campaigns equal the ground truth");
  failures.check(same_rows(expected_leads(*ds), query_rows(url, kLeadsSql)),
                 "leads equal the ground truth");
  failures.check(same_rows(expected_solution_licenses(*ds), query_rows(url, kSolutionLicensesSql)),
                 "solution_licenses equal the ground truth");
  failures.check(same_rows(expected_solution_invoices(*ds), query_rows(url, kSolutionInvoicesSql)),
                 "solution_invoices equal the ground truth");
  std::vector<std::string> la_accounts;
  for (const auto& a : ds->accounts) la_accounts.push_back(a.account_id + "|" + a.status);
  std::sort(la_accounts.begin(), la_accounts.end());
  failures.check(same_rows(la_accounts,
                           query_rows(url, "SELECT account_id, status FROM liveagent.accounts")),
                 "liveagent.accounts hold every account with its status (suspensions landed)");

  // Retries: no request tried more than 1 + http.retries times.
  const RetryFigures retries = retry_chains(log);
  failures.check(retries.over_budget == 0,
                 "no request tried more than " + std::to_string(kRetries + 1) + " times" +
                     (retries.example.empty() ? "" : " (" + retries.example + ")"));

  // RSS and fds after warm-up: the later half's mean against the earlier half's.
  const auto warm = std::max<Clock::duration>(2 * kInterval, args.duration / 5);
  std::vector<Sample> after;
  for (const auto& s : samples)
    if (s.at >= warm) after.push_back(s);
  if (after.size() >= 4) {
    auto mean = [](auto b, auto e, auto field) {
      double sum = 0;
      for (auto it = b; it != e; ++it) sum += field(*it);
      return sum / static_cast<double>(e - b);
    };
    const auto mid = after.begin() + static_cast<std::ptrdiff_t>(after.size() / 2);
    auto rss = [](const Sample& s) { return s.rss_mib; };
    auto fds = [](const Sample& s) { return static_cast<double>(s.fds); };
    const double rss_a = mean(after.begin(), mid, rss), rss_b = mean(mid, after.end(), rss);
    const double fds_a = mean(after.begin(), mid, fds), fds_b = mean(mid, after.end(), fds);
    char text[200];
    std::snprintf(text, sizeof text,
                  "RSS flat after warm-up (mean %.1f -> %.1f MiB, at most +10 %% + 2 MiB)", rss_a,
                  rss_b);
    failures.check(rss_b <= rss_a * 1.10 + 2.0, text);
    std::snprintf(text, sizeof text, "open fds flat after warm-up (mean %.1f -> %.1f, at most +3)",
                  fds_a, fds_b);
    failures.check(fds_b <= fds_a + 3.0, text);
  } else {
    failures.check(false, "enough RSS samples after warm-up");
  }

  std::map<std::string, int> faults;
  for (const auto& r : log)
    if (!r.fault.empty()) ++faults[r.fault];
  int injected = 0;
  std::string by_kind;
  for (const auto& [kind, n] : faults) {
    injected += n;
    by_kind += (by_kind.empty() ? "" : ", ") + kind + " " + std::to_string(n);
  }
  double peak = 0;
  for (const auto& s : samples) peak = std::max(peak, s.rss_mib);
  std::printf(
      "soak: figures: %zu requests, %d faults injected (%s), %zu requests retried (longest %zu "
      "attempts), %d data changes, %lld quarantined bodies, %lld runs (%lld failed), %lld rows "
      "compared, peak RSS %.1f MiB\n",
      log.size(), injected, by_kind.c_str(), retries.retried, retries.longest, mutations,
      static_cast<long long>(query_count(url, "SELECT count(*) FROM sync.quarantine")),
      static_cast<long long>(query_count(url, "SELECT count(*) FROM sync.runs")),
      static_cast<long long>(query_count(url, "SELECT count(*) FROM sync.runs WHERE status = "
                                              "'failed'")),
      static_cast<long long>(
          query_count(url, "SELECT (SELECT count(*) FROM livechat.affiliate_licenses) + (SELECT "
                           "count(*) FROM livechat.performance_daily) + (SELECT count(*) FROM "
                           "livechat.withdrawals) + (SELECT count(*) FROM livechat.campaigns) + "
                           "(SELECT count(*) FROM liveagent.accounts)")),
      peak);
  failures.check(injected > 0, "faults were injected");
  std::printf("soak: %s (seed %llu)\n", failures.count == 0 ? "PASSED" : "FAILED",
              static_cast<unsigned long long>(args.seed));
  if (failures.count != 0) std::printf("daemon log:\n%s\n", daemon.errors().c_str());
  return failures.count == 0 ? 0 : 1;
}

}  // namespace
}  // namespace partnersync::e2e

int main(int argc, char** argv) {
  try {
    return partnersync::e2e::soak(partnersync::e2e::parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "partnersync-soak: %s\n", e.what());
    return 1;
  }
}
