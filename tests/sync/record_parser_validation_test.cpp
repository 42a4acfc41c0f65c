// RecordParser writes only what PostgreSQL accepts (issue 10): a body that is not JSON as a
// whole is a BodyError, a value its column cannot hold is an invalid value, a record whose raw
// jsonb cannot hold it is rejected, and the rest of the body lands. '|' alternatives skip nulls.
#include <gtest/gtest.h>

#include <sstream>

#include "daemon/sync/json_reader.hpp"
#include "daemon/sync/record_parser.hpp"

namespace partnersync::sync {
namespace {

constexpr std::size_t json_depth_limit() { return json::kMaxDepth; }

StreamSpec spec() {
  StreamSpec s;
  s.name = "t";
  s.key = {"source", "id"};
  s.columns = {
      {"id", ValueType::text, Origin::json, "id"},
      {"tier", ValueType::smallint, Origin::tier, ""},
      {"name", ValueType::text, Origin::json, "name"},
      {"seats", ValueType::integer, Origin::json, "seats"},
      {"invoice_no", ValueType::bigint, Origin::json, "invoice_no"},
      {"balance", ValueType::numeric, Origin::json, "balance"},
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

ParseOutcome parse(const std::string& body, std::string& out,
                   const EndpointSpec& endpoint = kResult) {
  RecordParser parser(spec());
  return parser.parse(body, endpoint, {"s", "", ""}, out);
}

// `middle` between two good records, as a result array.
std::string around(const std::string& middle) {
  return R"({"result":[{"id":"a","seats":1},)" + middle + R"(,{"id":"c","seats":3}]})";
}

TEST(RecordParserValidation, InvalidJsonAnywhereInTheBodyIsABodyError) {
  for (const std::string& body : std::vector<std::string>{
           around(R"({"id":"b","x":[1,,2]})"),           // inside an unknown field
           around(R"({"id":"b","x":{"y":[1 2]}})"),      // missing comma, nested
           around(R"({"id":"b","x":"\q"})"),             // invalid escape
           around(R"({"id":"b","x":"\uD800"})"),         // lone surrogate
           around(R"({"id":"b","x":01})"),               // leading zero
           around(R"({"id":"b","x":1.})"),               // no fraction digits
           around(R"({"id":"b","x":-})"),                // a sign alone
           around(R"({"id":"b","x":[tru]})"),            // not an atom
           around(R"({"id":"b","x":nul})"),              // not an atom
           around(R"({"id":"b","na\me":1})"),            // invalid escape in an unknown key
           around(R"({"id":"b","seats":01})"),           // a known field's number
           R"({"total":[1,,2],"result":[{"id":"a"}]})",  // beside the records
           R"({"result":[{"id":"a"}],"next":"\x"})",     // after them
       }) {
    std::string out = "previous\n";
    EXPECT_THROW(parse(body, out), BodyError) << body;
    EXPECT_EQ(out, "previous\n") << body;
  }
  const EndpointSpec la{{"/a"}, Envelope::liveagent_list, "accounts", {}};
  std::string out;
  EXPECT_THROW(parse(R"({"response":{"count":[1,,2],"accounts":[{"id":"a"}]}})", out, la),
               BodyError);
  EXPECT_THROW(parse(R"({"response":{"accounts":[{"id":"a"}]},"meta":{"x":01}})", out, la),
               BodyError);
  EXPECT_TRUE(out.empty());
}

TEST(RecordParserValidation, ValidJsonInUnknownFieldsStillLandsInRaw) {
  std::string out;
  const auto outcome = parse(
      around(R"({"id":"b","x":[1,{"y":"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"}],"z":-0.5e-3,"w":null,)"
             R"("v":true,"k\u0065y":false})"),
      out);
  EXPECT_EQ(outcome.rows, 3u);
  EXPECT_TRUE(outcome.rejected.empty());
  EXPECT_NE(rows_of(out)[1].back().find(R"("z":-0.5e-3)"), std::string::npos);
}

// simdjson On Demand sets no depth limit: without one, a million nested arrays would recurse a
// million times and overflow the stack (issue 15, hostile values).
TEST(RecordParserValidation, NestingDeeperThanTheLimitIsABodyErrorNotACrash) {
  for (const std::size_t depth : {std::size_t{1'000'000}, std::size_t{json_depth_limit() + 1}}) {
    std::string out;
    const std::string deep = std::string(depth, '[') + std::string(depth, ']');
    try {
      parse(around(R"({"id":"b","x":)" + deep + "}"), out);
      ADD_FAILURE() << depth << " levels were accepted";
    } catch (const BodyError& e) {
      EXPECT_NE(std::string(e.what()).find("nested deeper than"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(out.empty());
  }
  // At the limit the record lands, its raw as served.
  std::string out;
  const std::size_t depth = json_depth_limit();
  const std::string deep = std::string(depth, '[') + std::string(depth, ']');
  EXPECT_EQ(parse(around(R"({"id":"b","x":)" + deep + "}"), out).rows, 3u);
  EXPECT_NE(out.find(deep), std::string::npos);
}

TEST(RecordParserValidation, NulInARecordRejectsItAndTheRestLands) {
  // raw is jsonb, which cannot hold U+0000: wherever it is, the record cannot be staged.
  for (const std::string record :
       {R"({"id":"b","name":"a\u0000b"})", R"({"id":"b","x":{"y":["\u0000"]}})",
        R"({"id":"b","n\u0000me":1})"}) {
    std::string out;
    const auto outcome = parse(around(record), out);
    EXPECT_EQ(outcome.rows, 2u) << record;
    ASSERT_EQ(outcome.rejected.size(), 1u) << record;
    EXPECT_EQ(outcome.rejected[0].raw, record);
    EXPECT_NE(outcome.rejected[0].reason.find("\\u0000"), std::string::npos);
    const auto rows = rows_of(out);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0][1], "a");
    EXPECT_EQ(rows[1][1], "c");
    EXPECT_EQ(out.find('\0'), std::string::npos);
  }
  // An escaped backslash before "u0000" is text, not a NUL.
  std::string out;
  EXPECT_EQ(parse(around(R"({"id":"b","name":"a\\u0000b"})"), out).rows, 3u);
}

TEST(RecordParserValidation, NulInTextWithoutRawIsAnInvalidValue) {
  StreamSpec s = spec();
  s.partial_update = true;
  RecordParser parser(s);
  std::string out;
  const auto outcome = parser.parse(R"({"result":[{"id":"b","name":"a\u0000b","seats":2}]})",
                                    kResult, {"s", "", ""}, out);
  EXPECT_EQ(outcome.rows, 1u);
  EXPECT_EQ(outcome.invalid_values, 1u);
  ASSERT_EQ(outcome.problems.size(), 1u);
  EXPECT_EQ(outcome.problems[0],
            "record 0: \"name\": \"a\\u0000b\" contains U+0000, which PostgreSQL cannot store");
  EXPECT_EQ(rows_of(out)[0][3], "\\N");
  EXPECT_EQ(rows_of(out)[0][4], "2");
}

TEST(RecordParserValidation, IntegersBeyondTheirColumnTypeAreInvalidValues) {
  std::string out;
  const auto outcome =
      parse(around(R"({"id":"b","seats":3000000000,"invoice_no":3000000000})"), out);
  EXPECT_EQ(outcome.rows, 3u);
  EXPECT_EQ(outcome.invalid_values, 1u);
  ASSERT_EQ(outcome.problems.size(), 1u);
  EXPECT_EQ(outcome.problems[0], "record 1: \"seats\": 3000000000 is out of range for integer");
  const auto rows = rows_of(out);
  EXPECT_EQ(rows[1][4], "\\N");         // integer
  EXPECT_EQ(rows[1][5], "3000000000");  // bigint
}

TEST(RecordParserValidation, ATierGroupBeyondSmallintIsAnInvalidValue) {
  std::string out;
  const EndpointSpec old{{"/old"}, Envelope::tier_groups, "", {}};
  const auto outcome = parse(
      R"({"tier40000":[{"id":"a"}],"tier2":[{"id":"b"}],"tier99999999999999999999":[{"id":"c"}]})",
      out, old);
  EXPECT_EQ(outcome.rows, 3u);
  EXPECT_EQ(outcome.invalid_values, 2u);
  ASSERT_FALSE(outcome.problems.empty());
  EXPECT_EQ(outcome.problems[0], "record 0: \"tier40000\": 40000 is out of range for smallint");
  const auto rows = rows_of(out);
  EXPECT_EQ(rows[0][2], "\\N");
  EXPECT_EQ(rows[1][2], "2");
  EXPECT_EQ(rows[2][2], "\\N");
}

TEST(RecordParserValidation, NumbersNumericCannotHoldRejectTheRecordOrTheValue) {
  // As a JSON number it is in raw too (jsonb stores numbers as numeric): the record is rejected.
  for (const std::string record :
       {R"({"id":"b","balance":1e999999})", R"({"id":"b","x":[1e-999999]})",
        R"({"id":"b","seats":1e999999})"}) {
    std::string out;
    const auto outcome = parse(around(record), out);
    EXPECT_EQ(outcome.rows, 2u) << record;
    ASSERT_EQ(outcome.rejected.size(), 1u) << record;
    EXPECT_EQ(outcome.rejected[0].raw, record);
    EXPECT_NE(outcome.rejected[0].reason.find("numeric"), std::string::npos);
  }
  // As a string, raw holds it fine: only the value is refused.
  std::string out;
  const auto outcome = parse(around(R"({"id":"b","balance":"1e999999"})"), out);
  EXPECT_EQ(outcome.rows, 3u);
  EXPECT_EQ(outcome.invalid_values, 1u);
  ASSERT_EQ(outcome.problems.size(), 1u);
  EXPECT_EQ(outcome.problems[0].substr(0, 42), "record 1: \"balance\": \"1e999999\" overflows ");
  EXPECT_EQ(rows_of(out)[1][6], "\\N");
}

TEST(RecordParserValidation, AKeyItsColumnCannotHoldRejectsTheRecord) {
  StreamSpec s = spec();
  s.key = {"source", "seats"};
  RecordParser parser(s);
  std::string out;
  const auto outcome =
      parser.parse(around(R"({"id":"b","seats":3000000000})"), kResult, {"s", "", ""}, out);
  EXPECT_EQ(outcome.rows, 2u);
  ASSERT_EQ(outcome.rejected.size(), 1u);
  EXPECT_EQ(outcome.rejected[0].reason, "key column \"seats\" is missing or invalid");
}

StreamSpec withdrawals() {
  StreamSpec s;
  s.key = {"source", "withdrawal_key"};
  s.columns = {
      {"withdrawal_key", ValueType::text, Origin::json, "withdrawal_id|request_timestamp"},
      {"withdrawal_id", ValueType::bigint, Origin::json, "withdrawal_id"},
  };
  return s;
}

TEST(RecordParserValidation, AnAlternativeThatIsNullGivesWayToTheNext) {
  RecordParser parser(withdrawals());
  std::string out;
  const auto outcome =
      parser.parse(R"({"result":[{"withdrawal_id":null,"request_timestamp":"2024-01-02 03:04:05"},)"
                   R"({"request_timestamp":"2024-01-03 03:04:05","withdrawal_id":null},)"
                   R"({"withdrawal_id":77,"request_timestamp":"2024-01-04 03:04:05"},)"
                   R"({"request_timestamp":"2024-01-05 03:04:05","withdrawal_id":78}]})",
                   kResult, {"s", "", ""}, out);
  EXPECT_TRUE(outcome.rejected.empty());
  ASSERT_EQ(outcome.rows, 4u);
  const auto rows = rows_of(out);
  EXPECT_EQ(rows[0][1], "2024-01-02 03:04:05");
  EXPECT_EQ(rows[1][1], "2024-01-03 03:04:05");
  EXPECT_EQ(rows[2][1], "77");  // the preferred field wins when present, in either order
  EXPECT_EQ(rows[3][1], "78");
  EXPECT_EQ(rows[0][2], "\\N");
}

}  // namespace
}  // namespace partnersync::sync
