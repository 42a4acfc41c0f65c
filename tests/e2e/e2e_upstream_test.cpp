// End-to-end upstream refusals and secrets: 403 expert endpoints are "not applicable", a wrong
// token stops the source after one request, and no secret reaches the logs or sync.* rows.
#include <gtest/gtest.h>

#include <sstream>

#include "tests/e2e/e2e_support.hpp"

namespace partnersync::e2e {
namespace {

constexpr const char* kExpertPath = "/v2/partners/experts/history";

std::vector<std::string> lines_containing(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

TEST(E2eUpstream, ForbiddenExpertHistoryIsNotApplicableAndThePassSucceeds) {
  const auto options = simulator_options(90);  // expert = false: the experts endpoint says 403
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_expert");
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.streams = {"affiliate_history", "expert_history", "earnings"};
  ConfigFile config(spec);

  const auto run = run_partnersync(config, {"--once"});
  EXPECT_EQ(run.exit_code, 0) << run.errors;
  ASSERT_EQ(requests_to(sim, kExpertPath).size(), 1u);
  EXPECT_EQ(requests_to(sim, kExpertPath)[0].status, 403u);
  EXPECT_EQ(query_rows(db.url(),
                       "SELECT not_applicable, not_applicable_since IS NOT NULL "
                       "FROM sync.state WHERE stream = 'expert_history'"),
            std::vector<std::string>{"t|t"});
  EXPECT_EQ(query_rows(db.url(), "SELECT stream, status FROM sync.runs"),
            (std::vector<std::string>{"affiliate_history|succeeded", "earnings|succeeded",
                                      "expert_history|not_applicable"}));
  // The other streams of the pass did their work.
  EXPECT_EQ(query_count(db.url(),
                        "SELECT count(*) FROM livechat.history_monthly "
                        "WHERE program = 'livechat'"),
            12);
  EXPECT_EQ(query_count(db.url(),
                        "SELECT count(*) FROM livechat.history_monthly "
                        "WHERE program = 'expert'"),
            0);

  // Not asked again on every pass: the next pass skips it and still succeeds.
  sim.clear_requests();
  const auto next = run_partnersync(config, {"--once"});
  EXPECT_EQ(next.exit_code, 0) << next.errors;
  EXPECT_TRUE(requests_to(sim, kExpertPath).empty());
  EXPECT_FALSE(requests_to(sim, "/v2/partners/earnings").empty());
}

TEST(E2eUpstream, WrongTokenFailsWithOneLineAndOneRequest) {
  const auto options = simulator_options(90);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_wrong_token");
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.token = "e2e-wrong-token-51ab";
  spec.retries = 5;  // retries are allowed in general; a 401 must still not be retried
  ConfigFile config(spec);

  const auto run = run_partnersync(config, {"--once"});
  EXPECT_EQ(run.exit_code, 1) << run.errors;
  const auto lines = lines_containing(run.errors, "credentials rejected");
  ASSERT_EQ(lines.size(), 1u) << run.errors;
  EXPECT_NE(lines[0].find("401"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("acme"), std::string::npos) << "names the source: " << lines[0];
  // One request for the one source: no retry storm, no further streams.
  const auto requests = sim.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].status, 401u);
  EXPECT_EQ(run.errors.find(spec.token), std::string::npos);
}

TEST(E2eUpstream, SecretsAppearInNoLogLineAndNoStoredRow) {
  auto options = simulator_options(90);
  options.api.token = "e2e-S3cret-T0ken-9f2c";
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_secrets");
  // With trust authentication the server ignores the password, so the DSN can carry one.
  const std::string password = "e2e-Db-Passw0rd-77e1";
  std::string url = db.url();
  url.insert(url.find('@'), ":" + password);
  ConfigSpec spec;
  spec.database_url = url;
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.token = options.api.token;
  spec.log_level = "debug";
  spec.streams = {"affiliate_licenses", "withdrawals", "earnings", "expert_history"};
  ConfigFile config(spec);
  // Failures make the engine log URLs and errors: a retried 503 and a quarantined body.
  sim::Fault unavailable;
  unavailable.path = "/v2/partners/affiliates/livechat/licenses";
  unavailable.status = 503;
  sim.add_fault(unavailable);
  sim::Fault cut;
  cut.path = "/v2/partners/affiliates/withdrawals";
  cut.kind = sim::Fault::Kind::invalid_json;
  sim.add_fault(cut);

  const std::int64_t first = *sim::parse_date(options.api.date_from);
  std::vector<RunResult> runs;
  runs.push_back(run_backfill(config, first, first + 30));
  EXPECT_EQ(runs.back().exit_code, 1) << runs.back().errors;  // the quarantined window
  runs.push_back(run_partnersync(config, {"--once"}));
  EXPECT_EQ(runs.back().exit_code, 0) << runs.back().errors;
  runs.push_back(run_partnersync(config, {"--status"}));
  // The token was sent, the runs logged plenty (debug), and neither secret is in any of it.
  ASSERT_FALSE(requests_to(sim, "/v2/partners/earnings").empty());
  for (const auto& run : runs) {
    const std::string text = run.output + run.errors;
    EXPECT_NE(text.find("affiliate_licenses"), std::string::npos) << text;
    EXPECT_EQ(text.find(spec.token), std::string::npos) << text;
    EXPECT_EQ(text.find(password), std::string::npos) << text;
  }
  for (const auto& table : query_rows(db.url(),
                                      "SELECT table_schema || '.' || table_name FROM "
                                      "information_schema.tables WHERE table_schema IN "
                                      "('sync', 'livechat') AND table_type = 'BASE TABLE'")) {
    for (const std::string& secret : {spec.token, password}) {
      EXPECT_EQ(query_count(db.url(), "SELECT count(*) FROM " + table +
                                          " t WHERE strpos(t::text, '" + secret + "') > 0"),
                0)
          << secret << " stored in " << table;
    }
  }
  EXPECT_EQ(query_count(db.url(),
                        "SELECT count(*) FROM sync.quarantine WHERE "
                        "position(convert_to('" +
                            spec.token + "', 'UTF8') IN body) > 0"),
            0);
  EXPECT_GT(query_count(db.url(), "SELECT count(*) FROM sync.quarantine"), 0);
}

}  // namespace
}  // namespace partnersync::e2e
