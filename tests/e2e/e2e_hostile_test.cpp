// End-to-end hostile values (issue 15): records with values no sane upstream sends land with
// the bad field NULL and counted, or as served where their column can hold them; bodies that
// are not JSON a parser should accept (10,000-deep nesting, invalid UTF-8, a raw NUL byte, a
// bare NaN) are quarantined with a reason naming the problem, and their windows stay unsynced
// until a later run reads them again. Nothing crashes, and the rest of each run lands.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tests/e2e/e2e_support.hpp"

namespace partnersync::e2e {
namespace {

constexpr const char* kLicensesPath = "/v2/partners/affiliates/livechat/licenses";

std::string record(const std::string& email, const std::string& fields) {
  return "{\"creation_timestamp\":\"" + day_text(today_days() - 59) +
         " 10:00:00\",\"end_timestamp\":\"2030-01-01 00:00:00\",\"client_email\":\"" + email +
         "\",\"paid\":true" + fields + "}";
}

sim::Fault body_fault(std::string body) {
  sim::Fault f;
  f.path = kLicensesPath;
  f.kind = sim::Fault::Kind::body;
  f.body = std::move(body);
  return f;
}

TEST(E2eHostile, HostileValuesAreCountedOrKeptAndUnreadableBodiesQuarantined) {
  const auto options = simulator_options(60);  // from today - 59
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_hostile_values");
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.streams = {"affiliate_licenses"};
  spec.concurrency = 1;  // windows in date order: the faults below go to the first five
  // One-day windows are never split (a bigger body is halved and read again: stream_modes.cpp),
  // so the 10 MB record is read as it is.
  spec.window = "1d";
  ConfigFile config(spec);

  const std::string digits400(400, '7');
  const std::string ten_mb(10'000'000, 'x');
  // Window 1: every record is readable JSON; some values are hostile.
  sim.add_fault(body_fault(
      "{\"result\":[" + record("good@hostile.example", ",\"seats\":2") + "," +
      record("digits@hostile.example", ",\"seats\":\"" + digits400 + "\"") + "," +
      record("bignum@hostile.example", ",\"seats\":1,\"total_commission\":" + digits400) + "," +
      record("nan@hostile.example", ",\"seats\":\"NaN\",\"total_commission\":\"Infinity\"") +
      "," + record("negative@hostile.example", ",\"seats\":-5") + "," +
      record("huge@hostile.example", ",\"seats\":3,\"utm_content\":\"" + ten_mb + "\"") + "," +
      record("dup@hostile.example", ",\"seats\":2,\"plan\":\"a\",\"seats\":7,\"plan\":\"b\"") +
      "]}"));
  // Windows 2 to 5: bodies that must not be read as data.
  std::string deep = std::string(10'000, '[') + std::string(10'000, ']');
  sim.add_fault(body_fault("{\"result\":[" + record("deep@hostile.example", ",\"x\":" + deep) +
                           "]}"));
  sim.add_fault(body_fault("{\"result\":[" + record("utf8@hostile.example\xff\xfe", "") + "]}"));
  sim.add_fault(body_fault(std::string("{\"result\":[") +
                           record(std::string("nul@hostile.example") + '\0' + "x", "") + "]}"));
  sim.add_fault(body_fault("{\"result\":[" + record("nan2@hostile.example", ",\"seats\":NaN") +
                           "]}"));

  const auto first = run_partnersync(config, {"--once"});
  EXPECT_EQ(first.exit_code, 1) << "four windows failed";
  const std::string& url = db.url();
  // Window 1's records: the hostile fields NULL where the column cannot hold them, as served
  // where it can (a 400-digit numeric, negative seats, a 10 MB text), and a duplicate key read
  // as jsonb reads it (the last one), so the column always agrees with raw.
  EXPECT_EQ(
      query_rows(url,
                 "SELECT split_part(client_email, '@', 1), coalesce(seats::text, 'NULL'), "
                 "coalesce(total_commission::text, 'NULL'), coalesce(plan, 'NULL'), "
                 "coalesce(length(utm_content)::text, 'NULL') FROM livechat.affiliate_licenses "
                 "WHERE client_email LIKE '%@hostile.example'"),
      (std::vector<std::string>{"bignum|1|" + digits400 + "|NULL|NULL", "digits|NULL|NULL|NULL|NULL",
                                "dup|7|NULL|b|NULL", "good|2|NULL|NULL|NULL",
                                "huge|3|NULL|NULL|10000000", "nan|NULL|NULL|NULL|NULL",
                                "negative|-5|NULL|NULL|NULL"}));
  EXPECT_EQ(query_count(url,
                        "SELECT count(*) FROM livechat.affiliate_licenses WHERE client_email LIKE "
                        "'%@hostile.example' AND (seats IS DISTINCT FROM (raw->>'seats')::numeric "
                        "AND raw->>'seats' ~ '^-?[0-9]{1,9}$')"),
            0)
      << "a column disagrees with raw";
  EXPECT_EQ(query_value(url, "SELECT raw->>'seats' FROM livechat.affiliate_licenses WHERE "
                             "client_email = 'nan@hostile.example'"),
            "NaN")
      << "raw keeps what was served";
  // Three values could not be stored: the 400-digit seats and the NaN and Infinity strings.
  EXPECT_EQ(query_value(url, "SELECT sum(invalid_values) FROM sync.runs"), "3");

  // Windows 2 to 5 are quarantined, each with its reason, and none of their rows landed.
  const auto reasons = query_rows(url,
                                  "SELECT reason FROM sync.quarantine WHERE stream = "
                                  "'affiliate_licenses' ORDER BY url",
                                  false);
  ASSERT_EQ(reasons.size(), 4u) << ::testing::PrintToString(reasons);
  for (const auto& reason : reasons) {
    EXPECT_NE(reason.find("JSON"), std::string::npos) << reason;
    EXPECT_LT(reason.size(), 400u) << "one line, not the body";
  }
  EXPECT_NE(reasons[0].find("deep"), std::string::npos) << reasons[0];
  EXPECT_NE(reasons[1].find("UTF-8"), std::string::npos) << reasons[1];
  EXPECT_EQ(query_count(url, "SELECT count(*) FROM livechat.affiliate_licenses WHERE "
                             "client_email ~ '^(deep|utf8|nul|nan2)@'"),
            0);
  EXPECT_EQ(query_count(url, "SELECT count(*) FROM sync.quarantine WHERE length(body) < 20000"),
            3)
      << "each body is kept as received (the deep one is 20 kB)";
  const auto gaps = coverage(url, "affiliate_licenses");
  EXPECT_EQ(gaps.size(), 2u) << "window 1, then a gap of four windows, then the rest: "
                             << ::testing::PrintToString(gaps);

  // The next run reads the four windows again (the faults are spent) and fills the gap.
  const auto second = run_partnersync(config, {"--once"});
  EXPECT_EQ(second.exit_code, 0) << second.errors;
  EXPECT_EQ(coverage(url, "affiliate_licenses"),
            std::vector<std::string>{options.api.date_from + ".." + day_text(today_days())});
}

}  // namespace
}  // namespace partnersync::e2e
