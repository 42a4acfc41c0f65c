// split_license_stats on the documented /stats (001) and /active-licenses (000) examples: one
// record per (program, channel), counts as received.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <stdexcept>
#include <string>

#include "connectors/livechat/livechat_streams.hpp"
#include "tests/connectors/livechat_corpus.hpp"

namespace partnersync::connectors::livechat {
namespace {

using Counts = std::map<std::string, std::int64_t>;
using Split = std::map<std::pair<std::string, std::string>, Counts>;

Split split(const std::string& body) {
  Split out;
  simdjson::dom::parser parser;
  for (const auto& record : split_license_stats(body)) {
    simdjson::dom::object o = parser.parse(record).get_object().value();
    std::pair<std::string, std::string> key;
    Counts counts;
    for (auto [k, v] : o) {
      if (k == "program")
        key.first = std::string(v.get_string().value());
      else if (k == "channel")
        key.second = std::string(v.get_string().value());
      else if (k == "served")
        continue;  // the group object as served: the row's raw (see ServedIsTheGroupObject)
      else
        counts[std::string(k)] = v.get_int64().value();
    }
    EXPECT_TRUE(out.emplace(key, counts).second) << "duplicate " << key.first << "/" << key.second;
  }
  return out;
}

std::string example(const std::string& name) {
  for (const auto& f : connectors::testing::corpus_for("stats"))
    if (f.name == name) return f.body;
  ADD_FAILURE() << "no corpus file " << name;
  return "{}";
}

TEST(LicenseStatsSplit, CurrentShapeGivesOneRecordPerProgramAndChannel) {
  const Split expected = {
      {{"affiliate", "livechat"}, {{"trials", 231}, {"trials_cc", 45}, {"paid", 92}}},
      {{"affiliate", "livechat_partner_program"},
       {{"leads", 15}, {"trials", 120}, {"trials_cc", 84}, {"paid", 103}}},
      {{"reseller", ""}, {{"trials", 177}, {"trials_cc", 45}, {"paid", 59}}}};
  EXPECT_EQ(split(example("stats_current")), expected);
}

TEST(LicenseStatsSplit, OldFlatShapeGivesProgramWideRecords) {
  const Split expected = {{{"affiliate", ""}, {{"trials", 120}, {"trials_cc", 84}, {"paid", 92}}},
                          {{"reseller", ""}, {{"trials", 13}, {"trials_cc", 7}, {"paid", 28}}}};
  EXPECT_EQ(split(example("stats_flat")), expected);
}

TEST(LicenseStatsSplit, UnknownProductsBecomeTheirOwnRows) {
  const Split expected = {{{"reseller", "helpdesk"}, {{"paid", 3}}}};
  EXPECT_EQ(split(R"({"reseller":{"helpdesk":{"paid":3}}})"), expected);
}

TEST(LicenseStatsSplit, KeepsNumbersAsWritten) {
  const auto records = split_license_stats(R"({"reseller":{"paid":1.50}})");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0],
            R"({"program":"reseller","channel":"","paid":1.50,"served":{"paid":1.50}})");
}

// Issue 12: a row's raw is the object its counts were read from, exactly as served.
TEST(LicenseStatsSplit, ServedIsTheGroupObjectAsReceived) {
  const auto records = split_license_stats(
      R"({"affiliate":{"livechat":{"trials": 2 ,"paid":1}},"reseller":{"paid":3}})");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0], R"({"program":"affiliate","channel":"livechat","trials":2,"paid":1,)"
                        R"("served":{"trials": 2 ,"paid":1}})");
  EXPECT_EQ(records[1], R"({"program":"reseller","channel":"","paid":3,"served":{"paid":3}})");
  const std::string flat = R"({"affiliate_paid":4,"reseller_paid":5})";
  for (const auto& record : split_license_stats(" " + flat + "\n"))
    EXPECT_NE(record.find(",\"served\":" + flat + "}"), std::string::npos) << record;
}

TEST(LicenseStatsSplit, ABodyThatIsNotAnObjectIsRejected) {
  EXPECT_THROW(split_license_stats("[1,2]"), std::invalid_argument);
  EXPECT_THROW(split_license_stats("{\"affiliate\":"), std::invalid_argument);
}

}  // namespace
}  // namespace partnersync::connectors::livechat
