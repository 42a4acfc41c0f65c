// End-to-end database faults under a running daemon (issue 15): the server stopped with -m
// immediate, the engine's backend terminated during the COPY, during the upsert and after COMMIT
// was sent, a statement held past the statement timeout, the whole cluster frozen (SIGSTOP), and
// the warehouse's tablespace full. Each ends with every window either committed with its rows or
// not recorded, the daemon running and caught up, and a log line that says what happened.
// Each test starts a cluster of its own (testing::ThrowawayCluster): they stop and freeze it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/throwaway_cluster.hpp"

namespace partnersync::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kStreams[] = {"affiliate_licenses", "partner_program_licenses",
                                    "affiliate_performance", "partner_program_performance"};

// A write held at a point of the window's transaction, armed by creating the sequence
// public.dbfault_<point>: the first transaction to reach the point after that sleeps (a
// sequence, not a row, so that the transaction rolled back by the fault cannot re-arm it), and
// the test terminates, freezes or times it out there. 'write' is the first row of the direct
// COPY of a first read or of the upsert of a re-read; 'commit' is a deferred constraint trigger,
// which runs inside COMMIT.
constexpr const char* kFaultTriggers = R"sql(
CREATE FUNCTION public.dbfault_hold() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  point text := TG_ARGV[0];
BEGIN
  IF to_regclass('public.dbfault_' || point) IS NOT NULL
     AND coalesce(current_setting('dbfault.seen_' || point, true), '') = '' THEN
    PERFORM set_config('dbfault.seen_' || point, 'yes', true);
    IF nextval('public.dbfault_' || point) = 1 THEN
      PERFORM pg_sleep(60);
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER dbfault_write BEFORE INSERT ON livechat.affiliate_licenses
  FOR EACH ROW EXECUTE FUNCTION public.dbfault_hold('write');
CREATE CONSTRAINT TRIGGER dbfault_commit AFTER INSERT ON livechat.affiliate_licenses
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.dbfault_hold('commit');
)sql";

// How pg_stat_activity shows the statement held at each point (window_transaction.cpp).
constexpr const char* kDirectCopy = "%COPY \"livechat\".\"affiliate_licenses\" (%FROM STDIN%";
constexpr const char* kUpsert = "%INSERT INTO \"livechat\".\"affiliate_licenses\" AS t%";
constexpr const char* kCommit = "COMMIT";

void execute(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  tx.exec(sql);
}

std::string server_now(const std::string& url) { return query_value(url, "SELECT now()::text"); }

struct DaemonSettings {
  std::string statement_timeout;  // database.statement_timeout when set
};

ConfigYaml daemon_yaml(const std::string& url, const sim::Simulator& sim,
                       const sim::SimOptions& options, const DaemonSettings& settings = {}) {
  std::ostringstream out;
  out << "database:\n  url: \"" << url << "\"\n";
  if (!settings.statement_timeout.empty())
    out << "  statement_timeout: " << settings.statement_timeout << "\n";
  out << "sources:\n"
      << "  - name: acme\n"
      << "    kind: livechat_partner\n"
      << "    base_url: \"" << sim.base_url() << "\"\n"
      << "    token: sim-token\n"
      << "    start_date: " << options.api.date_from << "\n"
      << "    timezone: UTC\n"
      << "    streams: [affiliate_licenses, partner_program_licenses, affiliate_performance,\n"
      << "              partner_program_performance]\n"
      // A lookback shorter than the data: a window recorded without its rows would not be read
      // again, and the comparison with the ground truth would show it.
      << "sync:\n  interval: 2s\n  lookback: 7d\n  window: 7d\n  concurrency: 2\n"
      << "http:\n  timeout: 10s\n  retries: 2\n"
      << "log:\n  level: info\n";
  return {out.str()};
}

// The daemon's own cluster and warehouse, migrated, with the fault triggers.
class DbFaults : public ::testing::Test {
 protected:
  DbFaults() : options_(simulator_options(30)), sim_(options_) {
    cluster_.create_database("warehouse");
    url_ = cluster_.url("warehouse");
  }

  void migrate(const ConfigFile& config) {
    const auto migrated = run_partnersync(config, {"--migrate"});
    ASSERT_EQ(migrated.exit_code, 0) << migrated.errors;
    execute(url_, kFaultTriggers);
  }

  void arm(const std::string& point) { execute(url_, "CREATE SEQUENCE public.dbfault_" + point); }

