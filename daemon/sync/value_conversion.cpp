// Value conversion to COPY text within PostgreSQL's limits (numeric_in, int2/int4/int8 input,
// date and timestamptz input), so that no value the parser writes can fail a window's COPY.
#include "daemon/sync/value_conversion.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>

namespace partnersync::sync {
namespace {

using detail::is_digit;

// A decimal taken apart: [sign] int_digits [. frac_digits] [e exponent].
struct Decimal {
  bool negative = false;
  std::string_view int_digits, frac_digits;
  long long exponent = 0;  // saturated at +-kExponentCap
};

constexpr long long kExponentCap = 10'000'000'000;  // past INT_MAX / 2: numeric_in refuses it

// Decimal text as numeric_in and the JSON grammar's superset accept it:
// [+-] digits [. digits] [eE [+-] digits], with at least one digit before the exponent.
bool split_decimal(std::string_view s, Decimal& d) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) d.negative = s[i++] == '-';
  const std::size_t int_begin = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  d.int_digits = s.substr(int_begin, i - int_begin);
  if (i < s.size() && s[i] == '.') {
    const std::size_t frac_begin = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    d.frac_digits = s.substr(frac_begin, i - frac_begin);
  }
  if (d.int_digits.empty() && d.frac_digits.empty()) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
    if (!(i < s.size() && is_digit(s[i]))) return false;
    long long e = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) e = std::min(kExponentCap, e * 10 + (s[i] - '0'));
    d.exponent = negative ? -e : e;
  }
  return i == s.size();
}

// PostgreSQL numeric (src/backend/utils/adt/numeric.c): an exponent beyond INT_MAX / 2 is
// refused outright; otherwise the display scale (digits after the point) is at most
// NUMERIC_DSCALE_MAX = 16383 and the weight at most 32767 base-10000 digits, i.e. 131072
// decimal digits before the point. A zero has weight 0 whatever its exponent.
bool fits(const Decimal& d) {
  if (d.exponent >= INT_MAX / 2 || d.exponent <= -(INT_MAX / 2)) return false;
  const long long scale = std::max(0LL, static_cast<long long>(d.frac_digits.size()) - d.exponent);
  if (scale > 16383) return false;
  // Position of the first non-zero digit: its count of digits before the point.
  const std::size_t int_nonzero = d.int_digits.find_first_not_of('0');
  long long before_point;
  if (int_nonzero != std::string_view::npos) {
    before_point = static_cast<long long>(d.int_digits.size() - int_nonzero) + d.exponent;
  } else {
    const std::size_t frac_nonzero = d.frac_digits.find_first_not_of('0');
    if (frac_nonzero == std::string_view::npos) return true;  // zero
    before_point = d.exponent - static_cast<long long>(frac_nonzero);
  }
  return before_point <= 131072;
}

}  // namespace

// A JSON text holds U+0000 as the escape \u0000 (a raw NUL byte is not JSON).
bool detail::has_nul_escape(std::string_view json) {
  for (std::size_t i = json.find('\\'); i != std::string_view::npos; i = json.find('\\', i)) {
    if (json.substr(i + 1, 5) == "u0000") return true;
    i += 2;  // the escaped character, a backslash included, is not a new escape
  }
  return false;
}

// An integral decimal as an integer of `type`: 10.0 and 1e3 are integers, 1.5 is not.
Conversion detail::integral_decimal(std::string_view text, ValueType type, Scratch& scratch) {
  Decimal d;
  if (!split_decimal(text, d)) return invalid(Problem::wrong_type);
  // The digits (integer then fraction) times 10^(exponent - fraction length).
  const long long point = static_cast<long long>(d.int_digits.size()) + d.exponent;
  auto digit = [&](long long i) -> char {
    if (i < 0) return '0';
    const auto u = static_cast<std::size_t>(i);
    if (u < d.int_digits.size()) return d.int_digits[u];
    if (u - d.int_digits.size() < d.frac_digits.size())
      return d.frac_digits[u - d.int_digits.size()];
    return '0';
  };
  const long long total =
      static_cast<long long>(d.int_digits.size()) + static_cast<long long>(d.frac_digits.size());
  for (long long i = std::max(0LL, point); i < total; ++i)
    if (digit(i) != '0') return invalid(Problem::wrong_type);  // a fraction
  long long first = 0;                                         // the first non-zero digit
  while (first < total && digit(first) == '0') ++first;
  if (first == total || first >= point) return value("0");
  // More than 19 digits is beyond bigint (and the exponent may ask for a billion).
  if (point - first > 19) return invalid(Problem::out_of_range);
  std::string out;
  if (d.negative) out.push_back('-');
  for (long long i = first; i < point; ++i) out.push_back(digit(i));
  if (!integer_in_range(out, type)) return invalid(Problem::out_of_range);
  return to_scratch(out, scratch);
}

