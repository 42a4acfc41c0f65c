// End-to-end failure policy (issue 10): rows PostgreSQL refuses quarantine their window while
// the rest lands and the daemon goes on; transient database failures are retried; SIGTERM
// stops every kind of wait within 5 s; two processes never sync one source at once.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <pqxx/pqxx>
#include <thread>

#include "tests/e2e/e2e_support.hpp"

namespace partnersync::e2e {
namespace {

using Clock = std::chrono::steady_clock;

// The affiliate_licenses stream's rows: partner_program_licenses fills the same table.
std::vector<std::string> livechat_licenses(const sim::Dataset& ds) {
  std::vector<std::string> out;
  for (auto& row : expected_affiliate_licenses(ds, false))
    if (row.rfind("livechat|", 0) == 0) out.push_back(std::move(row));
  return out;
}

void execute(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  tx.exec(sql);
  tx.commit();
}

ConfigSpec spec_for(const testing::TestDatabase& db, const sim::Simulator& sim,
                    const sim::SimOptions& options, std::vector<std::string> streams) {
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.streams = std::move(streams);
  spec.interval = "1h";
  return spec;
}

// SIGTERM, then the exit code if the process ended within 5 s.
std::optional<int> stop_within_5s(Process& p, int signo = SIGTERM) {
  p.signal(signo);
  return p.wait(std::chrono::seconds(5));
}

std::int64_t running_runs(const std::string& url) {
  return query_count(url, "SELECT count(*) FROM sync.runs WHERE status = 'running'");
}

TEST(E2eEngine, RowsPostgresRefusesQuarantineTheirWindowAndTheDaemonGoesOn) {
  const auto options = simulator_options(90);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_refused_rows");
  ConfigFile config(spec_for(db, sim, options, {"affiliate_licenses", "earnings"}));
  ASSERT_EQ(run_partnersync(config, {"--migrate"}).exit_code, 0);

  // The warehouse refuses one day's licenses (a CHECK constraint: SQLSTATE 23514).
  const auto ds = sim.api().snapshot();
  const std::int64_t refused_day =
      ds->affiliate_licenses[ds->affiliate_licenses.size() / 2].created / 86400;
  const std::string day = day_text(refused_day), next_day = day_text(refused_day + 1);
  execute(db.url(),
          "ALTER TABLE livechat.affiliate_licenses ADD CONSTRAINT refuse_one_day CHECK "
          "(created_at < '" +
              day + " 00:00:00+00' OR created_at >= '" + next_day + " 00:00:00+00')");

  Process daemon({"--config", config.path().string()});
  ASSERT_TRUE(eventually(
      [&] {
        return query_count(db.url(), "SELECT count(*) FROM sync.runs WHERE status <> 'running'") ==
               2;
      },
      std::chrono::seconds(30)))
      << daemon.errors();
  EXPECT_EQ(query_rows(db.url(), "SELECT stream, status FROM sync.runs"),
            (std::vector<std::string>{"affiliate_licenses|failed", "earnings|succeeded"}));
  const std::string error =
      query_value(db.url(), "SELECT error FROM sync.runs WHERE stream = 'affiliate_licenses'");
  EXPECT_NE(error.find("refuse_one_day"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;

  // The refused window's bodies are kept with the reason, one line.
  const auto quarantined =
      query_rows(db.url(),
                 "SELECT stream, http_status, length(body) > 0, position(E'\\n' in reason) = 0, "
                 "reason LIKE '%refuse_one_day%' FROM sync.quarantine");
  ASSERT_FALSE(quarantined.empty());
  for (const auto& row : quarantined) EXPECT_EQ(row, "affiliate_licenses|200|t|t|t");

  // The window holding the refused day is a gap; everything else landed.
  const auto covered = coverage(db.url(), "affiliate_licenses");
  ASSERT_EQ(covered.size(), 2u) << "expected one gap: " << ::testing::PrintToString(covered);
  const std::string gap_from =
      query_value(db.url(),
                  "SELECT (window_to + 1)::text FROM sync.windows WHERE stream = "
                  "'affiliate_licenses' ORDER BY window_from LIMIT 1");
  const std::string gap_to =
      query_value(db.url(),
                  "SELECT (window_from - 1)::text FROM sync.windows WHERE stream = "
                  "'affiliate_licenses' ORDER BY window_from DESC LIMIT 1");
  EXPECT_LE(gap_from, day);
  EXPECT_GE(gap_to, day);
  std::vector<std::string> expected;
  for (const auto& row : livechat_licenses(*ds)) {
    // Column 4 is the creation time, "YYYY-MM-DD HH:MM:SS" in UTC.
    std::size_t at = 0;
    for (int i = 0; i < 3; ++i) at = row.find('|', at) + 1;
    const std::string created = row.substr(at, 10);
    if (created < gap_from || created > gap_to) expected.push_back(row);
  }
  EXPECT_TRUE(same_rows(expected, query_rows(db.url(), kAffiliateLicensesSql)));
  EXPECT_TRUE(same_rows(expected_earnings(*ds, false), query_rows(db.url(), kEarningsSql)));

  ASSERT_TRUE(daemon.running()) << "a data error must not stop the daemon:\n" << daemon.errors();
  const auto code = stop_within_5s(daemon);
  ASSERT_TRUE(code.has_value()) << "still running 5 s after SIGTERM";
  EXPECT_EQ(*code, 0) << daemon.errors();

  // Once the warehouse accepts the rows, the next run fills the gap and resolves the quarantine.
  execute(db.url(), "ALTER TABLE livechat.affiliate_licenses DROP CONSTRAINT refuse_one_day");
  const auto again = run_partnersync(config, {"--once"});
  EXPECT_EQ(again.exit_code, 0) << again.errors;
  EXPECT_TRUE(same_rows(livechat_licenses(*ds), query_rows(db.url(), kAffiliateLicensesSql)));
  EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM sync.quarantine WHERE resolved_at IS NULL"),
            0);
  EXPECT_EQ(running_runs(db.url()), 0);
}

TEST(E2eEngine, SerializationFailuresAndUnknownCommitOutcomesAreRetried) {
  const auto options = simulator_options(30);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_transient");
  ConfigFile config(spec_for(db, sim, options, {"affiliate_licenses"}));
  ASSERT_EQ(run_partnersync(config, {"--migrate"}).exit_code, 0);
  // The first merge fails with a serialization failure; the first COMMIT loses its connection
  // (a deferred trigger terminates the backend while committing: the outcome is unknown).
  execute(db.url(), R"sql(
    CREATE SEQUENCE public.serialization_faults;
    CREATE SEQUENCE public.commit_faults;
    CREATE FUNCTION public.fail_serialization_once() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF nextval('public.serialization_faults') = 1 THEN
        RAISE EXCEPTION 'injected' USING ERRCODE = 'serialization_failure';
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER serialization_fault BEFORE INSERT ON livechat.affiliate_licenses
      FOR EACH STATEMENT EXECUTE FUNCTION public.fail_serialization_once();
    CREATE FUNCTION public.lose_commit_once() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF nextval('public.commit_faults') = 1 THEN
        PERFORM pg_terminate_backend(pg_backend_pid());
        PERFORM pg_sleep(5);
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER commit_fault AFTER INSERT ON livechat.affiliate_licenses
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.lose_commit_once();
  )sql");

  const auto run = run_partnersync(config, {"--once"});
  EXPECT_EQ(run.exit_code, 0) << run.errors;
  EXPECT_GE(std::stoll(query_value(db.url(), "SELECT last_value FROM public.serialization_faults")),
            2);
  EXPECT_GE(std::stoll(query_value(db.url(), "SELECT last_value FROM public.commit_faults")), 2);
  EXPECT_NE(run.errors.find("retrying"), std::string::npos) << run.errors;
  const auto ds = sim.api().snapshot();
  EXPECT_TRUE(same_rows(livechat_licenses(*ds), query_rows(db.url(), kAffiliateLicensesSql)));
  EXPECT_EQ(query_rows(db.url(), "SELECT DISTINCT status FROM sync.runs"),
            std::vector<std::string>{"succeeded"});
}

// The daemon, stuck in `stuck` (polled), stops within 5 s of SIGTERM with exit code 0 and
// leaves no run 'running'.
void expect_prompt_stop(const std::string& what, Process& daemon, const std::string& url,
                        const std::function<bool()>& stuck) {
  ASSERT_TRUE(eventually(stuck, std::chrono::seconds(20))) << what << ": never got stuck:\n"
                                                           << daemon.errors();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(daemon.running()) << daemon.errors();
  const auto code = stop_within_5s(daemon);
  ASSERT_TRUE(code.has_value()) << what << ": still running 5 s after SIGTERM";
  EXPECT_EQ(*code, 0) << daemon.errors();
  EXPECT_EQ(running_runs(url), 0) << what;
}

TEST(E2eEngine, SigtermStopsARetryAfterWaitAStalledBodyADatabaseRetryAndAStatementWithin5s) {
  const auto options = simulator_options(30);
  sim::Simulator sim(options);
  {
    testing::TestDatabase db("e2e_stop_429");
    ConfigSpec spec = spec_for(db, sim, options, {"earnings"});
    spec.retries = 5;
    ConfigFile config(spec);
    sim::Fault fault;
    fault.path = "/v2/partners/earnings";
    fault.count = 10;
    fault.status = 429;
    fault.retry_after = "120";
    sim.add_fault(fault);
    Process daemon({"--config", config.path().string()});
    expect_prompt_stop("429 Retry-After: 120", daemon, db.url(),
                       [&] { return !requests_to(sim, "/v2/partners/earnings").empty(); });
    EXPECT_EQ(query_rows(db.url(), "SELECT stream, status FROM sync.runs"),
              std::vector<std::string>{"earnings|cancelled"});
    sim.clear_faults();
    sim.clear_requests();
  }
  {
    testing::TestDatabase db("e2e_stop_stall");
    ConfigSpec spec = spec_for(db, sim, options, {"earnings"});
    spec.timeout = "90s";
    ConfigFile config(spec);
    sim::Fault fault;
    fault.path = "/v2/partners/earnings";
    fault.kind = sim::Fault::Kind::stall_body;
    fault.delay = std::chrono::seconds(60);
    sim.add_fault(fault);
    Process daemon({"--config", config.path().string()});
    expect_prompt_stop("stalled body", daemon, db.url(), [&] {
      const auto r = requests_to(sim, "/v2/partners/earnings");
      return !r.empty() && r.back().status != 0;
    });
    sim.clear_faults();
  }
  {
    testing::TestDatabase db("e2e_stop_db_retry");
    ConfigFile config(spec_for(db, sim, options, {"earnings"}));
    ASSERT_EQ(run_partnersync(config, {"--migrate"}).exit_code, 0);
    execute(db.url(), R"sql(
      CREATE FUNCTION public.always_conflict() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = 'serialization_failure'; END $$;
      CREATE TRIGGER conflict BEFORE INSERT ON livechat.earnings_snapshots
        FOR EACH STATEMENT EXECUTE FUNCTION public.always_conflict();
    )sql");
    Process daemon({"--config", config.path().string()});
    expect_prompt_stop("database retry", daemon, db.url(),
                       [&] { return daemon.errors().find("retrying") != std::string::npos; });
  }
  {
    // A statement that runs for a minute (a trigger sleeping inside the window's upsert): the
    // shutdown cancels it, and the window rolls back rather than waiting for it.
    testing::TestDatabase db("e2e_stop_statement");
    ConfigFile config(spec_for(db, sim, options, {"earnings"}));
    ASSERT_EQ(run_partnersync(config, {"--migrate"}).exit_code, 0);
    execute(db.url(), R"sql(
      CREATE FUNCTION public.slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(60); RETURN NULL; END $$;
      CREATE TRIGGER slow BEFORE INSERT ON livechat.earnings_snapshots
        FOR EACH STATEMENT EXECUTE FUNCTION public.slow_insert();
    )sql");
    Process daemon({"--config", config.path().string()});
    expect_prompt_stop("long statement", daemon, db.url(), [&] {
      return query_count(db.url(),
                         "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                         " AND wait_event = 'PgSleep'") > 0;
    });
    EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM livechat.earnings_snapshots"), 0);
    EXPECT_EQ(query_rows(db.url(), "SELECT stream, status FROM sync.runs"),
              std::vector<std::string>{"earnings|cancelled"});
  }
}

TEST(E2eEngine, ACancelledOneShotRunExitsWithTheSignalsCode) {
  const auto options = simulator_options(30);
  sim::Simulator sim(options);
  for (const int signo : {SIGTERM, SIGINT}) {
    testing::TestDatabase db(signo == SIGTERM ? "e2e_once_term" : "e2e_once_int");
    ConfigSpec spec = spec_for(db, sim, options, {"earnings"});
    spec.retries = 5;
    ConfigFile config(spec);
    sim.clear_requests();
    sim::Fault fault;
    fault.path = "/v2/partners/earnings";
    fault.count = 10;
    fault.status = 429;
    fault.retry_after = "120";
    sim.add_fault(fault);
    Process once({"--config", config.path().string(), "--once"});
    ASSERT_TRUE(eventually([&] { return !requests_to(sim, "/v2/partners/earnings").empty(); },
                           std::chrono::seconds(20)))
        << once.errors();
    const auto code = stop_within_5s(once, signo);
    ASSERT_TRUE(code.has_value()) << "still running 5 s after the signal";
    EXPECT_EQ(*code, 128 + signo) << once.errors();
    sim.clear_faults();
  }
}

TEST(E2eEngine, ASecondSignalExitsAtOnce) {
  const auto options = simulator_options(30);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_second_signal");
  ConfigFile config(spec_for(db, sim, options, {"earnings"}));
  ASSERT_EQ(run_partnersync(config, {"--migrate"}).exit_code, 0);
  // A commit that takes 30 s on the server and ignores the shutdown's cancel request (it traps
  // query_canceled and sleeps again): the first SIGINT waits for it.
  execute(db.url(), R"sql(
    CREATE FUNCTION public.slow() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_sleep(30); RETURN NULL;
    EXCEPTION WHEN query_canceled THEN PERFORM pg_sleep(30); RETURN NULL; END $$;
    CREATE TRIGGER slow BEFORE INSERT ON livechat.earnings_snapshots
      FOR EACH STATEMENT EXECUTE FUNCTION public.slow();
  )sql");
  Process daemon({"--config", config.path().string()});
  ASSERT_TRUE(eventually(
      [&] {
        return query_count(db.url(),
                           "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
                           "AND datname = current_database()") > 0;
      },
      std::chrono::seconds(20)))
      << daemon.errors();
  daemon.signal(SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  daemon.signal(SIGINT);
  const auto code = daemon.wait(std::chrono::seconds(2));
  ASSERT_TRUE(code.has_value()) << "still running 2 s after the second SIGINT";
  EXPECT_EQ(*code, 130) << daemon.errors();
  execute(db.url(),
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
          "AND datname = current_database()");
}

TEST(E2eEngine, ASecondProcessWaitsForTheSourceAndMarksNoRunOfTheFirst) {
  const auto options = simulator_options(30);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_two_processes");
  ConfigFile config(spec_for(db, sim, options, {"earnings"}));
  ASSERT_EQ(run_partnersync(config, {"--migrate"}).exit_code, 0);
  sim::Fault slow;
  slow.path = "/v2/partners/earnings";
  slow.kind = sim::Fault::Kind::delay;
  slow.delay = std::chrono::seconds(4);
  sim.add_fault(slow);

  Process first({"--config", config.path().string(), "--once"});
  ASSERT_TRUE(eventually([&] { return running_runs(db.url()) == 1; }, std::chrono::seconds(20)))
      << first.errors();
  Process second({"--config", config.path().string(), "--once"});
  ASSERT_TRUE(eventually(
      [&] {
        return second.errors().find("another partnersync process is syncing this source") !=
               std::string::npos;
      },
      std::chrono::seconds(10)))
      << second.errors();
  // The first one's run is still its own.
  EXPECT_EQ(query_rows(db.url(), "SELECT status FROM sync.runs"),
            std::vector<std::string>{"running"});
  const auto first_code = first.wait(std::chrono::seconds(20));
  ASSERT_TRUE(first_code.has_value());
  EXPECT_EQ(*first_code, 0) << first.errors();
  const auto second_code = second.wait(std::chrono::seconds(20));
  ASSERT_TRUE(second_code.has_value());
  EXPECT_EQ(*second_code, 0) << second.errors();
  EXPECT_EQ(query_rows(db.url(), "SELECT status, coalesce(error, '') FROM sync.runs"),
            (std::vector<std::string>{"succeeded|", "succeeded|"}));
}

TEST(E2eEngine, HostileValuesAreRefusedOneByOneAndTheRestLands) {
  const auto options = simulator_options(60);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_hostile");
  ConfigFile config(spec_for(db, sim, options, {"affiliate_licenses", "earnings"}));
  // The first window answers records PostgreSQL could not take as they are; the second one a
  // body that is not JSON as a whole (invalid JSON inside a field nobody reads).
  auto record = [](const std::string& email, const std::string& extra) {
    return "{\"creation_timestamp\":\"2026-11-05 10:00:00\",\"end_timestamp\":"
           "\"2026-12-05 10:00:00\",\"client_email\":\"" +
           email + "\",\"paid\":false,\"seats\":2" + extra + "}";
  };
  sim::Fault hostile;
  hostile.path = "/v2/partners/affiliates/livechat/licenses";
  hostile.kind = sim::Fault::Kind::body;
  hostile.body = "{\"result\":[" + record("o...k@good.example", "") + "," +
                 record("h...e@huge.example", ",\"total_commission\":1e999999") + "," +
                 record("n\\u0000l@nul.example", "") + "," +
                 "{\"creation_timestamp\":\"2026-11-05 11:00:00\",\"client_email\":"
                 "\"s...s@seats.example\",\"seats\":3000000000}]}";
  sim.add_fault(hostile);
  sim::Fault broken;
  broken.path = hostile.path;
  broken.kind = sim::Fault::Kind::body;
  broken.body = "{\"result\":[{\"creation_timestamp\":\"2026-11-06 10:00:00\",\"x\":[1,,2]}]}";
  sim.add_fault(broken);

  Process daemon({"--config", config.path().string()});
  ASSERT_TRUE(eventually(
      [&] {
        return query_count(db.url(), "SELECT count(*) FROM sync.runs WHERE status <> 'running'") ==
               2;
      },
      std::chrono::seconds(30)))
      << daemon.errors();
  // The good record and the one whose seats overflow integer landed (seats NULL, counted).
  EXPECT_EQ(query_rows(db.url(),
                       "SELECT client_email, coalesce(seats::text, 'NULL') FROM "
                       "livechat.affiliate_licenses WHERE client_email LIKE '%.example'"),
            (std::vector<std::string>{"o...k@good.example|2", "s...s@seats.example|NULL"}));
  EXPECT_GE(std::stoll(query_value(db.url(),
                                   "SELECT invalid_values FROM sync.runs WHERE stream = "
                                   "'affiliate_licenses'")),
            1);
  // The two records jsonb cannot hold, and the invalid body, are quarantined with reasons.
  const auto quarantined =
      query_rows(db.url(),
                 "SELECT position('huge.example' in convert_from(body, 'UTF8')) > 0, "
                 "position('[1,,2]' in convert_from(body, 'UTF8')) > 0, reason <> '' "
                 "FROM sync.quarantine WHERE stream = 'affiliate_licenses'");
  EXPECT_GE(quarantined.size(), 3u) << ::testing::PrintToString(quarantined);
  EXPECT_EQ(std::count(quarantined.begin(), quarantined.end(), "t|f|t"), 1);
  EXPECT_EQ(std::count(quarantined.begin(), quarantined.end(), "f|t|t"), 1);
  // The window of the invalid body is not synced; the others are, and so is the other stream.
  EXPECT_EQ(query_rows(db.url(), "SELECT stream, status FROM sync.runs"),
            (std::vector<std::string>{"affiliate_licenses|failed", "earnings|succeeded"}));
  EXPECT_GT(query_count(db.url(), "SELECT count(*) FROM livechat.affiliate_licenses"), 100);
  EXPECT_EQ(coverage(db.url(), "affiliate_licenses").size(), 2u)
      << ::testing::PrintToString(coverage(db.url(), "affiliate_licenses"));

  ASSERT_TRUE(daemon.running()) << daemon.errors();
  const auto code = stop_within_5s(daemon);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << daemon.errors();
}

}  // namespace
}  // namespace partnersync::e2e