  // The engine's backend sleeping at an armed point in a statement LIKE `statement`, or 0.
  int held_backend(const std::string& statement, Process& daemon,
                   std::chrono::milliseconds timeout = 30s) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline && daemon.running()) {
      try {
        const auto pid = query_value(url_,
                                     "SELECT coalesce(min(pid), 0) FROM pg_stat_activity WHERE "
                                     "datname = current_database() AND wait_event = 'PgSleep' "
                                     "AND query LIKE '" +
                                         statement + "'");
        if (pid != "0") return std::stoi(pid);
      } catch (const std::exception&) {
        // Restarting, or not migrated yet.
      }
      std::this_thread::sleep_for(20ms);
    }
    return 0;
  }

  void terminate(int pid) {
    EXPECT_EQ(query_value(url_, "SELECT pg_terminate_backend(" + std::to_string(pid) + ")"), "t");
  }

  // Every stream's coverage is start..today and affiliate_licenses has a succeeded run that
  // started at or after `since` (server time): polled while the daemon runs.
  bool caught_up(Process& daemon, const std::string& since, std::chrono::seconds timeout = 60s) {
    const auto want = std::vector<std::string>{options_.api.date_from + ".." + day_text(today())};
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline && daemon.running()) {
      try {
        bool all = query_count(url_,
                               "SELECT count(*) FROM sync.runs WHERE stream = "
                               "'affiliate_licenses' AND status = 'succeeded' AND started_at >= '" +
                                   since + "'") > 0;
        for (const char* stream : kStreams) all = all && coverage(url_, stream) == want;
        if (all) return true;
      } catch (const std::exception&) {
        // The server is restarting.
      }
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  // The daemon stops cleanly, no run is left running, and the tables equal the ground truth.
  void expect_stopped_and_equal_to_the_ground_truth(Process& daemon) {
    ASSERT_TRUE(daemon.running()) << daemon.errors();
    daemon.signal(SIGTERM);
    const auto code = daemon.wait(15s);
    ASSERT_TRUE(code.has_value()) << "still running 15 s after SIGTERM";
    EXPECT_EQ(*code, 0) << daemon.errors();
    EXPECT_EQ(query_count(url_, "SELECT count(*) FROM sync.runs WHERE status = 'running'"), 0);
    const auto snapshot = sim_.api().snapshot();
    EXPECT_TRUE(same_rows(expected_affiliate_licenses(*snapshot, false),
                          query_rows(url_, kAffiliateLicensesSql)));
    EXPECT_TRUE(same_rows(
        expected_performance(*snapshot, *sim::parse_date(options_.api.date_from), today()),
        query_rows(url_, kPerformanceSql)));
  }

  static std::int64_t today() { return today_days(); }

  testing::ThrowawayCluster cluster_{"dbfaults"};
  std::string url_;
  sim::SimOptions options_;
  sim::Simulator sim_;
};

TEST_F(DbFaults, ImmediateStopDuringAWriteLosesNoWindowAndTheDaemonCatchesUp) {
  ConfigFile config(daemon_yaml(url_, sim_, options_));
  migrate(config);
  arm("write");
  Process daemon({"--config", config.path().string()});
  ASSERT_NE(held_backend(kDirectCopy, daemon), 0) << daemon.errors();

  cluster_.stop("immediate");  // the server dies with the window's transaction open
  ASSERT_TRUE(daemon.running()) << daemon.errors();
  cluster_.start();
  // An unflushed nextval may be lost in the crash: the point stays disarmed.
  execute(url_, "DROP SEQUENCE IF EXISTS public.dbfault_write");
  if (const int again = held_backend(kDirectCopy, daemon, 200ms)) terminate(again);
  const std::string restarted = server_now(url_);

  EXPECT_TRUE(caught_up(daemon, restarted)) << daemon.errors();
  const std::string log = daemon.errors();
  EXPECT_NE(log.find("during writing a window (attempt 1/8), retrying"), std::string::npos) << log;
  expect_stopped_and_equal_to_the_ground_truth(daemon);
}