bool detail::decimal_fits(std::string_view decimal) {
  Decimal d;
  return split_decimal(decimal, d) && fits(d);
}

bool numeric_fits(std::string_view decimal) {
  const detail::Shape shape = detail::decimal_shape(decimal);
  return shape != detail::Shape::none && detail::shape_fits(decimal, shape);
}

StringCheck check_string_token(std::string_view token) {
  auto hex4 = [&](std::size_t at, unsigned& v) {
    if (at + 4 > token.size()) return false;
    v = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
      const char c = token[k];
      unsigned h;
      if (c >= '0' && c <= '9') {
        h = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        h = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        h = static_cast<unsigned>(c - 'A' + 10);
      } else {
        return false;
      }
      v = v * 16 + h;
    }
    return true;
  };
  bool nul = false;
  for (std::size_t i = token.find('\\'); i != std::string_view::npos; i = token.find('\\', i)) {
    if (i + 1 >= token.size()) return StringCheck::invalid;
    switch (token[i + 1]) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        i += 2;
        break;
      case 'u': {
        unsigned v;
        if (!hex4(i + 2, v)) return StringCheck::invalid;
        i += 6;
        if (v == 0) nul = true;
        if (v >= 0xDC00 && v <= 0xDFFF) return StringCheck::invalid;  // a low half first
        if (v >= 0xD800 && v <= 0xDBFF) {
          unsigned low;
          if (token.substr(i, 2) != "\\u" || !hex4(i + 2, low) || low < 0xDC00 || low > 0xDFFF)
            return StringCheck::invalid;
          i += 6;
        }
        break;
      }
      default:
        return StringCheck::invalid;
    }
  }
  return nul ? StringCheck::nul : StringCheck::ok;
}

std::string_view type_name(ValueType t) {
  switch (t) {
    case ValueType::text:
      return "a string";
    case ValueType::boolean:
      return "a boolean";
    case ValueType::smallint:
    case ValueType::integer:
    case ValueType::bigint:
      return "an integer";
    case ValueType::numeric:
      return "a number";
    case ValueType::date:
      return "a date (YYYY-MM-DD)";
    case ValueType::month:
      return "a month (YYYY-MM)";
    case ValueType::timestamp:
      return "a datetime (YYYY-MM-DD HH:MM:SS)";
    case ValueType::jsonb:
      return "JSON";
  }
  return "a value";
}

namespace {

std::string_view sql_type(ValueType t) {
  switch (t) {
    case ValueType::smallint:
      return "smallint";
    case ValueType::bigint:
      return "bigint";
    default:
      return "integer";
  }
}

// At most `limit` bytes of `s`, cut at a UTF-8 character boundary, NULs and other control
// characters written as \u escapes: the message goes to sync.runs, a text column.
std::string shown(std::string_view s, std::size_t limit, bool& cut) {
  cut = s.size() > limit;
  if (cut) {
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    s = s.substr(0, end);
  }
  std::string out;
  for (const char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(kHex[(c >> 4) & 0xf]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string describe(const Input& v) {
  bool cut = false;
  switch (v.kind) {
    case InputKind::string: {
      std::string text = shown(v.text, 40, cut);
      return "\"" + text + (cut ? "...\"" : "\"");
    }
    case InputKind::number: {
      std::string text = shown(v.text, 40, cut);
      return cut ? text + "..." : text;
    }
    case InputKind::boolean:
      return v.boolean ? "true" : "false";
    case InputKind::composite:
      return !v.text.empty() && v.text[0] == '[' ? "an array" : "an object";
    case InputKind::null:
      return "null";
  }
  return "a value";
}

std::string problem_text(std::string_view field, const Input& input, ValueType type,
                         Problem problem) {
  std::string text = "\"" + std::string(field) + "\": ";
  switch (problem) {
    case Problem::out_of_range:
      return text + describe(input) + " is out of range for " + std::string(sql_type(type));
    case Problem::numeric_overflow:
      return text + describe(input) +
             " overflows PostgreSQL numeric (at most 131072 digits before the point, 16383 "
             "after)";
    case Problem::nul:
      return text + describe(input) + " contains U+0000, which PostgreSQL cannot store";
    case Problem::none:
    case Problem::wrong_type:
      break;
  }
  return text + "expected " + std::string(type_name(type)) + ", got " + describe(input);
}

}  // namespace partnersync::sync
