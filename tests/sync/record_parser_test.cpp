// RecordParser: envelopes, type conversion, key derivation and bad bodies, on the documents'
// examples (../shared/api-docs/001 "Get Licenses List", 000 tier groups, 003 error envelope).
#include "daemon/sync/record_parser.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "connectors/livechat/affiliate_license_key.hpp"

namespace partnersync::sync {
namespace {

StreamSpec license_spec() {
  StreamSpec s;
  s.name = "affiliate_licenses";
  s.table = "livechat.affiliate_licenses";
  s.key = {"source", "program", "license_key"};
  s.key_derivation = connectors::livechat::affiliate_license_key();
  s.columns = {
      {"program", ValueType::text, Origin::constant, "livechat"},
      {"license_key", ValueType::text, Origin::derived, ""},
      {"tier", ValueType::integer, Origin::tier, ""},
      {"client_email", ValueType::text, Origin::json, "client_email"},
      {"created_at", ValueType::timestamp, Origin::json, "creation_timestamp"},
      {"cc_added", ValueType::boolean, Origin::json, "cc_added"},
      {"seats", ValueType::integer, Origin::json, "seats"},
      {"total_commission", ValueType::numeric, Origin::json, "total_commission"},
  };
  return s;
}

std::vector<std::vector<std::string>> rows_of(const std::string& copy) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(copy);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream fields(line);
    while (std::getline(fields, cell, '\t')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

const EndpointSpec kResult{{"/x"}, Envelope::result_array, "", {}};

TEST(RecordParser, DocumentedLicenseExampleBecomesTypedRows) {
  RecordParser parser(license_spec());
  const std::string body = R"({"result":[
    {"client_email":"w...n@l...c","creation_timestamp":"2018-03-01 16:11:26","cc_added":false,
     "seats":100,"total_commission":0,"unknown_field":{"a":[1,2]}},
    {"client_email":"j...e@e...m","creation_timestamp":"2018-01-29 16:30:03","cc_added":true,
     "seats":10,"total_commission":1200.50}]})";
  std::string out;
  const auto outcome = parser.parse(body, kResult, {"acme", "", ""}, out);
  ASSERT_EQ(outcome.rows, 2u);
  EXPECT_EQ(outcome.invalid_values, 0u);
  const auto rows = rows_of(out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(parser.column_names().size(), rows[0].size());
  EXPECT_EQ(rows[0][0], "acme");
  EXPECT_EQ(rows[0][1], "livechat");
  EXPECT_EQ(rows[0][2], "2018-03-01 16:11:26|w...n@l...c|0");
  EXPECT_EQ(rows[0][3], "\\N");  // no tier in the current shape
  EXPECT_EQ(rows[0][6], "f");
  EXPECT_EQ(rows[0][7], "100");
  EXPECT_EQ(rows[1][8], "1200.50");  // numeric kept exactly as written
  EXPECT_NE(rows[0].back().find("\"unknown_field\""), std::string::npos);  // kept in raw
}

TEST(RecordParser, IdenticalRecordsGetIncreasingOrdinals) {
  RecordParser parser(license_spec());
  const std::string rec =
      R"({"client_email":"a...b@c...d","creation_timestamp":"2024-01-01 00:00:00"})";
  std::string out;
  parser.parse("{\"result\":[" + rec + "," + rec + "," + rec + "]}", kResult, {"s", "", ""}, out);
  const auto rows = rows_of(out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][2], "2024-01-01 00:00:00|a...b@c...d|0");
  EXPECT_EQ(rows[1][2], "2024-01-01 00:00:00|a...b@c...d|1");
  EXPECT_EQ(rows[2][2], "2024-01-01 00:00:00|a...b@c...d|2");
  // A second response starts counting again: keys are stable across re-reads.
  std::string again;
  parser.parse("{\"result\":[" + rec + "]}", kResult, {"s", "", ""}, again);
  EXPECT_EQ(rows_of(again)[0][2], "2024-01-01 00:00:00|a...b@c...d|0");
}

