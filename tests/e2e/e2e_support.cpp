// The end-to-end harness: subprocess control, config files, database probes, and the
// simulator's ground truth rendered row by row exactly as the probe SQL renders the tables.
#include "tests/e2e/e2e_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <set>
#include <sstream>
#include <thread>

#include "daemon/calendar/zone_day.hpp"

extern char** environ;

namespace partnersync::e2e {
namespace {

using sim::format_amount;
using sim::format_datetime;

std::filesystem::path make_temp_dir(const char* prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / prefix).string() + "XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Rows are rendered as fields joined with '|'; absent values as NULL.
class Row {
 public:
  Row& add(const std::string& v) {
    if (!text_.empty() || fields_ > 0) text_ += '|';
    text_ += v;
    ++fields_;
    return *this;
  }
  Row& add(std::int64_t v) { return add(std::to_string(v)); }
  Row& add(bool v) { return add(std::string(v ? "t" : "f")); }  // as PostgreSQL prints
  Row& add(const char* v) { return add(std::string(v)); }
  Row& add(std::string_view v) { return add(std::string(v)); }
  Row& null() { return add(std::string("NULL")); }
  std::string str() const { return text_; }

 private:
  std::string text_;
  int fields_ = 0;
};

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

// ---- dates -------------------------------------------------------------------------------------

std::int64_t today_days() {
  return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())
      .time_since_epoch()
      .count();
}

std::string day_text(std::int64_t days) { return sim::format_date(days); }

// ---- the simulator
// -------------------------------------------------------------------------------

sim::SimOptions simulator_options(int days, bool legacy_shapes) {
  sim::SimOptions o;
  o.threads = 2;
  const std::int64_t today = today_days();
  o.api.date_from = day_text(today - days + 1);
  o.api.date_to = day_text(today);
  o.api.today = day_text(today);
  o.api.affiliate_licenses = 3000;
  o.api.partner_program_licenses = 200;
  o.api.solution_licenses = 50;
  o.api.withdrawals = 24;
  o.api.campaigns = 6;
  o.api.leads = 30;
  o.api.legacy_shapes = legacy_shapes;
  return o;
}

// ---- configuration
// -------------------------------------------------------------------------------

ConfigFile::ConfigFile(const ConfigSpec& spec) : dir_(make_temp_dir("ps-e2e-config-")) {
  path_ = dir_ / "partnersync.yaml";
  std::ofstream out(path_);
  out << "database:\n  url: \"" << spec.database_url << "\"\n"
      << "sources:\n"
      << "  - name: acme\n"
      << "    kind: livechat_partner\n"
      << "    base_url: \"" << spec.base_url << "\"\n"
      << "    token: \"" << spec.token << "\"\n"
      << "    start_date: " << spec.start_date << "\n"
      << "    timezone: UTC\n";
  if (!spec.streams.empty()) {
    out << "    streams: [";
    for (std::size_t i = 0; i < spec.streams.size(); ++i) out << (i ? ", " : "") << spec.streams[i];
    out << "]\n";
  }
  out << "sync:\n"
      << "  interval: " << spec.interval << "\n"
      << "  lookback: " << spec.lookback << "\n"
      << "  full_refresh: " << spec.full_refresh << "\n"
      << "  window: " << spec.window << "\n"
      << "  concurrency: " << spec.concurrency << "\n"
      << "http:\n"
      << "  timeout: " << spec.timeout << "\n"
      << "  retries: " << spec.retries << "\n"
      << "log:\n"
      << "  level: " << spec.log_level << "\n";
  if (!spec.listen.empty()) out << "server:\n  listen: \"" << spec.listen << "\"\n";
}

ConfigFile::ConfigFile(const ConfigYaml& yaml) : dir_(make_temp_dir("ps-e2e-config-")) {
  path_ = dir_ / "partnersync.yaml";
  std::ofstream(path_) << yaml.text;
}

ConfigFile::~ConfigFile() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

// ---- the binary
// ----------------------------------------------------------------------------------

std::string binary_path() {
  if (const char* env = std::getenv("PARTNERSYNC_BINARY"); env != nullptr && *env != '\0')
    return env;
  return PARTNERSYNC_BINARY_FALLBACK;
}

Process::Process(const std::vector<std::string>& args) : dir_(make_temp_dir("ps-e2e-proc-")) {
  std::vector<std::string> argv_storage;
  argv_storage.push_back(binary_path());
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  const std::string out = (dir_ / "stdout").string(), err = (dir_ / "stderr").string();
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv_storage[0]);
}

