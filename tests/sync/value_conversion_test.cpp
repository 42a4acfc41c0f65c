// Value conversion without JSON: every ValueType, integer ranges per column type, PostgreSQL
// numeric's limits, NUL, impossible dates, and the token checks the JSON reader relies on.
#include "daemon/sync/value_conversion.hpp"

#include <gtest/gtest.h>

#include <string>

namespace partnersync::sync {
namespace {

Input str(std::string_view s) { return {InputKind::string, s}; }
Input num(std::string_view s) { return {InputKind::number, s}; }
Input boolean(bool b) { return {InputKind::boolean, {}, b}; }

// "=text", "NULL" or "invalid:<problem>".
std::string conv(const Input& in, ValueType type) {
  Scratch scratch{};
  const Conversion c = convert(in, type, scratch);
  switch (c.verdict) {
    case Verdict::value:
      return "=" + std::string(c.text);
    case Verdict::null:
      return "NULL";
    case Verdict::invalid:
      switch (c.problem) {
        case Problem::wrong_type:
          return "invalid:type";
        case Problem::out_of_range:
          return "invalid:range";
        case Problem::numeric_overflow:
          return "invalid:overflow";
        case Problem::nul:
          return "invalid:nul";
        case Problem::none:
          return "invalid:none";
      }
  }
  return "?";
}

TEST(ValueConversion, NullIsNullForEveryType) {
  for (auto t : {ValueType::text, ValueType::boolean, ValueType::smallint, ValueType::integer,
                 ValueType::bigint, ValueType::numeric, ValueType::date, ValueType::month,
                 ValueType::timestamp, ValueType::jsonb})
    EXPECT_EQ(conv(Input{}, t), "NULL") << static_cast<int>(t);
}

TEST(ValueConversion, TextTakesStringsNumbersBooleansButNoNul) {
  EXPECT_EQ(conv(str("a\tb"), ValueType::text), "=a\tb");  // COPY escaping is the writer's
  EXPECT_EQ(conv(num("12.50"), ValueType::text), "=12.50");
  EXPECT_EQ(conv(boolean(true), ValueType::text), "=true");
  EXPECT_EQ(conv(str(std::string_view("a\0b", 3)), ValueType::text), "invalid:nul");
  EXPECT_EQ(conv(str(""), ValueType::text), "=");
}

TEST(ValueConversion, BooleansFromJsonStringsAndDigits) {
  EXPECT_EQ(conv(boolean(false), ValueType::boolean), "=f");
  EXPECT_EQ(conv(str("true"), ValueType::boolean), "=t");
  EXPECT_EQ(conv(num("0"), ValueType::boolean), "=f");
  EXPECT_EQ(conv(str(""), ValueType::boolean), "NULL");
  EXPECT_EQ(conv(str("maybe"), ValueType::boolean), "invalid:type");
  EXPECT_EQ(conv(num("2"), ValueType::boolean), "invalid:type");
}

TEST(ValueConversion, IntegersWithinTheirColumnsType) {
  EXPECT_EQ(conv(num("32767"), ValueType::smallint), "=32767");
  EXPECT_EQ(conv(num("-32768"), ValueType::smallint), "=-32768");
  EXPECT_EQ(conv(num("32768"), ValueType::smallint), "invalid:range");
  EXPECT_EQ(conv(num("40000"), ValueType::smallint), "invalid:range");
  EXPECT_EQ(conv(num("2147483647"), ValueType::integer), "=2147483647");
  EXPECT_EQ(conv(num("-2147483648"), ValueType::integer), "=-2147483648");
  EXPECT_EQ(conv(num("3000000000"), ValueType::integer), "invalid:range");
  EXPECT_EQ(conv(str("3000000000"), ValueType::integer), "invalid:range");
  EXPECT_EQ(conv(num("3000000000"), ValueType::bigint), "=3000000000");
  EXPECT_EQ(conv(num("9223372036854775807"), ValueType::bigint), "=9223372036854775807");
  EXPECT_EQ(conv(num("-9223372036854775808"), ValueType::bigint), "=-9223372036854775808");
  EXPECT_EQ(conv(num("9223372036854775808"), ValueType::bigint), "invalid:range");
  EXPECT_EQ(conv(num("123456789012345678901234567890"), ValueType::bigint), "invalid:range");
  // Leading zeros do not count towards the range (PostgreSQL reads them as the value).
  EXPECT_EQ(conv(str("000000000000000000000032767"), ValueType::smallint),
            "=000000000000000000000032767");
  EXPECT_EQ(conv(str("+12"), ValueType::integer), "=+12");
  EXPECT_EQ(conv(str(""), ValueType::integer), "NULL");
  EXPECT_EQ(conv(str("12a"), ValueType::integer), "invalid:type");
  EXPECT_EQ(conv(boolean(true), ValueType::integer), "invalid:type");
}

TEST(ValueConversion, IntegralDecimalsAreIntegersExactly) {
  EXPECT_EQ(conv(num("10.0"), ValueType::integer), "=10");
  EXPECT_EQ(conv(num("1e3"), ValueType::integer), "=1000");
  EXPECT_EQ(conv(num("-2.50e1"), ValueType::integer), "=-25");
  EXPECT_EQ(conv(num("1.5"), ValueType::integer), "invalid:type");
  EXPECT_EQ(conv(num("1e-1"), ValueType::integer), "invalid:type");
  EXPECT_EQ(conv(num("0e999999999"), ValueType::integer), "=0");
  EXPECT_EQ(conv(num("0.000"), ValueType::smallint), "=0");
  // Exact beyond double's 53 bits.
  EXPECT_EQ(conv(num("9.223372036854775807e18"), ValueType::bigint), "=9223372036854775807");
  EXPECT_EQ(conv(num("9.223372036854775808e18"), ValueType::bigint), "invalid:range");
  EXPECT_EQ(conv(num("4e4"), ValueType::smallint), "invalid:range");
  EXPECT_EQ(conv(num("1e999999"), ValueType::integer), "invalid:range");
}

TEST(ValueConversion, NumericsWithinPostgresLimits) {
  EXPECT_EQ(conv(num("1200.50"), ValueType::numeric), "=1200.50");  // as written
  EXPECT_EQ(conv(str("99.90"), ValueType::numeric), "=99.90");
  EXPECT_EQ(conv(num("-1.5e-3"), ValueType::numeric), "=-1.5e-3");
  EXPECT_EQ(conv(num("1e999999"), ValueType::numeric), "invalid:overflow");
  EXPECT_EQ(conv(str("1e999999"), ValueType::numeric), "invalid:overflow");
  EXPECT_EQ(conv(num("1e-999999"), ValueType::numeric), "invalid:overflow");
  EXPECT_EQ(conv(str("abc"), ValueType::numeric), "invalid:type");
  EXPECT_EQ(conv(str(""), ValueType::numeric), "NULL");
  // The edges: 131072 digits before the point, 16383 after.
  EXPECT_TRUE(numeric_fits("1e131071"));
  EXPECT_FALSE(numeric_fits("1e131072"));
  EXPECT_TRUE(numeric_fits("9.99e131071"));
  EXPECT_TRUE(numeric_fits("0.001e131074"));
  EXPECT_TRUE(numeric_fits("1e-16383"));
  EXPECT_FALSE(numeric_fits("1e-16384"));
  EXPECT_TRUE(numeric_fits("1.5e-16382"));
  EXPECT_FALSE(numeric_fits("1.5e-16383"));
  EXPECT_TRUE(numeric_fits(std::string(131072, '7')));
  EXPECT_FALSE(numeric_fits(std::string(131073, '7')));
  EXPECT_TRUE(numeric_fits("0." + std::string(16383, '1')));
  EXPECT_FALSE(numeric_fits("0." + std::string(16384, '0')));  // the scale counts, not the value
  EXPECT_TRUE(numeric_fits("0e999999"));                       // zero has no weight
  EXPECT_FALSE(numeric_fits("0e-999999"));                     // but a scale
  EXPECT_FALSE(numeric_fits("0e99999999999999999999"));        // past INT_MAX / 2: refused outright
  EXPECT_TRUE(numeric_fits(std::string(200000, '0') + "1"));   // leading zeros have no weight
}

TEST(ValueConversion, DatesMonthsAndTimestampsMustExist) {
  EXPECT_EQ(conv(str("2024-02-29"), ValueType::date), "=2024-02-29");
  EXPECT_EQ(conv(str("2024-02-30"), ValueType::date), "invalid:type");
  EXPECT_EQ(conv(str("2023-02-29"), ValueType::date), "invalid:type");
  EXPECT_EQ(conv(str("0000-00-00"), ValueType::date), "NULL");
  EXPECT_EQ(conv(str("0000-01-01"), ValueType::date), "invalid:type");
  EXPECT_EQ(conv(num("20240101"), ValueType::date), "invalid:type");
  EXPECT_EQ(conv(str("2024-02"), ValueType::month), "=2024-02-01");
  EXPECT_EQ(conv(str("2024-02-29"), ValueType::month), "=2024-02-01");
  EXPECT_EQ(conv(str("2024-02-30"), ValueType::month), "invalid:type");
  EXPECT_EQ(conv(str("2024-13"), ValueType::month), "invalid:type");
  EXPECT_EQ(conv(str("2024-02-29 23:59:59"), ValueType::timestamp), "=2024-02-29 23:59:59");
  EXPECT_EQ(conv(str("2024-02-30 00:00:00"), ValueType::timestamp), "invalid:type");
  EXPECT_EQ(conv(str("2008-12-11 08:95:41"), ValueType::timestamp), "invalid:type");
  EXPECT_EQ(conv(str("0000-00-00 00:00:00"), ValueType::timestamp), "NULL");
  EXPECT_EQ(conv(str(std::string_view("2024-01-01\0 00:00:0", 19)), ValueType::timestamp),
            "invalid:type");
}

TEST(ValueConversion, JsonbTakesCompositesNumbersAndBooleans) {
  EXPECT_EQ(conv(Input{InputKind::composite, R"({"a":[1]})"}, ValueType::jsonb), R"(={"a":[1]})");
  EXPECT_EQ(conv(Input{InputKind::composite, R"(["\u0000"])"}, ValueType::jsonb), "invalid:nul");
  EXPECT_EQ(conv(Input{InputKind::composite, R"(["\\u0000"])"}, ValueType::jsonb),
            R"(=["\\u0000"])");  // an escaped backslash, then text
  EXPECT_EQ(conv(num("1e999999"), ValueType::jsonb), "invalid:overflow");
  EXPECT_EQ(conv(boolean(true), ValueType::jsonb), "=true");
}

TEST(ValueConversion, JsonNumberGrammar) {
  for (auto ok : {"0", "-0", "12", "-1.5", "1e5", "1E+5", "1.0e-5", "1e999999"})
    EXPECT_TRUE(is_json_number(ok)) << ok;
  for (auto bad : {"", "-", "01", "+1", "1.", ".5", "1e", "1e+", "1x", "--1", "0x10", "1.5.2"})
    EXPECT_FALSE(is_json_number(bad)) << bad;
}

TEST(ValueConversion, StringTokensEscapesAndNul) {
  EXPECT_EQ(check_string_token(R"("plain")"), StringCheck::ok);
  EXPECT_EQ(check_string_token(R"("a\"b\\c\/d\b\f\n\r\t")"), StringCheck::ok);
  EXPECT_EQ(check_string_token(R"("\u00e9\uD83D\uDE00")"), StringCheck::ok);
  EXPECT_EQ(check_string_token(R"("a\u0000b")"), StringCheck::nul);
  EXPECT_EQ(check_string_token(R"("a\\u0000b")"), StringCheck::ok);  // backslash, then text
  EXPECT_EQ(check_string_token(R"("\q")"), StringCheck::invalid);
  EXPECT_EQ(check_string_token(R"("\u12")"), StringCheck::invalid);
  EXPECT_EQ(check_string_token(R"("\u12g4")"), StringCheck::invalid);
  EXPECT_EQ(check_string_token(R"("\uD800")"), StringCheck::invalid);        // lone high half
  EXPECT_EQ(check_string_token(R"("\uDC00")"), StringCheck::invalid);        // lone low half
  EXPECT_EQ(check_string_token(R"("\uD800\u0041")"), StringCheck::invalid);  // not a low half
}

TEST(ValueConversion, ProblemsAreOneLineOfText) {
  EXPECT_EQ(problem_text("seats", num("3000000000"), ValueType::integer, Problem::out_of_range),
            "\"seats\": 3000000000 is out of range for integer");
  EXPECT_EQ(problem_text("paid", str("maybe"), ValueType::boolean, Problem::wrong_type),
            "\"paid\": expected a boolean, got \"maybe\"");
  EXPECT_EQ(problem_text("balance", num("1e999999"), ValueType::numeric, Problem::numeric_overflow),
            "\"balance\": 1e999999 overflows PostgreSQL numeric (at most 131072 digits before "
            "the point, 16383 after)");
  // NUL and control characters are shown as escapes; a cut never splits a UTF-8 character.
  EXPECT_EQ(problem_text("name", str(std::string_view("a\0b\n", 4)), ValueType::text, Problem::nul),
            "\"name\": \"a\\u0000b\\u000a\" contains U+0000, which PostgreSQL cannot store");
  const std::string pad(31, 'x');  // byte 40 is the second byte of the fifth é
  const std::string text = pad + "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
  EXPECT_EQ(describe(str(text)), "\"" + pad + "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...\"");
}

}  // namespace
}  // namespace partnersync::sync
