// Internal stream variation_addons: the add-ons nested in each variation of /variations, one
// liveagent.variation_addons row each, split out by split_variation_addons (a fan-out the
// declaration model cannot express).
#include <simdjson.h>

#include <stdexcept>

#include "connectors/liveagent/liveagent_streams.hpp"

namespace partnersync::connectors::liveagent {

using model::ValueType;

// An internal stream: its name is not in kLiveagentStreams, so the engine selects it exactly
// when its `parent` is (SourceRunner::selected), and it runs right after variations in every
// pass that runs variations. Being full_list, it reads /variations once more and gets its
// records from split_body.
model::StreamSpec variation_addons_stream() {
  model::StreamSpec s;
  s.name = std::string(kVariationAddonsStream);
  s.kind = model::SourceKind::liveagent_reseller;
  s.mode = model::SyncMode::full_list;
  s.parent = "variations";
  s.parent_key = "variation_id";
  s.endpoints = {liveagent_endpoint("/api/resellers/{reseller}/variations", "variations")};
  s.table = "liveagent.variation_addons";
  s.key = {"source", "variation_id", "addon_id"};
  // Paths are those of split_variation_addons' records: the add-on is under "served".
  s.columns = {
      json_column("variation_id", ValueType::text, "variation_id"),
      json_column("addon_id", ValueType::text, "served/id"),
      json_column("name", ValueType::text, "served/name"),
      json_column("price", ValueType::numeric, "served/price"),
      json_column("description", ValueType::text, "served/description"),
  };
  s.split_body = split_variation_addons;
  s.split_raw_member = "served";
  return s;
}

namespace {

namespace od = simdjson::ondemand;

// simdjson's raw JSON of a value runs up to the next token: without the trailing whitespace.
std::string_view trimmed(std::string_view json) {
  while (!json.empty() &&
         (json.back() == ' ' || json.back() == '\n' || json.back() == '\r' || json.back() == '\t'))
    json.remove_suffix(1);
  return json;
}

std::string_view trimmed_token(od::value value) { return trimmed(value.raw_json_token()); }

// {"variation_id":<id>,"served":<addon>}, `addon` the add-on's JSON text as received.
std::string with_variation_id(std::string_view addon, std::string_view id) {
  std::string out = "{\"variation_id\":";
  out += id.empty() ? std::string_view("null") : id;
  out += ",\"served\":";
  out += addon;
  out += '}';
  return out;
}

void split_variation(od::object variation, std::vector<std::string>& out) {
  std::string id;
  std::vector<std::string> addons;  // each as received
  for (auto field : variation) {
    const std::string_view key = field.unescaped_key();
    od::value value = field.value();
    if (key == "id") {
      if (value.type() == od::json_type::string || value.type() == od::json_type::number)
        id = std::string(trimmed_token(value));
    } else if (key == "addons") {
      if (value.type() == od::json_type::null) continue;  // no add-ons
      if (value.type() != od::json_type::array)
        throw std::invalid_argument("a variation's \"addons\" is not an array");
      for (auto element : value.get_array()) {
        od::value addon = element.value();
        if (addon.type() == od::json_type::object) {
          addons.emplace_back(trimmed(addon.get_object().value().raw_json().value()));
        } else {
          // Passed on as it is: the record parser quarantines a record without an add-on id.
          addons.emplace_back(trimmed_token(addon));
        }
      }
    }
  }
  for (const auto& a : addons) out.push_back(with_variation_id(a, id));
}

}  // namespace

std::vector<std::string> split_variation_addons(std::string_view body) {
  std::vector<std::string> out;
  try {
    const simdjson::padded_string padded(body);
    // On Demand does not validate what raw_json() skips (an add-on's members): a body that is
    // not valid JSON as a whole must not yield records.
    simdjson::dom::parser validator;
    if (const auto error = validator.parse(padded).error(); error != simdjson::SUCCESS)
      throw std::invalid_argument(std::string("variations body is not valid JSON: ") +
                                  simdjson::error_message(error));
    od::parser parser;
    od::document doc = parser.iterate(padded);
    if (doc.type() != od::json_type::object)
      throw std::invalid_argument("variations body is not a JSON object");
    bool found = false, listed = false;
    std::string status, message;
    std::int64_t code = 0;
    for (auto top : doc.get_object()) {
      if (top.unescaped_key().value() != "response") continue;
      od::value response_value = top.value();
      if (response_value.type() != od::json_type::object)
        throw std::invalid_argument("\"response\" is not an object");
      found = true;
      for (auto field : response_value.get_object()) {
        const std::string_view key = field.unescaped_key();
        od::value value = field.value();
        const od::json_type type = value.type();
        if (key == "status" && type == od::json_type::string) {
          status = std::string(value.get_string().value());
        } else if (key == "errormessage" && type == od::json_type::string) {
          message = std::string(value.get_string().value());
        } else if (key == "statuscode" && type == od::json_type::number) {
          code = value.get_int64();
        } else if (key == "variations") {
          listed = true;
          if (type == od::json_type::null) continue;  // an empty list is sent as null
          if (type != od::json_type::array)
            throw std::invalid_argument("\"variations\" is not an array");
          for (auto element : value.get_array()) {
            od::value variation = element.value();
            // Not an object: no add-ons to split; the variations stream quarantines it.
            if (variation.type() != od::json_type::object) continue;
            split_variation(variation.get_object(), out);
          }
        }
      }
    }
    const char* location = nullptr;
    if (doc.current_location().get(location) != simdjson::OUT_OF_BOUNDS)
      throw std::invalid_argument("trailing content after the variations body");
    // 003 "Error messages formats": the error envelope can come with HTTP 200.
    if (status == "ERROR")
      throw std::invalid_argument("upstream error " + std::to_string(code) + ": " + message);
    if (!found) throw std::invalid_argument("the body has no \"response\" object");
    if (!listed) throw std::invalid_argument("the response has no \"variations\" list");
  } catch (const simdjson::simdjson_error& e) {
    throw std::invalid_argument(std::string("variations body is not valid JSON: ") + e.what());
  }
  return out;
}

}  // namespace partnersync::connectors::liveagent
