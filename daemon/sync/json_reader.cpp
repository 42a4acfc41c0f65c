// Skipping JSON values with simdjson On Demand while checking what it leaves unchecked in
// values it skips: number grammar, string escapes and atoms.
#include "daemon/sync/json_reader.hpp"

#include <string>

#include "daemon/sync/record_parser.hpp"

namespace partnersync::sync::json {

void not_json(std::string_view what, std::string_view token) {
  const Input shown{InputKind::number, token.substr(0, 40)};
  throw BodyError("invalid JSON: " + std::string(what) + " " + describe(shown));
}

namespace {
[[noreturn]] void too_deep() {
  throw BodyError("invalid JSON: objects and arrays nested deeper than " +
                  std::to_string(kMaxDepth) + " levels");
}
}  // namespace

void skip(sj::value& value, Taint& taint, int depth) {
  switch (value.type()) {
    case sj::json_type::object:
      if (depth >= kMaxDepth) too_deep();
      for (auto result : value.get_object()) {
        if (result.error() != simdjson::SUCCESS) throw simdjson::simdjson_error(result.error());
        sj::field& field = result.value_unsafe();  // in place (record_parser.cpp walk)
        // unescaped_key() checks the escapes of a key that has any.
        if (key_has_escapes(field.key().raw())) (void)std::string_view(field.unescaped_key());
        skip(field.value(), taint, depth + 1);
      }
      break;
    case sj::json_type::array:
      if (depth >= kMaxDepth) too_deep();
      for (auto element : value.get_array()) {
        sj::value item = element.value();
        skip(item, taint, depth + 1);
      }
      break;
    case sj::json_type::string: {
      const std::string_view token = value.raw_json_token();
      check_end(token);
      // \u0000 is JSON: raw's writer refuses it, and a skipped value lands nowhere else.
      if (check_string_token(token) == StringCheck::invalid) not_json("string", trim(token));
      break;
    }
    case sj::json_type::number: {
      const std::string_view token = value.raw_json_token();
      check_end(token);
      number(trim(token), taint);
      break;
    }
    case sj::json_type::boolean:
      (void)static_cast<bool>(value.get_bool());  // throws on an atom that is not true/false
      break;
    case sj::json_type::null:
      if (!value.is_null()) not_json("atom", trim(value.raw_json_token()));
      break;
  }
}

}  // namespace partnersync::sync::json
