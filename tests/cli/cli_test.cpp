// The real partnersync binary: documented exit codes (0, 2, 69, 78) and one-line errors that
// name what is wrong without secrets.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "tests/sim/simulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_database.hpp"

namespace partnersync {
namespace {

using testing::partnersync_binary;
using testing::ProcessResult;
using testing::run_process;
using testing::source_dir;
using testing::TestDatabase;
using testing::write_temp_file;

ProcessResult partnersync(std::vector<std::string> args,
                          const std::map<std::string, std::string>& env = {}) {
  args.insert(args.begin(), partnersync_binary());
  return run_process(args, env);
}

std::string config_for(const std::string& database_url, const std::string& base_url,
                       const std::string& token = "sim-token") {
  return "database:\n  url: " + database_url +
         "\nsources:\n  - name: acme\n    kind: livechat_partner\n    base_url: " + base_url +
         "\n    token: " + token + "\n    start_date: 2024-01-01\n";
}

TEST(Cli, VersionAndHelpExitZero) {
  const auto version = partnersync({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "partnersync " PARTNERSYNC_VERSION "\n");
  const auto help = partnersync({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--backfill --from YYYY-MM-DD"), std::string::npos);
}

TEST(Cli, UsageErrorsExitTwoWithOneLine) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--once"}, "partnersync: --config FILE is required (see --help)\n"},
      {{"--config", "x.yaml", "--backfill"}, "partnersync: --backfill needs --from YYYY-MM-DD\n"},
      {{"--config", "x.yaml", "--backfill", "--from", "2024-02-01", "--to", "2024-01-01"},
       "partnersync: --from is after --to\n"},
      {{"--config", "x.yaml", "--once", "--from", "2024-01-01"},
       "partnersync: --from and --to go with --backfill\n"},
      {{"--config", "x.yaml", "--backfill", "--from", "2024-02-30"},
       "partnersync: --from: \"2024-02-30\" is not a valid date (expected YYYY-MM-DD)\n"},
      {{"--config", "x.yaml", "--once", "--check"},
       "partnersync: --once and --check cannot be combined\n"},
      {{"--config", "x.yaml", "--frobnicate"},
       "partnersync: unknown option --frobnicate (see --help)\n"},
  };
  for (const auto& [args, message] : cases) {
    const auto r = partnersync(args);
    EXPECT_EQ(r.exit_code, 2) << message;
    EXPECT_EQ(r.err, message);
  }
}

TEST(Cli, ChildStreamWithoutItsParentIsAUsageError) {
  const auto path = write_temp_file(
      "children.yaml", config_for("postgresql://x@127.0.0.1:1/db", "http://127.0.0.1:1"));
  const auto r = partnersync({"--config", path, "--once", "--streams", "solution_invoices"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "partnersync: --streams solution_invoices needs its parent stream solution_licenses "
            "(add it to --streams)\n");
}

TEST(Cli, InvalidConfigurationExitsSeventyEightNamingFileAndKey) {
  const auto path =
      write_temp_file("bad.yaml", config_for("postgresql://x@127.0.0.1/db", "http://127.0.0.1:1") +
                                      "sync:\n  windw: 7d\n");
  const auto r = partnersync({"--config", path, "--check"});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(r.err, "partnersync: " + path + ": sync.windw: unknown key\n");
}

TEST(Cli, ExampleConfigWithoutEnvironmentSaysWhichVariableIsMissing) {
  const auto r =
      partnersync({"--config", source_dir() + "/config/partnersync.example.yaml", "--check"},
                  {{"PARTNERSYNC_DATABASE_URL", "\x01"},
                   {"LIVECHAT_TOKEN", "\x01"},
                   {"LIVEAGENT_API_KEY", "\x01"}});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_NE(r.err.find("database.url: environment variable PARTNERSYNC_DATABASE_URL is not set "
                       "(also not set: LIVECHAT_TOKEN, LIVEAGENT_API_KEY)"),
            std::string::npos)
      << r.err;
}

TEST(Cli, UnreachableDatabaseExitsSixtyNineWithoutThePassword) {
  const auto path = write_temp_file(
      "unreachable.yaml",
      config_for("postgresql://sync:Pa55-Secret-Word@127.0.0.1:1/db?connect_timeout=3",
                 "http://127.0.0.1:1"));
  for (const char* command : {"--migrate", "--check", "--once", "--status"}) {
    const auto r = partnersync({"--config", path, command});
    EXPECT_EQ(r.exit_code, 69) << command << ": " << r.err << r.out;
    EXPECT_EQ((r.err + r.out).find("Pa55-Secret-Word"), std::string::npos) << command;
    EXPECT_NE((r.err + r.out).find("127.0.0.1"), std::string::npos) << command;
  }
}

TEST(Cli, MigrateAppliesOnceThenReportsNothingToDo) {
  TestDatabase db("cli_migrate");
  const auto path = write_temp_file("migrate.yaml", config_for(db.url(), "http://127.0.0.1:1"));
  const auto first = partnersync({"--config", path, "--migrate"});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out.find("migrations: 0 applied"), std::string::npos) << first.out;
  const auto second = partnersync({"--config", path, "--migrate"});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out.rfind("migrations: 0 applied", 0), 0u) << second.out;
}

TEST(Cli, CheckReachesDatabaseAndSourceAndExitsZero) {
  TestDatabase db("cli_check");
  sim::SimOptions options;
  sim::Simulator simulator(options);
  const auto path = write_temp_file("check.yaml", config_for(db.url(), simulator.base_url()));
  const auto r = partnersync({"--config", path, "--check"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("source acme (livechat_partner): ok, API up (/v2/partners/status), token "
                       "accepted (HTTP 200 from "),
            std::string::npos)
      << r.out;
}

TEST(Cli, CheckWithRejectedTokenExitsSixtyNineAndNamesTheSource) {
  TestDatabase db("cli_check_token");
  sim::SimOptions options;
  sim::Simulator simulator(options);
  const auto path = write_temp_file("badtoken.yaml",
                                    config_for(db.url(), simulator.base_url(), "Wrong-Token-123"));
  const auto r = partnersync({"--config", path, "--check"});
  EXPECT_EQ(r.exit_code, 69) << r.out;
  EXPECT_NE(r.out.find("source acme (livechat_partner): UNREACHABLE: "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("HTTP 401"), std::string::npos) << r.out;
  EXPECT_EQ((r.out + r.err).find("Wrong-Token-123"), std::string::npos);
}

TEST(Cli, StatusListsEveryConfiguredStream) {
  TestDatabase db("cli_status");
  const auto path = write_temp_file("status.yaml", config_for(db.url(), "http://127.0.0.1:1"));
  ASSERT_EQ(partnersync({"--config", path, "--migrate"}).exit_code, 0);
  const auto r = partnersync({"--config", path, "--status"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("acme\taffiliate_licenses\tnever"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("acme\tleads\tnever"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace partnersync