TEST_F(DbFaults, BackendTerminatedDuringTheCopyOfAFirstReadIsRetried) {
  ConfigFile config(daemon_yaml(url_, sim_, options_));
  migrate(config);
  arm("write");
  Process daemon({"--config", config.path().string()});
  const int held = held_backend(kDirectCopy, daemon);
  ASSERT_NE(held, 0) << daemon.errors();
  const std::string since = server_now(url_);
  terminate(held);

  EXPECT_TRUE(caught_up(daemon, since)) << daemon.errors();
  const std::string log = daemon.errors();
  EXPECT_NE(log.find("terminating connection due to administrator command"), std::string::npos)
      << log;
  EXPECT_NE(log.find("during writing a window (attempt 1/8), retrying"), std::string::npos) << log;
  expect_stopped_and_equal_to_the_ground_truth(daemon);
}

TEST_F(DbFaults, BackendTerminatedDuringTheUpsertOfAReReadIsRetried) {
  ConfigFile config(daemon_yaml(url_, sim_, options_));
  migrate(config);
  Process daemon({"--config", config.path().string()});
  ASSERT_TRUE(caught_up(daemon, "-infinity")) << daemon.errors();
  // Every window is recorded: the next pass re-reads the lookback's windows with the upsert.
  arm("write");
  const int held = held_backend(kUpsert, daemon);
  ASSERT_NE(held, 0) << daemon.errors();
  const std::string since = server_now(url_);
  terminate(held);

  EXPECT_TRUE(caught_up(daemon, since)) << daemon.errors();
  EXPECT_NE(daemon.errors().find("during writing a window (attempt 1/8), retrying"),
            std::string::npos)
      << daemon.errors();
  expect_stopped_and_equal_to_the_ground_truth(daemon);
}

TEST_F(DbFaults, BackendTerminatedAfterCommitWasSentLeavesTheOutcomeToTheRetry) {
  ConfigFile config(daemon_yaml(url_, sim_, options_));
  migrate(config);
  arm("commit");
  Process daemon({"--config", config.path().string()});
  const int held = held_backend(kCommit, daemon);
  ASSERT_NE(held, 0) << daemon.errors();
  const std::string since = server_now(url_);
  terminate(held);

  EXPECT_TRUE(caught_up(daemon, since)) << daemon.errors();
  const std::string log = daemon.errors();
  // libpqxx cannot know whether the COMMIT happened: the window's transaction runs again.
  EXPECT_NE(log.find("during writing a window (attempt 1/8), retrying"), std::string::npos) << log;
  expect_stopped_and_equal_to_the_ground_truth(daemon);
}

TEST_F(DbFaults, AWriteHeldPastTheStatementTimeoutIsCancelledAndRetried) {
  ConfigFile config(daemon_yaml(url_, sim_, options_, {.statement_timeout = "2s"}));
  migrate(config);
  arm("write");
  Process daemon({"--config", config.path().string()});
  ASSERT_NE(held_backend(kDirectCopy, daemon), 0) << daemon.errors();
  const std::string since = server_now(url_);
  // Nobody terminates it: the server's statement_timeout (from database.statement_timeout)
  // cancels the held COPY, and the engine takes that for a reason to retry, not a shutdown.
  EXPECT_TRUE(caught_up(daemon, since)) << daemon.errors();
  const std::string log = daemon.errors();
  EXPECT_NE(log.find("canceling statement due to statement timeout during writing a window "
                     "(attempt 1/8), retrying"),
            std::string::npos)
      << log;
  expect_stopped_and_equal_to_the_ground_truth(daemon);
}

TEST_F(DbFaults, AFrozenClusterIsWaitedOutAndTheDaemonCatchesUp) {
  ConfigFile config(daemon_yaml(url_, sim_, options_, {.statement_timeout = "3s"}));
  migrate(config);
  arm("write");
  Process daemon({"--config", config.path().string()});
  ASSERT_NE(held_backend(kDirectCopy, daemon), 0) << daemon.errors();
  // Every server process stopped (a hung host whose kernel still answers TCP) for longer than
  // the statement timeout: the daemon keeps running, and the held statement's timeout fires
  // when the server resumes.
  cluster_.freeze();
  const auto frozen = cluster_.server_pids().size();
  EXPECT_GE(frozen, 3u);
  std::this_thread::sleep_for(5s);  // the fault's length, not a wait for a condition
  EXPECT_TRUE(daemon.running()) << daemon.errors();
  cluster_.thaw();
  const std::string since = server_now(url_);

  EXPECT_TRUE(caught_up(daemon, since)) << daemon.errors();
  const std::string log = daemon.errors();
  EXPECT_NE(log.find("canceling statement due to statement timeout"), std::string::npos) << log;
  expect_stopped_and_equal_to_the_ground_truth(daemon);
}