Process::~Process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool Process::running() {
  if (status_) return false;
  return !wait(std::chrono::milliseconds(0)).has_value();
}

void Process::signal(int signo) {
  if (!status_) ::kill(pid_, signo);
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!status_) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

std::string Process::errors() const { return read_file(dir_ / "stderr"); }
std::string Process::output() const { return read_file(dir_ / "stdout"); }

RunResult run_partnersync(const ConfigFile& config, const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--config", config.path().string()};
  all.insert(all.end(), args.begin(), args.end());
  const auto start = std::chrono::steady_clock::now();
  Process p(all);
  RunResult r;
  const auto code = p.wait(std::chrono::seconds(60));
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  r.errors = p.errors();
  r.output = p.output();
  if (!code) {
    ADD_FAILURE() << "partnersync did not finish within 60 s; stderr:\n" << r.errors;
    return r;
  }
  r.exit_code = *code;
  return r;
}

RunResult run_backfill(const ConfigFile& config, std::int64_t first, std::int64_t last,
                       const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--backfill", "--from", day_text(first), "--to", day_text(last)};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_partnersync(config, args);
}

// ---- the database
// --------------------------------------------------------------------------------

std::vector<std::string> query_rows(const std::string& url, const std::string& sql, bool sort) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  std::vector<std::string> out;
  for (const auto& row : tx.exec(sql)) {
    Row r;
    for (const auto& f : row) r.add(f.is_null() ? std::string("NULL") : std::string(f.c_str()));
    out.push_back(r.str());
  }
  if (sort) std::sort(out.begin(), out.end());
  return out;
}

std::string query_value(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  const auto f = tx.exec1(sql)[0];
  return f.is_null() ? "NULL" : f.c_str();
}

std::int64_t query_count(const std::string& url, const std::string& sql) {
  return std::stoll(query_value(url, sql));
}

std::map<std::string, std::vector<std::string>> livechat_contents(const std::string& url) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& t :
       tx.exec("SELECT table_name FROM information_schema.tables WHERE table_schema = 'livechat' "
               "AND table_type = 'BASE TABLE'")) {
    const std::string table = t[0].c_str();
    auto& rows = out[table];
    for (const auto& r : tx.exec("SELECT (to_jsonb(t) - 'first_seen_at' - 'last_changed_at' - "
                                 "'taken_at' - 'last_seen_at' - 'valid_from' - 'valid_to')::text "
                                 "FROM livechat." +
                                 tx.quote_name(table) + " t"))
      rows.push_back(r[0].c_str());
    std::sort(rows.begin(), rows.end());
  }
  return out;
}

std::vector<std::string> coverage(const std::string& url, const std::string& stream) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  std::vector<std::string> out;
  for (const auto& r :
       tx.exec("SELECT window_from::text || '..' || window_to::text FROM sync.windows WHERE "
               "source = 'acme' AND stream = " +
               tx.quote(stream) + " ORDER BY window_from"))
    out.push_back(r[0].c_str());
  return out;
}

