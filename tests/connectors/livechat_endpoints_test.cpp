// The streams issue 12 added (profile, coupons, solution_operators, expert_profile,
// expert_stats, expert_comments) against the documents' examples (tests/fuzz/corpus), current
// and old shapes, through sync::RecordParser as the engine parses them.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "daemon/sync/record_parser.hpp"
#include "daemon/sync/stream_spec.hpp"
#include "tests/connectors/livechat_corpus.hpp"

namespace partnersync::connectors {
namespace {

using sync::StreamSpec;
using V = std::optional<std::string>;
using Row = std::map<std::string, V>;

const StreamSpec& spec(std::string_view name) {
  const StreamSpec* s = sync::find_stream_spec(SourceKind::livechat_partner, name);
  if (s == nullptr) throw std::runtime_error("no spec " + std::string(name));
  return *s;
}

std::string example(const std::string& stream, const std::string& shape) {
  for (const auto& f : testing::corpus_for(stream))
    if (f.name == stream + "_" + shape) return f.body;
  throw std::runtime_error("no corpus file " + stream + "_" + shape);
}

std::string copy_unescape(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      out += field[i];
      continue;
    }
    const char c = field[++i];
    out += c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
  }
  return out;
}

struct Parsed {
  std::vector<Row> rows;
  sync::ParseOutcome outcome;
};

Parsed parse(const StreamSpec& s, const std::string& body, std::string_view parent = {}) {
  sync::RecordParser parser(s);
  std::string out;
  Parsed p;
  const sync::ParseContext context{"acme", "", parent};
  p.outcome = parser.parse(body, s.endpoints.front(), context, out);
  const auto& names = parser.column_names();
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    Row row;
    std::size_t start = 0;
    for (const auto& name : names) {
      const auto tab = line.find('\t', start);
      const std::string_view field =
          std::string_view(line).substr(start, tab == std::string::npos ? tab : tab - start);
      row[name] = field == "\\N" ? V() : V(copy_unescape(field));
      start = tab == std::string::npos ? line.size() : tab + 1;
    }
    p.rows.push_back(std::move(row));
  }
  return p;
}

TEST(LivechatEndpoints, ProfileCurrentShapeGivesRatesWithEndDatesAndExpertPosition) {
  const auto p = parse(spec("profile"), example("profile", "current"));
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.outcome.invalid_values, 0u);
  const Row& r = p.rows[0];
  EXPECT_EQ(r.at("partner_id"), V("xyz"));
  EXPECT_EQ(r.at("first_name"), V("Joe"));
  EXPECT_EQ(r.at("last_name"), V("Doe"));
  EXPECT_EQ(r.at("full_name"), std::nullopt);
  EXPECT_EQ(r.at("send_reseller_weekly_summary"), V("t"));
  EXPECT_EQ(r.at("affiliate_livechat_url"), V("https://www.livechatinc.com/?a=xyz&utm_source=PP"));
  EXPECT_EQ(r.at("affiliate_livechat_commission_percent"), V("20"));
  EXPECT_EQ(r.at("affiliate_livechat_commission_end_at"), std::nullopt);  // "" = no end
  EXPECT_EQ(r.at("affiliate_partner_program_short_url"), V("https://lc.chat/cxz"));
  EXPECT_EQ(r.at("affiliate_partner_program_commission_percent"), V("5"));
  EXPECT_EQ(r.at("reseller_discount_percent"), V("20"));
  EXPECT_EQ(r.at("reseller_discount_end_at"), std::nullopt);
  EXPECT_EQ(r.at("expert_status"), V("verified"));
  EXPECT_EQ(r.at("expert_marketplace_position"), V("2"));
  ASSERT_TRUE(r.at("properties"));
  EXPECT_NE(r.at("properties")->find("tier2_popup_closed"), std::string::npos);
}

// 000's single affiliate program and its current_commission are the LiveChat program's.
TEST(LivechatEndpoints, ProfileOldShapeMapsItsSingleCommissionToTheLivechatProgram) {
  const auto p = parse(spec("profile"), example("profile", "old"));
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.outcome.invalid_values, 0u);
  const Row& r = p.rows[0];
  EXPECT_EQ(r.at("full_name"), V("Joe Doe"));
  EXPECT_EQ(r.at("first_name"), std::nullopt);
  EXPECT_EQ(r.at("websites"), V("[\n        \"https://example.com\"\n    ]"));  // as written
  EXPECT_EQ(r.at("affiliate_livechat_url"), V("https://www.livechatinc.com/?a=xyz&utm_source=PP"));
  EXPECT_EQ(r.at("affiliate_livechat_short_url"), V("https://lc.chat/zxc"));
  EXPECT_EQ(r.at("affiliate_livechat_commission_percent"), V("20"));
  EXPECT_EQ(r.at("affiliate_livechat_commission_end_at"), std::nullopt);
  EXPECT_EQ(r.at("affiliate_partner_program_commission_percent"), std::nullopt);
  EXPECT_EQ(r.at("reseller_discount_percent"), V("20"));
  EXPECT_EQ(r.at("expert_marketplace_position"), V("2"));
}

