// Value conversion: one field's text, as the JSON reader found it, to the COPY text of its
// column's ValueType, or "invalid" with the problem. Knows PostgreSQL's limits, not JSON parsing.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "daemon/model/stream_spec.hpp"

namespace partnersync::sync {

using model::ValueType;

// What kind of JSON value the text is; the only JSON knowledge this module has.
enum class InputKind : unsigned char { null, string, number, boolean, composite };

struct Input {
  InputKind kind = InputKind::null;
  // string: unescaped; number: the token as written; composite (object or array): its JSON
  // text, already validated by the reader; boolean: unused.
  std::string_view text;
  bool boolean = false;
};

enum class Problem : unsigned char {
  none,
  wrong_type,        // e.g. "maybe" for a boolean, 1.5 for an integer
  out_of_range,      // an integer beyond its column's type
  numeric_overflow,  // beyond PostgreSQL numeric: 131072 digits before the point, 16383 after
  nul,               // U+0000, which PostgreSQL text and jsonb cannot hold
};

enum class Verdict : unsigned char { value, null, invalid };

struct Conversion {
  Verdict verdict = Verdict::null;
  Problem problem = Problem::none;  // for invalid
  std::string_view text;            // for value: into the input or the scratch buffer
};

// Room for a converted value that is not a view of the input (a month's first day, a float's
// integer): written only when the verdict is `value`.
using Scratch = std::array<char, 40>;

// `input` as a value of a column of type `type`. Text values may hold any byte but NUL;
// values of the other types hold nothing COPY escapes (digits, signs, '.', 'e', '-', ':', ' ',
// 'T', "t"/"f"), except jsonb, which is JSON text. Inline below: it runs for every field.
inline Conversion convert(const Input& input, ValueType type, Scratch& scratch);

// Whether `digits` (an optionally signed run of digits) is in the range of `type` (smallint,
// integer or bigint).
inline bool integer_in_range(std::string_view digits, ValueType type);

// PostgreSQL numeric's limits on a decimal [+-]digits[.digits][(e|E)[+-]digits]: false when
// numeric_in would refuse it ("value overflows numeric format") or it is no such decimal.
bool numeric_fits(std::string_view decimal);

// A JSON number token exactly as RFC 8259 writes them (no '+', no leading zeros, digits on
// both sides of '.').
inline bool is_json_number(std::string_view token);

namespace detail {
enum class Shape : unsigned char;
}
// The same, telling a number with an exponent (Shape::exponent) from one without (plain).
inline detail::Shape json_number_shape(std::string_view token);

// What a JSON string token (with its quotes, escapes not yet decoded) holds.
enum class StringCheck : unsigned char { ok, nul, invalid };
// Escapes must be JSON's (\" \\ \/ \b \f \n \r \t \uXXXX), surrogates paired; \u0000 is `nul`.
StringCheck check_string_token(std::string_view token);

// "a datetime (YYYY-MM-DD HH:MM:SS)", for messages.
std::string_view type_name(ValueType type);
// The value as a message shows it (strings quoted and cut at 40 bytes).
std::string describe(const Input& input);
// One line, e.g. `"seats": 3000000000 is out of range for integer`.
std::string problem_text(std::string_view field, const Input& input, ValueType type,
                         Problem problem);

// ---- inline: the per-field path ----

namespace detail {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

inline bool is_integer_text(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

// What a decimal looks like: [+-] digits [. digits] [eE [+-] digits], at least one digit
// before the exponent, is what numeric_in reads (and a superset of JSON numbers).
enum class Shape : unsigned char { none, plain, exponent };

inline Shape decimal_shape(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return Shape::none;
  if (i == s.size()) return Shape::plain;
  if (s[i] != 'e' && s[i] != 'E') return Shape::none;
  ++i;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (!(i < s.size() && is_digit(s[i]))) return Shape::none;
  while (i < s.size() && is_digit(s[i])) ++i;
  return i == s.size() ? Shape::exponent : Shape::none;
}

// Whether a decimal of this shape fits numeric: without an exponent, fewer than 16384
// characters fit both limits.
inline bool shape_fits(std::string_view decimal, Shape shape);

// Two ASCII digits at `p` as a number, or -1.
inline int two_digits(const char* p) {
  const unsigned a = static_cast<unsigned char>(p[0]) - '0';
  const unsigned b = static_cast<unsigned char>(p[1]) - '0';
  return a < 10 && b < 10 ? static_cast<int>(a * 10 + b) : -1;
}

// Whether `s` holds a NUL byte: values are mostly short, so without a call to memchr (16
// bytes at a time, and a shorter rest as two overlapping 8-byte halves, as copy_text.hpp).
inline bool contains_nul(std::string_view s) {
  const char* p = s.data();
  const char* const end = p + s.size();
  auto has_zero = [](std::uint64_t v) {
    return ((v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL) != 0;
  };
  std::uint64_t a, b;
  while (end - p >= 16) {
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    if (has_zero(a) || has_zero(b)) return true;
    p += 16;
  }
  const auto rest = end - p;
  if (rest >= 8) {
    std::memcpy(&a, p, 8);
    std::memcpy(&b, end - 8, 8);
    return has_zero(a) || has_zero(b);
  }
  for (; p < end; ++p)
    if (*p == 0) return true;
  return false;
}

// The slow halves of convert() and numeric_fits(), in value_conversion.cpp.
Conversion integral_decimal(std::string_view text, ValueType type, Scratch& scratch);
bool decimal_fits(std::string_view decimal);
bool has_nul_escape(std::string_view json);

inline Conversion value(std::string_view text) { return {Verdict::value, Problem::none, text}; }
inline Conversion invalid(Problem p) { return {Verdict::invalid, p, {}}; }

inline Conversion to_scratch(std::string_view text, Scratch& scratch) {
  const auto n = std::min(text.size(), scratch.size());
  std::copy_n(text.data(), n, scratch.data());
  return value(std::string_view(scratch.data(), n));
}

}  // namespace detail

inline bool valid_date(std::string_view s) {
  using detail::two_digits;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  const int century = two_digits(s.data()), year2 = two_digits(s.data() + 2);
  const int month = two_digits(s.data() + 5), day = two_digits(s.data() + 8);
  if (century < 0 || year2 < 0 || month < 1 || month > 12 || day < 1) return false;
  const int year = century * 100 + year2;
  if (year < 1) return false;
  if (day <= 28) return true;
  const std::chrono::year_month_day ymd{std::chrono::year(year),
                                        std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  return ymd.ok();
}

// "YYYY-MM-DD HH:MM:SS" (or with 'T') with every field in range. LiveAgent's documents carry
// "2008-12-11 08:95:41" (../shared/api-docs/003): such values must not reach PostgreSQL.
inline bool valid_datetime(std::string_view s) {
  using detail::two_digits;
  if (s.size() != 19 || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':')
    return false;
  if (!valid_date(s.substr(0, 10))) return false;
  const int hh = two_digits(s.data() + 11), mm = two_digits(s.data() + 14),
            ss = two_digits(s.data() + 17);
  return hh >= 0 && hh < 24 && mm >= 0 && mm < 60 && ss >= 0 && ss < 60;
}

inline bool integer_in_range(std::string_view text, ValueType type) {
  if (text.size() <= 4) return true;  // at most 9999: in every type's range
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  while (text.size() > 1 && text[0] == '0') text.remove_prefix(1);
  // Magnitudes as text: compared by length, then digit by digit.
  std::string_view limit;
  switch (type) {
    case ValueType::smallint:
      limit = negative ? "32768" : "32767";
      break;
    case ValueType::bigint:
      limit = negative ? "9223372036854775808" : "9223372036854775807";
      break;
    default:
      limit = negative ? "2147483648" : "2147483647";
      break;
  }
  if (text.size() != limit.size()) return text.size() < limit.size();
  return text <= limit;
}

inline bool detail::shape_fits(std::string_view decimal, Shape shape) {
  if (shape == Shape::plain && decimal.size() < 16384) return true;
  return decimal_fits(decimal);
}

inline bool is_json_number(std::string_view s) {
  return json_number_shape(s) != detail::Shape::none;
}

inline detail::Shape json_number_shape(std::string_view s) {
  using detail::is_digit;
  using detail::Shape;
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i == s.size()) return Shape::none;
  if (s[i] == '0') {
    ++i;
  } else if (is_digit(s[i])) {
    while (i < s.size() && is_digit(s[i])) ++i;
  } else {
    return Shape::none;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!(i < s.size() && is_digit(s[i]))) return Shape::none;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i == s.size()) return Shape::plain;
  if (s[i] != 'e' && s[i] != 'E') return Shape::none;
  ++i;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (!(i < s.size() && is_digit(s[i]))) return Shape::none;
  while (i < s.size() && is_digit(s[i])) ++i;
  return i == s.size() ? Shape::exponent : Shape::none;
}

[[gnu::always_inline]] inline Conversion convert(const Input& v, ValueType type, Scratch& scratch) {
  using detail::invalid;
  using detail::value;
  constexpr Conversion kNull{};
  if (v.kind == InputKind::null) return kNull;
  const bool is_string = v.kind == InputKind::string;
  const bool is_number = v.kind == InputKind::number;
  switch (type) {
    case ValueType::text:
      if (v.kind == InputKind::boolean) return value(v.boolean ? "true" : "false");
      if (is_string && detail::contains_nul(v.text)) return invalid(Problem::nul);
      return value(v.text);
    case ValueType::jsonb:
      if (v.kind == InputKind::boolean) return value(v.boolean ? "true" : "false");
      if (v.kind == InputKind::composite)
        return detail::has_nul_escape(v.text) ? invalid(Problem::nul) : value(v.text);
      if (is_number) {
        const auto shape = detail::decimal_shape(v.text);
        if (shape == detail::Shape::none) return invalid(Problem::wrong_type);
        return detail::shape_fits(v.text, shape) ? value(v.text)
                                                 : invalid(Problem::numeric_overflow);
      }
      return invalid(Problem::wrong_type);  // a string's JSON text is not kept: none is declared
    case ValueType::boolean:
      if (v.kind == InputKind::boolean) return value(v.boolean ? "t" : "f");
      if (is_number || is_string) {
        if (is_string && v.text.empty()) return kNull;
        if (v.text == "1" || v.text == "true") return value("t");
        if (v.text == "0" || v.text == "false") return value("f");
      }
      return invalid(Problem::wrong_type);
    case ValueType::smallint:
    case ValueType::integer:
    case ValueType::bigint:
      if (is_string && v.text.empty()) return kNull;
      if (!is_number && !is_string) return invalid(Problem::wrong_type);
      if (detail::is_integer_text(v.text))
        return integer_in_range(v.text, type) ? value(v.text) : invalid(Problem::out_of_range);
      return detail::integral_decimal(v.text, type, scratch);  // 10.0, 1e3
    case ValueType::numeric:
      if (is_string && v.text.empty()) return kNull;
      if (!is_number && !is_string) return invalid(Problem::wrong_type);
      {
        const auto shape = detail::decimal_shape(v.text);
        if (shape == detail::Shape::none) return invalid(Problem::wrong_type);
        return detail::shape_fits(v.text, shape) ? value(v.text)
                                                 : invalid(Problem::numeric_overflow);
      }
    case ValueType::date:
      if (!is_string) return invalid(Problem::wrong_type);
      if (v.text.empty() || v.text == "0000-00-00") return kNull;
      return valid_date(v.text) ? value(v.text) : invalid(Problem::wrong_type);
    case ValueType::month:
      if (!is_string) return invalid(Problem::wrong_type);
      if (v.text.empty()) return kNull;
      if (v.text.size() >= 7 && valid_date(std::string(v.text.substr(0, 7)) + "-01") &&
          (v.text.size() == 7 || valid_date(v.text))) {
        char buf[10];
        std::copy_n(v.text.data(), 7, buf);
        std::copy_n("-01", 3, buf + 7);
        return detail::to_scratch(std::string_view(buf, 10), scratch);
      }
      return invalid(Problem::wrong_type);
    case ValueType::timestamp:
      if (!is_string) return invalid(Problem::wrong_type);
      if (v.text.empty() || v.text == "0000-00-00 00:00:00") return kNull;
      return valid_datetime(v.text) ? value(v.text) : invalid(Problem::wrong_type);
  }
  return invalid(Problem::wrong_type);
}

}  // namespace partnersync::sync