TEST(RecordParser, OrdinalsStayExactAcrossManyDistinctKeysAndResponses) {
  // Thousands of distinct keys (the counter grows past its first table) with every fifth key
  // repeated later in the response, then a second response reusing the same parser.
  RecordParser parser(license_spec());
  for (int response = 0; response < 2; ++response) {
    std::string body = "{\"result\":[";
    const int distinct = 3000;
    auto record = [](int i) {
      return R"({"client_email":"e)" + std::to_string(i) +
             R"(","creation_timestamp":"2024-01-01 00:00:00"})";
    };
    for (int i = 0; i < distinct; ++i) body += (i ? "," : "") + record(i);
    for (int i = 0; i < distinct; i += 5) body += "," + record(i);
    body += "]}";
    std::string out;
    parser.parse(body, kResult, {"s", "", ""}, out);
    const auto rows = rows_of(out);
    ASSERT_EQ(rows.size(), static_cast<std::size_t>(distinct + distinct / 5));
    for (int i = 0; i < distinct; ++i)
      ASSERT_EQ(rows[i][2], "2024-01-01 00:00:00|e" + std::to_string(i) + "|0");
    for (int k = 0; k < distinct / 5; ++k)
      ASSERT_EQ(rows[distinct + k][2], "2024-01-01 00:00:00|e" + std::to_string(5 * k) + "|1");
  }
}

TEST(RecordParser, OrdinalsStayExactWhicheverWayTheTimesRun) {
  // Counting looks only at the current run of equal times while the times keep one
  // direction, and at every key seen once they turn back: both must give the same counts.
  RecordParser parser(license_spec());
  auto record = [](const std::string& time, const std::string& email) {
    return R"({"client_email":")" + email + R"(","creation_timestamp":"2024-01-0)" + time +
           R"( 00:00:00"})";
  };
  const std::vector<std::pair<std::string, std::string>> records = {
      {"3", "a"}, {"3", "b"}, {"3", "a"}, {"2", "a"}, {"2", "a"},  // newest first, runs of 3 and 2
      {"3", "a"}, {"1", "b"}, {"2", "a"}, {"3", "b"}, {"1", "b"},  // turned back: all keys count
  };
  const std::vector<int> expected = {0, 0, 1, 0, 1, 2, 0, 2, 1, 1};
  std::string body = "{\"result\":[";
  for (std::size_t i = 0; i < records.size(); ++i)
    body += (i ? "," : "") + record(records[i].first, records[i].second);
  body += "]}";
  for (int response = 0; response < 2; ++response) {  // the second starts from zero again
    std::string out;
    parser.parse(body, kResult, {"s", "", ""}, out);
    const auto rows = rows_of(out);
    ASSERT_EQ(rows.size(), records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(rows[i][2], "2024-01-0" + records[i].first + " 00:00:00|" + records[i].second +
                                "|" + std::to_string(expected[i]))
          << "record " << i;
    }
  }
}

TEST(RecordParser, DatetimesOutsideTheCalendarOrClockAreInvalid) {
  RecordParser parser(license_spec());
  const std::vector<std::pair<std::string, bool>> cases = {
      {"2024-02-29 23:59:59", true},  {"2023-02-29 00:00:00", false},
      {"2024-04-30 12:00:00", true},  {"2024-04-31 12:00:00", false},
      {"2024-13-01 00:00:00", false}, {"2024-00-10 00:00:00", false},
      {"2024-01-00 00:00:00", false}, {"2024-1a-01 00:00:00", false},
      {"2024-01-01T08:30:00", true},  {"2024-01-01 24:00:00", false},
      {"2024-01-01 23:60:00", false}, {"2024-01-01 23:00:60", false},
      {"0000-01-01 00:00:00", false}, {"2024-01-01 00:00", false},
      {"2100-02-29 00:00:00", false}, {"2000-02-29 00:00:00", true},
  };
  for (const auto& [value, valid] : cases) {
    std::string out;
    const auto outcome =
        parser.parse(R"({"result":[{"client_email":"a","creation_timestamp":")" + value + "\"}]}",
                     kResult, {"s", "", ""}, out);
    EXPECT_EQ(outcome.invalid_values, valid ? 0u : 1u) << value;
    EXPECT_EQ(rows_of(out)[0][5], valid ? value : "\\N") << value;
  }
}

TEST(RecordParser, KeysMatchByTheirUnescapedNameOnly) {
  // "seat\u0073" is "seats"; "seat", "seats2" and "se\"ats" are other fields.
  RecordParser parser(license_spec());
  std::string out;
  parser.parse(R"({"result":[{"client_email":"a","creation_timestamp":"2024-01-01 00:00:00",)"
               R"("seat":1,"seats2":2,"se\"ats":3,"seat\u0073":4,"cc_add\u0065d":true}]})",
               kResult, {"s", "", ""}, out);
  const auto rows = rows_of(out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][7], "4");
  EXPECT_EQ(rows[0][6], "t");
}

