// The limits value conversion assumes, held against the real PostgreSQL of tests/run: what it
// lets through PostgreSQL accepts, what it refuses PostgreSQL refuses (numeric, the integer
// types, jsonb strings).
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <string>

#include "daemon/sync/value_conversion.hpp"
#include "tests/support/test_database.hpp"

namespace partnersync::sync {
namespace {

// Whether PostgreSQL takes `text` as a value of `type`.
bool accepts(pqxx::connection& c, const std::string& text, const std::string& type) {
  try {
    pqxx::work tx(c);
    tx.exec_params("SELECT $1::" + type, text);
    return true;
  } catch (const pqxx::data_exception&) {
    return false;
  }
}

TEST(ValueConversionPostgres, NumericLimitsAreNumericIns) {
  pqxx::connection c(testing::cluster_url());
  const std::vector<std::string> cases = {
      "1e131071",
      "1e131072",
      "9.99e131071",
      "0.001e131074",
      "0.001e131075",
      "1e-16383",
      "1e-16384",
      "1.5e-16382",
      "1.5e-16383",
      "0e999999",
      "0e-999999",
      "1e999999",
      "-1e999999",
      "1e-999999",
      "0e1073741822",
      "0e1073741823",
      "1e2147483648",
      "12.50",
      "-0.0",
      "1E+5",
      std::string(131072, '7'),
      std::string(131073, '7'),
      "0." + std::string(16383, '1'),
      "0." + std::string(16384, '0'),
      std::string(200000, '0') + "1",
  };
  for (const auto& text : cases)
    EXPECT_EQ(numeric_fits(text), accepts(c, text, "numeric")) << text.substr(0, 40);
}

TEST(ValueConversionPostgres, IntegerRangesAreTheColumnTypes) {
  pqxx::connection c(testing::cluster_url());
  const std::vector<std::pair<ValueType, std::string>> types = {{ValueType::smallint, "smallint"},
                                                                {ValueType::integer, "integer"},
                                                                {ValueType::bigint, "bigint"}};
  for (const auto& [type, name] : types) {
    for (const std::string text :
         {"32767", "32768", "-32768", "-32769", "2147483647", "2147483648", "-2147483648",
          "-2147483649", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
          "-9223372036854775809", "00000000000000000000000000001", "+7"}) {
      EXPECT_EQ(integer_in_range(text, type), accepts(c, text, name)) << name << " " << text;
    }
  }
}

TEST(ValueConversionPostgres, StringTokensJsonbRefusesAreRefused) {
  pqxx::connection c(testing::cluster_url());
  for (const std::string token : {R"("plain")", R"("a\u0000b")", R"("a\\u0000b")", R"("\uD800")",
                                  R"("\uDC00x")", R"("\uD83D\uDE00")", R"("\q")", R"("\u00e9")"}) {
    EXPECT_EQ(check_string_token(token) == StringCheck::ok, accepts(c, token, "jsonb")) << token;
  }
}

}  // namespace
}  // namespace partnersync::sync
