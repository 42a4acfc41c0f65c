// The envelope shapes of ../shared/api-docs: {"result": [...]} (001), old tier groups (000),
// a single object, LiveAgent's {"response": ...} with its error envelope (003).
#include "daemon/sync/envelopes.hpp"

#include <cstdint>
#include <string>

#include "daemon/sync/json_reader.hpp"
#include "daemon/sync/record_parser.hpp"

namespace partnersync::sync {
namespace {

namespace sj = simdjson::ondemand;
using model::Envelope;

bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Fields outside the records land nowhere, but the body must be JSON as a whole.
void skip(sj::value value) {
  json::Taint ignored;
  json::skip(value, ignored);
}

void result_or_tiers(sj::document& doc, RecordSink& sink) {
  // Current and old shapes are told apart by the body, not by the path that answered:
  // {"result":[...]} (001) or {"tier1":[...],"tier2":[...]} (000, "Get Licenses List").
  bool found = false;
  for (auto field : doc.get_object()) {
    const std::string_view key = field.unescaped_key();
    std::string_view tier;
    if (key == std::string_view("result")) {
    } else if (key.size() >= 5 && key.substr(0, 4) == "tier" && is_digits(key.substr(4))) {
      tier = key.substr(4);
    } else {
      skip(field.value());
      continue;
    }
    sj::value value = field.value();
    if (value.type() != sj::json_type::array)
      throw BodyError("\"" + std::string(key) + "\" is not an array");
    found = true;
    sink.records(value.get_array(), tier);  // the key stays in the parser's string buffer
  }
  if (!found)
    throw BodyError("the response has no \"result\" array (nor tier1, tier2, ... groups)");
}

void liveagent(sj::document& doc, const model::EndpointSpec& endpoint, RecordSink& sink) {
  bool found = false;
  for (auto field : doc.get_object()) {
    const std::string_view name = field.unescaped_key();
    if (name != std::string_view("response")) {
      skip(field.value());
      continue;
    }
    sj::object response = field.value().get_object();
    const std::string_view response_raw = response.raw_json();
    response.reset();
    // An error envelope can come with HTTP 200 (../shared/api-docs/003, "Error response").
    std::string_view status, message;
    int64_t code = 0;
    for (auto f : response) {
      const std::string_view k = f.unescaped_key();
      sj::value v = f.value();
      if (k == "status" && v.type() == sj::json_type::string)
        status = v.get_string();
      else if (k == "errormessage" && v.type() == sj::json_type::string)
        message = v.get_string();
      else if (k == "statuscode" && v.type() == sj::json_type::number)
        code = v.get_int64();
    }
    if (status == "ERROR")
      throw UpstreamErrorEnvelope(static_cast<int>(code), std::string(message));
    response.reset();
    found = true;
    if (endpoint.envelope == Envelope::liveagent_object) {
      sink.record(response, response_raw);  // the record walk checks every field
      continue;  // read on to the end of the document (trailing content is an error)
    }
    bool listed = false;
    for (auto f : response) {
      const std::string_view list_name = f.unescaped_key();
      sj::value v = f.value();
      if (list_name != endpoint.list_key) {
        skip(v);
        continue;
      }
      if (v.type() == sj::json_type::null) {
        listed = true;  // an empty list is sent as null
        (void)v.is_null();
        continue;
      }
      if (v.type() != sj::json_type::array)
        throw BodyError("\"" + endpoint.list_key + "\" is not an array");
      listed = true;
      sink.records(v.get_array(), {});
    }
    if (!listed) throw BodyError("the response has no \"" + endpoint.list_key + "\" list");
  }
  if (!found) throw BodyError("the body has no \"response\" object");
}

}  // namespace

void read_envelope(sj::document& doc, const model::EndpointSpec& endpoint, RecordSink& sink) {
  switch (endpoint.envelope) {
    case Envelope::result_array:
    case Envelope::tier_groups:
      result_or_tiers(doc, sink);
      break;
    case Envelope::object: {
      if (doc.type() != sj::json_type::object) throw BodyError("the response is not an object");
      sj::object object = doc.get_object();
      const std::string_view raw = object.raw_json();
      object.reset();
      sink.record(object, raw);
      break;
    }
    case Envelope::liveagent_list:
    case Envelope::liveagent_object:
      liveagent(doc, endpoint, sink);
      break;
  }
}

}  // namespace partnersync::sync
