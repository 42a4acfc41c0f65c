// The parser's simdjson side: a field's value read as a conversion Input, and skipped values
// consumed with every token checked, so that a body is valid JSON as a whole (simdjson's On
// Demand API checks only what is read).
#pragma once

#include <simdjson.h>

#include <string_view>

#include "daemon/sync/value_conversion.hpp"

namespace partnersync::sync::json {

namespace sj = simdjson::ondemand;

// What makes a record's text unusable as jsonb (the `raw` column) though it is JSON, besides
// \u0000, which the COPY writer of raw finds (copy_text.hpp).
struct Taint {
  bool overflow = false;  // a number beyond PostgreSQL numeric (jsonb stores numbers so)
};

inline std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Throws BodyError for `token`, which is not JSON.
[[noreturn]] void not_json(std::string_view what, std::string_view token);

// Objects and arrays nested deeper than this inside one value are refused (a BodyError)
// before skip's recursion could exhaust the stack: On Demand does not limit depth itself, and
// simdjson's DOM parser stops at 1024 levels too.
inline constexpr int kMaxDepth = 1000;

// Consumes `value`, checking every token in it. Throws BodyError on text that is not JSON and
// on nesting deeper than kMaxDepth; `depth` is the value's own.
void skip(sj::value& value, Taint& taint, int depth = 0);

// Whether the key at `raw` (just after its opening quote) has escapes: it must then be
// matched unescaped.
inline bool key_has_escapes(const char* raw) {
  const char* end = raw;
  while (*end != '"' && *end != '\\') ++end;
  return *end == '\\';
}

// A scalar read by its token is not consumed, and simdjson skips an unconsumed string followed
// by ':' as if it were a key ({"a":"b":2} passes): the token must be followed by what ends a
// value in a container. (The character after a token is its next token, never a space.)
inline void check_end(std::string_view token) {
  const char next = token.data()[token.size()];
  if (next != ',' && next != '}' && next != ']')
    not_json("value not followed by , } or ]:", trim(token));
}

// A number token: JSON's grammar (simdjson checks it only when it converts), and within
// numeric's limits.
inline void number(std::string_view token, Taint& taint) {
  const detail::Shape shape = json_number_shape(token);
  if (shape == detail::Shape::none) not_json("number", token);
  if (!detail::shape_fits(token, shape)) taint.overflow = true;
}

// Reads and consumes `value`; an object or array is checked whole and given as its JSON text,
// which ends where the next token starts (`body_end` when there is none). Inline: it runs for
// every field the stream reads, and simdjson's iterator stays in registers only when inlined.
[[gnu::always_inline]] inline Input read(sj::value& value, const char* body_end, Taint& taint) {
  Input in;
  switch (value.type()) {
    case sj::json_type::string:
      in.kind = InputKind::string;
      in.text = value.get_string();
      break;
    case sj::json_type::number:
      in.kind = InputKind::number;
      {
        const std::string_view token = value.raw_json_token();
        check_end(token);
        in.text = trim(token);
      }
      number(in.text, taint);
      break;
    case sj::json_type::boolean:
      in.kind = InputKind::boolean;
      in.boolean = value.get_bool();
      break;
    case sj::json_type::null:
      if (!value.is_null()) not_json("atom", trim(value.raw_json_token()));
      break;
    case sj::json_type::object:
    case sj::json_type::array: {
      const char* start = value.current_location();
      skip(value, taint);
      const char* end = nullptr;
      if (value.current_location().get(end) != simdjson::SUCCESS) end = body_end;
      in.kind = InputKind::composite;
      in.text = trim(std::string_view(start, static_cast<std::size_t>(end - start)));
      break;
    }
  }
  return in;
}

}  // namespace partnersync::sync::json