TEST(RecordParser, RawIsEachRecordsTextExactly) {
  // Nested values, escapes and whitespace inside and between records: raw is the record's
  // bytes from '{' to '}', whatever follows it.
  RecordParser parser(license_spec());
  const std::string first =
      R"({"client_email":"a","creation_timestamp":"2024-01-01 00:00:00","x":{"y":[1,{"z":"}"}]}})";
  const std::string second = R"({ "seats" : 2 , "client_email":"b\"c", "creation_timestamp":
 "2024-01-02 00:00:00" })";
  std::string out;
  parser.parse("{\"result\":[ " + first + " ,\n\t" + second + "\r\n] }", kResult, {"s", "", ""},
               out);
  const auto rows = rows_of(out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].back(), first);
  // With COPY's escapes for the second record's backslash and newline.
  EXPECT_EQ(
      rows[1].back(),
      R"({ "seats" : 2 , "client_email":"b\\"c", "creation_timestamp":\n "2024-01-02 00:00:00" })");
}

TEST(RecordParser, OldTierGroupsSetTheTierColumn) {
  RecordParser parser(license_spec());
  const std::string body =
      R"({"tier1":[{"client_email":"a","creation_timestamp":"2018-03-01 16:11:26"}],
                               "tier2":[{"client_email":"b","creation_timestamp":"2018-03-02 16:11:26"}]})";
  std::string out;
  const EndpointSpec old{{"/old"}, Envelope::tier_groups, "", {}};
  parser.parse(body, old, {"s", "", ""}, out);
  const auto rows = rows_of(out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][3], "1");
  EXPECT_EQ(rows[1][3], "2");
}

TEST(RecordParser, NumbersAndBooleansGivenAsStringsAreAccepted) {
  RecordParser parser(license_spec());
  std::string out;
  const auto outcome = parser.parse(
      R"({"result":[{"client_email":"a","creation_timestamp":"2018-03-01 16:11:26","cc_added":"true","seats":"12","total_commission":"99.90"}]})",
      kResult, {"s", "", ""}, out);
  EXPECT_EQ(outcome.invalid_values, 0u);
  const auto row = rows_of(out)[0];
  EXPECT_EQ(row[6], "t");
  EXPECT_EQ(row[7], "12");
  EXPECT_EQ(row[8], "99.90");
}

TEST(RecordParser, WrongTypesAreReportedPerRecordAndStoredAsNull) {
  RecordParser parser(license_spec());
  std::string out;
  const auto outcome = parser.parse(
      R"({"result":[{"client_email":"a","creation_timestamp":"2008-12-11 08:95:41","cc_added":"maybe","seats":1.5}]})",
      kResult, {"s", "", ""}, out);
  EXPECT_EQ(outcome.rows, 1u);
  EXPECT_EQ(outcome.invalid_values, 3u);
  ASSERT_FALSE(outcome.problems.empty());
  EXPECT_EQ(outcome.problems[0],
            "record 0: \"creation_timestamp\": expected a datetime (YYYY-MM-DD HH:MM:SS), got "
            "\"2008-12-11 08:95:41\"");
  const auto row = rows_of(out)[0];
  EXPECT_EQ(row[5], "\\N");
  EXPECT_EQ(row[6], "\\N");
  EXPECT_EQ(row[7], "\\N");
}

TEST(RecordParser, InvalidJsonIsABodyErrorAndAppendsNothing) {
  RecordParser parser(license_spec());
  std::string out = "previous\n";
  EXPECT_THROW(
      parser.parse(R"({"result":[{"client_email":"a"},{"client_em)", kResult, {"s", "", ""}, out),
      BodyError);
  EXPECT_EQ(out, "previous\n");
}

TEST(RecordParser, TrailingContentIsABodyError) {
  RecordParser parser(license_spec());
  std::string out;
  EXPECT_THROW(parser.parse(R"({"result":[]} {"result":[]})", kResult, {"s", "", ""}, out),
               BodyError);
  EXPECT_THROW(parser.parse(R"({"result":[]} 5)", kResult, {"s", "", ""}, out), BodyError);
  EXPECT_TRUE(out.empty());
}

TEST(RecordParser, MissingResultArrayIsABodyError) {
  RecordParser parser(license_spec());
  std::string out;
  EXPECT_THROW(parser.parse(R"({"error":"x"})", kResult, {"s", "", ""}, out), BodyError);
}