// ---- disk full --------------------------------------------------------------------------------

// A size-limited tmpfs mounted for the test's lifetime (root only; CI runs as root).
class TmpfsMount {
 public:
  TmpfsMount(const std::filesystem::path& dir, const std::string& size) : dir_(dir) {
    const passwd* pg = ::getpwnam("postgres");
    const std::string data =
        "size=" + size + ",mode=0700" +
        (pg != nullptr ? ",uid=" + std::to_string(pg->pw_uid) + ",gid=" + std::to_string(pg->pw_gid)
                       : std::string());
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, data.c_str()) != 0)
      throw std::runtime_error("mount tmpfs on " + dir_.string() + ": " + std::strerror(errno));
  }
  ~TmpfsMount() {
    // Lazily if the server still holds files there; the cluster is stopped right after.
    if (::umount2(dir_.c_str(), 0) != 0) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

 private:
  std::filesystem::path dir_;
};

// Fills the filesystem of `path` up to its last byte; removing the file frees it again.
void fill(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  const std::string block(1 << 16, 'x');
  for (;;) {
    const auto written = ::write(fd, block.data(), block.size());
    if (written > 0) continue;
    ASSERT_EQ(errno, ENOSPC) << std::strerror(errno);
    break;
  }
  // A short write leaves up to a block: write the rest byte by byte.
  while (::write(fd, "x", 1) == 1) {
  }
  ::close(fd);
}

TEST_F(DbFaults, AFullTablespaceFailsItsWindowsByNameAndCatchesUpOnceSpaceIsFreed) {
  ASSERT_EQ(::geteuid(), 0u) << "this test mounts a tmpfs: run it as root (CI does)";
  const auto small = cluster_.server_dir("small");
  TmpfsMount mount(small, "20m");
  ConfigFile config(daemon_yaml(url_, sim_, options_));
  migrate(config);
  // The warehouse tables and their indexes on the small filesystem; sync.* stays on the
  // default tablespace, so the engine can still record what failed.
  execute(url_, "CREATE TABLESPACE small LOCATION '" + small.string() + "'");
  execute(url_, R"sql(
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid::regclass AS rel, c.relkind FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'livechat' AND c.relkind IN ('r', 'i') ORDER BY c.relkind DESC LOOP
    IF r.relkind = 'r' THEN
      EXECUTE format('ALTER TABLE %s SET TABLESPACE small', r.rel);
    ELSE
      EXECUTE format('ALTER INDEX %s SET TABLESPACE small', r.rel);
    END IF;
  END LOOP;
END $$)sql");
  ASSERT_EQ(query_count(url_,
                        "SELECT count(*) FROM pg_tables WHERE schemaname = 'livechat' AND "
                        "coalesce(tablespace, '') <> 'small'"),
            0);
  const auto ballast = small / "ballast";
  fill(ballast);

  Process daemon({"--config", config.path().string()});
  // The windows fail by name; nothing is recorded as synced; the daemon goes on.
  const auto deadline = Clock::now() + 30s;
  bool failed = false;
  while (!failed && Clock::now() < deadline && daemon.running()) {
    try {
      failed = query_count(url_,
                           "SELECT count(*) FROM sync.runs WHERE stream = 'affiliate_licenses' "
                           "AND status = 'failed' AND error LIKE 'disk full writing "
                           "livechat.affiliate_licenses (source acme stream affiliate_licenses "
                           "window %, SQLSTATE 53100): could not extend file %'") > 0;
    } catch (const std::exception&) {
    }
    if (!failed) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(failed) << daemon.errors();
  EXPECT_EQ(query_count(url_, "SELECT count(*) FROM sync.windows"), 0);
  EXPECT_EQ(query_count(url_, "SELECT count(*) FROM livechat.affiliate_licenses"), 0);
  const std::string log = daemon.errors();
  EXPECT_NE(log.find("source acme stream affiliate_licenses: disk full writing "
                     "livechat.affiliate_licenses"),
            std::string::npos)
      << log;
  ASSERT_TRUE(daemon.running()) << log;

  std::filesystem::remove(ballast);
  const std::string freed = server_now(url_);
  EXPECT_TRUE(caught_up(daemon, freed)) << daemon.errors();
  expect_stopped_and_equal_to_the_ground_truth(daemon);
}

}  // namespace
}  // namespace partnersync::e2e