std::map<std::string, TupleCounters> livechat_tuple_counters(const std::string& url) {
  // PostgreSQL 15 keeps table statistics in shared memory, but each backend accumulates its
  // own counters locally and flushes them at most once a second after a transaction — except
  // when it exits: the exit hook (before_shmem_exit) always flushes, and it runs before the
  // backend leaves pg_stat_activity. pg_stat_force_next_flush() only affects the calling
  // backend, so it cannot help here. Hence: once no other client backend is connected to the
  // database, every counter of the finished `partnersync` run is in shared memory. The read
  // then happens on a fresh connection with pg_stat_clear_snapshot(), so no cached snapshot
  // (stats_fetch_consistency) hides them.
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (;;) {
    const auto others =
        tx.exec1(
              "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
              "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")[0]
            .as<std::int64_t>();
    if (others == 0) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << others << " backend(s) still connected to the test database";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  tx.exec("SELECT pg_stat_clear_snapshot()");
  std::map<std::string, TupleCounters> out;
  for (const auto& r : tx.exec("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM "
                               "pg_stat_user_tables WHERE schemaname = 'livechat'")) {
    out[r[0].c_str()] = {r[1].as<std::int64_t>(), r[2].as<std::int64_t>(), r[3].as<std::int64_t>()};
  }
  return out;
}

// ---- ground truth
// --------------------------------------------------------------------------------

const char* const kAffiliateLicensesSql =
    "SELECT program, tier, client_email, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
    "to_char(end_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), cc_added, paid, seats, plan, "
    "billing_cycle, chat_installed, conversations, (total_commission * 100)::bigint, "
    "commission_percent::bigint, utm_source, utm_medium, utm_content, utm_term, campaign, blocked "
    "FROM livechat.affiliate_licenses";

std::vector<std::string> expected_affiliate_licenses(const sim::Dataset& ds, bool legacy) {
  std::vector<std::string> out;
  for (const auto program : {sim::Program::livechat, sim::Program::partner_program}) {
    const bool lc = program == sim::Program::livechat;
    for (const auto& l : lc ? ds.affiliate_licenses : ds.partner_program_licenses) {
      Row r;
      r.add(lc ? "livechat" : "partner_program");
      if (lc && legacy) {
        r.add(static_cast<std::int64_t>(l.tier));
      } else {
        r.null();
      }
      if (lc) {
        r.add(l.client_email());
      } else {
        r.null();
      }
      r.add(l.creation_timestamp()).add(l.end_timestamp()).add(l.cc_added).add(l.paid);
      r.add(static_cast<std::int64_t>(l.seats)).add(sim::kPlans[l.plan]);
      r.add(sim::kBillingCycles[l.billing_cycle]).add(l.chat_installed);
      r.add(static_cast<std::int64_t>(l.conversations)).add(l.total_commission_cents);
      r.add(static_cast<std::int64_t>(l.commission_percent));
      if (lc) {
        if (legacy) {
          r.add(sim::kUtmSources[l.utm_source]);
        } else {
          r.null();
        }
        r.add(sim::kUtmMediums[l.utm_medium]).add(sim::kUtmContents[l.utm_content]);
        r.add(sim::kUtmTerms[l.utm_term]).add(ds.license_campaign_names[l.campaign]);
      } else {
        r.null().null().null().null().null();
      }
      r.add(l.blocked);
      out.push_back(r.str());
    }
  }
  return sorted(std::move(out));
}

const char* const kPerformanceSql =
    "SELECT program, day::text, campaign, medium, content, term, clicks, leads, trials, "
    "(trial_percent * 100)::bigint, paid, (paid_percent * 100)::bigint, "
    "(commission * 100)::bigint, chat_installations, aha FROM livechat.performance_daily";

std::vector<std::string> expected_performance(const sim::Dataset& ds, std::int64_t from,
                                              std::int64_t to) {
  std::vector<std::string> out;
  for (const auto program : {sim::Program::livechat, sim::Program::partner_program}) {
    const bool lc = program == sim::Program::livechat;
    for (std::int64_t day = from; day <= to; ++day) {
      for (const auto& p : ds.performance(program, day, day)) {
        Row r;
        r.add(lc ? "livechat" : "partner_program").add(day_text(day));
        r.add(p.campaign).add(p.medium).add(p.content).add(p.term).add(p.clicks);
        if (lc) {
          r.null().add(p.trials).add(p.trial_percent_x100()).add(p.paid);
          r.add(p.paid_percent_x100()).add(p.commission_cents).add(p.chat_installations);
          r.add(p.aha);
        } else {
          r.add(p.leads).add(p.trials).null().add(p.paid).null().add(p.commission_cents);
          r.null().null();
        }
        out.push_back(r.str());
      }
    }
  }
  return sorted(std::move(out));
}

const char* const kHistorySql =
    "SELECT program, month::text, trials, paid, (commission * 100)::bigint, leads, profile_views "
    "FROM livechat.history_monthly";

std::vector<std::string> expected_history(const sim::Dataset& ds) {
  std::vector<std::string> out;
  for (const std::string which : {"livechat", "partner_program", "solution"}) {
    for (const auto& h : ds.history(which)) {
      Row r;
      r.add(which).add(day_text(h.first_day)).add(h.trials).add(h.paid).add(h.commission_cents);
      if (which == "partner_program") {
        r.add(h.leads);
      } else {
        r.null();
      }
      r.null();
      out.push_back(r.str());
    }
  }
  return sorted(std::move(out));
}

const char* const kEarningsSql =
    "SELECT (balance * 100)::bigint, (blocked * 100)::bigint, (pending * 100)::bigint, "
    "(withdrawals * 100)::bigint, (commission_total * 100)::bigint, "
    "(commission_last_30_days * 100)::bigint, (affiliate_commission_total * 100)::bigint, "
    "(affiliate_commission_last_30_days * 100)::bigint, "
    "(affiliate_livechat_commission_total * 100)::bigint, "
    "(affiliate_livechat_commission_last_30_days * 100)::bigint, "
    "(affiliate_livechat_partner_program_commission_total * 100)::bigint, "
    "(affiliate_livechat_partner_program_commission_last_30_days * 100)::bigint, "
    "(reseller_commission_total * 100)::bigint, (reseller_commission_last_30_days * 100)::bigint, "
    "(reseller_livechat_commission_total * 100)::bigint, "
    "(reseller_livechat_commission_last_30_days * 100)::bigint, "
    "(reseller_discount * 100)::bigint FROM livechat.earnings_snapshots";

std::vector<std::string> expected_earnings(const sim::Dataset& ds, bool legacy) {
  const sim::Totals& t = ds.totals;
  Row r;
  r.add(t.balance_cents()).add(t.blocked_cents).add(t.pending_cents).add(t.withdrawn_cents);
  r.add(t.commission_total_cents());
  if (legacy) {
    for (int i = 0; i < 11; ++i) r.null();
  } else {
    const std::int64_t aff_total = t.livechat_commission_cents + t.partner_program_commission_cents;
    const std::int64_t aff_30d =
        t.livechat_commission_30d_cents + t.partner_program_commission_30d_cents;
    r.add(aff_30d + t.reseller_commission_30d_cents).add(aff_total).add(aff_30d);
    r.add(t.livechat_commission_cents).add(t.livechat_commission_30d_cents);
    r.add(t.partner_program_commission_cents).add(t.partner_program_commission_30d_cents);
    r.add(t.reseller_commission_cents).add(t.reseller_commission_30d_cents);
    r.add(t.reseller_commission_cents).add(t.reseller_commission_30d_cents);
  }
  r.add(t.reseller_discount_cents);
  return {r.str()};
}

const char* const kStatsSql =
    "SELECT program, channel, trials, trials_cc, paid, leads FROM livechat.license_stats_snapshots";

std::vector<std::string> expected_stats(const sim::Dataset& ds) {
  const sim::Totals& t = ds.totals;
  auto counts = [](Row r, const sim::LicenseCounts& c) {
    return r.add(c.trials).add(c.trials_cc).add(c.paid);
  };
  return sorted({counts(Row().add("affiliate").add("livechat"), t.livechat).null().str(),
                 counts(Row().add("affiliate").add("livechat_partner_program"), t.partner_program)
                     .add(t.leads)
                     .str(),
                 counts(Row().add("reseller").add(""), t.reseller).null().str()});
}

const char* const kWithdrawalsSql =
    "SELECT withdrawal_key, withdrawal_id, "
    "to_char(requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
    "to_char(action_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), status, "
    "(amount * 100)::bigint, invoice_id FROM livechat.withdrawals";

std::vector<std::string> expected_withdrawals(const sim::Dataset& ds, bool legacy) {
  std::vector<std::string> out;
  for (const auto& w : ds.withdrawals) {
    Row r;
    if (legacy) {
      r.add(format_datetime(w.requested)).null();
    } else {
      r.add(w.withdrawal_id).add(w.withdrawal_id);
    }
    r.add(format_datetime(w.requested));
    if (w.action) {
      r.add(format_datetime(*w.action));
    } else {
      r.null();
    }
    r.add(w.status).add(w.amount_cents).add(w.invoice_id);
    out.push_back(r.str());
  }
  return sorted(std::move(out));
}

const char* const kCampaignsSql =
    "SELECT program, slug, status, name, trial_duration, discount, url, short_url, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
    "to_char(disabled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM livechat.campaigns";

std::vector<std::string> expected_campaigns(const sim::Dataset& ds) {
  std::vector<std::string> out;
  for (const auto& c : ds.campaigns) {
    const bool lc = c.program == sim::Program::livechat;
    Row r;
    r.add(lc ? "livechat" : "partner_program").add(c.slug).add(c.active ? "active" : "disabled");
    r.add(c.name);
    if (lc) {
      r.add(static_cast<std::int64_t>(c.trial_duration)).add(c.discount);
    } else {
      r.null().null();
    }
    if (c.active) {
      r.add(c.url).add(c.short_url);
    } else {
      r.null().null();
    }
    r.add(format_datetime(c.created));
    if (c.active) {
      r.null();
    } else {
      r.add(format_datetime(c.disabled));
    }
    out.push_back(r.str());
  }
  return sorted(std::move(out));
}

const char* const kLeadsSql =
    "SELECT partner_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
    "campaign, medium, content, term, active_trials, active_trials_cc_added, total_trials, "
    "active_paid, total_paid, (commission * 100)::bigint FROM livechat.leads";

std::vector<std::string> expected_leads(const sim::Dataset& ds) {
  std::vector<std::string> out;
  for (const auto& l : ds.leads) {
    Row r;
    r.add(l.partner_id).add(format_datetime(l.created)).add(l.campaign).add(l.medium);
    r.add(l.content).add(l.term).add(static_cast<std::int64_t>(l.active_trials));
    r.add(static_cast<std::int64_t>(l.active_trials_cc_added));
    r.add(static_cast<std::int64_t>(l.total_trials)).add(static_cast<std::int64_t>(l.active_paid));
    r.add(static_cast<std::int64_t>(l.total_paid)).add(l.commission_cents);
    out.push_back(r.str());
  }
  return sorted(std::move(out));
}

const char* const kSolutionLicensesSql =
    "SELECT license, client_name, client_email, purchase_order, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
    "to_char(end_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), cc_added, paid, seats, plan, "
    "billing_cycle, (total_discount * 100)::bigint, discount_percent::bigint, expired, blocked, "
    "payment_origin, conversations, conversations_last_30_days, (total_commission * 100)::bigint, "
    "commission_percent::bigint, data_center, recurly_subscriber, recurly_in_trial, "
    "recurly_recurrent FROM livechat.solution_licenses";

std::vector<std::string> expected_solution_licenses(const sim::Dataset& ds) {
  std::vector<std::string> out;
  for (const auto& l : ds.solution_licenses) {
    Row r;
    r.add(l.license).add(l.client_name).add(l.client_email).add(l.purchase_order);
    r.add(format_datetime(l.created)).add(format_datetime(l.end)).add(l.cc_added).add(l.paid);
    r.add(static_cast<std::int64_t>(l.seats)).add(sim::kPlans[l.plan]);
    r.add(sim::kBillingCycles[l.billing_cycle]).add(l.total_discount_cents);
    r.add(static_cast<std::int64_t>(l.discount_percent)).add(l.expired).add(l.blocked);
    r.add(l.payment_origin).add(static_cast<std::int64_t>(l.conversations));
    r.add(static_cast<std::int64_t>(l.conversations_last_30_days)).add(l.total_commission_cents);
    r.add(static_cast<std::int64_t>(l.commission_percent)).add(l.data_center);
    r.add(l.recurly_subscriber).add(l.recurly_in_trial).add(l.recurly_recurrent);
    out.push_back(r.str());
  }
  return sorted(std::move(out));
}

const char* const kSolutionInvoicesSql =
    "SELECT license, invoice_no, to_char(issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
    "plan, seats, billing_cycle, (amount * 100)::bigint, status FROM livechat.solution_invoices";

std::vector<std::string> expected_solution_invoices(const sim::Dataset& ds) {
  std::vector<std::string> out;
  for (const auto& i : ds.solution_invoices) {
    Row r;
    r.add(i.license).add(i.invoice_no).add(format_datetime(i.date)).add(sim::kPlans[i.plan]);
    r.add(static_cast<std::int64_t>(i.seats)).add(sim::kBillingCycles[i.billing_cycle]);
    r.add(i.amount_cents).add(i.status);
    out.push_back(r.str());
  }
  return sorted(std::move(out));
}

::testing::AssertionResult same_rows(const std::vector<std::string>& expected,
                                     const std::vector<std::string>& actual) {
  if (expected == actual) return ::testing::AssertionSuccess();
  std::vector<std::string> missing, extra;
  std::set_difference(expected.begin(), expected.end(), actual.begin(), actual.end(),
                      std::back_inserter(missing));
  std::set_difference(actual.begin(), actual.end(), expected.begin(), expected.end(),
                      std::back_inserter(extra));
  auto result = ::testing::AssertionFailure();
  result << expected.size() << " rows expected, " << actual.size() << " found; " << missing.size()
         << " expected rows missing, " << extra.size() << " unexpected";
  for (std::size_t i = 0; i < std::min<std::size_t>(3, missing.size()); ++i)
    result << "\n  missing:    " << missing[i];
  for (std::size_t i = 0; i < std::min<std::size_t>(3, extra.size()); ++i)
    result << "\n  unexpected: " << extra[i];
  return result;
}

std::vector<sim::LoggedRequest> requests_to(const sim::Simulator& sim, const std::string& path) {
  std::vector<sim::LoggedRequest> out;
  for (auto& r : sim.requests())
    if (r.path == path) out.push_back(std::move(r));
  return out;
}

std::string query_param(const sim::LoggedRequest& request, const std::string& name) {
  for (const auto& [k, v] : request.query)
    if (k == name) return v;
  return {};
}

std::int64_t today_days_in(const std::string& zone) {
  return calendar::today_in(zone, std::chrono::system_clock::now()).time_since_epoch().count();
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (condition()) return true;
    } catch (const std::exception&) {
      // Not there yet.
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace partnersync::e2e