TEST(RecordParser, CopySpecialCharactersAreEscaped) {
  RecordParser parser(license_spec());
  std::string out;
  parser.parse(
      R"({"result":[{"client_email":"tab\there\\back\nline","creation_timestamp":"2018-03-01 16:11:26"}]})",
      kResult, {"s", "", ""}, out);
  EXPECT_NE(out.find("tab\\there\\\\back\\nline"), std::string::npos) << out;
  EXPECT_EQ(rows_of(out).size(), 1u);
}

TEST(RecordParser, LiveAgentErrorEnvelopeWithHttp200IsAnError) {
  StreamSpec s;
  s.key = {"source", "account_id"};
  s.columns = {{"account_id", ValueType::text, Origin::json, "id"}};
  RecordParser parser(s);
  std::string out;
  const EndpointSpec la{{"/accounts"}, Envelope::liveagent_list, "accounts", {}};
  try {
    parser.parse(
        R"({"response":{"status":"ERROR","statuscode":401,"errormessage":"Invalid API key","debugmessage":""}})",
        la, {"s", "", ""}, out);
    FAIL() << "error envelope parsed as data";
  } catch (const UpstreamErrorEnvelope& e) {
    EXPECT_EQ(e.status_code(), 401);
    EXPECT_STREQ(e.what(), "upstream error 401: Invalid API key");
  }
  const auto ok = parser.parse(R"({"response":{"accounts":[{"id":"a1"},{"id":"a2"}]}})", la,
                               {"s", "", ""}, out);
  EXPECT_EQ(ok.rows, 2u);
}

TEST(RecordParser, LiveAgentObjectEnvelopeIsOneRecordAndTrailingContentIsAnError) {
  StreamSpec s;
  s.key = {"source", "account_id"};
  s.partial_update = true;
  s.columns = {{"account_id", ValueType::text, Origin::parent_key, ""},
               {"max_agents", ValueType::integer, Origin::json, "value"}};
  RecordParser parser(s);
  const EndpointSpec attribute{{"/attributes/max_agents"}, Envelope::liveagent_object, "", {}};
  std::string out;
  const auto outcome =
      parser.parse(R"({"response":{"value":"99"}} )", attribute, {"s", "", "acc1"}, out);
  EXPECT_EQ(outcome.rows, 1u);
  EXPECT_EQ(out, "s\tacc1\t99\n");  // partial updates stage no raw
  std::string rejected;
  EXPECT_THROW(
      parser.parse(R"({"response":{"value":"99"}} {})", attribute, {"s", "", "acc1"}, rejected),
      BodyError);
  EXPECT_TRUE(rejected.empty());
}

TEST(RecordParser, RecordWithoutKeyIsRejectedNotWritten) {
  StreamSpec s;
  s.key = {"source", "account_id"};
  s.columns = {{"account_id", ValueType::text, Origin::json, "id"}};
  RecordParser parser(s);
  std::string out;
  const EndpointSpec la{{"/accounts"}, Envelope::liveagent_list, "accounts", {}};
  const auto outcome = parser.parse(R"({"response":{"accounts":[{"id":"a1"},{"name":"no id"}]}})",
                                    la, {"s", "", ""}, out);
  EXPECT_EQ(outcome.rows, 1u);
  ASSERT_EQ(outcome.rejected.size(), 1u);
  EXPECT_EQ(outcome.rejected[0].raw, R"({"name":"no id"})");
}

TEST(RecordParser, AlternativePathsPreferTheFirstPresent) {
  StreamSpec s;
  s.key = {"source"};
  s.columns = {
      {"commission_total", ValueType::numeric, Origin::json, "commission_total|commission"},
      {"reseller_discount", ValueType::numeric, Origin::json,
       "reseller/livechat/discount|discount"}};
  RecordParser parser(s);
  const EndpointSpec obj{{"/earnings"}, Envelope::object, "", {}};
  std::string current, old;
  parser.parse(R"({"commission_total":7316,"reseller":{"livechat":{"discount":2060}}})", obj,
               {"s", "", ""}, current);
  parser.parse(R"({"commission":15,"discount":3})", obj, {"s", "", ""}, old);
  EXPECT_EQ(rows_of(current)[0][1], "7316");
  EXPECT_EQ(rows_of(current)[0][2], "2060");
  EXPECT_EQ(rows_of(old)[0][1], "15");
  EXPECT_EQ(rows_of(old)[0][2], "3");
}

}  // namespace
}  // namespace partnersync::sync
