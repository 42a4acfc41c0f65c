// remove_members (StreamSpec::removed_fields): a credential inside records leaves the body
// before anything parses, logs or quarantines it, whatever its position, type or escaping.
#include "daemon/sync/field_removal.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace partnersync::sync {
namespace {

std::string removed(std::string body) {
  const std::vector<std::string> names{"authtoken"};
  remove_members(body, names);
  return body;
}

TEST(FieldRemoval, RemovesTheMemberWithItsCommaWhereverItStands) {
  EXPECT_EQ(removed(R"({"a":1,"authtoken":"5ceef2","b":2})"), R"({"a":1,"b":2})");
  EXPECT_EQ(removed(R"({"authtoken":"5ceef2","b":2})"), R"({"b":2})");
  EXPECT_EQ(removed(R"({"a":1, "authtoken" : "5ceef2" })"), R"({"a":1 })");
  EXPECT_EQ(removed(R"({"authtoken":"x"})"), R"({})");
  EXPECT_EQ(removed(R"({"response":{"customers":[{"id":"c1","authtoken":"t1"},)"
                    R"({"authtoken":"t2","id":"c2"}]}})"),
            R"({"response":{"customers":[{"id":"c1"},{"id":"c2"}]}})");
}

TEST(FieldRemoval, ValuesOfAnyTypeAndEscapedQuotesGoWhole) {
  EXPECT_EQ(removed(R"({"authtoken":"a\"b,c}","x":1})"), R"({"x":1})");
  EXPECT_EQ(removed(R"({"authtoken":{"k":[1,"}"]},"x":1})"), R"({"x":1})");
  EXPECT_EQ(removed(R"({"authtoken":12345,"x":null})"), R"({"x":null})");
}

TEST(FieldRemoval, TheNameAsAValueOrInsideAStringIsKept) {
  EXPECT_EQ(removed(R"({"field":"authtoken","note":"\"authtoken\":1"})"),
            R"({"field":"authtoken","note":"\"authtoken\":1"})");
  EXPECT_EQ(removed(R"(["authtoken", "authtoken"])"), R"(["authtoken", "authtoken"])");
}

TEST(FieldRemoval, ABrokenBodyLosesTheMemberToo) {
  // What sync.quarantine keeps of a body cut in half.
  EXPECT_EQ(removed(R"({"response":{"agents":[{"authtoken":"5ceef2","userid":"u)"),
            R"({"response":{"agents":[{"userid":"u)");
}

}  // namespace
}  // namespace partnersync::sync
