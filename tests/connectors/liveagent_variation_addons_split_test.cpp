// The LiveAgent split functions: split_variation_addons turns the add-ons nested in /variations
// (003 "Get all reseller variations") into records.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <stdexcept>
#include <string>

#include "connectors/liveagent/liveagent_streams.hpp"

namespace partnersync::connectors::liveagent {
namespace {

std::string variations(const std::string& list) {
  return R"({"response":{"variations":)" + list + "}}";
}

TEST(VariationAddonsSplit, EachNestedAddonIsARecordTaggedWithItsVariation) {
  const auto records = split_variation_addons(variations(
      R"([{"id":"v1","addons":[{"id":"a1","price":"99.90"},{"id":"a2","price":"1.50"}]},)"
      R"( {"name":"Team","addons":[{"id":"a3"}],"id":"v2"}])"));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], R"({"variation_id":"v1","served":{"id":"a1","price":"99.90"}})");
  EXPECT_EQ(records[1], R"({"variation_id":"v1","served":{"id":"a2","price":"1.50"}})");
  // "id" after "addons" in the variation still tags its add-ons.
  EXPECT_EQ(records[2], R"({"variation_id":"v2","served":{"id":"a3"}})");
}

// The add-on is "served" unedited: it becomes the row's raw (issue 12: raw is what was served).
TEST(VariationAddonsSplit, AddonValuesAreKeptExactlyAsReceived) {
  const auto records = split_variation_addons(
      variations(R"([{"id":7,"addons":[ {"price": 99.90, "name":"Caf\u00e9 \"chat\""} ]}])"));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0],
            R"({"variation_id":7,"served":{"price": 99.90, "name":"Caf\u00e9 \"chat\""}})");
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(records[0]).error(), simdjson::SUCCESS);
}

TEST(VariationAddonsSplit, AVariationWithoutIdTagsItsAddonsWithNull) {
  const auto records = split_variation_addons(variations(R"([{"addons":[{"id":"a1"}, {}]}])"));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0], R"({"variation_id":null,"served":{"id":"a1"}})");
  EXPECT_EQ(records[1], R"({"variation_id":null,"served":{}})");
}

TEST(VariationAddonsSplit, NullOrEmptyListsYieldNoRecords) {
  EXPECT_TRUE(split_variation_addons(variations("null")).empty());
  EXPECT_TRUE(split_variation_addons(variations("[]")).empty());
  EXPECT_TRUE(split_variation_addons(variations(R"([{"id":"v1","addons":null}])")).empty());
  EXPECT_TRUE(split_variation_addons(variations(R"([{"id":"v1","addons":[]}])")).empty());
  EXPECT_TRUE(split_variation_addons(variations(R"([{"id":"v1"}])")).empty());
}

TEST(VariationAddonsSplit, AnAddonThatIsNotAnObjectIsPassedOnForTheParserToReject) {
  const auto records = split_variation_addons(variations(R"([{"id":"v1","addons":["x", 3]}])"));
  EXPECT_EQ(records, (std::vector<std::string>{R"({"variation_id":"v1","served":"x"})",
                                               R"({"variation_id":"v1","served":3})"}));
}

TEST(VariationAddonsSplit, ErrorEnvelopeIsAnErrorEvenWithoutHttpError) {
  try {
    split_variation_addons(
        R"({"response":{"status":"ERROR","statuscode":500,"errormessage":"Example error message"}})");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("upstream error 500: Example error message"),
              std::string::npos)
        << e.what();
  }
}

TEST(VariationAddonsSplit, BodiesOfAnotherShapeAreErrors) {
  for (const char* body : {
           R"([])",                                           // not an object
           R"({"result":[]})",                                // no response
           R"({"response":{"accounts":[]}})",                 // no variations list
           R"({"response":{"variations":{}}})",               // variations not an array
           R"({"response":{"variations":[{"addons":{}}]}})",  // addons not an array
           R"({"response":{"variations":[]}} {})",            // trailing content
           R"({"response":{"variations":[{"id":"v1","addons":[{"id":"a1",}]}]}})",  // comma
           R"({"response":{"variations":[)",                                        // truncated
       }) {
    EXPECT_THROW(split_variation_addons(body), std::invalid_argument) << body;
  }
}

}  // namespace
}  // namespace partnersync::connectors::liveagent