TEST(LivechatEndpoints, ProfileEndTimestampIsATime) {
  const auto p =
      parse(spec("profile"), R"({"affiliate":{"livechat":{"current_commission":)"
                             R"({"percent":25,"end_timestamp":"2026-12-31 23:59:59"}}}})");
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].at("affiliate_livechat_commission_percent"), V("25"));
  EXPECT_EQ(p.rows[0].at("affiliate_livechat_commission_end_at"), V("2026-12-31 23:59:59"));
}

TEST(LivechatEndpoints, CouponIdsAreTextAndLabelsAsSent) {
  const auto p = parse(spec("coupons"), example("coupons", "current"));
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0].at("coupon_id"), V("1"));
  EXPECT_EQ(p.rows[0].at("label"), V("30% off first payment"));
  EXPECT_EQ(p.rows[1].at("coupon_id"), V("2"));
  EXPECT_EQ(p.rows[1].at("label"), V("$25 discount"));
}

TEST(LivechatEndpoints, OperatorsCarryTheLicenseTheyWereRequestedFor) {
  const auto p =
      parse(spec("solution_operators"), example("solution_operators", "current"), "12345678");
  ASSERT_EQ(p.rows.size(), 3u);
  EXPECT_EQ(p.rows[0].at("license"), V("12345678"));
  EXPECT_EQ(p.rows[0].at("login"), V("jane@example.com"));
  EXPECT_EQ(p.rows[0].at("name"), V("Jane the Agent"));
  EXPECT_EQ(p.rows[0].at("permission"), V("normal"));
  EXPECT_EQ(p.rows[2].at("permission"), V("owner"));
}

TEST(LivechatEndpoints, ExpertProfileKeepsScalarsAsSentAndListsAsJson) {
  const auto p = parse(spec("expert_profile"), example("expert_profile", "current"));
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.outcome.invalid_values, 0u);
  const Row& r = p.rows[0];
  EXPECT_EQ(r.at("expert_id"), V("acme"));
  EXPECT_EQ(r.at("agents"), V("5+"));
  EXPECT_EQ(r.at("hour_rate"), V("50"));
  EXPECT_EQ(r.at("facebook"), V(""));
  EXPECT_EQ(r.at("languages"), V(R"([
        "EN",
        "ES",
        "PL"
    ])"));
  EXPECT_NE(r.at("categories")->find("chat-strategy-consultancy"), std::string::npos);
}

TEST(LivechatEndpoints, ExpertStatsArePositionCommentsAndMessages) {
  const auto p = parse(spec("expert_stats"), example("expert_stats", "current"));
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].at("position"), V("1"));
  EXPECT_EQ(p.rows[0].at("comments"), V("18"));
  EXPECT_EQ(p.rows[0].at("messages"), V("132"));
}

TEST(LivechatEndpoints, ExpertCommentsGetADerivedKeyFromTimeAuthorAndOrdinal) {
  for (const char* shape : {"current", "old"}) {
    const auto p = parse(spec("expert_comments"), example("expert_comments", shape));
    ASSERT_EQ(p.rows.size(), 2u) << shape;
    EXPECT_EQ(p.rows[0].at("comment_key"), V("2018-03-06 10:21:50|Joe|0")) << shape;
    EXPECT_EQ(p.rows[0].at("author"), V("Joe"));
    EXPECT_EQ(p.rows[0].at("created_at"), V("2018-03-06 10:21:50"));
    EXPECT_EQ(p.rows[0].at("website"), V("https://example.com"));
    EXPECT_EQ(p.rows[1].at("comment_key"), V("2018-02-22 13:32:28|Jane|0")) << shape;
    EXPECT_EQ(p.rows[1].at("website"), V(""));
  }
  // Two comments by the same author at the same second stay two rows.
  const auto twins =
      parse(spec("expert_comments"),
            R"({"result":[{"author":"Joe","creation_timestamp":"2018-03-06 10:21:50",)"
            R"("comment":"a"},{"author":"Joe","creation_timestamp":)"
            R"("2018-03-06 10:21:50","comment":"b"}]})");
  ASSERT_EQ(twins.rows.size(), 2u);
  EXPECT_EQ(twins.rows[0].at("comment_key"), V("2018-03-06 10:21:50|Joe|0"));
  EXPECT_EQ(twins.rows[1].at("comment_key"), V("2018-03-06 10:21:50|Joe|1"));
}

// The stats row's raw is the group object as served (issue 12), through the engine's path.
TEST(LivechatEndpoints, StatsRawIsTheGroupObjectAsServed) {
  const StreamSpec& s = spec("stats");
  std::string wrapped = "{\"result\":[";
  const auto records = s.split_body(example("stats", "current"));
  for (std::size_t i = 0; i < records.size(); ++i) wrapped += (i ? "," : "") + records[i];
  wrapped += "]}";
  sync::EndpointSpec split = s.endpoints.front();
  split.envelope = sync::Envelope::result_array;
  sync::RecordParser parser(s);
  std::string out;
  const auto outcome = parser.parse(wrapped, split, {"acme", "", ""}, out);
  ASSERT_EQ(outcome.rows, 3u);
  std::istringstream lines(out);
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  const std::string raw = copy_unescape(line.substr(line.rfind('\t') + 1));
  EXPECT_EQ(raw.find("\"program\""), std::string::npos) << raw;
  EXPECT_EQ(raw.find("\"channel\""), std::string::npos) << raw;
  EXPECT_NE(raw.find("\"trials\""), std::string::npos) << raw;
}

}  // namespace
}  // namespace partnersync::connectors
